"""A small client for the Janus HTTP API's VideoRoom plugin (the meeting room at scale).

Each call opens a Janus session, attaches ``janus.plugin.videoroom``, sends one synchronous
request (create, destroy, allowed, kick, listparticipants) and destroys the session again.
``JANUS_URLS`` lists the nodes (their HTTP API, e.g. ``http://10.0.0.5:8088/janus``);
``JANUS_ADMIN_SECRET`` is the plugin's ``admin_key`` (rooms can be created only with it).

Rooms are made with ``record=false`` and ``lock_record=true`` (nothing is recorded, and nobody
can switch recording on without the room's secret, which never leaves the server), a random PIN,
``require_pvtid`` (a subscription belongs to a publisher in the room) and an allowed-token list
(a token per admitted person, ``meetings.janus_token``).
"""
import logging
import secrets

import requests
from django.conf import settings
from django.db.models import Count

from sessions_app.models import Meeting, MeetingState

log = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
# VideoRoom error codes that mean the work is already done (idempotent destroy / kick).
NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428
PUBLISHERS = 16


class JanusError(Exception):
    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def new_room_number() -> int:
    return secrets.randbelow(2**52 - 1) + 1  # a safe integer in JavaScript too


def new_pin() -> str:
    return secrets.token_urlsafe(12)


class Client:
    def __init__(self, url: str, timeout: float | None = None):
        self.url = url.rstrip("/")
        self.timeout = settings.JANUS_TIMEOUT if timeout is None else timeout

    def _post(self, path: str, payload: dict) -> dict:
        body = {**payload, "transaction": secrets.token_hex(8)}
        try:
            response = requests.post(f"{self.url}{path}", json=body, timeout=self.timeout)
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise JanusError(f"{self.url} did not answer: {error}") from error
        if answer.get("janus") != "success":
            error = answer.get("error") or {}
            raise JanusError(error.get("reason") or f"unexpected answer {answer.get('janus')!r}", error.get("code"))
        return answer

    def create_session(self) -> int:
        return self._post("", {"janus": "create"})["data"]["id"]

    def attach(self, session_id: int, plugin: str = PLUGIN) -> int:
        return self._post(f"/{session_id}", {"janus": "attach", "plugin": plugin})["data"]["id"]

    def destroy_session(self, session_id: int):
        self._post(f"/{session_id}", {"janus": "destroy"})

    def videoroom(self, request: dict) -> dict:
        """Send one synchronous VideoRoom request; its plugin data (JanusError on an error_code)."""
        session_id = self.create_session()
        try:
            handle_id = self.attach(session_id)
            answer = self._post(f"/{session_id}/{handle_id}", {"janus": "message", "body": request})
        finally:
            try:
                self.destroy_session(session_id)
            except JanusError as error:
                log.warning("Janus session %s on %s not destroyed: %s", session_id, self.url, error)
        data = (answer.get("plugindata") or {}).get("data") or {}
        if data.get("error_code"):
            raise JanusError(data.get("error") or "VideoRoom error", data["error_code"])
        return data


def create_room(url: str, *, room: int, pin: str, secret: str, allowed: list[str], description: str = "") -> int:
    request = {
        "request": "create", "room": room, "permanent": False, "description": description[:100],
        "secret": secret, "pin": pin, "is_private": True, "allowed": list(allowed),
        "record": False, "lock_record": True, "require_pvtid": True, "publishers": PUBLISHERS,
    }
    if settings.JANUS_ADMIN_SECRET:
        request["admin_key"] = settings.JANUS_ADMIN_SECRET
    data = Client(url).videoroom(request)
    if data.get("videoroom") != "created":
        raise JanusError(f"room {room} not created: {data}")
    return data["room"]


def allow(url: str, room: int, secret: str, tokens: list[str], action: str = "add") -> list[str]:
    data = Client(url).videoroom({"request": "allowed", "room": room, "secret": secret, "action": action,
                                  "allowed": list(tokens)})
    return data.get("allowed", [])


def kick(url: str, room: int, secret: str, participant_id: int) -> bool:
    """Kick the publisher ``participant_id``; False when it was not in the room (nothing to do)."""
    try:
        Client(url).videoroom({"request": "kick", "room": room, "secret": secret, "id": participant_id})
    except JanusError as error:
        if error.code in (NO_SUCH_FEED, NO_SUCH_ROOM):
            return False
        raise
    return True


def destroy_room(url: str, room: int, secret: str) -> bool:
    """Destroy the room (everyone in it is kicked); False when it was gone already."""
    try:
        Client(url).videoroom({"request": "destroy", "room": room, "secret": secret, "permanent": False})
    except JanusError as error:
        if error.code == NO_SUCH_ROOM:
            return False
        raise
    return True


def list_participants(url: str, room: int) -> list[dict]:
    return Client(url).videoroom({"request": "listparticipants", "room": room}).get("participants", [])


def pick_node() -> str:
    """The Janus node with the fewest open meetings' rooms (the first listed on a tie)."""
    nodes = list(settings.JANUS_URLS)
    if not nodes:
        raise JanusError("JANUS_URLS is empty")
    counts = dict(Meeting.objects.filter(state=MeetingState.OPEN, janus_room__isnull=False, janus_node__in=nodes)
                  .values_list("janus_node").annotate(n=Count("pk")).values_list("janus_node", "n"))
    return min(nodes, key=lambda node: (counts.get(node, 0), nodes.index(node)))
