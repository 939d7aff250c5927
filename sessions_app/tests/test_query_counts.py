"""Pages run a bounded number of SQL queries, whatever the amount of data."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practice.tests.factories import ContactFactory, ParticipantFactory, ServiceFactory, SessionFactory, next_weekday_at
from sessions_app.models import SessionService

pytestmark = pytest.mark.django_db


def add_sessions(world, count, offset=0):
    start = next_weekday_at(8, days_ahead=2)
    for i in range(count):
        session = SessionFactory(
            practice=world.home.practice, practitioner=world.home.practitioner,
            start=start + timedelta(hours=i + offset), end=start + timedelta(hours=i + offset, minutes=50),
        )
        ParticipantFactory.create_batch(2, session=session)
        SessionService.objects.create(session=session, service=world.home.service, price=world.home.service.price)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["practitioner", "staff"])
def test_dashboard_queries_do_not_grow_with_sessions(login, world, role):
    client = login(world.home.member(role))
    add_sessions(world, 2)
    few = count_queries(client, reverse("sessions_app:dashboard"))
    add_sessions(world, 30, offset=2)
    assert count_queries(client, reverse("sessions_app:dashboard")) == few


def test_session_form_queries_do_not_grow_with_services_or_contacts(login, world):
    client = login(world.home.practitioner)
    few = count_queries(client, reverse("sessions_app:session_new") + "?now=1")
    ServiceFactory.create_batch(20, practice=world.home.practice)
    ContactFactory.create_batch(20, practice=world.home.practice, owner=world.home.practitioner)
    add_sessions(world, 10)
    assert count_queries(client, reverse("sessions_app:session_new") + "?now=1") == few


def test_contacts_page_queries_do_not_grow(login, world):
    client = login(world.home.staff)
    few = count_queries(client, reverse("sessions_app:contacts"))
    ContactFactory.create_batch(30, practice=world.home.practice, owner=world.home.practitioner)
    assert count_queries(client, reverse("sessions_app:contacts")) == few
