from django.contrib import admin

from billing.models import LedgerEntry
from practice.admin_site import PracticeScopedAdmin


@admin.register(LedgerEntry)
class LedgerEntryAdmin(PracticeScopedAdmin):
    """The ledger is append-only: it can be read here, never changed."""

    list_display = ["created_at", "kind", "amount", "currency", "label", "client_name", "practitioner", "service_date"]
    list_filter = ["kind", "practice"]
    search_fields = ["label", "client_name"]
    date_hierarchy = "created_at"
    list_select_related = ["practitioner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
