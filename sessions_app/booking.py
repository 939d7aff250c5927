"""Booking from the client portal: what a client may book, the booking itself, the
practitioner's confirm or decline, and the client's reschedule and cancel.

Every booking re-checks its exact start with ``availability.slots`` under the practitioner's
bookings lock (``scheduling._lock_booking``), inside the transaction that writes the session:
what the portal lists is what it books, and two clients (or a client and a host) racing for
one slot give one session and a plain answer for the other.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from practice import questions as questions_
from practice.errors import Conflict, DomainError, NotAllowed
from practice.models import HOSTING_ROLES, BookingQuestion, Membership, Role, Service, User
from sessions_app import availability, messages, money, policy
from sessions_app.models import BookingAnswer, BookingState, Contact, InviteMethod, Session, SessionStatus
from sessions_app.scheduling import (
    ParticipantData,
    SessionData,
    _lock_booking,
    _save_with_unique_code,
    check_slot,
    schedule_session,
)

log = logging.getLogger(__name__)

SLOT_TAKEN = "That time was just taken — pick another."
# How long a booking waiting for its payment holds the slot.
HOLD = timedelta(minutes=15)
SLOT_NOT_OFFERED = "That time is not open for booking — pick another."
SHORT_ANSWER_MAX = questions_.SHORT_ANSWER_MAX
LONG_ANSWER_MAX = questions_.LONG_ANSWER_MAX
YES, NO = questions_.YES, questions_.NO
ANSWER_REQUIRED = questions_.ANSWER_REQUIRED


class SlotTaken(Conflict):
    default_code = "slot_taken"


def bookable_services(practice):
    """The practice's services clients may book online, each with ``bookable_practitioners``."""
    hosts = User.objects.filter(
        memberships__practice=practice, memberships__role__in=HOSTING_ROLES, memberships__is_active=True, is_active=True,
    ).order_by("first_name", "last_name", "pk")
    return (
        Service.objects.filter(practice=practice, is_active=True, bookable_online=True, practitioners__in=hosts)
        .distinct()
        .prefetch_related(Prefetch("practitioners", queryset=hosts, to_attr="bookable_practitioners"),
                          Prefetch("booking_questions", queryset=BookingQuestion.objects.filter(is_active=True),
                                   to_attr="active_questions"))
        .order_by("name")
    )


def bookable_service(practice, pk) -> Service:
    """One bookable service, or DomainError (a service not bookable online, another practice's id)."""
    service = next((s for s in bookable_services(practice).filter(pk=pk)), None) if str(pk).isdigit() else None
    if service is None:
        raise DomainError("That service cannot be booked online. Choose one of the services listed.", code="not_bookable")
    return service


def delivery_method_of(service, method: str) -> str:
    if method not in service.delivery_methods:
        raise DomainError("That delivery method is not offered for this service. Choose one of those listed.",
                          code="no_such_method")
    return method


def practitioner_of(service, pk) -> User:
    practitioner = next((p for p in service.bookable_practitioners if str(p.pk) == str(pk)), None)
    if practitioner is None:
        raise DomainError("That practitioner does not offer this service online. Choose one of those listed.",
                          code="no_such_practitioner")
    return practitioner


def clean_answers(questions, raw: dict) -> tuple[list[tuple[BookingQuestion, str]], dict[int, str]]:
    """The answers to the Booking Page Form's ``questions`` from ``raw`` (question id -> text),
    and the errors by question id. The form and ``book`` both run it; the rules are
    ``practice.questions.clean_answers``, the same as participant documents'."""
    by_key = {str(q.pk): q for q in questions}
    asked = [questions_.Question.of_booking_question(q) for q in questions]
    answers, errors = questions_.clean_answers(asked, {str(k): v for k, v in raw.items()})
    return ([(by_key[q.key], value) for q, value in answers],
            {by_key[key].pk: message for key, message in errors.items()})


@dataclass
class BookingData:
    service: Service
    delivery_method: str
    practitioner: User
    start: datetime
    time_zone: str  # the client's, for their invitation and reminders
    answers: dict = field(default_factory=dict)  # question id -> text
    package_id: int | None = None  # book on a credit of this client package (no payment then)


def _client_participant(practice, client, practitioner, time_zone) -> ParticipantData:
    """The client as a participant, from their contact (the practitioner's own, else any in the practice)."""
    contacts = Contact.objects.filter(practice=practice, client=client)
    contact = contacts.filter(owner=practitioner).order_by("pk").first() or contacts.order_by("pk").first()
    return ParticipantData(
        name=(contact.name if contact else client.get_full_name()) or client.email,
        invite_method=InviteMethod.EMAIL, email=client.email, time_zone=time_zone, contact=contact, client=client,
    )


def refusal(*, practice, practitioner, minutes, start, now=None) -> DomainError:
    """The plain answer for a start that is not a free slot: just taken, or never offered."""
    offered = availability.slots(practice=practice, practitioner=practitioner, minutes=minutes, window_start=start,
                                 window_end=start + timedelta(microseconds=1), now=now, ignore_sessions=True)
    if start in offered:
        return SlotTaken(SLOT_TAKEN)
    return DomainError(SLOT_NOT_OFFERED, code="not_offered")



def check_client(membership: Membership) -> None:
    if membership is None or membership.role != Role.CLIENT or not membership.is_active:
        raise NotAllowed("Only clients book from the portal.")


@transaction.atomic
def book(*, membership: Membership, data: BookingData, now=None) -> Session:
    """Book ``data`` for the client of ``membership``: a requested session when the practice
    confirms requests, else a confirmed one (invited at once). Refuses what is not listed."""
    check_client(membership)
    practice, client, now = membership.practice, membership.user, now or timezone.now()
    service = bookable_service(practice, data.service.pk)
    method = delivery_method_of(service, data.delivery_method)
    practitioner = practitioner_of(service, data.practitioner.pk)
    answers, errors = clean_answers(service.active_questions, data.answers)
    if errors:
        raise DomainError(next(iter(errors.values())), code="answers")
    minutes = service.duration_minutes
    _lock_booking(practitioner.pk, None)  # held to the end of this transaction
    if not availability.is_free(practice=practice, practitioner=practitioner, minutes=minutes, start=data.start, now=now):
        raise refusal(practice=practice, practitioner=practitioner, minutes=minutes, start=data.start, now=now)
    check_slot(practice=practice, start=data.start, end=data.start + timedelta(minutes=minutes), now=now)
    requested = practice.booking_requires_confirmation
    pay = payment_at_booking(practice, service) if data.package_id is None else None
    participant = _client_participant(practice, client, practitioner, data.time_zone)
    if pay:
        participant.payment_service, participant.payment_amount = service, pay
        state = BookingState.PAYMENT_PENDING
    else:
        state = BookingState.REQUESTED if requested else BookingState.CONFIRMED
    # A session on a package credit is paid for by the package: its service is charged at 0.
    price = service.price if data.package_id is None else Decimal("0.00")
    session = schedule_session(practice=practice, actor=client, data=SessionData(
        practitioner=practitioner, start=data.start, duration_minutes=minutes, time_zone=data.time_zone,
        delivery_method=method, services=[(service, price)], participants=[participant], booking_state=state,
    ))
    if pay:
        session.hold_expires_at = now + HOLD
        session.save(update_fields=["hold_expires_at"])
    if data.package_id is not None:
        money.redeem_package(practice=practice, client=client, client_package_id=data.package_id, session=session,
                             participant=session.participants.get(), service=service, now=now)
    BookingAnswer.objects.bulk_create(
        BookingAnswer(session=session, question=question, label=question.label, answer=value, position=index)
        for index, (question, value) in enumerate(answers)
    )
    if not pay:  # a booking waiting for its payment is announced once paid (payment_received)
        messages.new_booking(session)
    return session


def payment_at_booking(practice, service) -> Decimal | None:
    """What a client pays through Checkout to book ``service``, or None (none asked, or Stripe not set up)."""
    amount = service.amount_at_booking
    return amount if amount and practice.stripe_ready else None


@transaction.atomic
def payment_received(*, session: Session, authorised_only: bool, now=None) -> bool:
    """Stripe says the client paid (or authorised) the booking's payment: the held session becomes a
    request (authorised, for the practitioner to confirm) or a confirmed, invited session. False when
    the hold is gone (expired and released, or canceled): the caller then cancels or refunds."""
    now = now or timezone.now()
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_payment_pending:
        return False
    session.booking_state = BookingState.REQUESTED if authorised_only else BookingState.CONFIRMED
    session.hold_expires_at = None
    session.save(update_fields=["booking_state", "hold_expires_at", "updated_at"])
    if not authorised_only:
        messages.invite(session, list(session.participants.all()))
    messages.new_booking(session)
    return True


@transaction.atomic
def expire_hold(*, session: Session, now=None) -> bool:
    """Free the slot of a booking whose payment did not come in time; False if it is no longer held."""
    now = now or timezone.now()
    session = Session.objects.select_for_update().get(pk=session.pk)
    if not session.is_payment_pending or (session.hold_expires_at and session.hold_expires_at > now):
        return False
    session.booking_state = BookingState.EXPIRED
    session.status = SessionStatus.CANCELED
    session.save(update_fields=["booking_state", "status", "updated_at"])
    messages.cancel(session, list(session.participants.all()), notify=False)
    money.return_package_credit(session=session, reason="The booking's payment did not come in time.")
    return True


def _locked_request(practice, session) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk, practice=practice)
    if not session.is_requested:
        raise DomainError("This session is not a request waiting for confirmation.", code="not_requested")
    return session


@transaction.atomic
def confirm_request(*, practice, actor, session: Session) -> Session:
    """The practitioner takes the request: the client is sent the invitation (the confirmation
    e-mail) and reminders. The slot was held all along, so confirming cannot double-book."""
    session = _locked_request(practice, session)
    if session.end <= timezone.now():
        raise DomainError("This request's time has passed. Decline it, or schedule a new session.", code="past")
    money.capture_booking_payment(session)  # a refusal from Stripe leaves the request as it was
    session.booking_state = BookingState.CONFIRMED
    session.save(update_fields=["booking_state", "updated_at"])
    messages.invite(session, list(session.participants.all()))
    return session


@transaction.atomic
def decline_request(*, practice, actor, session: Session, message: str = "") -> Session:
    """The practitioner declines the request: the slot is free again and the client is told."""
    session = _locked_request(practice, session)
    session.booking_state = BookingState.DECLINED
    session.status = SessionStatus.CANCELED
    session.save(update_fields=["booking_state", "status", "updated_at"])
    money.release_booking_payment(session, reason="declined")
    money.return_package_credit(session=session, reason="Request declined.")
    messages.declined(session, list(session.participants.all()), message=message)
    return session


UNANSWERED_MESSAGE = "Nobody confirmed this request before its time began, so it was not booked."


def decline_unanswered(*, now=None, limit=100) -> int:
    """Portal requests nobody confirmed or declined before they began: declined as the practitioner
    would (the slot freed, a card authorisation released, a package credit returned, the client
    told), each in its own transaction. One that fails (Stripe cannot release the authorisation just
    now) is logged and tried again next time. Returns how many were declined."""
    now = now or timezone.now()
    waiting = list(Session.objects.filter(booking_state=BookingState.REQUESTED, status=SessionStatus.SCHEDULED, start__lte=now)
                   .select_related("practice").order_by("start")[:limit])
    declined = 0
    for session in waiting:
        try:
            decline_request(practice=session.practice, actor=None, session=session, message=UNANSWERED_MESSAGE)
        except DomainError:  # answered meanwhile
            continue
        except Exception:
            log.exception("the unanswered request %s could not be declined; trying again next time", session.pk)
            continue
        declined += 1
    return declined


def _locked_own_booking(membership, session, now) -> Session:
    session = Session.objects.select_for_update().filter(
        pk=session.pk, practice=membership.practice, participants__client=membership.user).first()
    if session is None:
        raise NotAllowed("That is not one of your bookings.")
    if session.status != SessionStatus.SCHEDULED:
        raise DomainError("This session is no longer scheduled.", code="not_scheduled")
    if session.start <= now:
        raise DomainError("This session has already started; contact your practitioner.", code="started")
    if shared_with_others(session, membership.user):
        raise DomainError("This is a group session: contact your practitioner to change it.", code="group")
    return session


def shared_with_others(session, client) -> bool:
    """Whether other clients take part: a client changes only a session that is theirs alone."""
    return session.participants.filter(is_client=True).exclude(client=client).exists()


@transaction.atomic
def reschedule_booking(*, membership: Membership, session: Session, start: datetime, now=None) -> Session:
    """Move the client's own booking to another listed slot of the same practitioner, in one
    transaction: the new slot is taken and the old one freed together."""
    check_client(membership)
    now = now or timezone.now()
    _lock_booking(session.practitioner_id, session.room_id)  # before the session's row, as everywhere
    session = _locked_own_booking(membership, session, now)
    practice, minutes = membership.practice, session.duration_minutes
    policy.check_reschedule(practice=practice, session=session, now=now)
    if start == session.start:
        return session
    if not availability.is_free(practice=practice, practitioner=session.practitioner, minutes=minutes, start=start, now=now,
                                exclude_session=session.pk):
        raise refusal(practice=practice, practitioner=session.practitioner, minutes=minutes, start=start, now=now)
    check_slot(practice=practice, start=start, end=start + timedelta(minutes=minutes), now=now)
    old_start = session.start
    session.start, session.end = start, start + timedelta(minutes=minutes)
    _save_with_unique_code(session, locked=True)
    messages.reschedule(session, old_start, list(session.participants.all()))
    return session


@transaction.atomic
def cancel_booking(*, membership: Membership, session: Session, now=None) -> Session:
    """The client cancels their own booking, under the practice's cancellation policy (``policy``)."""
    check_client(membership)
    now = now or timezone.now()
    session = _locked_own_booking(membership, session, now)
    return policy.cancel_by_client(membership=membership, session=session, now=now)
