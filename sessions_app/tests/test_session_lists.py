"""The session list, the open sessions list and the session detail page."""
import html
import re
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from practice import phones
from practice.tests.factories import ParticipantFactory, ServiceFactory, SessionFactory, SessionServiceFactory
from sessions_app.models import (
    Closure,
    InviteMethod,
    SessionSeries,
    SessionStatus,
)

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
NOW = datetime(2030, 3, 1, 15, 7, tzinfo=NEW_YORK)  # a Friday afternoon
LIST = reverse("sessions_app:session_list")
OPEN = reverse("sessions_app:open_sessions")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def at(month, day, hour, minute=0, zone=NEW_YORK, year=2030):
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def session_at(cast, start, *, people=("Jamie Rivera",), **fields):
    """A session of ``cast`` at ``start`` (50 minutes unless ``minutes=``) with one client participant per name."""
    return SessionFactory(cast=cast, start=start, clients=people, **fields)


def detail(session):
    return reverse("sessions_app:session_detail", args=[session.pk])


def rows(response):
    assert response.status_code == 200
    return [session.pk for session in response.context["page"]]


# --- Session list: filters ----------------------------------------------------------------------

def test_by_default_the_list_shows_today_onward_soonest_first(login, world):
    yesterday = session_at(world.home, at(2, 28, 10))
    next_week = session_at(world.home, at(3, 5, 10))
    this_morning = session_at(world.home, at(3, 1, 9))  # already over, but today
    response = login(world.home.staff).get(LIST)
    assert rows(response) == [this_morning.pk, next_week.pk]
    assert yesterday.pk not in rows(response)
    assert 'value="2030-03-01"' in response.content.decode()  # the form shows the default


def test_a_given_filter_is_honoured_without_the_default_date(login, world):
    yesterday = session_at(world.home, at(2, 28, 10))
    tomorrow = session_at(world.home, at(3, 2, 10))
    client = login(world.home.staff)
    assert rows(client.get(LIST, {"from": "", "state": ""})) == [yesterday.pk, tomorrow.pk]
    assert rows(client.get(LIST, {"to": "2030-02-28"})) == [yesterday.pk]


def test_date_range_is_inclusive_and_in_the_viewers_time_zone(login, world):
    viewer = world.home.staff
    viewer.time_zone = "America/Los_Angeles"
    viewer.save()
    # 10:30 PM on the 12th in Los Angeles is already 1:30 AM on the 13th in New York.
    late = session_at(world.home, at(3, 12, 22, 30, zone=LOS_ANGELES))
    first_thing = session_at(world.home, at(3, 13, 0, 0, zone=LOS_ANGELES))
    session_at(world.home, at(3, 11, 23, 59, zone=LOS_ANGELES), practitioner=world.home.admin)
    client = login(viewer)
    assert rows(client.get(LIST, {"from": "2030-03-12", "to": "2030-03-12"})) == [late.pk]
    assert rows(client.get(LIST, {"from": "2030-03-13", "to": "2030-03-13"})) == [first_thing.pk]
    assert rows(client.get(LIST, {"from": "2030-03-12", "to": "2030-03-13"})) == [late.pk, first_thing.pk]
    # The row shows the viewer's wall time, not New York's or UTC's.
    assert "10:30 PM" in client.get(LIST, {"from": "2030-03-12", "to": "2030-03-12"}).content.decode()


def test_practitioner_filter_for_office_roles(login, world):
    mine = session_at(world.home, at(3, 4, 10))
    admins = session_at(world.home, at(3, 4, 10), practitioner=world.home.admin)
    client = login(world.home.staff)
    assert rows(client.get(LIST, {"practitioner": world.home.practitioner.pk})) == [mine.pk]
    assert rows(client.get(LIST, {"practitioner": world.home.admin.pk})) == [admins.pk]
    choices = {user.pk for user in client.get(LIST).context["form"].fields["practitioner"].queryset}
    assert choices == {world.home.practitioner.pk, world.home.admin.pk}


def test_client_filter_matches_part_of_a_participant_name(login, world):
    rivera = session_at(world.home, at(3, 4, 10), people=("Jamie Rivera", "Sam Lee"))
    okafor = session_at(world.home, at(3, 4, 12), people=("Robin Okafor",))
    client = login(world.home.practitioner)
    assert rows(client.get(LIST, {"client": "RIVER"})) == [rivera.pk]
    assert rows(client.get(LIST, {"client": "oka"})) == [okafor.pk]
    assert rows(client.get(LIST, {"client": "e"})) == [rivera.pk]  # two matching participants, one row
    assert rows(client.get(LIST, {"client": "nobody"})) == []


def test_state_filter(login, world):
    scheduled = session_at(world.home, at(3, 4, 10))
    completed = session_at(world.home, at(3, 4, 12), status=SessionStatus.COMPLETED)
    missed = session_at(world.home, at(3, 4, 14), status=SessionStatus.MISSED)
    canceled = session_at(world.home, at(3, 4, 10), status=SessionStatus.CANCELED)
    client = login(world.home.admin)
    for state, session in (("scheduled", scheduled), ("completed", completed), ("missed", missed), ("canceled", canceled)):
        response = client.get(LIST, {"state": state})
        assert rows(response) == [session.pk]
    assert len(rows(client.get(LIST))) == 4
    assert "Canceled</span>" in client.get(LIST, {"state": "canceled"}).content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"from": "not-a-date"}, "Enter a date like 2030-03-12."),
        ({"to": "2030-13-45"}, "Enter a date like 2030-03-12."),
        ({"from": "0001-01-01"}, "Enter a date between 1900 and 2999."),
        ({"to": "9999-12-31"}, "Enter a date between 1900 and 2999."),
        ({"state": "deleted"}, "Choose a state from the list."),
        ({"practitioner": "abc"}, "Choose a practitioner from the list."),
        ({"practitioner": "999999"}, "Choose a practitioner from the list."),
        ({"client": "x" * 121}, "at most 120 characters"),
    ],
)
def test_a_bad_filter_value_gets_a_form_error_not_a_500(login, world, params, message):
    session_at(world.home, at(3, 4, 10))
    response = login(world.home.staff).get(LIST, params)
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert rows(response) == []
    assert "Please correct the filter above" in response.content.decode()


def test_another_practices_practitioner_is_not_a_choice(login, world):
    response = login(world.home.staff).get(LIST, {"practitioner": world.outsider.practitioner.pk})
    assert "Choose a practitioner from the list." in response.content.decode()
    assert str(world.outsider.practitioner) not in response.content.decode()


def test_an_inverted_date_range_is_refused_in_plain_words(login, world):
    session_at(world.home, at(3, 4, 10))
    response = login(world.home.staff).get(LIST, {"from": "2030-03-12", "to": "2030-03-10"})
    assert response.status_code == 200
    assert "date is before the" in response.content.decode()
    assert response.context["form"].errors["to"]
    assert rows(response) == []


def test_a_bad_page_number_shows_a_page(login, world):
    only = session_at(world.home, at(3, 4, 10))
    assert rows(login(world.home.staff).get(LIST, {"page": "lots"})) == [only.pk]


def test_pagination_keeps_the_filters(login, world):
    start = at(3, 4, 7)
    for i in range(55):
        session_at(world.home, start + timedelta(hours=i), people=("Pat Page",))
    for i in range(3):
        session_at(world.home, start + timedelta(hours=i), practitioner=world.home.admin, people=("Other Person",))
    client = login(world.home.staff)
    first = client.get(LIST, {"client": "pat", "from": "2030-03-02", "state": "scheduled"})
    assert len(rows(first)) == 50
    assert first.context["page"].paginator.count == 55
    next_link = re.search(r'href="([^"]*)" rel="next"', first.content.decode()).group(1)
    next_link = html.unescape(next_link)
    for kept in ("client=pat", "from=2030-03-02", "state=scheduled", "page=2"):
        assert kept in next_link
    second = client.get(LIST + next_link)
    assert len(rows(second)) == 5
    assert all(name == "Pat Page" for s in second.context["page"] for name in [p.name for p in s.participants.all()])


# --- Session list: who sees what ----------------------------------------------------------------

def test_a_practitioner_sees_only_their_own_sessions_and_staff_see_all(login, world):
    mine = session_at(world.home, at(3, 4, 10))
    colleagues = session_at(world.home, at(3, 4, 10), practitioner=world.home.admin)
    session_at(world.outsider, at(3, 4, 10))
    practitioner = login(world.home.practitioner)
    response = practitioner.get(LIST)
    assert rows(response) == [mine.pk]
    assert "practitioner" not in response.context["form"].fields
    # Asking for a colleague's sessions does not widen the list.
    assert rows(practitioner.get(LIST, {"practitioner": world.home.admin.pk})) == [mine.pk]
    for role in ("staff", "admin"):
        assert sorted(rows(login(world.home.member(role)).get(LIST))) == sorted([mine.pk, colleagues.pk])


def test_clients_get_403_on_both_lists(login, world):
    session_at(world.home, at(3, 4, 10))
    client = login(world.home.client)
    assert client.get(LIST).status_code == 403
    assert client.get(OPEN).status_code == 403


def test_logged_out_visitors_go_to_the_login_page(client, world):
    for url in (LIST, OPEN, detail(session_at(world.home, at(3, 4, 10)))):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_row_shows_time_people_services_room_state_and_links(login, world):
    extra = ServiceFactory(practice=world.home.practice, cpt_code="90785", name="Interactive complexity")
    session = session_at(world.home, at(3, 4, 14, 30), people=("Jamie Rivera", "Sam Lee"), room=world.home.room,
                         services=[(world.home.service, Decimal(150)), (extra, Decimal(20))])
    page = login(world.home.staff).get(LIST).content.decode()
    for text in ("Mon, Mar 4, 2030", "2:30 PM–3:20 PM", str(world.home.practitioner), "Jamie Rivera, Sam Lee",
                 "90837, 90785", "home room", "Scheduled</span>", "Group", detail(session),
                 reverse("sessions_app:open_sessions"), reverse("sessions_app:session_new")):
        assert text in page, text


def test_one_to_one_marker(login, world):
    session_at(world.home, at(3, 4, 10), people=("Only One",))
    page = login(world.home.staff).get(LIST).content.decode()
    assert "One-to-one" in page and ">Group<" not in page


# --- Closures -----------------------------------------------------------------------------------

def test_closure_badge_marks_sessions_on_a_closed_day(login, world):
    Closure.objects.create(practice=world.home.practice, title="Spring break", start_date=date(2030, 3, 4), end_date=date(2030, 3, 5))
    Closure.objects.create(practice=world.outsider.practice, title="Their holiday", start_date=date(2030, 3, 6), end_date=date(2030, 3, 6))
    closed = session_at(world.home, at(3, 5, 10))
    open_day = session_at(world.home, at(3, 6, 10))
    client = login(world.home.staff)
    response = client.get(LIST)
    marked = {s.pk: s.closure for s in response.context["page"]}
    assert marked[closed.pk].title == "Spring break" and marked[open_day.pk] is None
    page = response.content.decode()
    # Once in the State column and once under the time (shown on phones instead): for one session only.
    assert page.count("bi-exclamation-triangle\"></i> Closure") == 2
    assert "Spring break" in page
    assert "falls on a closure" in client.get(detail(closed)).content.decode()
    assert "falls on a closure" not in client.get(detail(open_day)).content.decode()


# --- Open sessions -------------------------------------------------------------------------------

def test_open_sessions_lists_past_sessions_not_yet_saved_oldest_first(login, world):
    last_week = session_at(world.home, at(2, 22, 10))
    this_morning = session_at(world.home, at(3, 1, 9))
    session_at(world.home, at(2, 26, 10), status=SessionStatus.COMPLETED)
    session_at(world.home, at(2, 27, 10), status=SessionStatus.CANCELED)
    session_at(world.home, at(2, 27, 12), status=SessionStatus.MISSED)
    session_at(world.home, at(3, 1, 15, 0))  # still running: ends at 3:50 PM
    session_at(world.home, at(3, 4, 10))  # future
    session_at(world.outsider, at(2, 22, 10))
    response = login(world.home.staff).get(OPEN)
    assert rows(response) == [last_week.pk, this_morning.pk]
    page = response.content.decode().replace("\xa0", " ")  # timesince joins numbers and units with no-break spaces
    assert "Past sessions that have not been saved yet. Saving a session records its outcome and its charges." in page
    assert "5 hours, 17 minutes ago" in page  # this morning's ended at 9:50 AM
    assert "1 week ago" in page
    table = re.search(r"<tbody>(.*)</tbody>", page, re.DOTALL).group(1)  # the bulk "Save as" menu lists them
    for label in ("Completed", "Missed", "Canceled"):
        assert label not in table


def test_open_sessions_of_a_practitioner_are_their_own(login, world):
    mine = session_at(world.home, at(2, 22, 10))
    session_at(world.home, at(2, 22, 10), practitioner=world.home.admin)
    assert rows(login(world.home.practitioner).get(OPEN)) == [mine.pk]


# --- Session detail ------------------------------------------------------------------------------

def test_another_practices_session_detail_answers_404_for_every_role(login, world):
    theirs = session_at(world.outsider, at(3, 4, 10))
    ParticipantFactory(session=theirs, client=world.outsider.client, name="Outsider Client")
    for role in ("admin", "staff", "practitioner", "client"):
        assert login(world.home.member(role)).get(detail(theirs)).status_code == 404, role


def test_a_practitioner_gets_404_for_a_colleagues_session(login, world):
    colleagues = session_at(world.home, at(3, 4, 10), practitioner=world.home.admin)
    assert login(world.home.practitioner).get(detail(colleagues)).status_code == 404
    assert login(world.home.staff).get(detail(colleagues)).status_code == 200


def test_a_client_gets_404_for_a_session_they_are_not_in(login, world):
    not_mine = session_at(world.home, at(3, 4, 10))
    assert login(world.home.client).get(detail(not_mine)).status_code == 404


def test_the_team_sees_the_whole_session(login, world):
    series = SessionSeries.objects.create(
        practice=world.home.practice, practitioner=world.home.practitioner, rule="RRULE:FREQ=WEEKLY",
        first_day=date(2030, 3, 4), start_time=datetime(2030, 3, 4, 10).time(), time_zone="Europe/London",
        duration_minutes=50,
    )
    session = session_at(
        world.home, at(3, 4, 15, zone=zoneinfo.ZoneInfo("Europe/London")), room=world.home.room,
        time_zone="Europe/London", public_note="Bring the worksheet.", private_note="Discuss the intake form.",
        series=series, delivery_method="video", services=[(world.home.service, Decimal("150.00"))],
        people=[{"name": "Jamie Rivera", "email": "jamie@example.com", "time_zone": "America/Chicago"},
                {"name": "R.P.", "invite_method": InviteMethod.NONE, "email": "", "time_zone": "America/New_York"}],
    )
    page = login(world.home.practitioner).get(detail(session)).content.decode()
    for text in (
        "10:00 AM–10:50 AM", "(America/New_York)",      # the viewer's zone
        "3:00 PM–3:50 PM", "(Europe/London)",           # the zone it was scheduled in
        "Mon Mar 4, 9:00 AM",                           # Jamie's own time, in Chicago
        "E-Mail/Text Not Used", "jamie@example.com", "E-mail invitation",
        "Part of a recurring series", str(series), "Secure video", "home room",
        "90837", "150.00 USD", session.access_code, "Bring the worksheet.", "Discuss the intake form.",
        reverse("sessions_app:session_edit", args=[session.pk]), reverse("sessions_app:session_cancel", args=[session.pk]),
    ):
        assert text in html.unescape(page), text


def test_only_a_scheduled_session_offers_edit_and_cancel(login, world):
    done = session_at(world.home, at(2, 22, 10), status=SessionStatus.COMPLETED)
    page = login(world.home.staff).get(detail(done)).content.decode()
    assert "Completed</span>" in page
    assert reverse("sessions_app:session_cancel", args=[done.pk]) not in page
    assert reverse("sessions_app:session_edit", args=[done.pk]) not in page


def test_a_client_sees_their_part_and_the_public_note_only(login, world):
    me = world.home.client
    me.time_zone = "America/Los_Angeles"
    me.save()
    session = session_at(
        world.home, at(3, 4, 10), people=(), room=world.home.room,
        public_note="Bring the worksheet.", private_note="Discuss the intake form.",
    )
    ParticipantFactory(session=session, client=me, name="Casey Client", email="casey@example.com")
    ParticipantFactory(session=session, name="Other Person", email="other@example.com", phone="+12125550142")
    response = login(me).get(detail(session))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bring the worksheet." in page
    assert "7:00 AM–7:50 AM" in page and "(America/Los_Angeles)" in page  # their own zone
    assert str(world.home.practitioner) in page and "home room" in page and "In person" in page
    assert "Casey Client" in page and "casey@example.com" in page
    for hidden in ("Discuss the intake form.", "Private note", "other@example.com", "Other Person", "+12125550142",
                   phones.display("+12125550142"), session.access_code, reverse("sessions_app:session_cancel", args=[session.pk])):
        assert hidden not in page, hidden


# --- Query counts --------------------------------------------------------------------------------

def add_sessions(cast, count, start, offset=0):
    for i in range(count):
        session_at(cast, start + timedelta(hours=i + offset), people=("First Person", "Second Person"), room=cast.room,
                   services=[cast.service])


# Today's counts, as ceilings; with more rows the count must not move at all.
LIST_QUERIES = {(LIST, "practitioner"): 10, (LIST, "staff"): 10, (OPEN, "practitioner"): 11, (OPEN, "staff"): 10}


@pytest.mark.parametrize("role", ["practitioner", "staff"])
@pytest.mark.parametrize("url, start", [(LIST, at(3, 2, 0)), (OPEN, at(2, 20, 0))])
def test_list_queries_do_not_grow_with_rows(login, world, role, url, start, django_assert_max_num_queries, django_assert_num_queries):
    Closure.objects.create(practice=world.home.practice, title="Closed", start_date=date(2030, 2, 20), end_date=date(2030, 3, 2))
    client = login(world.home.member(role))
    add_sessions(world.home, 2, start)
    with django_assert_max_num_queries(LIST_QUERIES[url, role]) as captured:
        assert client.get(url).status_code == 200
    few = len(captured)
    assert len(client.get(url).context["page"]) == 2
    add_sessions(world.home, 30, start, offset=2)
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200
    assert len(client.get(url).context["page"]) == 32


# staff: +1, the access log INSERT (practice.audit); clients are not logged.
@pytest.mark.parametrize("role, most", [("staff", 13), ("client", 13)])
def test_detail_queries_do_not_grow_with_participants_or_services(login, world, role, most, django_assert_max_num_queries,
                                                                  django_assert_num_queries):
    session = session_at(world.home, at(3, 4, 10), people=("First Person",), room=world.home.room,
                         services=[(world.home.service, Decimal(150))])
    ParticipantFactory(session=session, client=world.home.client, name="Casey Client")
    client = login(world.home.member(role))
    with django_assert_max_num_queries(most) as captured:
        assert client.get(detail(session)).status_code == 200
    few = len(captured)
    ParticipantFactory.create_batch(10, session=session)
    for i in range(5):
        service = ServiceFactory(practice=world.home.practice, cpt_code=f"9080{i}")
        SessionServiceFactory(session=session, service=service, position=i + 1)
    with django_assert_num_queries(few):
        assert client.get(detail(session)).status_code == 200
