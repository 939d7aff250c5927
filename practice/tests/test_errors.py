"""One map from a database refusal to the words a person reads (practice.errors)."""
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import EntryKind, LedgerEntry
from practice.errors import Conflict, DomainError, database_refusals
from practice.tests.factories import PracticeFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_an_overlap_is_a_conflict_with_its_own_message(world):
    first = SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner)
    with pytest.raises(Conflict) as refused, database_refusals(), transaction.atomic():
        SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner,
                       start=first.start + timedelta(minutes=10))
    assert refused.value.message == "The practitioner already has a session at that time."


def test_a_ledger_refusal_is_not_reported_as_an_overlap(world):
    line = LedgerEntry.objects.create(practice=world.home.practice, kind=EntryKind.CHARGE, amount=10, currency="USD", label="x")
    with pytest.raises(DomainError) as refused, database_refusals(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE billing_ledgerentry SET amount = 0 WHERE id = %s", [line.pk])
    assert not isinstance(refused.value, Conflict)
    assert refused.value.message == "Saved money lines cannot be changed; the change was not saved."


def test_an_unknown_refusal_stays_a_database_error(world):
    """A constraint without a message is a bug to see, not a form error to hide it behind."""
    with pytest.raises(IntegrityError), database_refusals(), transaction.atomic():
        PracticeFactory(slug=world.home.practice.slug)
