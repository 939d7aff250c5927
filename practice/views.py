from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse

from practice import access
from practice.crypto import mask
from practice.errors import DomainError
from practice.forms import LoginForm, ServiceForm, TextSettingsForm
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
        return redirect("portal:home")
    return redirect("sessions_app:dashboard")


@access.admin_required
def practice_settings(request):
    return render(request, "practice/settings.html", {
        "services": access.services_of(request.membership).prefetch_related("practitioners"),
        "rooms": access.rooms_of(request.membership),
    })


@access.admin_required
def text_settings(request):
    """The practice's own Twilio account for text messages (else the server's TWILIO_* one)."""
    practice = request.practice
    form = TextSettingsForm(request.POST or None, practice=practice, initial={
        "twilio_account_sid": practice.twilio_account_sid, "twilio_from_number": practice.twilio_from_number})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["clear_credentials"]:
            practice.twilio_account_sid = practice.twilio_auth_token = practice.twilio_from_number = ""
        else:
            practice.twilio_account_sid = data["twilio_account_sid"]
            practice.twilio_from_number = data["twilio_from_number"]
            if data["twilio_auth_token"]:
                practice.twilio_auth_token = data["twilio_auth_token"]
        practice.save(update_fields=["twilio_account_sid", "twilio_auth_token", "twilio_from_number"])
        messages.success(request, "Text message settings saved.")
        return redirect("text_settings")
    own = bool(practice.twilio_account_sid and practice.twilio_auth_token and practice.twilio_from_number)
    environment = bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER)
    return render(request, "practice/text_settings.html", {
        "form": form, "token_mask": mask(practice.twilio_auth_token), "own_account": own, "server_account": environment,
        # By name only: practice imports nothing from notifications (README, "Layout").
        "callback_url": settings.SITE_URL + reverse("notifications:twilio_status_practice", args=[practice.slug]),
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
