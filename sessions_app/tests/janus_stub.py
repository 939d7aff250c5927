"""A loopback stand-in for the Janus HTTP API with the VideoRoom plugin (no Janus here).

It answers the way Janus does over HTTP: ``create`` a session (``/janus``), ``attach`` a plugin
(``/janus/<session>``), a plugin ``message`` (``/janus/<session>/<handle>``) answered
synchronously with ``plugindata``, and ``destroy`` of the session. The VideoRoom requests the app
uses are kept in ``rooms``: create, allowed, kick, destroy, listparticipants. ``join`` plays a
browser publishing into a room, checked the way Janus checks it (the PIN, the token on the
allowed list, a unique participant id).
"""
import json
import threading

from notifications.stubs import JsonHandler, LoopbackServer

NO_SUCH_ROOM, ROOM_EXISTS, NO_SUCH_FEED, UNAUTHORIZED = 426, 427, 428, 433


class JanusStub(LoopbackServer):
    def __init__(self, admin_key=""):
        self.admin_key = admin_key
        self.rooms = {}
        self.requests = []  # every VideoRoom request body, in order
        self.sessions = {}
        self.kicked = []
        self.down = False
        self.lock = threading.Lock()
        self._next_id = 1000
        stub = self

        class Handler(JsonHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with stub.lock:
                    status, payload = stub.answer(self.path, body)
                self._answer(status, payload)

        super().__init__(Handler)
        self.api = f"{self.url}/janus"

    def _id(self):
        self._next_id += 1
        return self._next_id

    def answer(self, path, body):
        if self.down:
            return 503, {"janus": "error", "error": {"code": 490, "reason": "stub is down"}}
        parts = [p for p in path.split("/") if p]
        transaction = body.get("transaction")
        kind = body.get("janus")
        if parts[:1] != ["janus"]:
            return 404, {}
        if len(parts) == 1 and kind == "create":
            session_id = self._id()
            self.sessions[session_id] = set()
            return 200, {"janus": "success", "transaction": transaction, "data": {"id": session_id}}
        session_id = int(parts[1]) if len(parts) > 1 else None
        if session_id not in self.sessions:
            return 200, {"janus": "error", "transaction": transaction, "error": {"code": 458, "reason": "No such session"}}
        if len(parts) == 2 and kind == "attach":
            if body.get("plugin") != "janus.plugin.videoroom":
                return 200, {"janus": "error", "transaction": transaction, "error": {"code": 460, "reason": "No such plugin"}}
            handle_id = self._id()
            self.sessions[session_id].add(handle_id)
            return 200, {"janus": "success", "transaction": transaction, "session_id": session_id, "data": {"id": handle_id}}
        if len(parts) == 2 and kind == "destroy":
            del self.sessions[session_id]
            return 200, {"janus": "success", "transaction": transaction, "session_id": session_id}
        if len(parts) == 3 and kind == "message" and int(parts[2]) in self.sessions[session_id]:
            request = body.get("body") or {}
            self.requests.append(request)
            data = self.videoroom(request)
            return 200, {"janus": "success", "transaction": transaction, "session_id": session_id, "sender": int(parts[2]),
                         "plugindata": {"plugin": "janus.plugin.videoroom", "data": data}}
        return 200, {"janus": "error", "transaction": transaction, "error": {"code": 454, "reason": "Invalid request"}}

    def videoroom(self, request):
        def error(code, reason):
            return {"videoroom": "event", "error_code": code, "error": reason}

        name = request.get("request")
        room_id = request.get("room")
        room = self.rooms.get(room_id)
        if name == "create":
            if self.admin_key and request.get("admin_key") != self.admin_key:
                return error(UNAUTHORIZED, "Unauthorized (wrong admin_key)")
            if room is not None:
                return error(ROOM_EXISTS, f"Room {room_id} already exists")
            self.rooms[room_id] = {**request, "allowed": set(request.get("allowed") or []), "participants": {}}
            return {"videoroom": "created", "room": room_id, "permanent": False}
        if room is None:
            return error(NO_SUCH_ROOM, f"No such room ({room_id})")
        if name == "listparticipants":
            return {"videoroom": "participants", "room": room_id,
                    "participants": [{"id": pid, "display": display, "publisher": True}
                                     for pid, display in room["participants"].items()]}
        if room.get("secret") and request.get("secret") != room["secret"]:
            return error(UNAUTHORIZED, "Unauthorized (wrong secret)")
        if name == "allowed":
            tokens = set(request.get("allowed") or [])
            if request.get("action") == "add":
                room["allowed"] |= tokens
            elif request.get("action") == "remove":
                room["allowed"] -= tokens
            return {"videoroom": "success", "room": room_id, "allowed": sorted(room["allowed"])}
        if name == "kick":
            if request.get("id") not in room["participants"]:
                return error(NO_SUCH_FEED, f"No such user {request.get('id')} in room {room_id}")
            del room["participants"][request["id"]]
            self.kicked.append((room_id, request["id"]))
            return {"videoroom": "success"}
        if name == "destroy":
            del self.rooms[room_id]
            return {"videoroom": "destroyed", "room": room_id}
        return error(499, f"Unknown request {name!r}")

    # --- What a browser does with the room ------------------------------------------------------
    def join(self, room_id, *, pin, token, participant_id, display=""):
        """A publisher joins the way Janus admits it; True when it got in."""
        with self.lock:
            room = self.rooms.get(room_id)
            if room is None or room.get("pin") != pin or token not in room["allowed"] or participant_id in room["participants"]:
                return False
            room["participants"][participant_id] = display
            return True

    def requests_of(self, name):
        return [r for r in self.requests if r.get("request") == name]
