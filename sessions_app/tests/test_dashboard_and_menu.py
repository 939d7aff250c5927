"""What a person sees first: the New Session button in the menu bar of every team page, a dashboard
that leads with today (issue 11, item 16), and a client's list that flags closure days (item 19c)."""
import zoneinfo
from datetime import date, datetime

import pytest
import time_machine
from django.urls import reverse

from practice.tests.factories import SessionFactory
from sessions_app.models import Closure

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 1, 15, 7, tzinfo=NEW_YORK)  # a Friday afternoon
NEW_SESSION_LINK = f'href="{reverse("sessions_app:session_new")}" title="New Session" aria-label="New Session"'


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


TEAM_PAGES = ["sessions_app:dashboard", "sessions_app:calendar", "sessions_app:session_list", "sessions_app:contacts",
              "billing:clients"]


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_every_team_page_has_the_new_session_button_in_the_menu_bar(login, world, role):
    client = login(world.home.member(role))
    for name in TEAM_PAGES:
        page = client.get(reverse(name)).content.decode()
        menu_bar = page[page.index("<nav"):page.index("</nav>")]
        assert NEW_SESSION_LINK in menu_bar, name
        assert "New Session" in menu_bar, name


def test_a_client_has_no_new_session_button(login, world):
    client = login(world.home.client)
    for name in ("portal:home", "billing:my_balance", "sessions_app:calendar"):
        page = client.get(reverse(name)).content.decode()
        assert "New Session" not in page, name


def test_the_dashboard_leads_with_today_then_the_upcoming_sessions(login, world):
    for hour, name in ((9, "Earlier Today"), (15, "Right Now"), (17, "Later Today")):
        SessionFactory(cast=world.home, day=date(2030, 3, 1), hour=hour, clients=[name])
    SessionFactory(cast=world.home, day=date(2030, 3, 4), hour=10, clients=["Next Monday"])
    SessionFactory(cast=world.home, day=date(2030, 3, 1), hour=18, clients=["A Colleague's"],
                   practitioner=world.home.admin)  # not the practitioner's: not on their dashboard

    page = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode()
    # The page opens with today's date, then the three buttons in the seed's order, then today's
    # sessions in time order (the one that ended this morning too), then the upcoming ones.
    order = ["Today", "Friday, March 1", "New Session Now", "New Scheduled Session", "Orientation Session",
             "Earlier Today", "Right Now", "Later Today", "Upcoming sessions", "Monday, March 4", "Next Monday"]
    main = page[page.index("<main"):]
    positions = [main.index(text) for text in order]
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    assert "9:00 AM–9:50 AM" in main and "Ended" in main
    assert "3:00 PM–3:50 PM" in main and ">Now<" in main
    assert "A Colleague" not in main


def test_a_quiet_day_says_so_and_the_buttons_still_come_first(login, world):
    SessionFactory(cast=world.home, day=date(2030, 3, 4), hour=10, clients=["Next Monday"])
    main = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode().split("<main", 1)[1]
    assert "No sessions today." in main
    assert main.index("Orientation Session") < main.index("No sessions today.") < main.index("Next Monday")


def test_today_is_the_viewers_day(login, world):
    """At 3:07 PM in New York it is already 9:07 PM in Berlin: a session at 8 PM Berlin time is today
    for both, one at 11 PM New York time is tomorrow in Berlin."""
    SessionFactory(cast=world.home, day=date(2030, 3, 1), hour=14, clients=["Afternoon NY"])  # 8 PM Berlin
    SessionFactory(cast=world.home, day=date(2030, 3, 1), hour=20, clients=["Evening NY"])  # 2 AM Berlin, Mar 2
    world.home.practitioner.time_zone = "Europe/Berlin"
    world.home.practitioner.save()
    main = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode().split("<main", 1)[1]
    assert main.index("Afternoon NY") < main.index("Upcoming sessions") < main.index("Evening NY")
    assert "8:00 PM–8:50 PM" in main


def test_a_clients_list_flags_a_session_on_a_closure_day(login, world):
    SessionFactory(cast=world.home, day=date(2030, 3, 5), hour=10, clients=["Me"], clients__client=world.home.client)
    SessionFactory(cast=world.home, day=date(2030, 3, 6), hour=10, clients=["Me"], clients__client=world.home.client)
    Closure.objects.create(practice=world.home.practice, title="Spring break", start_date=date(2030, 3, 5),
                           end_date=date(2030, 3, 5))
    page = login(world.home.client).get(reverse("portal:home")).content.decode()
    bookings = page.split("<h2 class=\"h6 text-body-secondary\">Balance", 1)[0]  # not the Closures list beside them
    first, second = bookings.split("Tuesday, March 5", 1)[1].split("Wednesday, March 6", 1)
    assert "Closure" in first and "The practice is closed that day: Spring break." in first
    assert "Closure" not in second


def test_an_invite_being_sent_reads_queued_on_the_tile(login, world):
    """A message a worker has claimed but not yet recorded (state "sending") is not "withdrawn"."""
    from notifications.models import Notification, NotificationKind, State

    session = SessionFactory(cast=world.home, day=date(2030, 3, 4), clients=["Jamie Rivera"])
    participant = session.participants.get()
    Notification.objects.create(practice=world.home.practice, session=session, participant=participant,
                                kind=NotificationKind.INVITE, channel="email", to_address="jamie@example.com",
                                body_text="Invite", due_at=NOW, state=State.SENDING, dedupe_key="invite:sending")
    page = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode()
    assert "Invite queued" in page and "Invite withdrawn" not in page
