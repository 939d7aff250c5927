"""The participant's documents on the dashboard: "Documents: 1 of 3 signed".

Reads the ``document_requests`` the dashboard prefetched (with their submission), so a page of
sessions costs one query for all of them, never one per participant.
"""
from django import template
from django.utils.html import format_html

from sessions_app import documents

register = template.Library()


@register.simple_tag
def documents_tile(participant, compact=False):
    signed, sent = documents.summary(participant.document_requests.all())
    if not sent:
        return ""
    done = signed == sent
    icon = "bi-file-earmark-check-fill" if done else "bi-file-earmark-text"
    tone = "text-success" if done else "text-body-secondary"
    words = f"Documents: {signed} of {sent} signed"
    if compact:
        return format_html(' <span class="small text-nowrap {}" data-documents><i class="bi {}"></i> {}</span>',
                           tone, icon, words)
    return format_html('<div class="{} fw-semibold" data-documents><i class="bi {}"></i> {}</div>', tone, icon, words)
