"""Inviting a contact to the client portal, and revoking it (issue 13, seed 004).

An invitation makes (or reuses) the client's log-in, gives it an active client membership
of the practice stamped with ``invited_at``, links the contact and all of the contact's
participations to it (their sessions then show in the portal), and writes the e-mail with
the activation link to the outbox, all in one transaction. The link's token hashes
``invited_at`` (practice.activation), so a new invitation, or a revocation, which bumps it,
voids every link sent before.
"""
import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from notifications import outbox
from notifications.models import Channel, Notification, NotificationKind, State
from practice.activation import VALID_HOURS, activation_path
from practice.errors import DomainError, NotAllowed
from practice.models import TEAM_ROLES, Membership, Role, User
from sessions_app.access import contacts_visible_to
from sessions_app.models import Contact, Participant

log = logging.getLogger(__name__)

TEMPLATES = "sessions_app/messages"

NO_EMAIL = "Add an e-mail address to this contact first: the invitation is sent by e-mail."
TEAM_EMAIL = ("This e-mail address belongs to a member of your practice's team, so it cannot be invited as a client. "
              "Use the client's own e-mail address.")
DISABLED = "The account with this e-mail address is switched off, so it cannot be invited. Contact support."
NOT_INVITED = "This contact has no client portal access to revoke."


def _require_team(practice, actor):
    if not Membership.objects.active().filter(user=actor, practice=practice, role__in=TEAM_ROLES).exists():
        raise NotAllowed("Only the practice's team can invite clients to the client portal.")


def _split_name(name: str) -> tuple[str, str]:
    """First word, and the rest: "Mary Ann Lee" -> ("Mary", "Ann Lee")."""
    first, _space, last = " ".join(name.split()).partition(" ")
    return first[:80], last[:80]


def _user_for(contact, email):
    """The log-in for ``email``: the existing one (any case), or a new one without a usable password."""
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    first, last = _split_name(contact.name)
    try:
        with transaction.atomic():  # a concurrent invitation of the same address: take the other's user
            user = User(email=email, first_name=first, last_name=last, time_zone=contact.time_zone)
            user.set_unusable_password()
            user.save()
    except IntegrityError:
        user = User.objects.get(email__iexact=email)
    return user


def _withdraw_earlier_mails(practice, user):
    """Earlier invitation e-mails not sent yet carry links that no longer work: do not send them."""
    Notification.objects.filter(
        practice=practice, recipient_user=user, kind=NotificationKind.PORTAL_INVITE, state=State.PENDING,
    ).update(state=State.CANCELED, last_error="Withdrawn: a newer invitation or a revocation replaced it.",
             updated_at=timezone.now())


def _inviter(contact, practice) -> str:
    """Whose invitation the e-mail announces: the contact's practitioner, else the practice."""
    return contact.owner.get_full_name() or practice.name


def invite_to_portal(*, practice, actor, contact, now=None) -> Membership:
    """Invite ``contact`` to the practice's client portal (or invite again); returns the client membership.

    Raises ``DomainError`` with a plain message (and writes nothing) when the contact has no
    e-mail address, or the address belongs to a member of this practice's team or to a
    switched-off account.
    """
    now = now or timezone.now()
    _require_team(practice, actor)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("owner").get(pk=contact.pk, practice=practice)
        email = contact.email.strip().lower()
        if not email:
            raise DomainError(NO_EMAIL, code="no_email")
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            if Membership.objects.filter(user=existing, practice=practice, role__in=TEAM_ROLES).exists():
                raise DomainError(TEAM_EMAIL, code="team_email")
            if not existing.is_active:
                raise DomainError(DISABLED, code="disabled")
        user = _user_for(contact, email)

        membership, _created = Membership.objects.select_for_update().get_or_create(
            user=user, practice=practice, defaults={"role": Role.CLIENT})
        if membership.role != Role.CLIENT:  # a team membership made concurrently
            raise DomainError(TEAM_EMAIL, code="team_email")
        membership.is_active, membership.invited_at = True, now
        membership.save(update_fields=["is_active", "invited_at"])
        membership.user = user

        contact.client = user
        contact.save(update_fields=["client", "updated_at"])
        linked = Participant.objects.filter(contact=contact, session__practice=practice).update(client=user)

        _withdraw_earlier_mails(practice, user)
        _write_mail(practice, contact, membership, now)
    log.info("portal invitation: contact %s -> user %s (membership %s, %s participations linked)",
             contact.pk, user.pk, membership.pk, linked)
    return membership


def _write_mail(practice, contact, membership, now):
    user = membership.user
    words = {
        "practice": practice, "inviter": _inviter(contact, practice), "name": contact.name, "user": user,
        "activate_url": settings.SITE_URL + activation_path(membership), "valid_hours": VALID_HOURS,
        "expires_at": now + timedelta(hours=VALID_HOURS), "login_url": settings.SITE_URL + reverse("login"),
    }
    zone = zoneinfo.ZoneInfo(contact.time_zone or user.time_zone)
    subject, text, html = outbox.render(TEMPLATES, NotificationKind.PORTAL_INVITE, Channel.EMAIL, words, zone)
    return outbox.enqueue(
        practice_id=practice.pk, recipient_user=user, kind=NotificationKind.PORTAL_INVITE, channel=Channel.EMAIL,
        to_address=user.email, subject=subject, text=text, html=html,
        dedupe_key=f"portal_invite:{membership.pk}:{now.timestamp():.6f}",
    )


def revoke_portal_access(*, practice, actor, contact, now=None) -> Membership:
    """End the contact's client portal access in this practice: the membership is switched off and
    ``invited_at`` bumped, so outstanding links die and the client can no longer log in to it.
    The contact stays linked to the account (a new invitation turns it back on)."""
    now = now or timezone.now()
    _require_team(practice, actor)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk, practice=practice)
        membership = (Membership.objects.select_for_update()
                      .filter(user_id=contact.client_id, practice=practice, role=Role.CLIENT).first()
                      if contact.client_id else None)
        if membership is None:
            raise DomainError(NOT_INVITED, code="not_invited")
        membership.is_active, membership.invited_at = False, now
        membership.save(update_fields=["is_active", "invited_at"])
        _withdraw_earlier_mails(practice, contact.client)
    return membership


# --- what the team sees ------------------------------------------------------------------------

NOT_INVITED_STATE, INVITED, ACTIVE, REVOKED = "not_invited", "invited", "active", "revoked"


@dataclass
class PortalState:
    state: str
    membership: Membership | None = None

    @property
    def invited_at(self) -> datetime | None:
        return self.membership.invited_at if self.membership else None

    @property
    def label(self) -> str:
        return {NOT_INVITED_STATE: "Not invited", INVITED: "Invited, not activated yet",
                ACTIVE: "Active in the client portal", REVOKED: "Portal access revoked"}[self.state]


def membership_state(membership) -> PortalState:
    """Where a client membership stands. Activated means: the person has a password and has logged
    in since the latest invitation (activating logs them in); a client made before invitations
    existed (no ``invited_at``) counts as active once they have a password."""
    if membership is None or membership.role != Role.CLIENT:
        return PortalState(NOT_INVITED_STATE)
    if not membership.is_active:
        return PortalState(REVOKED, membership)
    user = membership.user
    if not user.has_usable_password():
        return PortalState(INVITED if membership.invited_at else NOT_INVITED_STATE, membership)
    if membership.invited_at and (user.last_login is None or user.last_login < membership.invited_at):
        return PortalState(INVITED, membership)
    return PortalState(ACTIVE, membership)


def portal_state(*, practice, contact) -> PortalState:
    """The portal state of a contact's client account in ``practice``."""
    if not contact.client_id:
        return PortalState(NOT_INVITED_STATE)
    membership = (Membership.objects.select_related("user")
                  .filter(user_id=contact.client_id, practice=practice, role=Role.CLIENT).first())
    return membership_state(membership)


def contact_of_client(membership, user_pk):
    """A contact the member may see that is linked to client ``user_pk`` of the member's practice, or None;
    404 when that user is not a client of the practice (another practice's id included)."""
    client = get_object_or_404(Membership, practice=membership.practice, user_id=user_pk, role=Role.CLIENT)
    return contacts_visible_to(membership).filter(client_id=client.user_id).order_by("pk").first()
