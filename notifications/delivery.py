"""Delivering outbox messages: e-mail through Django's backend, texts through Twilio.

Three steps, so no transaction is open while a provider is called:

1. claim: under ``SELECT ... FOR UPDATE SKIP LOCKED``, a due PENDING row becomes
   SENDING with ``claimed_at`` and one more attempt; commit. Two workers never
   claim the same row.
2. send, outside any transaction.
3. record: SENT with the provider's id (or back to PENDING with a backoff, or
   FAILED); commit, with one reconnect if the database dropped the connection
   meanwhile (the provider has the message: the record must not be lost).

A worker killed between 1 and 3 leaves the row SENDING; the drain claims it again
once its lease (``LEASE``) ran out and sends it again, so nothing is lost. What
can still be sent twice is a message the provider accepted in the moment between
its answer and the record's commit: e-mails carry a stable Message-ID
(``<notification-{pk}@host>``) that receivers de-duplicate on; Twilio's Messages
API takes no idempotency key. Failures retry with exponential backoff and end as
"failed".

The drain (``drain``, the beat's ``drain_due`` tasks) works in small batches (issue 17):

- one query reads the ids of the next ``BATCH`` due messages in the pending index's order
  (``(due_at, id) WHERE state = 'pending'``: the first entries of the index, no sort, whatever
  the backlog);
- each message is then claimed on its own, among those ids, by one statement
  (``FOR UPDATE SKIP LOCKED`` picks one no other drain holds, the same statement makes it
  SENDING and returns it with its session, participant and practice), committed before its
  send; the stale check sees the session as it is at the claim, as before;
- its outcome is recorded at once after the send: a failure by its own statement, a success by
  the statement that claims the next message (its first part), or, for the last message of a
  batch, by its own statement. Either way the record is the next statement after the send and is
  committed by itself or with that claim, so nothing is written later than before.

One commit per message, not per batch, because neither provider lets a resend be recognised by
the provider itself (Twilio's Messages API takes no idempotency key; e-mail has only the
Message-ID receivers may de-duplicate on). A worker that dies mid-batch therefore leaves only the
message it was sending in SENDING (sent again after its lease, as above); the rest of its batch
was never claimed, is still PENDING, and any other drain takes it at once. Two drains reading the
same batch share it: each claim skips what the other holds or has claimed, and a drain whose batch
is used up reads the next. Per message that is one statement (claim this one, record the one
before) instead of the seven of a claim transaction and a record transaction (BEGIN, SELECT,
UPDATE, COMMIT; BEGIN, UPDATE, COMMIT); per batch, one read and one lone record. Both statements
are prepared once per connection (``notifications.statements``).
"""
import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications import channels, statements
from notifications.models import Notification, NotificationKind, State

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
STALE_KINDS = (NotificationKind.INVITE, NotificationKind.RESCHEDULE, NotificationKind.REMINDER)
# How long a claimed row belongs to its worker. Far longer than a send can take (SMTP and
# Twilio calls time out after EMAIL_TIMEOUT / channels.TWILIO_TIMEOUT seconds).
LEASE = timedelta(minutes=10)
# How many due messages a drain reads at once (then claims one by one).
BATCH = 20


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8, 16 minutes... capped at an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _is_stale(notification) -> bool:
    """Whether the message speaks of a session time that no longer holds.

    The session answers through ``accepts_messages_about(start)`` (a method of
    the session model), so this app needs no import of the sessions app.
    """
    session = notification.session
    if session is None or notification.kind not in STALE_KINDS:
        return False
    return not session.accepts_messages_about(notification.about_start)


def _lease_ran_out(now) -> Q:
    return Q(state=State.SENDING, claimed_at__lte=now - LEASE)


def _claim(notification_id, now, reclaim):
    """Step 1: (the claimed row, None), or (None, what happened instead), or (None, None) when nothing is due."""
    due = Q(state=State.PENDING, due_at__lte=now)
    with transaction.atomic():
        rows = Notification.objects.select_for_update(skip_locked=True, of=("self",)).select_related("session", "participant", "practice")
        if notification_id is not None:
            notification = rows.filter(due | _lease_ran_out(now), pk=notification_id).first()
        else:  # a row whose worker died mid-send (its lease ran out) first, then the next due one
            notification = ((reclaim and rows.filter(_lease_ran_out(now)).order_by("claimed_at", "id").first())
                            or rows.filter(due).order_by("due_at", "id").first())
        if notification is None:
            return None, None
        if _is_stale(notification):
            notification.state = State.CANCELED
            notification.last_error = "Withdrawn: the session moved or was canceled."
            notification.save(update_fields=["state", "last_error", "updated_at"])
            return None, "withdrawn"
        if notification.state == State.SENDING:
            log.warning("notification %s: its worker stopped while sending (attempt %s); sending it again",
                        notification.pk, notification.attempts)
            if notification.attempts >= MAX_ATTEMPTS:
                notification.state = State.FAILED
                notification.last_error = "The worker sending it stopped each time."
                notification.save(update_fields=["state", "last_error", "updated_at"])
                return None, "failed"
        notification.state = State.SENDING
        notification.claimed_at = now
        notification.attempts += 1
        notification.save(update_fields=["state", "claimed_at", "attempts", "updated_at"])
        return notification, None


def _record(notification, **changes) -> int:
    """Step 3: write the outcome of a send to the row this worker claimed; returns the rows changed.

    The send already happened, so a dropped database connection gets one reconnect.
    """
    rows = Notification.objects.filter(pk=notification.pk, state=State.SENDING, claimed_at=notification.claimed_at)
    changes["updated_at"] = timezone.now()
    return _record_with_reconnect(notification, lambda: rows.update(**changes))


def _record_with_reconnect(notification, write) -> int:
    """Run ``write`` (one statement, committed on its own: autocommit); once more on a new connection
    if the database dropped this one meanwhile."""
    for attempt in (1, 2):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if attempt == 2 or connection.in_atomic_block:
                raise
            log.warning("notification %s: the database connection dropped after the send; reconnecting", notification.pk)
            connection.close()
    return 0


def _send(notification, senders) -> tuple[str, str | None]:
    """Step 2 for a row this worker claimed: ("sent", the provider's id); or, when the send raised, its
    failure recorded at once: ("retry", None) or ("failed", None)."""
    try:
        return "sent", channels.send(notification, senders)
    except Exception as error:  # any provider failure is retried, then recorded
        error_text = f"{type(error).__name__}: {error}"[:2000]
        failed = notification.attempts >= MAX_ATTEMPTS or isinstance(error, channels.SmsNotConfigured)
        if failed:
            _record(notification, state=State.FAILED, last_error=error_text)
        else:
            _record(notification, state=State.PENDING, last_error=error_text,
                    due_at=timezone.now() + backoff(notification.attempts))
        log.warning("notification %s failed (attempt %s): %s", notification.pk, notification.attempts, error_text)
        return ("failed" if failed else "retry"), None


def _check_recorded(notification, recorded: int):
    if not recorded:
        log.warning("notification %s was sent, but another worker had claimed it again meanwhile", notification.pk)


def _send_claimed(notification, senders) -> str:
    """Steps 2 and 3 for a row this worker claimed: send it, record what happened."""
    outcome, provider_id = _send(notification, senders)
    if outcome == "sent":
        _check_recorded(notification, _record(notification, state=State.SENT, sent_at=timezone.now(),
                                              provider_id=provider_id[:100], last_error=""))
    return outcome


def _record_sent(notification, provider_id):
    """Step 3 in the drain, for a message no claim follows: one prepared statement."""
    recorded = _record_with_reconnect(notification, lambda: statements.record_sent(notification, timezone.now(), provider_id))
    _check_recorded(notification, recorded)


def deliver_one(notification_id=None, senders=None, reclaim=True) -> str | None:
    """Deliver one due message (a given one, or the next due); returns what happened, None if none.

    ``reclaim``: look for rows whose lease ran out first (``drain`` says when there are none).
    """
    own_senders = senders is None
    senders = senders or channels.Senders()
    try:
        notification, outcome = _claim(notification_id, timezone.now(), reclaim)
        if notification is None:
            return outcome
        return _send_claimed(notification, senders)
    finally:
        if own_senders:
            senders.close()


def _due_batch(now, size) -> list[int]:
    """Step 0 of the drain: the ids of the next ``size`` due messages, in the pending index's order."""
    return list(Notification.objects.filter(state=State.PENDING, due_at__lte=now)
                .order_by("due_at", "id").values_list("id", flat=True)[:size])


_claim_statement = None


def _claim_one_of(ids, sent=None) -> tuple[Notification | None, str | None]:
    """Step 1 in the drain: claim one of ``ids`` that is still due and no other drain holds, and
    read it with its session, participant and practice: one committed statement
    (``statements.ClaimStatement``), which also records ``sent`` (the message this drain sent just
    before, with the provider's id), so a message costs one statement, not two.

    (the claimed row, None); (None, "withdrawn") for a row whose session moved or was canceled
    (it becomes CANCELED, its attempt not counted, as in ``_claim``); (None, None) when none of
    ``ids`` is left to claim.
    """
    global _claim_statement
    if _claim_statement is None:
        _claim_statement = statements.ClaimStatement()
    if sent is None:
        notification, _ = _claim_statement.run(ids, timezone.now())
    else:  # the send already happened: a dropped connection gets one reconnect, as for any record
        notification, recorded = _record_with_reconnect(sent[0], lambda: _claim_statement.run(ids, timezone.now(), sent))
        _check_recorded(sent[0], recorded)
    if notification is None:
        return None, None
    if _is_stale(notification):
        _record(notification, state=State.CANCELED, attempts=notification.attempts - 1,
                last_error="Withdrawn: the session moved or was canceled.")
        return None, "withdrawn"
    return notification, None


def drain(limit=None) -> int:
    """Deliver due messages until none is left (or ``limit``); returns how many were handled.

    Rows whose worker died mid-send (their lease ran out) go first, one at a time as before; then
    due messages in batches of ``BATCH`` (see the module's docstring).
    """
    senders = channels.Senders()
    handled = 0
    sent = None  # (a message sent, the provider's id) whose record goes with the next claim

    def room():
        return limit is None or handled < limit

    def any_lease_ran_out():
        return Notification.objects.filter(_lease_ran_out(timezone.now())).exists()

    try:
        while room() and any_lease_ran_out():
            if deliver_one(senders=senders, reclaim=True) is None:
                break
            handled += 1
        while room():
            ids = _due_batch(timezone.now(), BATCH if limit is None else min(BATCH, limit - handled))
            if not ids:
                break
            unclaimed = len(ids)
            while room() and unclaimed:
                notification, outcome = _claim_one_of(ids, sent)
                sent = None
                if notification is None and outcome is None:
                    break  # another drain took the rest of this batch: read the next
                unclaimed -= 1
                handled += 1
                if notification is not None:
                    outcome, provider_id = _send(notification, senders)
                    if outcome == "sent":
                        sent = (notification, provider_id)
                        if not (room() and unclaimed):  # no claim follows in this batch
                            _record_sent(*sent)
                            sent = None
    finally:
        if sent is not None:  # the claim meant to record it did not run
            _record_sent(*sent)
        senders.close()
    return handled
