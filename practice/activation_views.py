"""The client's side of a portal invitation: open the link, set a password, land in the portal.

As Django's ``PasswordResetConfirmView``: a valid link's token is moved into the session and
the browser is sent to the same address with ``set-password`` in its place, so the page that
asks for the password (and anything it loads or links to) never sees the token in a Referer.
Every link that does not work (used, expired, re-sent, revoked, mangled) gets the same plain
page, with status 200: it is an answer for a person, not an error.
"""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from practice.activation import URL_TOKEN, activation_token, membership_from
from practice.models import Membership, User

SESSION_TOKEN = "_portal_activation_token"
BACKEND = "practice.auth.MemberBackend"
PORTAL_HOME = "/my/"


class ActivationForm(SetPasswordForm):
    """Django's set-password form; each field is named by its label alone (crispy adds a "*" to the label
    text of required fields, which screen readers would otherwise read as part of the name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", field.label)


def _link_does_not_work(request):
    request.session.pop(SESSION_TOKEN, None)
    return render(request, "practice/activate_invalid.html")


@sensitive_post_parameters()
@never_cache
def activate(request, uidb64, token):
    membership = membership_from(uidb64)
    if token != URL_TOKEN:
        if membership is not None and activation_token.check_token(membership, token):
            request.session[SESSION_TOKEN] = token
            return redirect(reverse("activate", kwargs={"uidb64": uidb64, "token": URL_TOKEN}))
        return _link_does_not_work(request)
    token = request.session.get(SESSION_TOKEN)
    if membership is None or not activation_token.check_token(membership, token):
        return _link_does_not_work(request)

    form = ActivationForm(membership.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Two tabs posting the same link: the second waits here, then finds it used.
            form.user = User.objects.select_for_update().get(pk=membership.user_id)
            membership = Membership.objects.select_related("practice").get(pk=membership.pk)
            membership.user = form.user
            if not activation_token.check_token(membership, token):
                return _link_does_not_work(request)
            user = form.save()
            login(request, user, backend=BACKEND)
        request.session.pop(SESSION_TOKEN, None)
        request.session["practice_id"] = membership.practice_id
        messages.success(request, f"Welcome! Your {membership.practice.name} client portal account is active.")
        return redirect(PORTAL_HOME)
    return render(request, "practice/activate.html", {"form": form, "membership": membership})
