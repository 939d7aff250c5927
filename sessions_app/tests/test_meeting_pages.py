"""The meeting room's pages (issue 15): Enter Meeting and Join where they belong, who gets the host's
room and when, the participant's page from a join token, /join/ leading there, and the headers that
let these pages (and no other) use the camera, the microphone and screen sharing."""
import re
import uuid
import zoneinfo
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse

from practice.models import DeliveryMethod
from practice.tests.factories import SessionFactory
from sessions_app import meetings
from sessions_app.models import Meeting, MeetingState, SessionStatus

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 10, 0, tzinfo=NY)  # a Monday morning in New York
PRIVACY = "Nothing is recorded."


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh join throttle counters, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def video_session(world, minutes_from_now=5, length=50, **extra):
    start = NOW + timedelta(minutes=minutes_from_now)
    extra.setdefault("delivery_method", DeliveryMethod.VIDEO)
    return SessionFactory(cast=world.home, start=start, end=start + timedelta(minutes=length), **extra)


def text(response):
    return response.content.decode()


def enter_buttons(page):
    """(enabled hrefs, tooltips of the disabled ones) of the Enter Meeting buttons on a page."""
    enabled = re.findall(r'<a class="btn[^"]*" href="([^"]+)" data-enter-meeting>', page)
    disabled = re.findall(r'<span class="d-inline-block" tabindex="0" title="([^"]*)" data-enter-meeting-closed>', page)
    return enabled, disabled


# --- Enter Meeting on the dashboard and the session page ---------------------------------------

@pytest.mark.parametrize("role", ["practitioner", "admin", "staff"])
def test_enter_meeting_is_live_from_15_minutes_before_the_start(login, world, role):
    soon = video_session(world, 5, clients=["Riley Park"])
    client = login(world.home.member(role))
    enabled, disabled = enter_buttons(text(client.get(reverse("sessions_app:dashboard"))))
    assert enabled == [reverse("meetings:host_room", args=[soon.pk])] and disabled == []
    page = text(client.get(reverse("sessions_app:session_detail", args=[soon.pk])))
    assert enter_buttons(page) == ([reverse("meetings:host_room", args=[soon.pk])], [])
    assert "Enter Meeting" in page


def test_enter_meeting_is_disabled_with_the_reason_outside_the_window(login, world):
    later = video_session(world, 120)  # 12:00 PM: the meeting opens at 11:45 AM
    over = video_session(world, -70)   # 8:50-9:40 AM
    tomorrow = video_session(world, 24 * 60)
    client = login(world.home.practitioner)
    enabled, disabled = enter_buttons(text(client.get(reverse("sessions_app:dashboard"))))
    assert enabled == []
    assert "Opens at 11:45 AM, 15 minutes before the start." in disabled
    assert "The session has ended." in disabled
    assert "Opens at Tue, Jan 8, 9:45 AM, 15 minutes before the start." in disabled
    for session, reason in [(later, "Opens at 11:45 AM"), (over, "The session has ended."), (tomorrow, "Opens at Tue, Jan 8")]:
        page = text(client.get(reverse("sessions_app:session_detail", args=[session.pk])))
        enabled, disabled = enter_buttons(page)
        assert enabled == [] and len(disabled) == 1 and disabled[0].startswith(reason)


def test_the_tooltip_is_in_the_viewers_zone(login, world):
    video_session(world, 120)
    world.home.practitioner.time_zone = "America/Los_Angeles"
    world.home.practitioner.save()
    page = text(login(world.home.practitioner).get(reverse("sessions_app:dashboard")))
    assert enter_buttons(page)[1] == ["Opens at 8:45 AM, 15 minutes before the start."]


def test_no_enter_meeting_for_sessions_not_by_video_nor_for_clients(login, world):
    in_person = video_session(world, 5, delivery_method=DeliveryMethod.IN_PERSON)
    video = video_session(world, 70, clients=[{"name": "Me", "client": world.home.client}])
    page = text(login(world.home.practitioner).get(reverse("sessions_app:dashboard")))
    enabled, disabled = enter_buttons(page)
    assert enabled == [] and len(disabled) == 1  # the video session only
    page = text(login(world.home.practitioner).get(reverse("sessions_app:session_detail", args=[in_person.pk])))
    assert "Enter Meeting" not in page
    page = text(login(world.home.client).get(reverse("sessions_app:session_detail", args=[video.pk])))
    assert "Enter Meeting" not in page


# --- The host's room -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["practitioner", "admin", "staff"])
def test_the_host_room_opens_for_the_host_and_the_office(login, world, role):
    session = video_session(world, 5, clients=["Riley Park"])
    response = login(world.home.member(role)).get(reverse("meetings:host_room", args=[session.pk]))
    assert response.status_code == 200
    page = text(response)
    assert 'id="meeting" data-role="host"' in page and f'data-ws-path="/ws/meetings/{session.pk}/"' in page
    assert PRIVACY in page and "directly between the browsers or through the practice's own servers" in page
    assert "Riley Park" in page and session.access_code in page
    assert "vendor/webrtc-adapter/adapter.js" in page and "js/meeting.js" in page
    assert page.index("webrtc-adapter/adapter.js") < page.index("js/meeting.js")
    assert "<script>" not in page  # no inline script (CSP)


def test_the_meeting_pages_may_use_the_camera_microphone_and_screen_and_no_other_page_may(login, world):
    session = video_session(world, 5, clients=[{"name": "Riley Park"}])
    client = login(world.home.practitioner)
    policy = client.get(reverse("meetings:host_room", args=[session.pk]))["Permissions-Policy"]
    assert {"camera=(self)", "microphone=(self)", "display-capture=(self)"} <= set(policy.split(", "))
    token = meetings.join_token(session, session.participants.get())
    response = client.get(reverse("meetings:room", args=[token]))
    assert {"camera=(self)", "microphone=(self)", "display-capture=(self)"} <= set(response["Permissions-Policy"].split(", "))
    assert "no-store" in response["Cache-Control"]
    dashboard = client.get(reverse("sessions_app:dashboard"))["Permissions-Policy"]
    assert "camera=()" in dashboard and "microphone=()" in dashboard


def test_another_practices_session_answers_404_and_a_client_403(login, world):
    session = video_session(world, 5)
    for outsider in (world.outsider.practitioner, world.outsider.admin, world.outsider.staff):
        assert login(outsider).get(reverse("meetings:host_room", args=[session.pk])).status_code == 404
    assert login(world.home.client).get(reverse("meetings:host_room", args=[session.pk])).status_code == 403


def test_another_practitioner_of_the_practice_gets_404(login, world):
    from practice.models import Role
    from practice.tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(email="colleague@home.test")
    MembershipFactory(user=colleague, practice=world.home.practice, role=Role.PRACTITIONER)
    session = video_session(world, 5)
    assert login(colleague).get(reverse("meetings:host_room", args=[session.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    session = video_session(world, 5)
    response = client.get(reverse("meetings:host_room", args=[session.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("minutes, expected", [
    (120, "The meeting is not open yet"),
    (-70, "This session has ended"),
])
def test_outside_the_window_the_host_reads_when_it_opens(login, world, minutes, expected):
    session = video_session(world, minutes)
    page = text(login(world.home.practitioner).get(reverse("meetings:host_room", args=[session.pk])))
    assert expected in page and 'id="meeting"' not in page and PRIVACY in page
    if minutes > 0:
        assert "The meeting opens at <strong>11:45 AM</strong>, 15 minutes before the start." in page


def test_canceled_in_person_and_ended_meetings_do_not_open(login, world):
    client = login(world.home.practitioner)
    canceled = video_session(world, 5, status=SessionStatus.CANCELED)
    in_person = video_session(world, 70, delivery_method=DeliveryMethod.IN_PERSON)
    ended = video_session(world, 5)
    Meeting.objects.create(session=ended, state=MeetingState.ENDED, ended_at=NOW)
    pages = {name: text(client.get(reverse("meetings:host_room", args=[s.pk])))
             for name, s in [("canceled", canceled), ("in_person", in_person), ("ended", ended)]}
    assert "This session is canceled" in pages["canceled"]
    assert "This session has no video meeting" in pages["in_person"]
    assert "The meeting has ended" in pages["ended"] and "cannot be entered again" in pages["ended"]
    assert all('id="meeting"' not in page for page in pages.values())
    token = meetings.join_token(ended)
    assert "The meeting has ended" in text(client.get(reverse("meetings:room", args=[token])))


# --- The participant's page ----------------------------------------------------------------------

def test_a_token_without_a_participant_asks_for_a_name(client, world):
    session = video_session(world, 5, public_note="Bring your notebook.", time_zone="America/Denver",
                            clients=[{"name": "A", "time_zone": "Europe/Berlin"}, {"name": "B", "time_zone": "Asia/Tokyo"}])
    token = meetings.join_token(session)
    response = client.get(reverse("meetings:room", args=[token]))
    page = text(response)
    assert response.status_code == 200
    assert "Check your camera and microphone" in page and 'data-ask-name="1"' in page and 'id="join-name"' in page
    assert "You are in the waiting room" in page and "Bring your notebook." in page
    assert "starts at 8:05 AM MST (America/Denver)" in page  # several zones: the session's
    assert f'data-ws-path="/ws/meetings/{session.pk}/?{urlencode({"token": token})}"' in page
    assert PRIVACY in page and "<script>" not in page


def test_a_participants_token_shows_their_name_and_their_zone(client, world):
    session = video_session(world, 5, clients=[{"name": "Riley Park", "time_zone": "America/Los_Angeles"}, "Sam"])
    riley = session.participants.get(name="Riley Park")
    page = text(client.get(reverse("meetings:room", args=[meetings.join_token(session, riley)])))
    assert "Joining as <strong>Riley Park</strong>" in page and 'data-ask-name' not in page
    assert 'data-name="Riley Park"' in page
    assert "starts at 7:05 AM PST (America/Los_Angeles)" in page


def test_a_forged_or_expired_link_answers_404(client, world):
    session = video_session(world, 5)
    token = meetings.join_token(session)
    response = client.get(reverse("meetings:room", args=[token[:-3] + "abc"]))
    assert response.status_code == 404 and "This link does not open a meeting" in text(response)
    with time_machine.travel(session.end + timedelta(minutes=16), tick=False):
        response = client.get(reverse("meetings:room", args=[token]))
    assert response.status_code == 404 and meetings.EXPIRED_LINK in text(response)


def test_before_the_window_the_participant_reads_when_it_opens_in_their_zone(client, world):
    session = video_session(world, 120, clients=[{"name": "Riley Park", "time_zone": "America/Chicago"}])
    page = text(client.get(reverse("meetings:room", args=[meetings.join_token(session, session.participants.get())])))
    assert "The meeting is not open yet" in page and "at 11:00 AM CST (America/Chicago)" in page
    assert "The meeting opens at <strong>10:45 AM</strong>" in page and 'id="meeting"' not in page


def test_a_canceled_sessions_link_does_not_open_the_room(client, world):
    session = video_session(world, 5, status=SessionStatus.CANCELED)
    page = text(client.get(reverse("meetings:room", args=[meetings.join_token(session)])))
    assert "This session is canceled" in page and 'id="meeting"' not in page


# --- /join/ leads to the device check -----------------------------------------------------------

def test_a_correct_access_code_leads_to_the_device_check(client, world):
    session = video_session(world, 10, clients=[{"name": "Riley Park", "time_zone": "America/New_York"}])
    response = client.post(reverse("sessions_app:join"), {"code": session.access_code})
    assert response.status_code == 302
    match = re.fullmatch(r"/meet/([^/]+)/", response["Location"])
    assert match and meetings.read_join_token(match.group(1)) == (session, None)
    page = text(client.get(response["Location"]))
    assert "Check your camera and microphone" in page and "starts at 10:10 AM EST (America/New_York)" in page
    # Each entry of the code is a new person (a new token).
    again = client.post(reverse("sessions_app:join"), {"code": session.access_code})
    assert again["Location"] != response["Location"]


def test_a_wrong_access_code_stays_on_the_join_page(client, world):
    response = client.post(reverse("sessions_app:join"), {"code": "123456789"})
    assert response.status_code == 200 and "That code did not open a session" in text(response)


# --- The portal's Join -----------------------------------------------------------------------------

def test_the_portal_shows_join_while_the_meeting_is_open(login, world):
    soon = video_session(world, 5, clients=[{"name": "Me", "client": world.home.client}])
    later = video_session(world, 180, clients=[{"name": "Me", "client": world.home.client}])
    in_person = video_session(world, 60, delivery_method=DeliveryMethod.IN_PERSON,
                              clients=[{"name": "Me", "client": world.home.client}])
    client = login(world.home.client)
    home = text(client.get(reverse("portal:home")))
    links = re.findall(r'href="(/meet/[^"]+/)" data-join-meeting', home)
    assert len(links) == 1
    token = links[0].split("/")[2]
    assert meetings.read_join_token(token) == (soon, soon.participants.get())
    detail = text(client.get(reverse("portal:booking", args=[soon.pk])))
    assert len(re.findall(r'href="(/meet/[^"]+/)" data-join-meeting', detail)) == 1
    for session in (later, in_person):
        assert "data-join-meeting" not in text(client.get(reverse("portal:booking", args=[session.pk])))
    assert "Joining as <strong>Me</strong>" in text(client.get(links[0]))
