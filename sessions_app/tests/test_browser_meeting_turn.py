"""A browser-to-browser meeting relayed through a real coturn (issue 15), with MEETING_RELAY_ONLY.

The TURN server (Debian's coturn, ``turn_server``) checks the time-limited credentials that
``meetings.ice_servers`` gives an admitted person (TURN REST API: ``<expiry>:<admission id>`` and
its HMAC-SHA1 under the shared secret). With relay only, the browsers may use no other path: the
video decoded on both sides, over a candidate pair whose local candidate is a relay on coturn,
shows that the credentials work. Skipped, with the reason, where coturn is missing.
"""
import re
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from practice.models import DeliveryMethod
from practice.tests.factories import PASSWORD, SessionFactory
from sessions_app.tests import turn_server
from sessions_app.tests.test_browser_meeting import (  # noqa: F401 (asgi_server and media_browser are fixtures)
    asgi_server,
    media_browser,
    new_page,
    wait_for_frames_increasing,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WHY_NOT = turn_server.unavailable()

# The types of the local and remote candidates of each connection's selected pair.
SELECTED_PAIRS = """async () => {
  const pairs = [];
  for (const pc of window.meetingDebug.peers.values()) {
    const stats = await pc.getStats();
    let transport = null;
    stats.forEach((r) => { if (r.type === "transport") transport = r; });
    const pair = transport && stats.get(transport.selectedCandidatePairId);
    if (pair) pairs.push([stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType]);
  }
  return pairs;
}"""


@pytest.fixture
def turn_settings(settings, tmp_path):
    """The product pointed at a coturn, relay only (before asgi_server forks the web server)."""
    if WHY_NOT:
        pytest.skip(f"no real TURN server here: {WHY_NOT}")
    process, url = turn_server.start_turn(tmp_path / "turn")
    settings.TURN_URLS = [url]
    settings.TURN_SECRET = turn_server.SECRET
    settings.STUN_URLS = []
    settings.MEETING_RELAY_ONLY = True
    yield url
    turn_server.stop_turn(process)


def test_relay_only_through_coturn_with_the_time_limited_credentials(turn_settings, asgi_server, media_browser, world):  # noqa: F811
    try:
        relayed_call(asgi_server, media_browser, world)
    finally:
        connections.close_all()  # the ORM calls ran beside Playwright's greenlets


def relayed_call(base_url, browser, world):
    home = world.home
    start = timezone.now() + timedelta(minutes=5)
    session = SessionFactory(cast=home, start=start, end=start + timedelta(minutes=50), delivery_method=DeliveryMethod.VIDEO,
                             clients=[{"name": "Riley Park", "invite_method": "none", "time_zone": "America/Chicago"}])
    host = new_page(browser, base_url)
    host.goto(reverse("login"))
    host.get_by_label("E-mail").fill(home.practitioner.email)
    host.get_by_label("Password").fill(PASSWORD)
    host.get_by_role("button", name="Log in").click()
    host.wait_for_url(re.compile(r"/dashboard/$"))
    host.goto(reverse("meetings:host_room", args=[session.pk]))
    host.get_by_text("The meeting is open").wait_for()

    guest = new_page(browser, base_url)
    guest.goto(reverse("sessions_app:join"))
    guest.get_by_label("Access Code").fill(session.access_code)
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()
    guest.wait_for_url(re.compile(r"/meet/[^/]+/$"))
    guest.wait_for_function("() => document.querySelector('[data-preview]').videoWidth > 0")
    guest.get_by_label("Your name or initials").fill("Riley Park")
    guest.get_by_role("button", name=re.compile(r"\bJoin$")).click()
    host.locator("[data-waiting-item]", has_text="Riley Park is waiting").get_by_role("button", name="Admit").click()

    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)
    for page in (host, guest):
        assert page.evaluate(SELECTED_PAIRS) == [["relay", "relay"]]
    assert host.errors == [] and guest.errors == []
