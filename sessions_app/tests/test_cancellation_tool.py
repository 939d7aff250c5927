"""The cancellation tool (SESSIONS > CANCELLATIONS): cancel and/or notify a range of dates at once."""
import zoneinfo
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from billing.models import EntryKind, LedgerEntry
from notifications.models import Notification, NotificationKind, State
from practice.models import Role
from practice.tests.factories import MembershipFactory, RoomFactory, SessionFactory, UserFactory
from sessions_app import cancellation, scheduling
from sessions_app import messages as session_messages
from sessions_app.models import Closure, CompletionType, SessionStatus
from sessions_app.scheduling import ParticipantData, SessionData

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=NY)
URL = "/sessions/cancellations/"
PREVIEW = "/sessions/cancellations/preview/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def people():
    return [
        ParticipantData(name="Emma Mail", invite_method="email", email="emma@example.com", time_zone="Europe/London"),
        ParticipantData(name="Tex Phone", invite_method="text", phone="+13125550142", time_zone="America/Chicago"),
        ParticipantData(name="Nico Noinvite", invite_method="none", time_zone="America/New_York"),
    ]


def schedule(world, start, *, practitioner=None, room=None, participants=None):
    return scheduling.schedule_session(
        practice=world.home.practice, actor=world.home.staff,
        data=SessionData(practitioner=practitioner or world.home.practitioner, start=start, duration_minutes=50,
                         time_zone="America/New_York", room=room, services=[(world.home.service, Decimal(150))],
                         participants=participants if participants is not None else people()),
    )


def form(**values):
    data = {"first_day": "2030-03-12", "last_day": "", "practitioner": "", "room": "", "action": "notify_cancel",
            "message": "Closed for the snow storm. We will call you.", "closure_title": ""}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def status(session):
    session.refresh_from_db()
    return session.status


def notes(session, kind):
    return Notification.objects.filter(session=session, kind=kind)


def charges(session):
    return list(LedgerEntry.objects.filter(session=session, kind=EntryKind.CHARGE).values_list("amount", "label"))


def nothing_written(*sessions):
    assert all(status(s) == SessionStatus.SCHEDULED for s in sessions)
    assert not Notification.objects.filter(kind__in=[NotificationKind.CANCEL, NotificationKind.NOTICE]).exists()
    assert not LedgerEntry.objects.exists()
    assert not Closure.objects.exists()


@pytest.fixture
def two(world):
    """Two sessions on Tuesday, March 12, 2030, each with an e-mail, a text and a "not used" participant."""
    return [schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY)), schedule(world, datetime(2030, 3, 12, 15, 0, tzinfo=NY))]


# The three actions -----------------------------------------------------------

def test_notify_and_cancel(login, world, two):
    response = login(world.home.staff).post(URL, form(), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Canceled 2 sessions and notified 4 participants." in response.content.decode()
    for session in two:
        assert status(session) == SessionStatus.CANCELED and session.completion_label == "Canceled"
        # Every client is saved with the "Canceled" outcome: no charge, no wages.
        assert sorted(charges(session)) == [(Decimal("0.00"), "90837 · Canceled")] * 3
        wages = LedgerEntry.objects.filter(session=session, kind=EntryKind.WAGE)
        assert wages.count() == 3 and {w.amount for w in wages} == {Decimal("0.00")}
        assert {p.completion_label for p in session.participants.all()} == {"Canceled"}
        sent = notes(session, NotificationKind.CANCEL)
        assert sorted(sent.values_list("participant__name", "channel")) == [("Emma Mail", "email"), ("Tex Phone", "sms")]
        assert all("Closed for the snow storm" in n.body_text for n in sent)
        assert not notes(session, NotificationKind.REMINDER).filter(state=State.PENDING).exists()
        assert not notes(session, NotificationKind.NOTICE).exists()


def test_cancel_but_do_not_notify(login, world, two):
    response = login(world.home.staff).post(URL, form(action="cancel", message=""), follow=True)
    assert "Canceled 2 sessions. No one was notified." in response.content.decode()
    for session in two:
        assert status(session) == SessionStatus.CANCELED
        assert sorted(charges(session)) == [(Decimal("0.00"), "90837 · Canceled")] * 3
        assert not notes(session, NotificationKind.CANCEL).exists() and not notes(session, NotificationKind.NOTICE).exists()
        # A canceled session gets no more reminders.
        assert notes(session, NotificationKind.REMINDER).exists()
        assert not notes(session, NotificationKind.REMINDER).filter(state=State.PENDING).exists()


def test_notify_only(login, world, two):
    response = login(world.home.staff).post(URL, form(action="notify", message="The parking lot is closed; use the side door."),
                                            follow=True)
    assert "Notified 4 participants about 2 sessions. Nothing was canceled." in response.content.decode()
    for session in two:
        assert status(session) == SessionStatus.SCHEDULED and session.completion_label == ""
        sent = notes(session, NotificationKind.NOTICE)
        assert sorted(sent.values_list("participant__name", "channel")) == [("Emma Mail", "email"), ("Tex Phone", "sms")]
        assert all("use the side door" in n.body_text for n in sent)
        assert not notes(session, NotificationKind.CANCEL).exists()
        # Still scheduled: its reminders stay.
        assert notes(session, NotificationKind.REMINDER).filter(state=State.PENDING).count() == 4
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("action", ["notify_cancel", "notify"])
def test_system_should_not_send_invite_gets_no_message(login, world, two, action):
    login(world.home.staff).post(URL, form(action=action))
    assert Notification.objects.filter(kind__in=[NotificationKind.CANCEL, NotificationKind.NOTICE]).count() == 4
    assert not Notification.objects.filter(participant__name="Nico Noinvite").exists()


def test_a_session_without_clients_is_simply_canceled(world):
    session = schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY), participants=[
        ParticipantData(name="Dr. Cohost", invite_method="email", email="cohost@example.com", time_zone="America/New_York",
                        is_client=False)])
    result = cancellation.apply(practice=world.home.practice, actor=world.home.staff, membership=world.home.staff.memberships.get(),
                                first_day=date(2030, 3, 12), action="notify_cancel", message="Snow.")
    assert (result.canceled, result.notified) == (1, 1)
    assert status(session) == SessionStatus.CANCELED and not LedgerEntry.objects.filter(session=session).exists()
    assert notes(session, NotificationKind.CANCEL).get().to_address == "cohost@example.com"


# Which sessions ----------------------------------------------------------------

def test_practitioner_filter(login, world):
    other = UserFactory(email="other@home.test")
    MembershipFactory(user=other, practice=world.home.practice, role=Role.PRACTITIONER)
    mine = schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY))
    theirs = schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY), practitioner=other)
    login(world.home.staff).post(URL, form(action="cancel", practitioner=other.pk))
    assert status(theirs) == SessionStatus.CANCELED and status(mine) == SessionStatus.SCHEDULED


def test_room_filter(login, world):
    other_room = RoomFactory(practice=world.home.practice, name="Blue room")
    in_room = schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY), room=world.home.room)
    elsewhere = schedule(world, datetime(2030, 3, 12, 12, 0, tzinfo=NY), room=other_room)
    no_room = schedule(world, datetime(2030, 3, 12, 14, 0, tzinfo=NY))
    login(world.home.staff).post(URL, form(action="cancel", room=world.home.room.pk))
    assert status(in_room) == SessionStatus.CANCELED
    assert status(elsewhere) == status(no_room) == SessionStatus.SCHEDULED


def test_dates_are_whole_days_in_the_practice_zone(login, world):
    # The viewer is in Tokyo; the practice in New York: the dates are New York days.
    world.home.staff.time_zone = "Asia/Tokyo"
    world.home.staff.save()
    # Two hosts, so the sessions either side of midnight do not overlap one practitioner.
    before = schedule(world, datetime(2030, 3, 11, 23, 30, tzinfo=NY), practitioner=world.home.admin)
    first = schedule(world, datetime(2030, 3, 12, 0, 15, tzinfo=NY))
    last = schedule(world, datetime(2030, 3, 13, 23, 30, tzinfo=NY))
    after = schedule(world, datetime(2030, 3, 14, 0, 15, tzinfo=NY), practitioner=world.home.admin)
    page = login(world.home.staff).get(PREVIEW, form(last_day="2030-03-13")).content.decode()
    assert f'data-affected-session="{first.pk}"' in page and f'data-affected-session="{last.pk}"' in page
    assert f'data-affected-session="{before.pk}"' not in page and f'data-affected-session="{after.pk}"' not in page
    assert "11:30 PM" in page and "12:15 AM" in page  # practice-local times, not Tokyo's
    login(world.home.staff).post(URL, form(action="cancel", last_day="2030-03-13"))
    assert [status(s) for s in (before, first, last, after)] == [
        SessionStatus.SCHEDULED, SessionStatus.CANCELED, SessionStatus.CANCELED, SessionStatus.SCHEDULED]


def test_a_single_date_when_the_last_date_is_empty(login, world):
    on_day = schedule(world, datetime(2030, 3, 12, 23, 30, tzinfo=NY))
    next_day = schedule(world, datetime(2030, 3, 13, 9, 0, tzinfo=NY))
    login(world.home.staff).post(URL, form(action="cancel"))
    assert status(on_day) == SessionStatus.CANCELED and status(next_day) == SessionStatus.SCHEDULED


def test_only_scheduled_sessions_of_this_practice_are_affected(login, world, two):
    done = SessionFactory(cast=world.home, day=date(2030, 3, 12), hour=18, status=SessionStatus.COMPLETED)
    theirs = SessionFactory(cast=world.outsider, day=date(2030, 3, 12), hour=10, clients=1)
    response = login(world.home.staff).post(URL, form(), follow=True)
    assert "Canceled 2 sessions" in response.content.decode()
    assert status(done) == SessionStatus.COMPLETED and status(theirs) == SessionStatus.SCHEDULED
    assert not Notification.objects.filter(session=theirs, kind=NotificationKind.CANCEL).exists()


# The closure ------------------------------------------------------------------

def test_the_closure_is_added_when_asked(login, world, two):
    response = login(world.home.staff).post(
        URL, form(action="cancel", last_day="2030-03-13", add_closure="on", closure_title="Snow day"), follow=True)
    closure = Closure.objects.get()
    assert (closure.practice, closure.title, closure.start_date, closure.end_date) == (
        world.home.practice, "Snow day", date(2030, 3, 12), date(2030, 3, 13))
    assert "Added the closure" in response.content.decode()


def test_no_closure_unless_the_box_is_checked(login, world, two):
    login(world.home.staff).post(URL, form(action="cancel", closure_title="Snow day"))
    assert not Closure.objects.exists() and status(two[0]) == SessionStatus.CANCELED


# Bad input ---------------------------------------------------------------------

@pytest.mark.parametrize("values, error", [
    ({"message": ""}, "Write the message to send"),
    ({"action": "notify", "message": "   "}, "Write the message to send"),
    ({"last_day": "2030-03-11"}, "The last date is before the first date"),
    ({"last_day": "2031-03-13"}, "Choose at most 366 days at a time."),
    ({"first_day": ""}, "Choose the first date."),
    ({"first_day": "12/03/2030x"}, "Enter a date like 2030-03-12."),
    ({"first_day": "9999-12-31"}, "Enter a date between 1900 and 2999."),
    ({"action": "delete_everything"}, "Choose one of the three options."),
    ({"message": "x" * 1001}, "Keep the message to 1000 characters or fewer"),
    ({"add_closure": "on", "closure_title": ""}, "Give the closure a title"),
    ({"room": "999999"}, "Choose a room from the list."),
])
def test_bad_input_gives_a_form_error_and_writes_nothing(login, world, two, values, error):
    response = login(world.home.staff).post(URL, form(**values))
    assert response.status_code == 200
    assert error in response.content.decode()
    nothing_written(*two)


def test_another_practices_practitioner_or_room_is_a_form_error(login, world, two):
    client = login(world.home.staff)
    page = client.post(URL, form(practitioner=world.outsider.practitioner.pk)).content.decode()
    assert "Choose a practitioner from the list." in page
    page = client.post(URL, form(room=world.outsider.room.pk)).content.decode()
    assert "Choose a room from the list." in page
    nothing_written(*two)


def test_a_disabled_canceled_type_is_a_plain_error_not_a_500(login, world, two):
    CompletionType.objects.filter(practice=world.home.practice, default_key="canceled").update(enabled=False)
    response = login(world.home.staff).post(URL, form())
    assert response.status_code == 200 and "completion option is turned off" in response.content.decode()
    nothing_written(*two)


def test_an_error_half_way_writes_nothing(world, two, monkeypatch):
    real_cancel, calls = session_messages.cancel, []

    def failing_cancel(session, participants, **kwargs):
        calls.append(session.pk)
        if len(calls) == 2:
            raise RuntimeError("mail server on fire")
        return real_cancel(session, participants, **kwargs)

    monkeypatch.setattr(session_messages, "cancel", failing_cancel)
    with pytest.raises(RuntimeError):
        cancellation.apply(practice=world.home.practice, actor=world.home.staff, membership=world.home.staff.memberships.get(),
                           first_day=date(2030, 3, 12), action="notify_cancel", message="Snow.", closure_title="Snow day")
    assert len(calls) == 2
    nothing_written(*two)
    assert all(notes(s, NotificationKind.REMINDER).filter(state=State.PENDING).count() == 4 for s in two)


# Who may use it -----------------------------------------------------------------

def test_a_practitioner_may_only_touch_their_own_sessions(login, world):
    other = UserFactory(email="other@home.test")
    MembershipFactory(user=other, practice=world.home.practice, role=Role.PRACTITIONER)
    mine = schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY))
    theirs = schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY), practitioner=other)
    client = login(world.home.practitioner)
    page = client.get(PREVIEW, form(practitioner=other.pk)).content.decode()
    assert f'data-affected-session="{mine.pk}"' in page and f'data-affected-session="{theirs.pk}"' not in page
    # The practitioner field is fixed to themselves: another id posted is ignored.
    response = client.post(URL, form(action="cancel", practitioner=other.pk), follow=True)
    assert "Canceled 1 session." in response.content.decode()
    assert status(mine) == SessionStatus.CANCELED and status(theirs) == SessionStatus.SCHEDULED
    # And the domain function refuses it outright.
    with pytest.raises(PermissionDenied):
        cancellation.apply(practice=world.home.practice, actor=world.home.practitioner,
                           membership=world.home.practitioner.memberships.get(), practitioner=other,
                           first_day=date(2030, 3, 12), action="cancel")
    assert status(theirs) == SessionStatus.SCHEDULED


def test_a_client_is_refused(login, world, two):
    client = login(world.home.client)
    assert client.get(URL).status_code == 403
    assert client.get(PREVIEW, form()).status_code == 403
    assert client.post(URL, form()).status_code == 403
    nothing_written(*two)
    with pytest.raises(PermissionDenied):
        cancellation.apply(practice=world.home.practice, actor=world.home.client, membership=world.home.client.memberships.get(),
                           first_day=date(2030, 3, 12), action="cancel")


def test_anonymous_is_sent_to_log_in(client):
    assert client.get(URL).status_code == 302 and client.get(PREVIEW).status_code == 302


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_the_team_opens_the_page(login, world, role):
    page = login(world.home.member(role)).get(URL).content.decode()
    assert "<h1 class=\"page-title mt-1\">Cancellations</h1>" in page
    assert 'hx-get="/sessions/cancellations/preview/"' in page and 'hx-trigger="change, input delay:300ms"' in page
    assert 'hx-target="#affected"' in page and 'id="affected"' in page
    for label in ("Notify and cancel", "Cancel but do not notify", "Notify only", "Also add a closure for these dates"):
        assert label in page


def test_the_session_list_links_to_the_tool_for_office_roles(login, world):
    assert URL in login(world.home.staff).get(reverse("sessions_app:session_list")).content.decode()
    assert URL not in login(world.home.practitioner).get(reverse("sessions_app:session_list")).content.decode()


# The live list ------------------------------------------------------------------

def test_the_preview_lists_the_affected_sessions_and_how_each_is_told(login, world, two):
    later = schedule(world, datetime(2030, 3, 20, 10, 0, tzinfo=NY))
    response = login(world.home.staff).get(PREVIEW, form())
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'data-affected-count="2"' in page and "2 scheduled sessions" in page
    assert all(f'data-affected-session="{s.pk}"' in page for s in two)
    assert f'data-affected-session="{later.pk}"' not in page
    assert "Tue, Mar 12, 2030" in page and "10:00 AM" in page and "3:00 PM" in page
    assert str(world.home.practitioner) in page
    assert "Emma Mail" in page and "E-mail emma@example.com" in page
    assert "Tex Phone" in page and "Text +13125550142" in page
    assert "Nico Noinvite" in page and "E-Mail/Text Not Used" in page
    assert "4 participants would get your message" in page
    quiet = login(world.home.staff).get(PREVIEW, form(action="cancel")).content.decode()
    assert "No one would be notified." in quiet and "not sent" in quiet


def test_the_preview_shows_the_room_and_filter_errors_in_plain_words(login, world):
    schedule(world, datetime(2030, 3, 12, 10, 0, tzinfo=NY), room=world.home.room)
    client = login(world.home.staff)
    assert world.home.room.name in client.get(PREVIEW, form()).content.decode()
    page = client.get(PREVIEW, form(last_day="2030-03-01")).content.decode()
    assert "The last date is before the first date" in page and "data-affected-count" not in page
    assert "Choose the first date" in client.get(PREVIEW, form(first_day="")).content.decode()
    empty = client.get(PREVIEW, form(first_day="2030-03-13")).content.decode()
    assert 'data-affected-count="0"' in empty and "No scheduled sessions on Wed, Mar 13, 2030." in empty
    # The message is not needed to see the list.
    assert 'data-affected-count="1"' in client.get(PREVIEW, form(message="")).content.decode()


def add_sessions(world, count, offset=0):
    for i in range(offset, offset + count):
        SessionFactory(cast=world.home, room=world.home.room, day=date(2030, 3, 12 + i // 24), hour=i % 24, clients=2)


def test_preview_queries_do_not_grow_with_sessions(login, world, django_assert_max_num_queries, django_assert_num_queries):
    client = login(world.home.staff)
    data = form(last_day="2030-03-13")
    add_sessions(world, 2)
    with django_assert_max_num_queries(6) as captured:  # today's count, as a ceiling
        response = client.get(PREVIEW, data)
    few = len(captured)
    assert response.status_code == 200
    assert 'data-affected-count="2"' in response.content.decode()
    add_sessions(world, 18, offset=2)
    with django_assert_num_queries(few):
        response = client.get(PREVIEW, data)
    assert response.status_code == 200
    assert 'data-affected-count="20"' in response.content.decode()
