"""The meeting room's WebSocket (sessions_app/consumers.py) through practice.asgi.application:
who gets in, the waiting room, admission, signalling only between admitted people, Remove,
Decline, Send back, two tabs and reconnects, End meeting (DESIGN.md invariant 10)."""
import asyncio
import base64
import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from practice.asgi import application
from practice.tests.factories import PASSWORD, SessionFactory
from sessions_app import meetings
from sessions_app.models import Admission, AdmissionStatus, MeetingEvent, MeetingState, SessionStatus

ORIGIN = (b"origin", b"http://testserver")
TURN_SECRET = "coturn-static-auth-secret"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _layer_and_turn(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.TURN_URLS = ["turn:turn.practice.example:3478"]
    settings.TURN_SECRET = TURN_SECRET
    settings.STUN_URLS = []


def run(scenario):
    async def then_close_connections():
        try:
            return await asyncio.wait_for(scenario(), timeout=60)
        finally:  # the database thread's connection, or the test database cannot be dropped
            await database_sync_to_async(connections.close_all)()

    # In a thread of its own: Playwright's sync API (the browser tests) keeps an event loop running
    # in the main thread for the whole test run, and asyncio.run() refuses to start beside it.
    outcome = {}

    def in_thread():
        try:
            outcome["value"] = asyncio.run(then_close_connections())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def video_session(cast, *, starts_in=timedelta(minutes=-5), minutes=50, **extra):
    start = timezone.now() + starts_in
    extra.setdefault("delivery_method", "video")
    return SessionFactory(cast=cast, start=start, end=start + timedelta(minutes=minutes), **extra)


@pytest.fixture
def session(world):
    return video_session(world.home, clients=["Riley Park", "Sam Lee", "Alex Kim"])


def cookie(user) -> tuple:
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode())


class Socket:
    """A browser's socket: what it received, in order, and helpers to wait for a kind of message."""

    def __init__(self, path, headers=(), address="198.51.100.20"):
        self.comm = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
        self.comm.scope["client"] = [address, 50000]
        self.seen = []
        self.close_code = None

    async def open(self):
        connected, _ = await self.comm.connect(timeout=5)
        assert connected
        return self

    async def send(self, **message):
        await self.comm.send_json_to(message)

    async def next(self, timeout=3):
        output = await self.comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            self.close_code = output.get("code", 1000)
            return {"type": "<closed>", "code": self.close_code}
        message = json.loads(output["text"])
        self.seen.append(message)
        return message

    async def expect(self, kind, where=None, timeout=3):
        """The next message of this kind (matching ``where``); others before it are kept in ``seen``."""
        while True:
            message = await self.next(timeout=timeout)
            if message["type"] == kind and (where is None or where(message)):
                return message
            assert message["type"] != "<closed>", f"closed with {self.close_code} while waiting for {kind}: {self.seen}"

    async def closed(self, timeout=3):
        """The close code, reading past any messages before it."""
        while self.close_code is None:
            await self.next(timeout=timeout)
        return self.close_code

    async def quiet(self):
        """Read whatever arrives within a moment; True when it was nothing."""
        before = len(self.seen)
        while not await self.comm.receive_nothing(timeout=0.3):
            await self.next()
        return len(self.seen) == before

    def kinds(self):
        return [m["type"] for m in self.seen]

    async def leave(self):
        await self.comm.disconnect()


def path(session, token=None):
    return f"/ws/meetings/{session.pk}/" + (f"?token={token}" if token else "")


async def host_enters(session, user, **kwargs):
    host = await Socket(path(session), [cookie_async_cache[user.pk]], **kwargs).open()
    await host.send(type="hello")
    state = await host.expect("state")
    assert state["you"]["role"] == "host" and state["you"]["status"] == "admitted"
    await host.expect("admitted")
    await host.expect("participants")
    return host, state["you"]["id"]


async def participant_arrives(session, name="Riley Park", token=None, participant=None):
    token = token or await database_sync_to_async(meetings.join_token)(session, participant)
    socket = await Socket(path(session, token)).open()
    await socket.send(type="hello", name=name)
    state = await socket.expect("state")
    return socket, state


# Cookies are made in the test's thread (the Django test client is synchronous), before the scenario runs.
cookie_async_cache = {}


def sign_in(*users):
    for user in users:
        cookie_async_cache[user.pk] = cookie(user)


def turn_credential_verifies(server) -> bool:
    digest = hmac.new(TURN_SECRET.encode(), server["username"].encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode() == server["credential"]


def event_kinds(admission_id):
    return list(MeetingEvent.objects.filter(admission_id=admission_id).order_by("at", "id").values_list("kind", flat=True))


# --- Admission ------------------------------------------------------------------------------------
def test_a_waiting_participant_gets_nothing_until_admitted_then_ice_servers_and_peers(world, session):
    sign_in(world.home.practitioner)

    async def scenario():
        host, host_id = await host_enters(session, world.home.practitioner)
        admitted = next(m for m in host.seen if m["type"] == "admitted")
        assert admitted["peers"] == [] and turn_credential_verifies(admitted["ice_servers"][0])

        riley, state = await participant_arrives(session, name="  Riley   Park ")
        you = state["you"]
        assert (you["name"], you["role"], you["status"]) == ("Riley Park", "participant", "waiting")
        assert state["session"] == {"start": session.start.isoformat(), "end": session.end.isoformat(),
                                    "public_note": session.public_note}
        await host.expect("waiting", where=lambda m: m["list"] == [{"id": you["id"], "name": "Riley Park"}])

        # Waiting: no signalling either way, no ICE servers, no peers.
        await riley.send(type="signal", to=host_id, data={"sdp": "offer"})
        assert (await riley.expect("error"))["message"] == "You are not in the call yet."
        await host.send(type="signal", to=you["id"], data={"sdp": "offer"})
        assert (await host.expect("error"))["message"] == "That person is not in the call."
        await riley.send(type="admit", id=you["id"])  # not the host
        assert (await riley.expect("error"))["message"] == meetings.NOT_HOST
        assert await riley.quiet()
        assert not {"admitted", "peer_joined", "signal", "waiting", "participants"} & set(riley.kinds())

        await host.send(type="admit", id=you["id"])
        assert (await riley.expect("state"))["you"]["status"] == "admitted"
        joined = await riley.expect("admitted")
        assert joined["peers"] == [{"id": host_id, "name": world.home.practitioner.get_full_name()}]
        (turn,) = joined["ice_servers"]
        assert turn["username"].endswith(f":{you['id']}") and turn_credential_verifies(turn)
        assert await host.expect("peer_joined") == {"type": "peer_joined", "id": you["id"], "name": "Riley Park"}
        assert (await host.expect("participants"))["list"][-1] == {"id": you["id"], "name": "Riley Park", "role": "participant"}

        # In the call: signalling is relayed verbatim, with the sender's id.
        offer = {"description": {"type": "offer", "sdp": "v=0 ..."}}
        await riley.send(type="signal", to=host_id, data=offer)
        assert await host.expect("signal") == {"type": "signal", "from": you["id"], "data": offer}
        await host.send(type="signal", to=you["id"], data={"candidate": {"candidate": "a=candidate"}})
        assert (await riley.expect("signal"))["from"] == host_id
        await riley.send(type="signal", to=host_id, data={"blob": "x" * (64 * 1024)})
        assert (await riley.expect("error"))["message"] == "That signal is too large."

        await host.send(type="admit", id=you["id"])  # admitting twice changes nothing
        await riley.leave()
        assert await host.expect("peer_left") == {"type": "peer_left", "id": you["id"]}
        await host.leave()
        return you["id"]

    riley_id = run(scenario)
    assert event_kinds(riley_id) == ["waiting", "refused", "admitted", "left"]
    assert MeetingEvent.objects.filter(kind="admitted").get().ip_address == "198.51.100.20"


def test_remove_cuts_a_participant_off_and_their_next_signal_closes_the_socket(world, session):
    sign_in(world.home.practitioner)

    async def scenario():
        host, host_id = await host_enters(session, world.home.practitioner)
        riley, riley_state = await participant_arrives(session, name="Riley Park")
        sam_token = await database_sync_to_async(meetings.join_token)(session)
        sam, sam_state = await participant_arrives(session, token=sam_token, name="Sam Lee")
        riley_id, sam_id = riley_state["you"]["id"], sam_state["you"]["id"]
        await host.expect("waiting", where=lambda m: len(m["list"]) == 2)
        await host.send(type="admit_all")
        await riley.expect("admitted")
        await sam.expect("admitted")
        await host.expect("participants", where=lambda m: len(m["list"]) == 3)

        await host.send(type="remove", id=sam_id)
        assert await sam.expect("removed") == {"type": "removed"}
        assert (await sam.expect("state"))["you"]["status"] == "removed"
        assert await host.expect("peer_left") == {"type": "peer_left", "id": sam_id}
        assert await riley.expect("peer_left") == {"type": "peer_left", "id": sam_id}
        await host.expect("participants", where=lambda m: [p["id"] for p in m["list"]] == [host_id, riley_id])
        await riley.send(type="signal", to=sam_id, data={"sdp": "x"})  # nothing reaches the removed one
        assert (await riley.expect("error"))["message"] == "That person is not in the call."

        await sam.send(type="signal", to=riley_id, data={"sdp": "offer"})
        assert await sam.closed() == 4403
        assert await riley.quiet()
        assert not [m for m in riley.seen if m["type"] == "signal"]
        assert "admitted" not in sam.kinds()[sam.kinds().index("removed"):]
        await sam.leave()
        # Coming back with the same link: still removed, never in the call by itself.
        again, state = await participant_arrives(session, token=sam_token, name="Sam Lee")
        assert (state["you"]["id"], state["you"]["status"]) == (sam_id, "removed")
        assert await again.quiet() and "admitted" not in again.kinds()
        assert not [m for m in host.seen if m["type"] == "waiting" and m["list"] and m["list"][-1]["id"] == sam_id][2:]
        for socket in (host, riley, again):
            await socket.leave()
        return sam_id

    sam_id = run(scenario)
    assert event_kinds(sam_id) == ["waiting", "admitted", "removed", "refused", "left", "refused", "left"]
    removed = MeetingEvent.objects.get(admission_id=sam_id, kind="removed")
    assert removed.actor == world.home.practitioner


def test_a_removed_participant_with_their_own_link_stays_removed(world, session):
    sign_in(world.home.practitioner)
    riley_row = session.participants.get(name="Riley Park")

    async def scenario():
        host, _ = await host_enters(session, world.home.practitioner)
        riley, state = await participant_arrives(session, participant=riley_row)
        assert state["you"]["name"] == "Riley Park"
        await host.send(type="admit", id=state["you"]["id"])
        await riley.expect("admitted")
        await host.send(type="remove", id=state["you"]["id"])
        await riley.expect("removed")
        await riley.leave()
        back, state = await participant_arrives(session, participant=riley_row)
        assert state["you"]["status"] == "removed"
        assert await back.quiet() and "admitted" not in back.kinds()
        await back.send(type="hello", name="Riley Park")
        assert await back.closed() == 4403
        await host.leave()

    run(scenario)


def test_declined_and_sent_back(world, session):
    sign_in(world.home.practitioner)

    async def scenario():
        host, host_id = await host_enters(session, world.home.practitioner)
        riley, riley_state = await participant_arrives(session, name="Riley Park")
        sam, sam_state = await participant_arrives(session, name="Sam Lee")
        riley_id, sam_id = riley_state["you"]["id"], sam_state["you"]["id"]

        await host.send(type="decline", id=sam_id)
        assert await sam.expect("declined") == {"type": "declined"}
        assert (await sam.expect("state"))["you"]["status"] == "declined"
        await host.expect("waiting", where=lambda m: m["list"] == [{"id": riley_id, "name": "Riley Park"}])
        await sam.send(type="signal", to=host_id, data={})
        assert await sam.closed() == 4403
        assert "admitted" not in sam.kinds()
        await sam.leave()

        await host.send(type="admit", id=riley_id)
        await riley.expect("admitted")
        await host.send(type="send_back", id=riley_id)
        assert await riley.expect("sent_back") == {"type": "sent_back"}
        assert (await riley.expect("state"))["you"]["status"] == "waiting"
        assert await host.expect("peer_left") == {"type": "peer_left", "id": riley_id}
        await riley.send(type="signal", to=host_id, data={"sdp": "x"})
        assert (await riley.expect("error"))["message"] == "You are not in the call yet."
        await host.send(type="signal", to=riley_id, data={"sdp": "x"})
        assert (await host.expect("error"))["message"] == "That person is not in the call."
        await host.send(type="admit", id=riley_id)  # and back in
        assert [p["id"] for p in (await riley.expect("admitted"))["peers"]] == [host_id]
        for socket in (host, riley):
            await socket.leave()
        return riley_id, sam_id

    riley_id, sam_id = run(scenario)
    assert event_kinds(sam_id) == ["waiting", "declined", "refused", "left"]
    assert event_kinds(riley_id) == ["waiting", "admitted", "sent_back", "admitted", "left"]


# --- Who gets in, and when --------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["outsider_admin", "outsider_practitioner", "home_client_not_participant", "nobody"])
def test_strangers_are_closed_with_4403(world, session, who):
    user = {"outsider_admin": world.outsider.admin, "outsider_practitioner": world.outsider.practitioner,
            "home_client_not_participant": world.home.client, "nobody": None}[who]
    if user is not None:
        sign_in(user)

    async def scenario():
        socket = await Socket(path(session), [cookie_async_cache[user.pk]] if user else []).open()
        assert await socket.closed() == 4403
        assert socket.seen == []

    run(scenario)
    assert not Admission.objects.exists()


def test_foreign_forged_and_expired_tokens_are_closed_with_4403(world, session):
    other = video_session(world.outsider, clients=["Pat Doe"])
    over = video_session(world.home, starts_in=timedelta(minutes=-80), minutes=60)  # ended 20 minutes ago
    foreign = meetings.join_token(other, other.participants.get())
    expired = meetings.join_token(over)

    async def scenario():
        for session_, token in ((session, foreign), (session, foreign[:-3] + "abc"), (over, expired), (session, "junk")):
            socket = await Socket(path(session_, token)).open()
            assert await socket.closed() == 4403, token

    run(scenario)
    assert not Admission.objects.exists()


def test_outside_the_window_or_canceled_is_closed_with_4404(world):
    sign_in(world.home.practitioner)
    later = video_session(world.home, starts_in=timedelta(minutes=20))
    canceled = video_session(world.home, starts_in=timedelta(minutes=-5), status=SessionStatus.CANCELED)
    just_over = video_session(world.home, starts_in=timedelta(minutes=-60), minutes=55)  # token still valid
    tokens = {s.pk: meetings.join_token(s) for s in (later, canceled, just_over)}

    async def scenario():
        for session_ in (later, canceled, just_over):
            host = await Socket(path(session_), [cookie_async_cache[world.home.practitioner.pk]]).open()
            assert await host.closed() == 4404
            guest = await Socket(path(session_, tokens[session_.pk])).open()
            assert await guest.closed() == 4404

    run(scenario)
    assert not Admission.objects.exists()


def test_the_origin_must_be_the_site(world, session):
    async def scenario():
        comm = WebsocketCommunicator(application, path(session, meetings.join_token(session)),
                                     headers=[(b"origin", b"https://evil.example")])
        connected, _ = await comm.connect()
        assert not connected

    run(scenario)


def test_office_roles_host_and_a_portal_client_joins_with_their_sign_in(world, session):
    riley_row = session.participants.get(name="Riley Park")
    riley_row.client = world.home.client
    riley_row.save()
    sign_in(world.home.staff, world.home.client)

    async def scenario():
        staff, staff_id = await host_enters(session, world.home.staff)
        client = await Socket(path(session), [cookie_async_cache[world.home.client.pk]]).open()
        await client.send(type="hello", name="ignored")
        you = (await client.expect("state"))["you"]
        assert (you["name"], you["role"], you["status"]) == ("Riley Park", "participant", "waiting")
        await staff.send(type="admit", id=you["id"])
        assert [p["id"] for p in (await client.expect("admitted"))["peers"]] == [staff_id]
        for socket in (staff, client):
            await socket.leave()

    run(scenario)
    admission = Admission.objects.get(role="participant")
    assert (admission.participant, admission.user) == (riley_row, world.home.client)


def test_a_name_is_needed_from_an_access_code_holder(world, session):
    async def scenario():
        socket = await Socket(path(session, meetings.join_token(session))).open()
        await socket.send(type="signal", to=1, data={})
        assert (await socket.expect("error"))["message"] == "Say hello first."
        await socket.send(type="hello", name="J")
        assert "2 to 80" in (await socket.expect("error"))["message"]
        await socket.send(type="hello", name="Jo")
        assert (await socket.expect("state"))["you"]["name"] == "Jo"
        await socket.comm.send_to(text_data="not json")
        assert (await socket.expect("error"))["message"] == "That message is not JSON."
        await socket.leave()

    run(scenario)


# --- Two tabs, reconnects, one admission ------------------------------------------------------------
def test_two_tabs_and_a_reconnect_are_one_admission(world, session):
    sign_in(world.home.practitioner)

    async def scenario():
        host, host_id = await host_enters(session, world.home.practitioner)
        token = await database_sync_to_async(meetings.join_token)(session)
        first, state = await participant_arrives(session, token=token, name="Riley Park")
        riley_id = state["you"]["id"]
        await host.send(type="admit", id=riley_id)
        await host.send(type="admit", id=riley_id)  # twice
        await first.expect("admitted")
        await host.expect("peer_joined")

        second, state = await participant_arrives(session, token=token, name="Riley Park")  # another tab
        assert state["you"] == {"id": riley_id, "name": "Riley Park", "role": "participant", "status": "admitted"}
        assert await first.closed() == 4409
        assert "another window" in first.seen[-1]["message"]
        assert [p["id"] for p in (await second.expect("admitted"))["peers"]] == [host_id]
        assert await host.expect("peer_left") == {"type": "peer_left", "id": riley_id}  # the old tab's connection
        assert (await host.expect("peer_joined"))["id"] == riley_id
        await first.leave()  # the old tab closing takes nobody out of the call
        await second.send(type="signal", to=host_id, data={"sdp": "offer"})
        assert (await host.expect("signal"))["from"] == riley_id

        await second.leave()  # the connection drops...
        assert (await host.expect("peer_left"))["id"] == riley_id
        third, state = await participant_arrives(session, token=token, name="Riley Park")  # ...and comes back
        assert state["you"]["status"] == "admitted"
        await third.expect("admitted")
        assert (await host.expect("peer_joined"))["id"] == riley_id

        host_tab, again_id = await host_enters(session, world.home.practitioner)  # the host's second tab
        assert again_id == host_id
        assert await host.closed() == 4409
        for socket in (third, host_tab):
            await socket.leave()
        return riley_id

    riley_id = run(scenario)
    assert Admission.objects.filter(role="participant").count() == 1
    assert Admission.objects.filter(role="host").count() == 1
    assert event_kinds(riley_id) == ["waiting", "admitted", "entered", "left", "entered", "left"]


# --- End meeting ------------------------------------------------------------------------------------
def test_end_meeting_ends_it_for_everyone_and_nobody_enters_again(world, session):
    sign_in(world.home.practitioner, world.home.admin)

    async def scenario():
        host, _ = await host_enters(session, world.home.practitioner)
        admin, _ = await host_enters(session, world.home.admin)
        riley, riley_state = await participant_arrives(session, name="Riley Park")
        sam, _ = await participant_arrives(session, name="Sam Lee")
        await host.send(type="admit", id=riley_state["you"]["id"])
        await riley.expect("admitted")

        await riley.send(type="end")
        assert (await riley.expect("error"))["message"] == meetings.NOT_HOST
        await admin.send(type="end")  # any host of the session
        for socket in (host, admin, riley, sam):
            await socket.expect("ended")
            assert await socket.closed() == 1000
            await socket.leave()

        for socket in (await Socket(path(session), [cookie_async_cache[world.home.practitioner.pk]]).open(),
                       await Socket(path(session, await database_sync_to_async(meetings.join_token)(session))).open()):
            assert await socket.expect("ended") == {"type": "ended"}
            assert await socket.closed() == 1000

    run(scenario)
    meeting = session.meeting
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.ENDED
    ended = MeetingEvent.objects.get(kind="ended")
    assert ended.actor == world.home.admin
    assert MeetingEvent.objects.filter(kind="refused", detail="end").count() == 1
    assert not Admission.objects.filter(in_call_since__isnull=False).exists()


def test_a_host_whose_membership_ends_loses_the_controls(world, session):
    sign_in(world.home.staff)

    async def scenario():
        staff, _ = await host_enters(session, world.home.staff)
        riley, state = await participant_arrives(session, name="Riley Park")
        await staff.expect("waiting")
        await database_sync_to_async(world.home.staff.memberships.update)(is_active=False)
        await staff.send(type="admit", id=state["you"]["id"])
        assert (await staff.expect("error"))["message"] == meetings.NOT_HOST
        assert await riley.quiet() and "admitted" not in riley.kinds()
        for socket in (staff, riley):
            await socket.leave()

    run(scenario)
    assert Admission.objects.get(role="participant").status == AdmissionStatus.WAITING


# --- The real channel layer --------------------------------------------------------------------------
def test_admission_over_the_redis_channel_layer(world, session, settings):
    """The same flow on the configured Redis (the embedded one's unix socket when REDIS_URL is unset)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
        "hosts": [django_settings.REDIS_URL], "prefix": f"test-meetings-{session.pk}"}}}
    sign_in(world.home.practitioner)

    async def scenario():
        host, host_id = await host_enters(session, world.home.practitioner)
        riley, state = await participant_arrives(session, name="Riley Park")
        await host.send(type="admit", id=state["you"]["id"])
        assert [p["id"] for p in (await riley.expect("admitted"))["peers"]] == [host_id]
        await riley.send(type="signal", to=host_id, data={"sdp": "offer"})
        assert (await host.expect("signal"))["data"] == {"sdp": "offer"}
        for socket in (host, riley):
            await socket.leave()

    run(scenario)


# --- Janus --------------------------------------------------------------------------------------------
def test_with_janus_only_the_admitted_get_the_room(world, session, settings):
    from sessions_app.tests.janus_stub import JanusStub

    stub = JanusStub()
    settings.JANUS_URLS = [stub.api]
    sign_in(world.home.practitioner)

    async def scenario():
        host, host_id = await host_enters(session, world.home.practitioner)
        host_janus = next(m for m in host.seen if m["type"] == "admitted")["janus"]
        riley, state = await participant_arrives(session, name="Riley Park")
        riley_id = state["you"]["id"]
        assert await riley.quiet() and not any("janus" in m for m in riley.seen)
        await host.send(type="admit", id=riley_id)
        janus = (await riley.expect("admitted"))["janus"]
        assert (janus["room"], janus["pin"], janus["url"]) == (host_janus["room"], host_janus["pin"], stub.api)
        assert janus["id"] == riley_id and janus["token"] != host_janus["token"]
        assert stub.join(janus["room"], pin=janus["pin"], token=janus["token"], participant_id=riley_id)
        await host.send(type="remove", id=riley_id)
        await riley.expect("removed")
        await host.expect("peer_left")
        assert stub.kicked == [(janus["room"], riley_id)]
        await host.send(type="end")
        await host.expect("ended")
        assert stub.rooms == {}
        for socket in (host, riley):
            await socket.leave()

    try:
        run(scenario)
    finally:
        stub.close()


# --- Limits ---------------------------------------------------------------------------------------
def test_a_socket_that_floods_is_closed_with_4429_and_a_burst_of_signalling_is_not(world, session):
    from sessions_app import consumers

    sign_in(world.home.practitioner)

    async def scenario():
        host, _ = await host_enters(session, world.home.practitioner)
        for _ in range(consumers.BURST - 20):  # a new connection's ICE candidates: a burst, then quiet
            await host.send(type="nothing")
        for _ in range(consumers.BURST - 20):
            assert (await host.expect("error"))["message"] == "Unknown message."
        assert host.close_code is None
        for _ in range(consumers.BURST * 2):  # far more than RATE a second, without a pause
            await host.send(type="nothing")
        assert await host.closed(timeout=5) == 4429
        assert "Too many messages: the connection was closed." in [m.get("message") for m in host.seen]

    run(scenario)


def test_every_socket_is_closed_with_4410_when_the_meetings_time_is_over(world, session, monkeypatch):
    sign_in(world.home.practitioner)
    # The session ends in 2 seconds, and its grace is over at once.
    monkeypatch.setattr(meetings, "closes_at", lambda s: timezone.now() + timedelta(seconds=2))

    async def scenario():
        host, _ = await host_enters(session, world.home.practitioner)
        guest, state = await participant_arrives(session)
        assert state["you"]["status"] == "waiting"
        await host.quiet()
        assert host.close_code is None and guest.close_code is None
        assert await host.closed(timeout=5) == 4410
        assert await guest.closed(timeout=5) == 4410
        assert "The session's time is over: the meeting has closed." in [m.get("message") for m in guest.seen]

    run(scenario)
