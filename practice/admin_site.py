from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.shortcuts import render

from practice.models import Membership, Role


class PracticeAdminSite(admin.AdminSite):
    """Django admin for superusers and for each practice's admins (scoped to their practice)."""

    site_header = "Practice administration"
    site_title = "Practice administration"
    index_title = "Settings"

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        return Membership.objects.active().filter(user=user, role=Role.ADMIN).exists()

    def login(self, request, extra_context=None):
        # One login page for the whole site; admin access is then decided by has_permission.
        # Someone logged in who may not use admin is told so (a redirect to the login page,
        # which sends them on to admin, would loop).
        from django.contrib.auth.views import redirect_to_login
        from django.urls import reverse

        if request.user.is_authenticated:
            return render(request, "403.html", status=403)
        return redirect_to_login(request.GET.get("next", reverse("admin:index")), login_url=reverse("login"))


class PracticeScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows are those of the admin's practice (superusers see all).

    ``practice_path`` names the lookup from the model to its practice.
    """

    practice_path = "practice"

    def _is_practice_admin(self, request):
        membership = getattr(request, "membership", None)
        return request.user.is_superuser or (membership is not None and membership.role == Role.ADMIN)

    def has_module_permission(self, request):
        return self._is_practice_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_practice_admin(request)

    def has_add_permission(self, request):
        return self._is_practice_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_practice_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_practice_admin(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.practice_path: request.practice})

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The admin's practice is set on a new row before validation, so the practice's unique
        names (service, room, completion type, membership) are checked as form errors."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if request.user.is_superuser or self.practice_path != "practice":
            return form
        practice = request.practice

        class PracticeForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.practice_id is None:
                    self.instance.practice = practice

            def _get_validation_exclusions(self):
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("practice")
                return exclusions

        PracticeForm.__name__ = form.__name__
        return PracticeForm

    def get_changelist_instance(self, request):
        """A filter the list cannot apply (a year past 9999, a number too big for the column,
        a word where a number goes) shows the whole list with a message instead of a 500."""
        try:
            with transaction.atomic():
                return super().get_changelist_instance(request)
        except (ValueError, OverflowError, ValidationError, DatabaseError) as error:
            messages.warning(request, "That filter could not be applied, so the whole list is shown.")
            raise IncorrectLookupParameters(error) from error

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.practice_path == "practice":
            exclude.append("practice")
        return exclude

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [f for f in filters if f != "practice"]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and self.practice_path == "practice":
            obj.practice = request.practice
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if request.user.is_superuser or field is None:
            return field
        model = db_field.related_model
        if model._meta.label == "practice.User":
            field.queryset = field.queryset.filter(memberships__practice=request.practice).distinct()
        elif any(f.name == "practice" for f in model._meta.fields):
            field.queryset = field.queryset.filter(practice=request.practice)
        return field
