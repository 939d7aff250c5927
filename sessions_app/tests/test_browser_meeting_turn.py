"""A browser-to-browser meeting relayed through a real coturn (issue 15), with MEETING_RELAY_ONLY.

The TURN server (Debian's coturn, ``turn_server``) checks the time-limited credentials that
``meetings.ice_servers`` gives an admitted person (TURN REST API: ``<expiry>:<admission id>`` and
its HMAC-SHA1 under the shared secret). With relay only, the browsers may use no other path: the
video decoded on both sides, over a candidate pair whose local candidate is a relay on coturn,
shows that the credentials work. Skipped, with the reason, where coturn is missing.
"""

import pytest
from django.db import connections

from sessions_app.tests import turn_server
from sessions_app.tests.test_browser_meeting import (  # noqa: F401 (asgi_server and media_browser are fixtures)
    asgi_server,
    guest_waiting,
    host_in_room,
    media_browser,
    video_session_soon,
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
    session = video_session_soon(world.home)
    host = host_in_room(browser, base_url, world.home, session)
    guest = guest_waiting(browser, base_url, session)
    host.locator("[data-waiting-item]", has_text="Riley Park is waiting").get_by_role("button", name="Admit").click()

    wait_for_frames_increasing(guest)
    wait_for_frames_increasing(host)
    for page in (host, guest):
        assert page.evaluate(SELECTED_PAIRS) == [["relay", "relay"]]
    assert host.errors == [] and guest.errors == []
