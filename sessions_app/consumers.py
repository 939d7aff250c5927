"""The meeting room's WebSocket (``/ws/meetings/<session_id>/``): the waiting room, the host's
controls and the peers' signalling. The rules live in ``sessions_app/meetings.py``; this consumer
only carries messages, and asks the database before each one.

Who connects: the host with their signed-in session (``meetings.may_host``); a participant with
``?token=<join token>``; a portal client who is a participant of the session with their signed-in
session. Anyone else is closed with 4403; a meeting outside its window (or canceled) with 4404; a
meeting that has ended gets ``{"type": "ended"}`` and is closed. A second socket of the same admission
(another tab, a reconnect) takes it over: the older one gets an error and is closed with 4409.

Groups (the meeting's id): ``meeting-<id>-all`` (everyone, for ``ended``), ``meeting-<id>-host``
(the waiting and participants lists), ``meeting-<id>-admitted`` (peer_joined / peer_left, only
while in the call) and ``meeting-<id>-a<admission id>`` (one person: status changes, signalling).

Every message after ``hello`` is checked against the sender's admission in the database at that
moment: a declined or removed person's next message is refused and their socket closed; signalling
is relayed only from someone in the call to someone in the call (``meetings.may_signal``), and
checked again before it reaches the receiver (``meetings.may_receive``).

Limits: a socket may send ``RATE`` messages a second on average, in bursts up to ``BURST`` (a new
connection's ICE candidates come in a burst); beyond that it is closed with 4429 (the page
reconnects after a pause). Every socket is closed with 4410 when the meeting's time is over
(``meetings.closes_at``: the session's end plus the grace its tokens and credentials have).
"""
import asyncio
import json
import logging
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from practice import throttle
from practice.errors import DomainError
from practice.middleware import LAST_SEEN, STARTED
from practice.models import TEAM_ROLES, Membership
from sessions_app import meetings
from sessions_app.models import AdmissionRole, AdmissionStatus, Meeting, MeetingState, Session

log = logging.getLogger(__name__)

UNAUTHORISED = 4403
NOT_OPEN = 4404
REPLACED = 4409
TIME_OVER = 4410
TOO_MANY = 4429
RATE = 30  # messages a second, on average
BURST = 150
MAX_SIGNAL = 64 * 1024
MAX_FRAME = MAX_SIGNAL + 4096
HOST_ACTIONS = {"admit", "admit_all", "decline", "send_back", "remove", "end"}


def client_address(scope) -> str:
    """The client's address as ``practice.throttle.client_address`` reads it from a request."""
    headers = dict(scope.get("headers") or [])
    meta = {"REMOTE_ADDR": (scope.get("client") or [""])[0] or ""}
    forwarded = headers.get(b"x-forwarded-for")
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded.decode("latin-1")
    return throttle.client_address(SimpleNamespace(META=meta))


def signed_in(scope) -> bool:
    """A signed-in user whose session has not timed out (practice/middleware.py, without writing it)."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    session = scope.get("session")
    started, last = (session.get(STARTED), session.get(LAST_SEEN)) if session is not None else (None, None)
    if started is None or last is None:
        return True
    now = time.time()
    if now - started > settings.SESSION_COOKIE_AGE:
        return False
    team = Membership.objects.active().filter(user=user, role__in=TEAM_ROLES).exists()
    return not (team and now - last > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60)


def state_message(admission) -> dict:
    session = admission.meeting.session
    return {
        "type": "state",
        "you": {"id": admission.pk, "name": admission.name, "role": admission.role, "status": admission.status},
        "session": {"start": session.start.isoformat(), "end": session.end.isoformat(), "public_note": session.public_note},
    }


class MeetingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        self.address = client_address(self.scope)
        self.who = None
        self.admission_id = self.meeting_id = self.role = None
        self.in_call = False
        self.joined = set()
        self.allowance, self.last_frame = float(BURST), time.monotonic()
        self.closer = None
        await self.accept()  # then close with a code the browser can read
        who = await database_sync_to_async(self._identify)()
        if who.get("code"):
            await self.close(code=who["code"])
        elif who.get("ended"):
            await self.send_json({"type": "ended"})
            await self.close()
        else:
            self.who = who
            seconds = (meetings.closes_at(who["session"]) - timezone.now()).total_seconds()
            self.closer = asyncio.create_task(self.close_when_over(max(seconds, 0)))

    async def close_when_over(self, seconds):
        await asyncio.sleep(seconds)
        await self.error("The session's time is over: the meeting has closed.")
        await self.close(code=TIME_OVER)

    def _identify(self) -> dict:
        session = Session.objects.select_related("practice").filter(pk=self.session_id).first()
        if session is None:
            return {"code": UNAUTHORISED}
        user = self.scope.get("user")
        token = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        if token:
            try:
                read = meetings.join_pass(token)
            except DomainError as error:
                meetings.refused(session, address=self.address, detail=f"join token: {error.code}")
                return {"code": UNAUTHORISED}
            if read.session.pk != session.pk:
                meetings.refused(session, address=self.address, detail="join token of another session")
                return {"code": UNAUTHORISED}
            who = {"role": AdmissionRole.PARTICIPANT, "participant": read.participant, "user": None, "client_key": read.client_key}
        elif signed_in(self.scope) and meetings.may_host(user, session):
            who = {"role": AdmissionRole.HOST, "user": user}
        elif signed_in(self.scope) and (participant := meetings.client_participant(user, session)) is not None:
            who = {"role": AdmissionRole.PARTICIPANT, "participant": participant, "user": user, "client_key": None}
        else:
            actor = user if user is not None and user.is_authenticated else None
            meetings.refused(session, address=self.address, actor=actor, detail="not a host or participant")
            return {"code": UNAUTHORISED}
        if not meetings.window_open(session):
            return {"code": NOT_OPEN}
        if Meeting.objects.filter(session=session, state=MeetingState.ENDED).exists():
            return {"ended": True}
        return {**who, "session": session}

    # --- Frames --------------------------------------------------------------------------------
    def _over_rate(self) -> bool:
        now = time.monotonic()
        self.allowance = min(float(BURST), self.allowance + (now - self.last_frame) * RATE)
        self.last_frame = now
        if self.allowance < 1:
            return True
        self.allowance -= 1
        return False

    async def receive(self, text_data=None, bytes_data=None):
        if self.who is None:
            return
        if self._over_rate():
            log.warning("Meeting socket of session %s from %s closed: over %s messages a second",
                        self.session_id, self.address, RATE)
            await self.error("Too many messages: the connection was closed.")
            await self.close(code=TOO_MANY)
            self.who = None  # nothing more from this socket
            return
        if text_data is None:
            await self.error("Send JSON text.")
            return
        if len(text_data) > MAX_FRAME:
            await self.error("That message is too large.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("That message is not JSON.")
            return
        if not isinstance(content, dict):
            await self.error("That message is not a JSON object.")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if self.admission_id is None:
            if kind == "hello":
                await self.hello(content)
            else:
                await self.error("Say hello first.")
            return
        admission = await database_sync_to_async(meetings.current)(self.admission_id, self.channel_name)
        if admission is None:  # another tab holds it now
            await self.replaced()
            return
        if admission.meeting.state == MeetingState.ENDED:
            await self.meeting_ended({})
            return
        if admission.status in (AdmissionStatus.DECLINED, AdmissionStatus.REMOVED):
            await database_sync_to_async(meetings.refuse_message)(admission, address=self.address, detail=str(kind)[:40])
            await self.error(f"You are {admission.status}: that message was refused.")
            await self.close(code=UNAUTHORISED)
            return
        if kind == "signal":
            await self.signal(content, admission)
        elif kind in HOST_ACTIONS:
            await self.host_action(kind, content, admission)
        elif kind == "hello":
            await self.error("You are here already.")
        else:
            await self.error("Unknown message.")

    async def error(self, message):
        await self.send_json({"type": "error", "message": message})

    # --- Coming in -----------------------------------------------------------------------------
    async def hello(self, content):
        try:
            admission = await database_sync_to_async(self._arrive)(content.get("name"))
        except meetings.MeetingEnded:
            await self.meeting_ended({})
            return
        except DomainError as error:
            if error.code == "closed":
                await self.close(code=NOT_OPEN)
            elif error.code in ("bad_link", "expired", "not_allowed"):
                await self.close(code=UNAUTHORISED)
            else:
                await self.error(" ".join(error.messages))
            return
        self.admission_id, self.meeting_id, self.role = admission.pk, admission.meeting_id, admission.role
        await self.join_group(self.group("all"))
        await self.join_group(self.personal(self.admission_id))
        if self.role == AdmissionRole.HOST:
            await self.join_group(self.group("host"))
        if admission.previous_channel:
            await self.channel_layer.send(admission.previous_channel, {"type": "meeting.replaced"})
        await self.send_json(state_message(admission))
        if admission.status == AdmissionStatus.ADMITTED:
            await self.enter_call()
        else:
            await self.tell_hosts()

    def _arrive(self, name):
        who = self.who
        if who["role"] == AdmissionRole.HOST:
            return meetings.enter_as_host(who["session"], who["user"], self.address, channel=self.channel_name)
        return meetings.arrive(who["session"], name=name, participant=who["participant"], user=who["user"],
                               client_key=who["client_key"], address=self.address, channel=self.channel_name)

    async def enter_call(self):
        join = await database_sync_to_async(meetings.enter_call)(self.admission_id, self.channel_name)
        if join is None:
            return
        self.in_call = True
        await self.join_group(self.group("admitted"))
        message = {"type": "admitted", "ice_servers": join["ice_servers"], "peers": join["peers"],
                   "ice_transport_policy": join["ice_transport_policy"]}
        if "janus" in join:
            message["janus"] = join["janus"]
        await self.send_json(message)
        if join["was_in_call"]:  # the peers drop the connection of the tab this one replaces
            await self.channel_layer.group_send(self.group("admitted"), {"type": "meeting.peer_left", "id": self.admission_id})
        await self.channel_layer.group_send(
            self.group("admitted"), {"type": "meeting.peer_joined", "id": self.admission_id, "name": join["name"]})
        await self.tell_hosts()

    # --- Signalling ----------------------------------------------------------------------------
    async def signal(self, content, admission):
        data = content.get("data")
        if not isinstance(data, dict):
            await self.error("A signal carries a JSON object in data.")
            return
        if len(json.dumps(data)) > MAX_SIGNAL:
            await self.error("That signal is too large.")
            return
        if admission.status != AdmissionStatus.ADMITTED:
            await self.error("You are not in the call yet.")
            return
        if not await database_sync_to_async(meetings.may_signal)(self.admission_id, self.channel_name, content.get("to")):
            await self.error("That person is not in the call.")
            return
        await self.channel_layer.group_send(
            self.personal(int(content["to"])), {"type": "meeting.signal", "from": self.admission_id, "data": data})

    # --- The host's actions --------------------------------------------------------------------
    async def host_action(self, kind, content, admission):
        try:
            outcome = await database_sync_to_async(self._host_action)(kind, content, admission)
        except DomainError as error:
            await self.error(" ".join(error.messages))
            return
        if outcome is None:
            return
        if kind == "end":
            await self.channel_layer.group_send(self.group("all"), {"type": "meeting.ended"})
            return
        for changed in outcome:
            if getattr(changed, "was_in_call", False):
                await self.channel_layer.group_send(self.group("admitted"), {"type": "meeting.peer_left", "id": changed.pk})
            await self.channel_layer.group_send(self.personal(changed.pk), {"type": "meeting.status", "status": changed.status})
        await self.tell_hosts()

    def _host_action(self, kind, content, admission):
        if not meetings.is_host(admission):
            meetings.refuse_message(admission, address=self.address, detail=kind)
            raise DomainError(meetings.NOT_HOST, code="not_host")
        actor, mid, target = admission.user, admission.meeting_id, content.get("id")
        if kind == "end":
            return meetings.end_meeting(mid, actor=actor, address=self.address)
        if kind == "admit_all":
            return meetings.admit_all(mid, actor=actor, address=self.address)
        action = {"admit": meetings.admit, "decline": meetings.decline, "send_back": meetings.send_back,
                  "remove": meetings.remove}[kind]
        changed = action(mid, target, actor=actor, address=self.address)
        return [changed] if changed is not None else []

    async def tell_hosts(self):
        await self.channel_layer.group_send(self.group("host"), {"type": "meeting.lists"})

    # --- Events from the channel layer ---------------------------------------------------------
    async def meeting_status(self, event):
        admission = await database_sync_to_async(meetings.current)(self.admission_id, self.channel_name)
        if admission is None:
            return
        if admission.status == AdmissionStatus.ADMITTED:
            if not self.in_call:
                await self.send_json(state_message(admission))
                await self.enter_call()
            return
        if self.in_call:
            self.in_call = False
            await self.leave_group(self.group("admitted"))
        notice = {AdmissionStatus.WAITING: "sent_back", AdmissionStatus.DECLINED: "declined",
                  AdmissionStatus.REMOVED: "removed"}[admission.status]
        await self.send_json({"type": notice})
        await self.send_json(state_message(admission))

    async def meeting_peer_joined(self, event):
        if self.in_call and event["id"] != self.admission_id:
            await self.send_json({"type": "peer_joined", "id": event["id"], "name": event["name"]})

    async def meeting_peer_left(self, event):
        if self.in_call and event["id"] != self.admission_id:
            await self.send_json({"type": "peer_left", "id": event["id"]})

    async def meeting_signal(self, event):
        if self.in_call and await database_sync_to_async(meetings.may_receive)(self.admission_id, self.channel_name):
            await self.send_json({"type": "signal", "from": event["from"], "data": event["data"]})

    async def meeting_lists(self, event):
        if self.role != AdmissionRole.HOST:
            return
        lists = await database_sync_to_async(self._host_lists)()
        if lists is None:
            return
        waiting, participants = lists
        await self.send_json({"type": "waiting", "list": waiting})
        await self.send_json({"type": "participants", "list": participants})

    def _host_lists(self):
        admission = meetings.current(self.admission_id, self.channel_name)
        if admission is None or not meetings.is_host(admission):
            return None
        return meetings.waiting_list(self.meeting_id), meetings.participants_list(self.meeting_id)

    async def meeting_ended(self, event):
        self.in_call = False
        await self.send_json({"type": "ended"})
        await self.close()

    async def meeting_replaced(self, event):
        await self.replaced()

    async def replaced(self):
        self.in_call = False
        await self.error("This meeting was opened in another window or tab.")
        await self.close(code=REPLACED)

    # --- Leaving -------------------------------------------------------------------------------
    async def disconnect(self, code):
        if self.closer is not None:
            self.closer.cancel()
        if self.admission_id is not None:
            was_in_call = await database_sync_to_async(meetings.leave)(
                self.admission_id, channel=self.channel_name, address=self.address)
            if was_in_call:
                await self.channel_layer.group_send(self.group("admitted"), {"type": "meeting.peer_left", "id": self.admission_id})
            if was_in_call is not None:
                await self.tell_hosts()
        for group in list(self.joined):
            await self.leave_group(group)

    # --- Groups --------------------------------------------------------------------------------
    def group(self, name):
        return f"meeting-{self.meeting_id}-{name}"

    def personal(self, admission_id):
        return f"meeting-{self.meeting_id}-a{admission_id}"

    async def join_group(self, group):
        if group not in self.joined:
            self.joined.add(group)
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave_group(self, group):
        if group in self.joined:
            self.joined.discard(group)
            await self.channel_layer.group_discard(group, self.channel_name)
