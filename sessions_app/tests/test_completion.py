"""Saving sessions: outcomes, charges, wages, snapshots and the append-only ledger."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from billing import ledger
from billing.models import EntryKind, LedgerEntry
from practice.models import PractitionerWage, WageKind
from practice.tests.factories import ParticipantFactory, ServiceFactory, SessionFactory
from sessions_app import completion
from sessions_app.models import CompletionType, SessionService, SessionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(world):
    """A one-to-one session with a 150.00 service; the service pays the practitioner 60%."""
    return SessionFactory(cast=world.home, past=True, services=[(world.home.service, Decimal("150.00"))], clients=["Jamie Rivera"],
                          clients__client=world.home.client)


def kind(world, label):
    return CompletionType.objects.get(practice=world.home.practice, label=label)


def save(world, session, outcome, membership=None):
    membership = membership or world.home.practitioner.memberships.get()
    clients = session.participants.filter(is_client=True)
    return completion.save_session(practice=world.home.practice, actor=membership.user, membership=membership,
                                   session=session, outcomes={p.pk: outcome for p in clients})


def lines(session, kind_):
    return sorted(LedgerEntry.objects.filter(session=session, kind=kind_).values_list("amount", flat=True))


@pytest.mark.parametrize("label, charge, wage, status", [
    ("Completed", "150.00", "90.00", SessionStatus.COMPLETED),
    ("Canceled", "0.00", "0.00", SessionStatus.CANCELED),
    ("Missed", "150.00", "90.00", SessionStatus.MISSED),
])
def test_default_options(world, session, label, charge, wage, status):
    save(world, session, completion.Outcome(kind(world, label)))
    session.refresh_from_db()
    assert session.status == status and session.completion_label == label
    assert lines(session, EntryKind.CHARGE) == [Decimal(charge)]
    assert lines(session, EntryKind.WAGE) == [Decimal(wage)]


def test_late_cancel_percentage_custom_type(world, session):
    late = CompletionType.objects.create(practice=world.home.practice, map_status="canceled", label="Late Cancel",
                                         modifier_type="percent", client_modifier=50, practitioner_modifier=50)
    save(world, session, completion.Outcome(late))
    assert lines(session, EntryKind.CHARGE) == [Decimal("75.00")] and lines(session, EntryKind.WAGE) == [Decimal("45.00")]
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELED and session.completion_label == "Late Cancel"


def test_fixed_custom_type(world, session):
    fee = CompletionType.objects.create(practice=world.home.practice, map_status="missed", label="No-show fee",
                                        modifier_type="fixed", client_modifier=40, practitioner_modifier=15)
    save(world, session, completion.Outcome(fee))
    assert lines(session, EntryKind.CHARGE) == [Decimal("40.00")] and lines(session, EntryKind.WAGE) == [Decimal("15.00")]


def test_per_practitioner_wage_override_and_fixed_wage(world, session):
    PractitionerWage.objects.create(practice=world.home.practice, practitioner=world.home.practitioner,
                                    service=world.home.service, wage_kind=WageKind.FIXED, wage_amount=Decimal("70"))
    save(world, session, completion.Outcome(kind(world, "Completed")))
    assert lines(session, EntryKind.WAGE) == [Decimal("70.00")]


def test_rounding_to_the_minor_unit_half_up(world, session):
    odd = CompletionType.objects.create(practice=world.home.practice, map_status="completed", label="Third",
                                        modifier_type="percent", client_modifier=33, practitioner_modifier=33)
    line = session.session_services.get()
    SessionService.objects.filter(pk=line.pk).update(price=Decimal("100.05"))
    save(world, session, completion.Outcome(odd))
    assert lines(session, EntryKind.CHARGE) == [Decimal("33.02")]  # 33.0165 -> 33.02
    assert ledger.money(Decimal("1.005"), "USD") == Decimal("1.01") and ledger.money(Decimal("12.5"), "JPY") == Decimal("13")


def test_group_session_with_mixed_outcomes(world, session):
    second = ParticipantFactory(session=session, name="Alex Moreno")
    first = session.participants.get(name="Jamie Rivera")
    membership = world.home.practitioner.memberships.get()
    completion.save_session(practice=world.home.practice, actor=world.home.practitioner, membership=membership, session=session,
                            outcomes={first.pk: completion.Outcome(kind(world, "Completed")),
                                      second.pk: completion.Outcome(kind(world, "Missed"))})
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED and session.completion_label == "Mixed"
    assert lines(session, EntryKind.CHARGE) == [Decimal("150.00"), Decimal("150.00")]
    second.refresh_from_db()
    assert second.completion_label == "Missed" and second.client_amount == Decimal("150.00")


def test_cost_override_needs_the_permission(world, session):
    override = completion.Outcome(None, Decimal("80"), Decimal("40"))
    with pytest.raises(PermissionDenied):
        save(world, session, override)  # a practitioner
    staff = world.home.staff.memberships.get()
    with pytest.raises(PermissionDenied):
        save(world, session, override, membership=staff)  # staff without the permission
    staff.can_override_cost = True
    staff.save()
    save(world, session, override, membership=staff)
    assert lines(session, EntryKind.CHARGE) == [Decimal("80.00")] and lines(session, EntryKind.WAGE) == [Decimal("40.00")]
    with pytest.raises(ValidationError):
        save(world, session, completion.Outcome(None, Decimal("-1"), Decimal("0")), membership=staff)


def test_resaving_reverses_the_old_lines_and_writes_new_ones(world, session):
    save(world, session, completion.Outcome(kind(world, "Completed")))
    save(world, session, completion.Outcome(kind(world, "Canceled")))
    charges = list(LedgerEntry.objects.filter(session=session, kind=EntryKind.CHARGE).order_by("id").values_list("amount", flat=True))
    assert charges == [Decimal("150.00"), Decimal("-150.00"), Decimal("0.00")]
    account = ledger.client_account(world.home.practice, client=world.home.client)
    assert account.aggregate(total=Sum("amount"))["total"] == Decimal("0.00")


def test_editing_or_deleting_a_type_changes_nothing_already_saved(world, session):
    late = CompletionType.objects.create(practice=world.home.practice, map_status="canceled", label="Late Cancel",
                                         modifier_type="percent", client_modifier=50, practitioner_modifier=50)
    save(world, session, completion.Outcome(late))
    late.label, late.client_modifier = "Very Late", 90
    late.save()
    participant = session.participants.get()
    assert (participant.completion_label, participant.client_amount) == ("Late Cancel", Decimal("75.00"))
    late.delete()
    participant.refresh_from_db()
    session.refresh_from_db()
    assert (participant.completion_label, participant.client_amount) == ("Late Cancel", Decimal("75.00"))
    assert session.completion_label == "Late Cancel"
    assert LedgerEntry.objects.get(session=session, kind=EntryKind.CHARGE).label.endswith("Late Cancel")


def test_the_database_refuses_to_edit_or_delete_a_ledger_line(world, session):
    save(world, session, completion.Outcome(kind(world, "Completed")))
    line = LedgerEntry.objects.filter(session=session).first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=line.pk).update(amount=Decimal("1"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=line.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT amount FROM billing_ledgerentry WHERE id = %s", [line.pk])
        assert cursor.fetchone()[0] == line.amount


def test_a_disabled_or_foreign_type_is_refused(world, session):
    canceled = kind(world, "Canceled")
    canceled.enabled = False
    canceled.save()
    assert "Canceled" not in [label for _, label in completion.options(world.home.practice, world.home.practitioner.memberships.get())]
    with pytest.raises(ValidationError):
        save(world, session, completion.Outcome(canceled))
    foreign = CompletionType.objects.get(practice=world.outsider.practice, label="Completed")
    with pytest.raises(ValidationError):
        save(world, session, completion.Outcome(foreign))
    assert not LedgerEntry.objects.exists()


def test_bulk_save_of_a_mixed_selection(world, session):
    cheaper = ServiceFactory(practice=world.home.practice, price=Decimal("90"))
    other = SessionFactory(cast=world.home, past=True, hour=14, services=[cheaper], clients=2)
    membership = world.home.practitioner.memberships.get()
    saved = completion.save_sessions(practice=world.home.practice, actor=world.home.practitioner, membership=membership,
                                     sessions=[session, other], outcome=completion.Outcome(kind(world, "Missed")))
    assert saved == 2
    assert LedgerEntry.objects.filter(kind=EntryKind.CHARGE).count() == 3
    assert {s for s in SessionStatus if s in (session.__class__.objects.values_list("status", flat=True))} == {SessionStatus.MISSED}


def test_new_practices_get_the_three_defaults(world):
    labels = set(CompletionType.objects.filter(practice=world.outsider.practice).values_list("label", flat=True))
    assert labels == {"Completed", "Canceled", "Missed"}


def test_label_is_at_most_15_characters(world):
    late = CompletionType(practice=world.home.practice, map_status="canceled", label="x" * 16, client_modifier=1, practitioner_modifier=1)
    with pytest.raises(ValidationError, match="at most 15"):
        late.full_clean()
