"""Pages run a bounded number of SQL queries, whatever the amount of data.

Each page is counted once with a little data, against a ceiling that is today's count, and once with
much more data, where the count must not move at all."""
from datetime import timedelta

import pytest
from django.urls import reverse

from practice.tests.factories import ContactFactory, ServiceFactory, SessionFactory, next_weekday_at

pytestmark = pytest.mark.django_db


def add_sessions(world, count, offset=0):
    start = next_weekday_at(8, days_ahead=2)
    for i in range(count):
        SessionFactory(cast=world.home, start=start + timedelta(hours=i + offset), services=[world.home.service], clients=2)


@pytest.mark.parametrize("role, most", [("practitioner", 12), ("staff", 11)])  # +1: the portal requests waiting; +1: the documents
def test_dashboard_queries_do_not_grow_with_sessions(login, world, role, most, django_assert_max_num_queries, django_assert_num_queries):
    client = login(world.home.member(role))
    add_sessions(world, 2)
    with django_assert_max_num_queries(most) as captured:
        assert client.get(reverse("sessions_app:dashboard")).status_code == 200
    few = len(captured)
    add_sessions(world, 30, offset=2)
    with django_assert_num_queries(few):
        assert client.get(reverse("sessions_app:dashboard")).status_code == 200


def test_session_form_queries_do_not_grow_with_services_or_contacts(login, world, django_assert_max_num_queries,
                                                                    django_assert_num_queries):
    client = login(world.home.practitioner)
    with django_assert_max_num_queries(11) as captured:  # +1: the document packages, read once for every row
        assert client.get(reverse("sessions_app:session_new") + "?now=1").status_code == 200
    few = len(captured)
    ServiceFactory.create_batch(20, practice=world.home.practice)
    ContactFactory.create_batch(20, practice=world.home.practice, owner=world.home.practitioner)
    add_sessions(world, 10)
    with django_assert_num_queries(few):
        assert client.get(reverse("sessions_app:session_new") + "?now=1").status_code == 200


def test_contacts_page_queries_do_not_grow(login, world, django_assert_max_num_queries, django_assert_num_queries):
    client = login(world.home.staff)
    with django_assert_max_num_queries(5) as captured:
        assert client.get(reverse("sessions_app:contacts")).status_code == 200
    few = len(captured)
    ContactFactory.create_batch(30, practice=world.home.practice, owner=world.home.practitioner)
    with django_assert_num_queries(few):
        assert client.get(reverse("sessions_app:contacts")).status_code == 200


def test_a_clients_list_queries_do_not_grow_with_sessions_or_closures(login, world, django_assert_max_num_queries,
                                                                      django_assert_num_queries):
    from sessions_app.models import Closure

    client = login(world.home.client)
    start = next_weekday_at(8, days_ahead=2)
    SessionFactory(cast=world.home, start=start, clients=[{"name": "Me", "client": world.home.client}])
    # 4 for the request; upcoming sessions, their services, their closures, past sessions, whether any
    # service is bookable, the closures list and the balance.
    with django_assert_max_num_queries(11) as captured:
        assert client.get(reverse("portal:home")).status_code == 200
    few = len(captured)
    for i in range(1, 20):
        SessionFactory(cast=world.home, start=start + timedelta(days=i), clients=[{"name": "Me", "client": world.home.client}])
        Closure.objects.create(practice=world.home.practice, title=f"Closed {i}", start_date=(start + timedelta(days=i)).date(),
                               end_date=(start + timedelta(days=i)).date())
    with django_assert_num_queries(few):
        page = client.get(reverse("portal:home")).content.decode()
    assert page.count("The practice is closed that day") == 19
