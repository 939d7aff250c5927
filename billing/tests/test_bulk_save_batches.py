"""Bulk save in sets (issue 17): the query count is per batch, not per session, and the ledger, the
snapshots and the sessions come out as saving each session in turn with ``save_session`` did."""
import zoneinfo
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing import packages
from billing.models import LedgerEntry, PackageProduct, PackageRedemption
from notifications.models import Notification, NotificationKind, State
from practice.errors import Conflict
from practice.models import PractitionerWage, WageKind
from practice.tests.factories import ServiceFactory, SessionFactory, UserFactory
from sessions_app import completion
from sessions_app.models import CompletionType, Participant, Session, SessionStatus

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def staff(world):
    return world.home.staff.memberships.get()


def kind(world, label):
    return CompletionType.objects.get(practice=world.home.practice, label=label)


def past_sessions(world, count, *, first_hour=0):
    base = datetime.combine(timezone.localdate() - timedelta(days=30), time(0), tzinfo=NY)
    return [SessionFactory(cast=world.home, start=base + timedelta(hours=first_hour + i), minutes=50,
                           services=[world.home.service], clients=["Jamie Rivera"], clients__client=world.home.client)
            for i in range(count)]


def queries_to_save(world, sessions, outcome):
    with CaptureQueriesContext(connection) as captured:
        saved = completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=staff(world),
                                         sessions=sessions, outcome=outcome)
    assert saved == len(sessions)
    return len(captured)


def test_saving_50_sessions_costs_the_queries_of_saving_5(world):
    completed = completion.Outcome(kind(world, "Completed"))
    few = queries_to_save(world, past_sessions(world, 5), completed)
    many = queries_to_save(world, past_sessions(world, 50, first_hour=100), completed)
    assert many == few
    assert LedgerEntry.objects.count() == 55 * 2


def test_saving_again_50_sessions_costs_the_queries_of_saving_again_5(world):
    """Sessions saved before: their lines are reversed, one read and one INSERT for the batch."""
    five, fifty = past_sessions(world, 5), past_sessions(world, 50, first_hour=100)
    completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=staff(world),
                             sessions=five + fifty, outcome=completion.Outcome(kind(world, "Completed")))
    missed = completion.Outcome(kind(world, "Missed"))
    assert queries_to_save(world, fifty, missed) == queries_to_save(world, five, missed)
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 55 * 2


def second_host(world):
    """Another practitioner of the practice, with a wage of their own (75%) for the practice's service."""
    host = UserFactory()
    host.memberships.create(practice=world.home.practice, role="practitioner")
    PractitionerWage.objects.create(practice=world.home.practice, practitioner=host, service=world.home.service,
                                    wage_kind=WageKind.PERCENT, wage_amount=Decimal("75"))
    return host


def mixed_batch(world, first_hour, other_host):
    """Sessions of every kind a bulk save meets, in the order the list gives them."""
    home = world.home
    base = datetime.combine(timezone.localdate() - timedelta(days=40), time(0), tzinfo=NY)
    cheap = ServiceFactory(practice=home.practice, cpt_code="90832", price=Decimal("90"), wage_kind=WageKind.FIXED,
                           wage_amount=Decimal("40"))
    free = ServiceFactory(practice=home.practice, cpt_code="90791", price=Decimal("0"))

    def at(n, **kwargs):
        return SessionFactory(cast=home, start=base + timedelta(hours=first_hour + n), minutes=50, **kwargs)

    batch = [
        at(0, services=[(home.service, Decimal("150.00"))], clients=["Jamie Rivera"], clients__client=home.client),
        at(1, services=[home.service, cheap], clients=["Ann One", "Bo Two", "Cy Three"]),  # a group, two services
        at(2, practitioner=other_host, services=[(home.service, Decimal("133.33"))],
           clients=[{"name": "Contact Only", "contact": home.contact}]),  # the practitioner's own wage
        at(3, services=[home.service], clients=["Saved Before"]),  # saved already: re-saved
        at(4, services=[], clients=["No Service"]),
        at(5, services=[home.service], clients=[]),  # no client: left as it was
    ]
    # One team member who is not a client in a session with a client.
    Participant.objects.create(session=batch[0], name="Co Therapist", invite_method="none", time_zone="America/Chicago",
                               is_client=False)
    # A package session: booked on a credit (the service at 0).
    product = PackageProduct.objects.create(practice=home.practice, name=f"Five {first_hour}", session_count=5, price=Decimal("500"),
                                            validity_days=365)
    product.services.set([free])
    package = packages.assign(practice=home.practice, actor=home.admin, client=home.client, product=product,
                              how=packages.FREE, now=base - timedelta(days=1))
    on_package = at(6, services=[(free, Decimal("0"))], clients=["On Package"], clients__client=home.client)
    packages.redeem(practice=home.practice, client=home.client, client_package_id=package.pk, session=on_package,
                    participant=on_package.participants.get(), service=free, now=base)
    batch.append(on_package)
    completion.save_sessions(practice=home.practice, actor=home.staff, membership=staff(world), sessions=[batch[3]],
                             outcome=completion.Outcome(kind(world, "Completed")))
    # Reminders still pending about them: a save withdraws the reminders, invites and moves, nothing else.
    for session in batch:
        for participant in session.participants.all():
            for message_kind in (NotificationKind.REMINDER, NotificationKind.NOTICE):
                Notification.objects.create(practice_id=home.practice.pk, session=session, participant=participant,
                                            kind=message_kind, channel="email", to_address="x@example.com",
                                            body_text="hi", due_at=timezone.now(),
                                            dedupe_key=f"{message_kind}:{participant.pk}:{first_hour}")
    return batch


def outcomes(world):
    late = CompletionType.objects.create(practice=world.home.practice, map_status="canceled", label="Late Cancel",
                                         modifier_type="percent", client_modifier=50, practitioner_modifier=25)
    flat = CompletionType.objects.create(practice=world.home.practice, map_status="completed", label="Flat Fee",
                                         modifier_type="fixed", client_modifier=Decimal("60"),
                                         practitioner_modifier=Decimal("20.5"))
    return {
        "completed": completion.Outcome(kind(world, "Completed")),
        "canceled": completion.Outcome(kind(world, "Canceled")),
        "missed": completion.Outcome(kind(world, "Missed")),
        "override": completion.Outcome(None, Decimal("12.345"), Decimal("7")),
        "late cancel (percent)": completion.Outcome(late),
        "flat fee (fixed)": completion.Outcome(flat),
    }


def picture(batch):
    """What a save leaves, comparable between two batches made alike: ledger lines, participants'
    snapshots, sessions and their messages, by position in the batch (row ids and times apart:
    service dates as days after the batch's first)."""
    position = {s.pk: n for n, s in enumerate(batch)}
    first_day = batch[0].start.astimezone(zoneinfo.ZoneInfo(batch[0].practice.time_zone)).date()
    people = {p.pk: (position[p.session_id], n) for n, p in
              enumerate(Participant.objects.filter(session__in=batch).order_by("session_id", "pk"))}
    lines = sorted(
        (position[line.session_id], people[line.participant_id], line.kind, line.amount, line.currency, line.label,
         line.client_id, line.contact_id, line.client_name, line.practitioner_id, line.service_date - first_day,
         line.created_by_id, line.reverses.kind if line.reverses else None)
        for line in LedgerEntry.objects.filter(session__in=batch).select_related("reverses"))
    snapshots = sorted(
        (people[p.pk], p.completion_type_id, p.completion_status, p.completion_label, p.modifier_type, p.client_amount,
         p.practitioner_amount, p.completed_by_id, p.completed_at is not None)
        for p in Participant.objects.filter(session__in=batch))
    sessions = [(s.status, s.completion_label) for s in Session.objects.filter(pk__in=position).order_by("start")]
    messages = sorted((position[n.session_id], n.kind, n.state, n.last_error) for n in Notification.objects.filter(session__in=batch))
    redemptions = sorted((position[r.session_id], r.voided_at is None) for r in PackageRedemption.objects.filter(session__in=batch))
    return lines, snapshots, sessions, messages, redemptions


@pytest.mark.parametrize("name", ["completed", "canceled", "missed", "override", "late cancel (percent)", "flat fee (fixed)"])
def test_the_batch_leaves_what_saving_each_session_in_turn_leaves(world, name):
    world.home.staff.memberships.update(can_override_cost=True)
    outcome = outcomes(world)[name]
    membership = staff(world)
    other_host = second_host(world)
    one_by_one, in_sets = mixed_batch(world, 0, other_host), mixed_batch(world, 100, other_host)
    saved = 0
    for session in one_by_one:  # the row-by-row path: save_sessions was this loop before
        if session.participants.filter(is_client=True).exists():
            completion.save_session(practice=world.home.practice, actor=world.home.staff, membership=membership,
                                    session=session, same_for_all=outcome)
            saved += 1
    assert completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=membership,
                                    sessions=in_sets, outcome=outcome) == saved == 6
    for part, mine, theirs in zip(("lines", "snapshots", "sessions", "messages", "redemptions"),
                                  picture(in_sets), picture(one_by_one), strict=True):
        assert mine == theirs, (part, sorted(set(mine) ^ set(theirs)))
    lines, snapshots, sessions, _messages, redemptions = picture(in_sets)
    assert sessions[5] == (SessionStatus.SCHEDULED, "")  # no client: left as it was
    assert redemptions == [(6, True)]  # the package credit stays used, as before


def test_editing_the_type_later_changes_nothing_saved_in_a_batch(world):
    late = CompletionType.objects.create(practice=world.home.practice, map_status="canceled", label="Late Cancel",
                                         modifier_type="percent", client_modifier=50, practitioner_modifier=50)
    batch = past_sessions(world, 3)
    completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=staff(world), sessions=batch,
                             outcome=completion.Outcome(late))
    late.label, late.client_modifier = "Renamed", 100
    late.save()
    late.delete()
    assert set(Participant.objects.values_list("completion_label", "client_amount")) == {("Late Cancel", Decimal("75.00"))}
    assert set(Session.objects.values_list("completion_label", flat=True)) == {"Late Cancel"}
    assert all(label.endswith("· Late Cancel") for label in LedgerEntry.objects.filter(kind="charge").values_list("label", flat=True))
    assert LedgerEntry.objects.filter(kind="charge").count() == 3


def test_a_session_that_would_overlap_once_saved_refuses_the_whole_batch(world):
    """A session canceled earlier and now saved as held may overlap another: the database refuses it, in
    plain words, and nothing of the batch is written."""
    first, second = past_sessions(world, 2)
    first.status = SessionStatus.CANCELED
    first.save()
    SessionFactory(cast=world.home, start=first.start, minutes=30)
    with pytest.raises(Conflict):
        completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=staff(world),
                                 sessions=[second, first], outcome=completion.Outcome(kind(world, "Completed")))
    assert not LedgerEntry.objects.exists()
    assert not Participant.objects.filter(completed_at__isnull=False).exists()
    assert Session.objects.get(pk=second.pk).status == SessionStatus.SCHEDULED


def test_another_practices_session_is_not_saved(world):
    theirs = SessionFactory(cast=world.outsider, past=True, services=[world.outsider.service], clients=1)
    ours = past_sessions(world, 1)
    with pytest.raises(Session.DoesNotExist):
        completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=staff(world),
                                 sessions=ours + [theirs], outcome=completion.Outcome(kind(world, "Completed")))
    assert not LedgerEntry.objects.exists()


def test_withdrawn_reminders_read_as_before(world):
    batch = past_sessions(world, 2)
    for session in batch:
        participant = session.participants.get()
        Notification.objects.create(practice_id=world.home.practice.pk, session=session, participant=participant,
                                    kind=NotificationKind.REMINDER, channel="email", to_address="x@example.com",
                                    body_text="hi", due_at=timezone.now(), dedupe_key=f"r:{participant.pk}")
    completion.save_sessions(practice=world.home.practice, actor=world.home.staff, membership=staff(world), sessions=batch,
                             outcome=completion.Outcome(kind(world, "Completed")))
    assert set(Notification.objects.values_list("state", "last_error")) == {(State.CANCELED, "Withdrawn: the session changed.")}
