"""The video meeting through a real Janus VideoRoom SFU (issue 15), in Chromium with a fake camera.

Janus runs from Debian's package (``janus_server``) with the VideoRoom plugin and its HTTP API;
JANUS_URLS points the product at it, so the meeting's room is created on admission through the
API (no recording, a PIN, allowed tokens). The host enters, a participant joins with the access
code and is admitted: both publish to Janus and subscribe to each other, and both decode the
other's video. The host removes the participant, whose browser here ignores it (it keeps its
connections and tracks): Janus kicks the publisher and cuts its subscriptions, so the frames
stop on both sides. End meeting destroys the room on Janus.

Skipped, with the reason, where the janus binary or a non-loopback interface is missing.
"""
import re

import pytest
from django.db import connections

from sessions_app import janus
from sessions_app.models import Admission, AdmissionStatus, Meeting, MeetingBackend, MeetingState
from sessions_app.tests import janus_server
from sessions_app.tests.test_browser_meeting import (  # noqa: F401 (asgi_server and media_browser are fixtures)
    SAMPLER,
    SHAPE,
    SQUARE_SCREEN,
    asgi_server,
    assert_frames_stopped,
    camera_added_mid_call,
    guest_waiting,
    host_in_room,
    media_browser,
    video_session_soon,
    wait_for_frames_increasing,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WHY_NOT = janus_server.unavailable()


@pytest.fixture
def janus_node(tmp_path):
    if WHY_NOT:
        pytest.skip(f"no real Janus here: {WHY_NOT}")
    process, url = janus_server.start_janus(tmp_path / "janus")
    yield url
    janus_server.stop_janus(process)


@pytest.fixture
def janus_settings(settings, janus_node):
    """The product pointed at the Janus node (before asgi_server forks the web server, which reads them)."""
    settings.JANUS_URLS = [janus_node]
    settings.JANUS_PUBLIC_URLS = []
    settings.JANUS_ADMIN_SECRET = janus_server.ADMIN_KEY
    return janus_node


def test_a_meeting_through_janus_admit_remove_and_end(janus_settings, asgi_server, media_browser, world):  # noqa: F811
    try:
        meeting_through_janus(janus_settings, asgi_server, media_browser, world)
    finally:
        connections.close_all()  # the ORM calls ran beside Playwright's greenlets


def publishers(url, meeting):
    return sorted(p["id"] for p in janus.list_participants(url, meeting.janus_room) if p.get("publisher"))


def meeting_through_janus(url, base_url, browser, world):
    session = video_session_soon(world.home)
    host = host_in_room(browser, base_url, world.home, session)
    # The page may talk to the Janus node (and to nothing else but this site).
    csp = host.evaluate("() => fetch(location.href).then((r) => r.headers.get('content-security-policy'))")
    assert f"connect-src 'self' {url.rsplit('/janus', 1)[0]}" in csp

    meeting = Meeting.objects.get(session=session)
    assert meeting.backend == MeetingBackend.JANUS and meeting.janus_node == url
    host_admission = Admission.objects.get(meeting=meeting, role="host")
    host.wait_for_function("() => window.meetingDebug.publisher && window.meetingDebug.publisher.connectionState === 'connected'")
    assert publishers(url, meeting) == [host_admission.pk]  # the room exists on Janus, the host publishes

    guest = guest_waiting(browser, base_url, session)
    assert guest.evaluate("window.meetingDebug.publisher") is None  # nothing reaches Janus before admission

    host.locator("[data-waiting-item]", has_text="Riley Park is waiting").get_by_role("button", name="Admit").click()
    guest.locator("[data-step='call']").wait_for(state="visible")
    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)
    guest_admission = Admission.objects.get(meeting=meeting, name="Riley Park")
    assert publishers(url, meeting) == sorted([host_admission.pk, guest_admission.pk])
    # The media really goes through Janus: each page has one sending and one receiving connection.
    for page in (host, guest):
        assert page.evaluate("() => window.meetingDebug.publisher.connectionState") == "connected"

    # Screen sharing goes through Janus too (the sending connection's track is replaced).
    host.evaluate(SQUARE_SCREEN)
    host.get_by_role("button", name="Share screen").click()
    guest.wait_for_function(f"() => Math.abs({SHAPE} - 1) < 0.05")
    host.get_by_role("button", name="Stop sharing").click()
    guest.wait_for_function(f"() => Math.abs({SHAPE} - 16 / 9) < 0.05")

    # Removed, with a browser that ignores it: Janus kicks the publisher and its subscriptions.
    for page in (host, guest):
        page.evaluate(SAMPLER)
    guest.evaluate("""() => {
      window.__kept = [...window.meetingDebug.peers.values(), window.meetingDebug.publisher];
      RTCPeerConnection.prototype.close = function () {};
      MediaStreamTrack.prototype.stop = function () {};
    }""")
    guest.route(re.compile(re.escape(url)), lambda route: route.abort())  # nor does it tell Janus it leaves
    host.locator("[data-participant-item]", has_text="Riley Park").get_by_role("button", name="Remove").click()
    guest.get_by_role("heading", name="You were removed from the meeting").wait_for()
    host.wait_for_function("() => window.meetingDebug.peers.size === 0")
    assert_frames_stopped(guest)
    assert_frames_stopped(host)
    assert publishers(url, meeting) == [host_admission.pk]
    guest_admission.refresh_from_db()
    assert guest_admission.status == AdmissionStatus.REMOVED

    # End meeting: the room is destroyed on Janus.
    room = meeting.janus_room
    host.get_by_role("button", name="End meeting").click()
    host.get_by_role("heading", name="The meeting has ended").wait_for()
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.ENDED
    with pytest.raises(janus.JanusError) as gone:
        janus.list_participants(url, room)
    assert gone.value.code == janus.NO_SUCH_ROOM
    assert host.errors == [] and guest.errors == []


def test_a_camera_plugged_in_during_a_janus_call_is_published(janus_settings, asgi_server, media_browser, world):  # noqa: F811
    try:
        camera_added_mid_call(asgi_server, media_browser, world)  # the same steps as browser to browser
    finally:
        connections.close_all()
