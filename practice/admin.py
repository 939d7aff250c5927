from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from practice.admin_site import PracticeScopedAdmin
from practice.crypto import SECRET_FIELDS
from practice.models import AccessLogEntry, Membership, Practice, PractitionerWage, Service, User


@admin.register(Practice)
class PracticeAdmin(PracticeScopedAdmin):
    practice_path = "pk"
    list_display = ["name", "slug", "time_zone", "currency"]
    prepopulated_fields = {"slug": ["name"]}
    # Secrets are set on the practice's own settings pages, which show them masked; never here.
    exclude = SECRET_FIELDS

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset.filter(pk=request.practice.pk)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "time_zone", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "phone", "time_zone"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "password1", "password2"]})]

    # Accounts span practices, so only superusers manage them here.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(PracticeScopedAdmin):
    list_display = ["user", "role", "practice", "is_active", "can_override_cost"]
    list_filter = ["role", "is_active", "practice"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = []


@admin.register(Service)
class ServiceAdmin(PracticeScopedAdmin):
    list_display = ["cpt_code", "name", "price", "duration_minutes", "bookable_online", "is_active"]
    list_filter = ["is_active", "bookable_online", "practice"]
    search_fields = ["cpt_code", "name"]


@admin.register(PractitionerWage)
class PractitionerWageAdmin(PracticeScopedAdmin):
    list_display = ["practitioner", "service", "wage_kind", "wage_amount"]
    list_select_related = ["practitioner", "service"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(PracticeScopedAdmin):
    """Who viewed which client data: read-only, the admin's own practice only."""

    list_display = ["created_at", "user", "role", "kind", "description", "ip_address"]
    list_filter = ["kind", "role", "practice"]
    search_fields = ["user__email", "description", "object_id"]
    list_select_related = ["user", "practice"]
    date_hierarchy = "created_at"
    fields = ["created_at", "practice", "user", "role", "kind", "object_id", "description", "ip_address"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
