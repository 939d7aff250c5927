"""The secure video meeting in Chromium (issue 15), with Chromium's fake camera and microphone.

The host enters the meeting of a video session starting in 5 minutes from the dashboard; a
participant opens /join/, types the access code, passes the device check (camera preview,
microphone level) and waits; the host sees "Riley Park is waiting" and admits them; both pages
show the other's video with framesDecoded increasing (read with RTCPeerConnection.getStats()
through window.meetingDebug); the host removes the participant, and the frames the participant
received stop increasing at once, as do the host's from them.

The pages and the WebSocket are served by daphne (ASGI) in a child process, as
channels.testing.ChannelsLiveServerTestCase does (pytest-django's live_server speaks WSGI only);
the child uses the test database and the tests' Redis channel layer. Screenshots (laptop 1280 and
phone 390 wide) of the host's room, the device check and the waiting room go to $SCREENSHOT_DIR
when it is set, else to a temporary directory.
"""
import os
import re
import time
import uuid
from datetime import timedelta
from functools import partial

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from practice.models import DeliveryMethod
from practice.tests.factories import PASSWORD, SessionFactory
from sessions_app.models import Admission, AdmissionStatus, Meeting, MeetingEvent, MeetingState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"  # as conftest.py's chromium fixture, launched here with the media flags
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]

# The frames decoded so far on each open peer connection of a page: {peer id: frames}.
FRAMES = """async () => {
  const open = {};
  for (const [id, pc] of window.meetingDebug.peers) {
    const stats = await pc.getStats();
    open[id] = 0;
    stats.forEach((report) => { if (report.type === "inbound-rtp" && report.kind === "video") open[id] += report.framesDecoded || 0; });
  }
  return open;
}"""

# Headless Chromium has no screen to pick: getDisplayMedia gives a drawn square canvas instead (the
# camera is 16:9), so a page showing the shared screen is told by the shape of the picture it decodes.
SQUARE_SCREEN = """() => {
  navigator.mediaDevices.getDisplayMedia = async () => {
    const canvas = Object.assign(document.createElement("canvas"), { width: 720, height: 720 });
    const context = canvas.getContext("2d");
    let hue = 0;
    setInterval(() => { context.fillStyle = `hsl(${(hue += 7) % 360} 60% 50%)`; context.fillRect(0, 0, 720, 720); }, 40);
    return canvas.captureStream(25);
  };
}"""
SHAPE = "(() => { const v = document.querySelector('[data-peer-tile] video'); return v.videoWidth / v.videoHeight; })()"


def _make_application():
    """The ASGI application with static files (module level: DaphneProcess may pickle it)."""
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import SyncToAsync
    from channels.routing import get_default_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    # Runs in the forked child: an executor an earlier async test used in the parent has no thread
    # here (fork copies no threads), and work queued on it would wait for ever.
    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    return ASGIStaticFilesHandler(get_default_application())


@pytest.fixture
def asgi_server(transactional_db, settings):
    """daphne in a forked child serving HTTP and WebSockets on a free port, on the test database."""
    from daphne.testing import DaphneProcess

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "localhost"]
    # Fresh /join/ throttle counters (every try here comes from 127.0.0.1), under a prefix no one else uses.
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    connections.close_all()  # the child opens its own connections (to the same test database)
    process = DaphneProcess("127.0.0.1", partial(_make_application))
    process.daemon = True
    process.start()
    if not process.ready.wait(timeout=30):
        process.terminate()
        raise RuntimeError(f"daphne did not start: {process.errors.get() if not process.errors.empty() else 'no error'}")
    yield f"http://127.0.0.1:{process.port.value}"
    process.terminate()
    process.join(10)
    # PostgreSQL notices the child's connections closing a moment later; the test database is dropped after this test.
    with connections["default"].cursor() as cursor:
        for _ in range(50):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)


@pytest.fixture
def media_browser(chromium, monkeypatch):
    """A Chromium of its own with the fake camera and microphone (the shared one lacks the flags),
    launched through the shared Playwright: one sync Playwright (and its event loop) per test run."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM calls beside Playwright's event loop
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def shots(tmp_path):
    folder = os.environ.get("SCREENSHOT_DIR") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)

    def shoot(page, name):
        """A laptop and a phone screenshot of the page as it is now."""
        page.screenshot(path=os.path.join(folder, f"meeting-{name}-laptop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)
        page.screenshot(path=os.path.join(folder, f"meeting-{name}-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        page.set_viewport_size(LAPTOP)
        page.wait_for_timeout(300)

    return shoot


def log_in(page, user):
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def video_session_soon(home):
    """A video session of the home practitioner in 5 minutes (its meeting is open), with Riley Park."""
    start = timezone.now() + timedelta(minutes=5)
    return SessionFactory(cast=home, start=start, end=start + timedelta(minutes=50), delivery_method=DeliveryMethod.VIDEO,
                          clients=[{"name": "Riley Park", "invite_method": "none", "time_zone": "America/Chicago"}])


def host_in_room(browser, base_url, home, session, init_script=None):
    """The practitioner logged in and in the session's meeting room."""
    host = new_page(browser, base_url)
    if init_script:
        host.add_init_script(init_script)
    log_in(host, home.practitioner)
    host.goto(reverse("meetings:host_room", args=[session.pk]))
    host.get_by_text("The meeting is open").wait_for()
    return host


def guest_waiting(browser, base_url, session, name="Riley Park"):
    """A participant who typed the access code, saw their camera, gave their name and waits."""
    guest = new_page(browser, base_url)
    guest.goto(reverse("sessions_app:join"))
    guest.get_by_label("Access Code").fill(session.access_code)
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()  # not a user named "… Joiner"
    guest.wait_for_url(re.compile(r"/meet/[^/]+/$"))
    guest.wait_for_function("() => document.querySelector('[data-preview]').videoWidth > 0")
    guest.get_by_label("Your name or initials").fill(name)
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()
    guest.get_by_role("heading", name="You are in the waiting room").wait_for()
    return guest


# A sampler in the page: the highest framesDecoded read so far on each peer connection it has had
# (a closed connection has no stats left: its last reading stays).
SAMPLER = """async () => {
  window.__seen = new Map();
  async function read() {
    const pcs = new Set([...window.meetingDebug.peers.values(), ...window.meetingDebug.closed, ...(window.__kept || [])]);
    for (const pc of pcs) {
      try {
        const stats = await pc.getStats();
        stats.forEach((r) => {
          if (r.type !== "inbound-rtp" || r.kind !== "video") return;
          window.__seen.set(pc, Math.max(r.framesDecoded || 0, window.__seen.get(pc) || 0));
        });
      } catch (error) { /* closed */ }
    }
  }
  await read();
  window.__sampler = setInterval(read, 100);
}"""


def assert_frames_stopped(page):
    """Not one frame more is decoded on any connection the page has had (sampled every 100 ms)."""
    page.wait_for_timeout(500)  # the frames already on their way
    before = page.evaluate("() => Array.from(window.__seen.values())")
    assert before and all(count > 0 for count in before), before
    page.wait_for_timeout(1500)
    after = page.evaluate("() => Array.from(window.__seen.values())")
    assert after == before, (before, after)


def new_page(browser, base_url):
    context = browser.new_context(viewport=LAPTOP, base_url=base_url, permissions=["camera", "microphone"])
    page = context.new_page()
    page.set_default_timeout(20000)
    page.on("dialog", lambda dialog: dialog.accept())
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    return page


def frames(page):
    return page.evaluate(FRAMES)


def wait_for_frames_increasing(page):
    """The page decodes the other's video: one open connection whose framesDecoded keeps growing."""
    page.wait_for_function("() => window.meetingDebug && window.meetingDebug.peers.size === 1")
    page.wait_for_function("() => Array.from(window.meetingDebug.peers.values()).every((pc) => pc.connectionState === 'connected')")
    first = None
    for _ in range(40):
        now = frames(page)
        if first is None and now and all(count > 0 for count in now.values()):
            first = now
        elif first is not None and all(now.get(id, 0) > count + 5 for id, count in first.items()):
            return now
        page.wait_for_timeout(250)
    raise AssertionError(f"framesDecoded did not increase: {first} then {frames(page)}")


def test_host_admits_a_participant_who_joined_with_the_access_code_then_removes_them(asgi_server, media_browser, world, shots):
    try:
        host_admits_then_removes(asgi_server, media_browser, world, shots)
    finally:
        # The ORM calls above ran beside Playwright's greenlets, in a context of their own: close
        # that connection here, or the test database cannot be dropped at the end of the run.
        connections.close_all()


def host_admits_then_removes(asgi_server, media_browser, world, shots):
    home = world.home
    start = timezone.now() + timedelta(minutes=5)
    session = SessionFactory(cast=home, start=start, end=start + timedelta(minutes=50), delivery_method=DeliveryMethod.VIDEO,
                             public_note="Please have your notebook with you.",
                             clients=[{"name": "Riley Park", "invite_method": "none", "time_zone": "America/Chicago"}])

    # The host logs in and enters the meeting from the dashboard.
    host = new_page(media_browser, asgi_server)
    host.goto(reverse("login"))
    host.get_by_label("E-mail").fill(home.practitioner.email)
    host.get_by_label("Password").fill(PASSWORD)
    host.get_by_role("button", name="Log in").click()
    host.wait_for_url(re.compile(r"/dashboard/$"))
    host.locator(f"[data-session='{session.pk}']").get_by_role("link", name="Enter Meeting").click()
    host.wait_for_url(re.compile(rf"/sessions/{session.pk}/meeting/$"))
    host.get_by_text("The meeting is open").wait_for()
    host.wait_for_function("() => document.querySelector('[data-self-video]').videoWidth > 0")  # the host's own camera
    assert host.get_by_text("Nothing is recorded.").first.is_visible()

    # The participant types the access code, checks the camera and microphone, and joins.
    guest = new_page(media_browser, asgi_server)
    guest.goto(reverse("sessions_app:join"))
    guest.get_by_label("Access Code").fill(session.access_code)
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()  # not a user named "… Joiner"
    guest.wait_for_url(re.compile(r"/meet/[^/]+/$"))
    guest.get_by_role("heading", name="Check your camera and microphone").wait_for()
    guest.wait_for_function("() => document.querySelector('[data-preview]').videoWidth > 0")  # the camera preview
    guest.wait_for_function("() => Number(document.querySelector('[data-level]').getAttribute('aria-valuenow')) > 0")  # the level
    assert guest.locator("[data-camera-select] option").count() >= 1 and guest.locator("[data-mic-select] option").count() >= 1
    assert guest.get_by_text("Nothing is recorded.").first.is_visible()
    guest.get_by_label("Your name or initials").fill("Riley Park")
    shots(guest, "device-check")
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()  # not a user named "… Joiner"
    guest.get_by_role("heading", name="You are in the waiting room").wait_for()
    guest.get_by_text("Please have your notebook with you.").wait_for()
    guest.locator("[data-step='waiting']").get_by_text("Waiting for the host to let you in").wait_for()
    shots(guest, "waiting-room")
    assert guest.evaluate("window.meetingDebug.peers.size") == 0  # nothing to connect to before the host admits

    # The host sees them waiting and admits them.
    waiting = host.locator("[data-waiting-item]", has_text="Riley Park is waiting")
    waiting.wait_for()
    shots(host, "host-room-waiting")
    waiting.get_by_role("button", name="Admit").click()

    # Both see the other's video.
    guest.locator("[data-step='call']").wait_for(state="visible")
    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)
    for page in (host, guest):
        page.wait_for_function("() => document.querySelector('[data-peer-tile] video').videoWidth > 0")
    host.locator("[data-participant-item]", has_text="Riley Park").wait_for()
    shots(host, "host-room-call")
    shots(guest, "participant-call")
    admission = Admission.objects.get(meeting__session=session, name="Riley Park")
    assert admission.status == AdmissionStatus.ADMITTED

    # The host removes them. Even a participant's browser that ignored it (here: one that keeps its
    # connection open and its tracks running) stops receiving at once: the host's side closes.
    for page in (host, guest):
        page.evaluate(SAMPLER)
    guest.evaluate("""() => {
      window.__kept = Array.from(window.meetingDebug.peers.values());
      RTCPeerConnection.prototype.close = function () {};
      MediaStreamTrack.prototype.stop = function () {};
    }""")
    host.locator("[data-participant-item]", has_text="Riley Park").get_by_role("button", name="Remove").click()
    guest.get_by_role("heading", name="You were removed from the meeting").wait_for()
    assert guest.get_by_text("The host removed you from this meeting.").is_visible()
    host.wait_for_function("() => window.meetingDebug.peers.size === 0")
    host.locator("[data-participant-item]", has_text="Riley Park").wait_for(state="detached")
    assert_frames_stopped(guest)  # on the connection the participant kept open
    assert guest.evaluate("() => window.__kept[0].connectionState !== 'closed'")  # it really was kept
    assert_frames_stopped(host)
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REMOVED
    kinds = list(MeetingEvent.objects.filter(meeting__session=session).values_list("kind", flat=True))
    assert {"entered", "waiting", "admitted", "removed"} <= set(kinds)
    assert host.errors == [] and guest.errors == []


def test_a_portal_client_joins_is_sent_back_admitted_again_and_the_host_ends_the_meeting(asgi_server, media_browser, world):
    try:
        send_back_then_end(asgi_server, media_browser, world)
    finally:
        connections.close_all()


def send_back_then_end(asgi_server, media_browser, world):
    home = world.home
    start = timezone.now() + timedelta(minutes=10)
    session = SessionFactory(cast=home, start=start, end=start + timedelta(minutes=50), delivery_method=DeliveryMethod.VIDEO,
                             clients=[{"name": "Jamie Rivera", "client": home.client, "time_zone": "America/New_York"}])

    host = new_page(media_browser, asgi_server)
    log_in(host, home.practitioner)
    host.goto(reverse("meetings:host_room", args=[session.pk]))
    host.get_by_text("The meeting is open").wait_for()

    # The client's Bookings has Join while the meeting is open; their name comes with their link.
    guest = new_page(media_browser, asgi_server)
    log_in(guest, home.client)
    guest.goto(reverse("portal:home"))
    guest.get_by_role("link", name="Join").click()
    guest.get_by_text("Joining as Jamie Rivera").wait_for()
    guest.wait_for_function("() => document.querySelector('[data-preview]').videoWidth > 0")
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()  # not a user named "… Joiner"
    guest.get_by_role("heading", name="You are in the waiting room").wait_for()

    host.locator("[data-waiting-item]", has_text="Jamie Rivera is waiting").get_by_role("button", name="Admit").click()
    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)

    # Sent back to the waiting room: the media stops; the waiting room shows again.
    for page in (host, guest):
        page.evaluate(SAMPLER)
    host.locator("[data-participant-item]", has_text="Jamie Rivera").get_by_role("button", name="Send back to waiting room").click()
    guest.get_by_text("The host moved you back to the waiting room.").wait_for()
    guest.wait_for_function("() => window.meetingDebug.peers.size === 0")
    host.wait_for_function("() => window.meetingDebug.peers.size === 0")
    assert_frames_stopped(guest)
    assert_frames_stopped(host)

    assert guest.evaluate("() => window.meetingDebug.closed.every((pc) => pc.connectionState === 'closed')")

    # Admitted again: a new connection, the video flows again.
    host.locator("[data-waiting-item]", has_text="Jamie Rivera is waiting").get_by_role("button", name="Admit").click()
    guest.locator("[data-step='call']").wait_for(state="visible")
    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)
    for page in (host, guest):
        page.evaluate("() => { clearInterval(window.__sampler); window.meetingDebug.closed.length = 0; }")
        page.evaluate(SAMPLER)
    # The tracks this browser sends, to see them stopped at the end.
    guest.evaluate("() => { window.__local = Array.from(window.meetingDebug.peers.values())[0].getSenders().map((s) => s.track); }")
    assert Admission.objects.filter(meeting__session=session, participant__name="Jamie Rivera").count() == 1

    # The host shares their screen: the participant sees it instead of the camera, then the camera again.
    # (The encoder may scale the picture down on the way: the shape is compared, not the size.)
    host.evaluate(SQUARE_SCREEN)
    assert abs(guest.evaluate(SHAPE) - 16 / 9) < 0.05
    host.get_by_role("button", name="Share screen").click()
    host.get_by_role("button", name="Stop sharing").wait_for()
    guest.wait_for_function(f"() => Math.abs({SHAPE} - 1) < 0.05")  # the square screen
    host.get_by_role("button", name="Stop sharing").click()
    host.get_by_role("button", name="Share screen").wait_for()
    guest.wait_for_function(f"() => Math.abs({SHAPE} - 16 / 9) < 0.05")  # the camera again

    # The host mutes and turns the camera off: the buttons say so.
    host.get_by_role("button", name="Mute").click()
    host.get_by_role("button", name="Unmute").wait_for()
    host.get_by_role("button", name="Stop video").click()
    host.get_by_role("button", name="Start video").wait_for()
    assert host.evaluate("document.querySelector('[data-self-flags]').textContent") == "muted, video off"

    # End meeting: everyone leaves, the media stops, and the room cannot be entered again.
    host.get_by_role("button", name="End meeting").click()
    host.get_by_role("heading", name="The meeting has ended").wait_for()
    guest.get_by_role("heading", name="The meeting has ended").wait_for()
    assert guest.get_by_text("The host ended the meeting. Nothing was recorded.").is_visible()
    for page in (host, guest):
        page.wait_for_function("() => window.meetingDebug.peers.size === 0")
        assert_frames_stopped(page)
        assert page.evaluate("() => window.meetingDebug.closed.every((pc) => pc.connectionState === 'closed')")
    # The participant's camera and microphone are off (their tracks ended), their preview empty.
    assert guest.evaluate("() => window.__local.length === 2 && window.__local.every((track) => track.readyState === 'ended')")
    assert guest.evaluate("() => Array.from(document.querySelectorAll('[data-self-video]')).every((v) => v.srcObject === null)")
    assert Meeting.objects.get(session=session).state == MeetingState.ENDED
    guest.reload()
    guest.get_by_role("heading", name="The meeting has ended").wait_for()
    assert guest.locator("#meeting").count() == 0
    host.goto(reverse("meetings:host_room", args=[session.pk]))
    assert "cannot be entered again" in host.content()
    assert host.errors == [] and guest.errors == []


# getUserMedia finds no camera until the page sets window.__cameraPlugged (the fake camera is still listed).
NO_CAMERA_YET = """
window.__cameraPlugged = false;
const realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) => (!window.__cameraPlugged && constraints && constraints.video)
  ? Promise.reject(new DOMException("Requested device not found", "NotFoundError"))
  : realGetUserMedia(constraints);
"""


def test_a_camera_plugged_in_during_the_call_reaches_the_others(asgi_server, media_browser, world):
    try:
        camera_added_mid_call(asgi_server, media_browser, world)
    finally:
        connections.close_all()


def camera_added_mid_call(base_url, browser, world):
    session = video_session_soon(world.home)
    host = host_in_room(browser, base_url, world.home, session, init_script=NO_CAMERA_YET)
    host.get_by_text("No camera was found: the others will hear you but not see you.").wait_for()
    guest = guest_waiting(browser, base_url, session)
    host.locator("[data-waiting-item]", has_text="Riley Park is waiting").get_by_role("button", name="Admit").click()
    wait_for_frames_increasing(host)  # the host sees the participant
    guest.wait_for_timeout(1500)
    assert list(frames(guest).values()) == [0]  # and hears the host, but sees nothing: no camera

    # The camera is plugged in and chosen: the participant sees the host from then on.
    host.evaluate("() => { window.__cameraPlugged = true; }")
    camera = host.locator("[data-camera-select]")
    camera.select_option(camera.locator("option").first.get_attribute("value"))
    host.wait_for_function("() => document.querySelector('[data-self-video]').videoWidth > 0")
    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)  # still: the connection offered again carries both ways
    assert host.errors == [] and guest.errors == []
