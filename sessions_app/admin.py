from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from practice import audit
from practice.admin_site import PracticeScopedAdmin
from practice.errors import DomainError
from practice.models import Room
from sessions_app import rooms
from sessions_app.models import (
    CompletionType,
    Contact,
    DocumentPackage,
    DocumentPackageItem,
    DocumentSubmission,
    DocumentTemplate,
    DocumentTemplateVersion,
    Participant,
    Session,
    SessionService,
)
from sessions_app.room_forms import RoomAdminForm


@admin.register(Room)
class RoomAdmin(PracticeScopedAdmin):
    form = RoomAdminForm
    list_display = ["name", "kind", "is_active"]
    list_filter = ["kind", "is_active", "practice"]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.practice = request.practice
        rooms.save_room(obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # save_room checks the room's sessions again under its lock and may refuse; the admin's
        # transaction is rolled back by then, and the admin reads why instead of a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, f"The room was not saved: {error.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Contact)
class ContactAdmin(PracticeScopedAdmin):
    list_display = ["name", "owner", "invite_method", "email", "phone", "time_zone"]
    list_filter = ["invite_method", "practice"]
    search_fields = ["name", "email", "phone"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ["name", "invite_method", "email", "phone", "time_zone", "is_client"]


class SessionServiceInline(admin.TabularInline):
    model = SessionService
    extra = 0


@admin.register(Session)
class SessionAdmin(PracticeScopedAdmin):
    list_display = ["start", "practitioner", "room", "kind", "status", "access_code"]
    list_filter = ["status", "kind", "practice"]
    date_hierarchy = "start"
    list_select_related = ["practitioner", "room"]
    inlines = [SessionServiceInline, ParticipantInline]

    # Sessions are scheduled and edited on the dashboard, where the booking rules
    # are checked; here they are read-only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CompletionType)
class CompletionTypeAdmin(PracticeScopedAdmin):
    """Custom Session Status: admins add their own outcomes; the three defaults can only be disabled."""

    list_display = ["label", "map_status", "modifier_type", "client_modifier", "practitioner_modifier", "enabled", "short_description"]
    list_editable = ["enabled"]
    list_filter = ["map_status", "enabled", "practice"]
    fields = ["map_status", "label", "description", "modifier_type", "client_modifier", "practitioner_modifier", "enabled", "position"]
    search_fields = ["label", "description"]

    @admin.display(description="Description")
    def short_description(self, obj):
        return obj.description if len(obj.description) <= 60 else obj.description[:57] + "…"

    def get_readonly_fields(self, request, obj=None):
        # A default keeps its meaning; only whether it is offered can change.
        if obj and obj.is_default:
            return ["map_status", "label", "modifier_type", "client_modifier", "practitioner_modifier"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset.filter(default_key=""))


# --- Participant documents: built on Settings → Participant documents (sessions_app.documents keeps
# versions and the signed record); Django admin shows them read-only, and logs who opened a signature.
class ReadOnlyPracticeAdmin(PracticeScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DocumentTemplateVersionInline(admin.TabularInline):
    model = DocumentTemplateVersion
    extra = 0
    fields = ["number", "title", "created_at", "created_by"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(ReadOnlyPracticeAdmin):
    list_display = ["name", "kind", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    inlines = [DocumentTemplateVersionInline]


class DocumentPackageItemInline(admin.TabularInline):
    model = DocumentPackageItem
    extra = 0
    fields = ["template", "position"]
    readonly_fields = fields


@admin.register(DocumentPackage)
class DocumentPackageAdmin(ReadOnlyPracticeAdmin):
    list_display = ["name", "is_active", "created_at"]
    inlines = [DocumentPackageItemInline]


@admin.register(DocumentSubmission)
class DocumentSubmissionAdmin(ReadOnlyPracticeAdmin):
    list_display = ["title", "signer_name", "signed_at", "ip_address", "sha256"]
    search_fields = ["title", "signer_name"]
    date_hierarchy = "signed_at"
    exclude = ["pdf", "signature_png"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        submission = self.get_object(request, object_id)
        if submission is not None:
            audit.record(request, audit.AccessKind.DOCUMENT, submission.pk,
                         f"signed document {submission.title} of {submission.signer_name} (Django admin)")
        return super().change_view(request, object_id, form_url, extra_context)
