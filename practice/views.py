from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.shortcuts import redirect, render

from practice import access
from practice.errors import DomainError
from practice.forms import LoginForm, ServiceForm
from practice.models import Role


class LoginView(auth_views.LoginView):
    """Django's login with the throttled e-mail form; a throttled try answers 429."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
        return response


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    membership = request.membership
    if membership is None:
        return render(request, "practice/no_practice.html", status=403)
    if membership.role == Role.CLIENT:
        return redirect("sessions_app:my_sessions")
    return redirect("sessions_app:dashboard")


@access.admin_required
def practice_settings(request):
    return render(request, "practice/settings.html", {
        "services": access.services_of(request.membership),
        "rooms": access.rooms_of(request.membership),
    })


def edit_page(request, pk, *, fetch, form_class, noun):
    """The settings form of one row (a service, a room), new when ``pk`` is None: admins only,
    fetched through ``fetch(membership, pk)``; saved in one transaction, back to the settings page."""
    if pk:
        instance = fetch(request.membership, pk)
    else:
        access.require(request.membership, [Role.ADMIN])
        instance = None
    form = form_class(request.POST or None, instance=instance, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except DomainError as error:  # a rule checked again at save time (a room's kind, under its lock)
            form.add_error(None, error)
        else:
            messages.success(request, f"{noun} “{saved}” saved.")
            return redirect("practice_settings")
    return render(request, "practice/settings_form.html", {"form": form, "noun": noun, "instance": instance})


@access.member_required
def service_edit(request, pk=None):
    return edit_page(request, pk, fetch=access.service_for, form_class=ServiceForm, noun="Service")
