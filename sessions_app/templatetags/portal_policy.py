"""The cancellation policy in portal pages (the rules are in ``sessions_app.policy``):

- ``{% cancellation_policy_text %}``: the policy in words, for the practice of the request;
- ``{% may_cancel session as ok %}``, ``{% may_reschedule session as ok %}``: whether the portal
  offers Cancel / Reschedule now (else "Contact your practitioner to cancel");
- ``{% late_cancel_cost session as cost %}``: what a cancel now costs ("This is a Late Cancel:
  50% of the session fee (60.00 USD) is charged."), or "" when it is free.

The policy is read once per request (kept on ``request.practice``), and only for a session
inside the notice.
"""
from django import template

from sessions_app import policy

register = template.Library()


def _practice(context):
    return context["request"].practice


@register.simple_tag(takes_context=True)
def cancellation_policy_text(context):
    return policy.describe(_practice(context))


@register.simple_tag(takes_context=True)
def may_cancel(context, session):
    return policy.may_cancel(_practice(context), session)


@register.simple_tag(takes_context=True)
def may_reschedule(context, session):
    return policy.may_reschedule(_practice(context), session)


@register.simple_tag(takes_context=True)
def late_cancel_cost(context, session):
    return policy.late_cancel_cost(_practice(context), session)
