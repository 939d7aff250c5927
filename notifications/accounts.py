"""Password reset: Django's flow, with the e-mail written to the outbox (DESIGN.md invariant 5).

The form's ``send_mail`` does not send: it renders ``notifications/email/password_reset*`` and
enqueues one Notification for the user's oldest active membership's practice (a user with no
active membership gets no mail). Requests are throttled per account (the e-mail, hashed; known
or not) and per client address; a throttled request, an unknown e-mail and a user with no
practice all get the same "check your e-mail" page and nothing is written. The link expires
after ``PASSWORD_RESET_TIMEOUT`` and is single-use (Django's token includes the password hash).
"""
import logging
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.db import transaction
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from notifications import outbox
from notifications.models import Channel, NotificationKind
from practice import throttle
from practice.models import Membership

log = logging.getLogger(__name__)

RESET_WINDOW_SECONDS = 60 * 60
RESET_MAX_PER_ACCOUNT = 5  # reset requests for one e-mail, from any address, per hour
RESET_MAX_PER_ADDRESS = 20  # reset requests from one address, for any e-mail, per hour
TEMPLATES = "notifications"


def reset_throttle_keys(email: str, address: str) -> list[tuple[str, int]]:
    """(counter key, limit) of a reset request: the account and the address."""
    return throttle.person_keys("reset", email, address, per_account=RESET_MAX_PER_ACCOUNT, per_address=RESET_MAX_PER_ADDRESS)


def allowed(email: str, request) -> bool:
    """Count this request; False (logged) when the account or the address is over its limit."""
    address = throttle.client_address(request) if request is not None else ""
    keys = reset_throttle_keys(email, address)
    over = [key for key, limit in keys if throttle.over(key, limit)]
    if not over:
        # Every counter takes the try (a list, not a generator: no short-circuit).
        over = [key for key, limit in keys if not throttle.hit(key, limit, RESET_WINDOW_SECONDS)]
    if over:
        log.warning("password reset throttled (%s) from %s; no mail written", ", ".join(k.split(":")[1] for k in over), address)
        return False
    return True


def practice_of(user):
    """The practice a user's mail is written for: their oldest active membership's, or None."""
    membership = (Membership.objects.active().filter(user=user).select_related("practice")
                  .order_by("created_at", "id").first())
    return membership.practice if membership else None


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form; the mail goes through the outbox, and requests are throttled."""

    def save(self, *args, request=None, **kwargs):
        if not allowed(self.cleaned_data["email"], request):
            return
        with transaction.atomic():
            super().save(*args, request=request, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        user = context["user"]
        practice = practice_of(user)
        if practice is None:
            log.info("password reset for user %s: no active membership, no mail", user.pk)
            return None
        link = settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        zone = zoneinfo.ZoneInfo(user.time_zone)
        words = {"user": user, "practice": practice, "reset_url": link, "site_url": settings.SITE_URL,
                 "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
        subject, text, html = outbox.render(TEMPLATES, NotificationKind.PASSWORD_RESET, Channel.EMAIL, words, zone)
        stamp = f"{timezone.now():%Y%m%d%H%M%S%f}-{secrets.token_hex(4)}"
        return outbox.enqueue(
            practice_id=practice.pk, recipient_user=user, kind=NotificationKind.PASSWORD_RESET, channel=Channel.EMAIL,
            to_address=to_email, subject=subject, text=text, html=html, dedupe_key=f"password_reset:{user.pk}:{stamp}",
        )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
