from django.contrib import admin

from practice.admin_site import PracticeScopedAdmin
from sessions_app.models import Contact, Participant, Session, SessionService


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
