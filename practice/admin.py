from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from practice import selectors
from practice.admin_site import PracticeScopedAdmin
from practice.availability_forms import MAX_QUESTIONS, BaseQuestionFormSet, BookingQuestionForm
from practice.crypto import SECRET_FIELDS
from practice.forms import NOT_A_PRACTITIONER, check_online_booking
from practice.models import AccessLogEntry, BookingQuestion, Membership, Practice, PractitionerWage, Service, User


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


class BookingQuestionInline(admin.TabularInline):
    """A service's Booking Page Form, with the checks of the settings page (a choice needs two
    options). Practice admins may edit it: inlines ask Django's model permissions otherwise."""

    model = BookingQuestion
    form = BookingQuestionForm
    formset = BaseQuestionFormSet
    fields = ["position", "label", "kind", "choices", "required", "is_active"]
    extra = 0
    max_num = MAX_QUESTIONS

    def _may(self, request):
        membership = getattr(request, "membership", None)
        return request.user.is_superuser or (membership is not None and membership.role == "admin")

    def has_view_permission(self, request, obj=None):
        return self._may(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class ServiceAdminForm(forms.ModelForm):
    """Who offers the service: people who host sessions in its practice; a bookable service is
    active and offered by someone (as on the settings page)."""

    class Meta:
        model = Service
        fields = ["practice", "cpt_code", "name", "price", "duration_minutes", "in_person", "video", "phone",
                  "bookable_online", "practitioners", "wage_kind", "wage_amount", "is_active"]
        error_messages = {"practitioners": {"invalid_choice": NOT_A_PRACTITIONER}}

    def clean(self):
        cleaned = super().clean()
        practice = cleaned.get("practice") or getattr(self.instance, "practice", None)
        offered = cleaned.get("practitioners")
        if practice is not None and offered:
            allowed = set(selectors.practitioners(practice).values_list("pk", flat=True))
            if any(person.pk not in allowed for person in offered):
                self.add_error("practitioners", NOT_A_PRACTITIONER)
        check_online_booking(self, cleaned)
        return cleaned


@admin.register(Service)
class ServiceAdmin(PracticeScopedAdmin):
    form = ServiceAdminForm
    list_display = ["cpt_code", "name", "price", "duration_minutes", "bookable_online", "is_active"]
    list_filter = ["is_active", "bookable_online", "practice"]
    search_fields = ["cpt_code", "name"]
    inlines = [BookingQuestionInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "practitioners":
            kwargs["widget"] = forms.CheckboxSelectMultiple
            if not request.user.is_superuser:
                kwargs["queryset"] = selectors.practitioners(request.practice)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


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
