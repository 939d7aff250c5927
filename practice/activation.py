"""Client portal activation links: ``/activate/<membership id, base64>/<token>/``.

The token is Django's password-reset token, computed over the client's *membership* instead
of the user, so that one link opens one practice's portal and dies when anything it
vouches for changes:

- the user's password hash and last log-in: setting the password (and the log-in after it)
  uses the link up, so it works once;
- ``Membership.invited_at``: a new invitation, or revoking access, voids every earlier link;
- ``Membership.is_active`` and the role: a revoked or changed membership opens nothing.

It expires ``VALID_HOURS`` after the invitation whatever ``PASSWORD_RESET_TIMEOUT`` says
(that one is for password resets, and much shorter). The timestamp in the token is the
invitation's own time (``invited_at``), counted in UTC: the link lives exactly 72 hours
from the moment the e-mail speaks of, across daylight-saving changes.
"""
from datetime import UTC, datetime

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from practice.models import Membership, Role

VALID_HOURS = 72
# In place of the token in the address once it has been checked (as Django's reset view does):
# the page that asks for the password never carries the token, so no Referer can leak it.
URL_TOKEN = "set-password"
# Membership ids are BigAutoField: anything larger is not an id (and never reaches the database).
MAX_ID = 2**63 - 1


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class PortalActivationTokenGenerator(PasswordResetTokenGenerator):
    """Tokens for a client ``Membership``: single use, voided by re-invitation or revocation,
    valid for ``VALID_HOURS`` from the invitation."""

    key_salt = "practice.activation.PortalActivationTokenGenerator"
    timeout = VALID_HOURS * 60 * 60

    def _now(self):
        # Django's generator counts in the server's naive local time; this one in UTC, to match invited_at.
        return _naive_utc(timezone.now())

    def make_token(self, membership):
        """The token of the membership's current invitation (timestamped at ``invited_at``)."""
        issued = _naive_utc(membership.invited_at) if membership.invited_at else self._now()
        return self._make_token_with_timestamp(membership, self._num_seconds(issued), self.secret)

    def check_token(self, membership, token):
        """Django's check with this generator's own lifetime (the parent reads PASSWORD_RESET_TIMEOUT)."""
        if not (membership and isinstance(token, str) and token) or not usable(membership):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(constant_time_compare(self._make_token_with_timestamp(membership, ts, secret), token)
                   for secret in [self.secret, *self.secret_fallbacks]):
            return False
        age = self._num_seconds(self._now()) - ts
        return 0 <= age <= self.timeout

    def _make_hash_value(self, membership, timestamp):
        user = membership.user
        last_login = "" if user.last_login is None else _naive_utc(user.last_login).replace(microsecond=0).isoformat()
        invited = "" if membership.invited_at is None else _naive_utc(membership.invited_at).isoformat()
        return (f"{membership.pk}|{membership.role}|{int(membership.is_active)}|{invited}|"
                f"{user.pk}|{user.password}|{last_login}|{user.email}|{timestamp}")


activation_token = PortalActivationTokenGenerator()


def usable(membership) -> bool:
    """Whether a link may open this membership at all: an active client membership of an active user."""
    return membership.role == Role.CLIENT and membership.is_active and membership.user.is_active


def encode_id(membership) -> str:
    return urlsafe_base64_encode(force_bytes(membership.pk))


def membership_from(uidb64: str):
    """The client membership the link's first part names, or None for anything else (garbage included)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError):  # bad base64, not UTF-8 (a ValueError), not a number
        return None
    if not 0 < pk <= MAX_ID:
        return None
    return Membership.objects.select_related("user", "practice").filter(pk=pk, role=Role.CLIENT).first()


def activation_path(membership) -> str:
    """The path of the activation link for the membership's current invitation."""
    return reverse("activate", kwargs={"uidb64": encode_id(membership), "token": activation_token.make_token(membership)})
