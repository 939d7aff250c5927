"""Saving a session: its outcome, the client charge and the practitioner wage.

Only a saved session affects money. Saving snapshots the completion type's
label and amounts on each client participant and writes ledger lines;
re-saving with another outcome reverses the old lines and writes new ones
(DESIGN.md invariants 3 and 4). Editing or deleting a completion type later
changes nothing already saved.
"""
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from practice.errors import DomainError, NotAllowed, database_refusals
from practice.models import OFFICE_ROLES, PractitionerWage, WageKind
from sessions_app import messages, money
from sessions_app.models import (
    CompletionType,
    ModifierType,
    Participant,
    Session,
    SessionStatus,
)

DEFAULT_TYPES = [
    # key, map status, label, client %, practitioner %, description
    ("completed", SessionStatus.COMPLETED, "Completed", 100, 100, "The session took place: full cost and wages."),
    ("canceled", SessionStatus.CANCELED, "Canceled", 0, 0, "The session did not take place: no cost and no wages."),
    ("missed", SessionStatus.MISSED, "Missed", 100, 100, "The client did not come: full cost and wages."),
]
OVERRIDE = "override"
OVERRIDE_LABEL = "Cost Over-ride"


def ensure_default_types(practice) -> None:
    for position, (key, status, label, client, practitioner, description) in enumerate(DEFAULT_TYPES):
        CompletionType.objects.get_or_create(
            practice=practice, default_key=key,
            defaults={"map_status": status, "label": label, "client_modifier": client, "practitioner_modifier": practitioner,
                      "modifier_type": ModifierType.PERCENT, "description": description, "position": position},
        )


def create_defaults_for_new_practice(sender, instance, created, **kwargs):
    if created:
        ensure_default_types(instance)


def may_override(membership) -> bool:
    return bool(membership and membership.role in OFFICE_ROLES and membership.can_override_cost)


def options(practice, membership):
    """The outcomes a member may choose: enabled types, then the cost over-ride if allowed."""
    choices = [(str(t.pk), t.label) for t in CompletionType.objects.filter(practice=practice, enabled=True)]
    if may_override(membership):
        choices.append((OVERRIDE, "Completed with Cost Over-ride"))
    return choices


@dataclass
class Outcome:
    """What a client participant is saved with: a type, or an over-ride with both amounts."""

    completion_type: CompletionType | None = None
    client_amount: Decimal | None = None
    practitioner_amount: Decimal | None = None

    @property
    def is_override(self) -> bool:
        return self.completion_type is None


def base_amounts(session: Session, wage_overrides: dict | None = None) -> tuple[Decimal, Decimal]:
    """The full fee of the session's services and the practitioner's full wage for them."""
    currency = session.practice.currency
    if wage_overrides is None:
        wage_overrides = {w.service_id: w for w in PractitionerWage.objects.filter(practitioner_id=session.practitioner_id)}
    fee = Decimal("0")
    wage = Decimal("0")
    for line in session.session_services.all():
        fee += line.price
        rule = wage_overrides.get(line.service_id) or line.service
        if rule.wage_kind == WageKind.FIXED:
            wage += rule.wage_amount
        else:
            wage += line.price * rule.wage_amount / 100
    return money.amount(fee, currency), money.amount(wage, currency)


def amounts(session: Session, outcome: Outcome, base: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
    currency = session.practice.currency
    if outcome.is_override:
        return money.amount(outcome.client_amount, currency), money.amount(outcome.practitioner_amount, currency)
    kind = outcome.completion_type
    fee, wage = base
    if kind.modifier_type == ModifierType.FIXED:
        return money.amount(kind.client_modifier, currency), money.amount(kind.practitioner_modifier, currency)
    return money.amount(fee * kind.client_modifier / 100, currency), money.amount(wage * kind.practitioner_modifier / 100, currency)


def _check(practice, membership, outcome: Outcome):
    if outcome.is_override:
        if not may_override(membership):
            raise NotAllowed("Only admin or staff with the cost over-ride permission may enter the cost and wages.")
        for value in (outcome.client_amount, outcome.practitioner_amount):
            if value is None or value < 0:
                raise DomainError("Enter the cost and the wages: amounts of 0 or more.")
    elif outcome.completion_type.practice_id != practice.pk or not outcome.completion_type.enabled:
        raise DomainError("That completion option is not available.")


def _snapshot(session, participant, outcome, base, *, actor, now) -> str:
    """Set the participant's snapshot of the outcome (invariant 3: the type's label and amounts as
    they are now); returns the label."""
    client_amount, practitioner_amount = amounts(session, outcome, base)
    kind = outcome.completion_type
    label = kind.label if kind else OVERRIDE_LABEL
    participant.completion_type = kind
    participant.completion_status = kind.map_status if kind else SessionStatus.COMPLETED
    participant.completion_label = label
    participant.modifier_type = kind.modifier_type if kind else OVERRIDE
    participant.client_amount = client_amount
    participant.practitioner_amount = practitioner_amount
    participant.completed_at = now
    participant.completed_by = actor
    return label


def _save_participant(session, participant, outcome, base, *, actor, now, service_date):
    if participant.completed_at is not None:  # saved before: reverse its charge and wage (payments stay)
        money.reverse_outcome(participant=participant, actor=actor)
    label = _snapshot(session, participant, outcome, base, actor=actor, now=now)
    participant.save()
    money.post_outcome(session=session, participant=participant, actor=actor, client_amount=participant.client_amount,
                       practitioner_amount=participant.practitioner_amount, label=label, service_date=service_date)


def _session_outcome(clients) -> tuple[str | None, str]:
    """The status (None: unchanged) and label a session takes from its saved clients."""
    statuses = {p.completion_status for p in clients}
    labels = {p.completion_label for p in clients}
    status = None
    if statuses and statuses <= {SessionStatus.CANCELED}:
        status = SessionStatus.CANCELED
    elif statuses and statuses <= {SessionStatus.MISSED}:
        status = SessionStatus.MISSED
    elif statuses:
        status = SessionStatus.COMPLETED
    return status, labels.pop() if len(labels) == 1 else "Mixed"


def _session_state(session, clients):
    status, session.completion_label = _session_outcome(clients)
    if status is not None:
        session.status = status
    with database_refusals():  # a canceled session saved as held may now overlap another
        session.save(update_fields=["status", "completion_label", "updated_at"])
    messages.session_saved(session)


@transaction.atomic
def save_session(*, practice, actor, membership, session: Session, outcomes: dict[int, Outcome] | None = None,
                 same_for_all: Outcome | None = None, wage_cache: dict | None = None) -> Session:
    """Save one session: ``outcomes`` maps client participant ids to their outcome
    (or ``same_for_all`` gives every client the same one)."""
    session = (Session.objects.select_for_update(of=("self",)).select_related("practice", "room")
               .prefetch_related("session_services__service").get(pk=session.pk, practice=practice))
    clients = list(session.participants.filter(is_client=True).order_by("pk"))
    if not clients:
        raise DomainError("This session has no client to save an outcome for.")
    if same_for_all is not None:
        outcomes = {p.pk: same_for_all for p in clients}
    missing = [p for p in clients if p.pk not in outcomes]
    if missing:
        raise DomainError(f"Choose an outcome for {missing[0].name}.")
    for outcome in outcomes.values():
        _check(practice, membership, outcome)
    if wage_cache is not None:
        if session.practitioner_id not in wage_cache:
            wage_cache[session.practitioner_id] = {
                w.service_id: w for w in PractitionerWage.objects.filter(practitioner_id=session.practitioner_id)}
        base = base_amounts(session, wage_cache[session.practitioner_id])
    else:
        base = base_amounts(session)
    now = timezone.now()
    service_date = session.start.astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()
    for participant in clients:
        _save_participant(session, participant, outcomes[participant.pk], base, actor=actor, now=now, service_date=service_date)
    _session_state(session, clients)
    return session


# The participant columns a save writes (its snapshot), in the order of ``_update_participants``' VALUES.
SNAPSHOT_FIELDS = ["completion_type", "completion_status", "completion_label", "modifier_type", "client_amount",
                   "practitioner_amount", "completed_at", "completed_by"]


def _update_participants(participants) -> None:
    """Write the snapshot of many participants in one UPDATE ... FROM (VALUES ...)."""
    if not participants:
        return
    fields = [Participant._meta.get_field(name) for name in SNAPSHOT_FIELDS]
    casts = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    params = []
    for participant in participants:
        params.append(participant.pk)
        params += [field.get_db_prep_save(getattr(participant, field.attname), connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    assign = ", ".join(f"{connection.ops.quote_name(field.column)} = v.{connection.ops.quote_name(field.column)}"
                       for field in fields)
    rows = ", ".join([f"(%s::bigint, {casts})"] * len(participants))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Participant._meta.db_table} AS p SET {assign} "
                       f"FROM (VALUES {rows}) AS v(id, {columns}) WHERE p.id = v.id", params)


def save_sessions(*, practice, actor, membership, sessions, outcome: Outcome) -> int:
    """Bulk save: every client of every session gets the same outcome, in one transaction.

    The result of ``save_session`` for each session in turn, written in sets: the sessions with a
    client locked in one statement (FOR UPDATE, in id order), their services, clients and wage rules
    read once, the amounts computed here, then one INSERT of the ledger lines (and one read and one
    INSERT of the reversals of sessions saved before), one UPDATE of the clients' snapshots, one of the
    sessions and one withdrawing their reminders. The query count does not grow with the batch.
    """
    with transaction.atomic():
        _check(practice, membership, outcome)
        with_clients = set(Participant.objects.filter(session__in=sessions, is_client=True).values_list("session_id", flat=True))
        wanted = list(dict.fromkeys(s.pk for s in sessions if s.pk in with_clients))
        if not wanted:
            return 0
        locked = {s.pk: s for s in Session.objects.select_for_update(of=("self",)).select_related("practice", "room")
                  .filter(pk__in=wanted, practice=practice).order_by("pk")}
        if len(locked) != len(wanted):
            raise Session.DoesNotExist("Session matching query does not exist.")
        batch = [locked[pk] for pk in wanted]
        prefetch_related_objects(batch, "session_services__service")
        clients = {}
        for participant in Participant.objects.filter(session__in=batch, is_client=True).order_by("pk"):
            clients.setdefault(participant.session_id, []).append(participant)
        wage_rules = {}
        for wage in PractitionerWage.objects.filter(practitioner_id__in={s.practitioner_id for s in batch}):
            wage_rules.setdefault(wage.practitioner_id, {})[wage.service_id] = wage
        now = timezone.now()
        zone = zoneinfo.ZoneInfo(practice.time_zone)
        resaved, saved_people, lines, states = [], [], [], {}
        for session in batch:
            people = clients.get(session.pk, [])
            if not people:
                raise DomainError("This session has no client to save an outcome for.")
            base = base_amounts(session, wage_rules.get(session.practitioner_id, {}))
            service_date = session.start.astimezone(zone).date()
            for participant in people:
                if participant.completed_at is not None:  # saved before: reverse its charge and wage (payments stay)
                    resaved.append(participant)
                label = _snapshot(session, participant, outcome, base, actor=actor, now=now)
                lines += money.outcome_lines(session=session, participant=participant, actor=actor,
                                             client_amount=participant.client_amount,
                                             practitioner_amount=participant.practitioner_amount, label=label,
                                             service_date=service_date)
                saved_people.append(participant)
            states.setdefault(_session_outcome(people), []).append(session.pk)
        money.reverse_outcomes(participants=resaved, actor=actor)
        money.post_lines(lines)
        _update_participants(saved_people)
        with database_refusals():  # a canceled session saved as held may now overlap another
            for (status, label), pks in states.items():
                changes = {"completion_label": label, "updated_at": now}
                if status is not None:
                    changes["status"] = status
                Session.objects.filter(pk__in=pks).update(**changes)
        messages.sessions_saved(batch)
    return len(batch)


def outcome_from_choice(practice, choice: str, client_amount=None, practitioner_amount=None) -> Outcome:
    """Turn a form's option value into an Outcome (a type id, or 'override')."""
    if choice == OVERRIDE:
        return Outcome(None, client_amount, practitioner_amount)
    kind = CompletionType.objects.filter(practice=practice, enabled=True, pk=int(choice) if str(choice).isdigit() else -1).first()
    if kind is None:
        raise DomainError("Choose one of the completion options.")
    return Outcome(kind)

