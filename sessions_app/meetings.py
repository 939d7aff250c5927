"""The meeting room's control plane (DESIGN.md invariant 10; issue 15).

One ``Meeting`` per session; one ``Admission`` per person in it (host or participant; two tabs and a
reconnect are the same admission); every step is a ``MeetingEvent`` row (append-only, with the
actor and the address). Only an admitted person gets what it takes to join the media: peer
signalling (the consumer asks ``may_signal``), ICE servers with TURN credentials
(``ice_servers``) and, with Janus, the room, its PIN and a token on the room's allowed list
(``janus_join``). Removing someone or ending the meeting takes it away: the peers drop the
connection, Janus kicks and destroys.

Who comes in:

- the host: the session's practitioner, or an admin or staff member of its practice
  (``may_host``), signed in;
- a participant: with a signed join token (``join_token``: the access code, an invitation, the
  portal's Join), or a portal client who is a participant of the session, signed in.

The meeting opens from 15 minutes before the start until the end of a video session that is not
canceled (``window_open``). After End meeting nobody enters again, the host included: the meeting
of a session is held once.

Every function here runs in one transaction, under the meeting's row lock when it changes the
meeting's people, so two tabs or two hosts clicking at once cannot make two admissions or let
more people into a browser-to-browser call than it holds.
"""
import base64
import hashlib
import hmac
import ipaddress
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from practice.errors import DomainError, NotAllowed
from practice.models import OFFICE_ROLES, TEAM_ROLES, DeliveryMethod, Membership
from sessions_app import janus, joining
from sessions_app.models import (
    Admission,
    AdmissionRole,
    AdmissionStatus,
    Meeting,
    MeetingBackend,
    MeetingEvent,
    MeetingEventKind,
    MeetingState,
    Participant,
    Session,
    SessionStatus,
)

log = logging.getLogger(__name__)

OPENS_BEFORE = joining.OPENS_BEFORE
# Join tokens, TURN credentials and Janus rooms outlive the session's end by this much.
GRACE = timedelta(minutes=15)
TOKEN_SALT = "sessions_app.meetings.join"
NAME_MIN, NAME_MAX = 2, 80

BAD_LINK = "This meeting link is not valid. Use the link from your invitation, or enter the access code again."
EXPIRED_LINK = "This meeting link has expired: the session is over."
CLOSED = "The meeting is not open now: it opens 15 minutes before the session starts and closes at its end."
ENDED = "The host has ended this meeting."
NOT_HOST = "Only the host can do that."
FULL = "The call is full: a browser-to-browser call holds {max} people. Remove someone first."
NOT_IN_MEETING = "That person is not in this meeting."
VIDEO_SERVER_DOWN = "The video server is not answering. Try again in a moment."


class MeetingEnded(DomainError):
    default_code = "ended"


# --- Who, and when ------------------------------------------------------------------------------
def window_open(session: Session, now=None) -> bool:
    """A video session not canceled, from 15 minutes before its start until its end (no query)."""
    now = now or timezone.now()
    return (session.status != SessionStatus.CANCELED and session.delivery_method == DeliveryMethod.VIDEO
            and session.start - OPENS_BEFORE <= now <= session.end)


def closes_at(session: Session):
    """When a meeting in progress is closed: the session's end plus the grace (a call may run a little over)."""
    return session.end + GRACE


def may_host(user, session: Session) -> bool:
    """The session's practitioner (still on the practice's team), or an admin or staff member of its practice."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    roles = set(Membership.objects.active().filter(user=user, practice_id=session.practice_id).values_list("role", flat=True))
    return bool(roles & set(OFFICE_ROLES)) or (user.pk == session.practitioner_id and bool(roles & set(TEAM_ROLES)))


def client_participant(user, session: Session) -> Participant | None:
    """The signed-in portal client's own participant row of the session (they must still belong to the practice)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not Membership.objects.active().filter(user=user, practice_id=session.practice_id).exists():
        return None
    return session.participants.filter(client=user).order_by("pk").first()


# --- Join tokens --------------------------------------------------------------------------------
@dataclass(frozen=True)
class JoinPass:
    session: Session
    participant: Participant | None
    client_key: uuid.UUID | None  # the identity of an access-code holder (no participant)


def join_token(session: Session, participant: Participant | None = None) -> str:
    """A signed token that lets its holder into the session's waiting room until the end + 15 minutes.

    With a participant, the holder is that participant (every token of theirs is the same person).
    Without one (the access code at /join/), each token is a new person, known by the random key it
    carries: the same token in two tabs, or again after a dropped connection, is the same admission.
    """
    payload = {"s": session.pk}
    if participant is not None:
        payload["p"] = participant.pk
    else:
        payload["k"] = uuid.uuid4().hex
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def join_pass(token: str, now=None) -> JoinPass:
    """Read a join token; DomainError when it is forged, for no live session, or expired."""
    try:
        payload = signing.loads(token or "", salt=TOKEN_SALT)
        session_id = int(payload["s"])
        participant_id = payload.get("p")
        key = uuid.UUID(payload["k"]) if participant_id is None else None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise DomainError(BAD_LINK, code="bad_link") from None
    session = Session.objects.select_related("practice", "practitioner").filter(pk=session_id).first()
    if session is None:
        raise DomainError(BAD_LINK, code="bad_link")
    if (now or timezone.now()) > closes_at(session):
        raise DomainError(EXPIRED_LINK, code="expired")
    participant = None
    if participant_id is not None:
        participant = session.participants.filter(pk=participant_id).first()
        if participant is None:  # taken off the session since
            raise DomainError(BAD_LINK, code="bad_link")
    return JoinPass(session=session, participant=participant, client_key=key)


def read_join_token(token: str, now=None) -> tuple[Session, Participant | None]:
    read = join_pass(token, now=now)
    return read.session, read.participant


# --- Helpers ------------------------------------------------------------------------------------
def clean_address(address) -> str | None:
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def _event(meeting, kind, *, admission=None, actor=None, address=None, detail=""):
    return MeetingEvent.objects.create(
        meeting=meeting, admission=admission, actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind, ip_address=clean_address(address), detail=detail[:200],
    )


def _locked_meeting(session: Session) -> Meeting:
    """The session's meeting (made on first use), locked for this transaction."""
    Meeting.objects.get_or_create(
        session=session, defaults={"backend": MeetingBackend.JANUS if settings.JANUS_URLS else MeetingBackend.P2P})
    return Meeting.objects.select_for_update().select_related("session").get(session=session)


def _lock(meeting_id: int) -> Meeting:
    return Meeting.objects.select_for_update().select_related("session").get(pk=meeting_id)


def _require_open(meeting: Meeting, now=None):
    if meeting.state == MeetingState.ENDED:
        raise MeetingEnded(ENDED)
    if not window_open(meeting.session, now=now):
        raise DomainError(CLOSED, code="closed")


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise DomainError(f"Enter your name ({NAME_MIN} to {NAME_MAX} characters).", code="name")
    return name


def display_name(user) -> str:
    return (user.get_full_name() or user.email)[:NAME_MAX]


def _take_channel(admission: Admission, channel: str) -> str:
    """Give the admission to this socket; return the socket that held it before ('' if none)."""
    previous = admission.channel_name if admission.channel_name != channel else ""
    if channel:
        admission.channel_name = channel
    return previous


# --- Coming in ----------------------------------------------------------------------------------
@transaction.atomic
def enter_as_host(session: Session, user, address=None, *, channel: str = "") -> Admission:
    """The host enters: admitted at once (one admission per host, however many tabs or reconnects).

    ``admission.previous_channel`` is the socket that held the admission before ('' if none)."""
    if not may_host(user, session):
        raise NotAllowed(NOT_HOST)
    meeting = _locked_meeting(session)
    _require_open(meeting)
    admission = Admission.objects.select_for_update().filter(meeting=meeting, user=user).first()
    if admission is None:
        admission = Admission(meeting=meeting, user=user, name=display_name(user))
    admission.role, admission.status = AdmissionRole.HOST, AdmissionStatus.ADMITTED
    admission.previous_channel = _take_channel(admission, channel)
    admission.save()
    _event(meeting, MeetingEventKind.ENTERED, admission=admission, actor=user, address=address)
    if meeting.backend == MeetingBackend.JANUS:
        _janus_allow(meeting, [admission])
    admission.meeting = meeting
    return admission


@transaction.atomic
def arrive(session: Session, *, name="", participant: Participant | None = None, user=None, client_key=None,
           address=None, channel: str = "") -> Admission:
    """A participant arrives: the waiting room the first time; the same admission again after that.

    Known by their participant row, else their user (a portal client), else their ``client_key``
    (the token's key). A declined or removed person stays so until the host lets them in again (a
    ``refused`` event records the try); an admitted one comes back into the call.
    ``admission.previous_channel`` is the socket that held the admission before ('' if none).
    """
    if participant is not None and participant.session_id != session.pk:
        raise DomainError(BAD_LINK, code="bad_link")
    meeting = _locked_meeting(session)
    _require_open(meeting)
    found = Admission.objects.select_for_update().filter(meeting=meeting)
    if participant is not None:
        admission = found.filter(participant=participant).first()
    elif user is not None:
        admission = found.filter(user=user).first()
    else:
        if client_key is None:
            raise DomainError(BAD_LINK, code="bad_link")
        admission = found.filter(client_key=client_key, participant__isnull=True, user__isnull=True).first()
    actor = user if user is not None and user.is_authenticated else None
    if admission is None:
        admission = Admission(
            meeting=meeting, participant=participant, user=actor,
            name=participant.name[:NAME_MAX] if participant is not None else _clean_name(name),
            role=AdmissionRole.PARTICIPANT, status=AdmissionStatus.WAITING,
        )
        if client_key is not None and participant is None and actor is None:
            admission.client_key = client_key
        kind = MeetingEventKind.WAITING
    else:
        kind = {
            AdmissionStatus.WAITING: MeetingEventKind.WAITING,
            AdmissionStatus.ADMITTED: MeetingEventKind.ENTERED,
        }.get(admission.status, MeetingEventKind.REFUSED)
    admission.previous_channel = _take_channel(admission, channel)
    admission.save()
    _event(meeting, kind, admission=admission, actor=actor, address=address,
           detail=f"still {admission.status}" if kind == MeetingEventKind.REFUSED else "")
    admission.meeting = meeting
    return admission


def refused(session: Session, *, address=None, actor=None, detail=""):
    """Log a refused connection to a session whose meeting exists (nothing is made for a stranger)."""
    meeting = Meeting.objects.filter(session=session).first()
    if meeting is not None:
        _event(meeting, MeetingEventKind.REFUSED, actor=actor, address=address, detail=detail)


def refuse_message(admission: Admission, *, address=None, detail=""):
    """Log a message refused to someone in the meeting (declined, removed, not the host)."""
    _event(admission.meeting, MeetingEventKind.REFUSED, admission=admission, actor=admission.user, address=address,
           detail=detail)


def current(admission_id: int, channel: str | None = None) -> Admission | None:
    """The admission as the database has it now (with its meeting and session); None when another
    socket holds it (``channel`` given and not the holder's)."""
    admission = (Admission.objects.select_related("meeting__session", "user", "participant")
                 .filter(pk=admission_id).first())
    if admission is None or (channel is not None and admission.channel_name != channel):
        return None
    return admission


def is_host(admission: Admission) -> bool:
    """A host admission, admitted, whose user may still host the session (checked in the database)."""
    return (admission.role == AdmissionRole.HOST and admission.status == AdmissionStatus.ADMITTED
            and may_host(admission.user, admission.meeting.session))


# --- In the call --------------------------------------------------------------------------------
@transaction.atomic
def enter_call(admission_id: int, channel: str) -> dict | None:
    """The admitted person's socket joins the call: what it needs to connect, or None when it may not.

    Under the meeting's lock, so of two people admitted at once exactly one sees the other in its
    peers (the newcomer makes the offers; nobody offers twice). ``was_in_call``: this admission was
    in the call already (another tab, a reconnect before the old socket closed): the peers drop
    the old connection first.
    """
    admission = Admission.objects.filter(pk=admission_id).values("meeting_id").first()
    if admission is None:
        return None
    meeting = _lock(admission["meeting_id"])
    admission = Admission.objects.select_for_update().get(pk=admission_id)
    if (meeting.state != MeetingState.OPEN or admission.status != AdmissionStatus.ADMITTED
            or admission.channel_name != channel):
        return None
    was_in_call = admission.in_call_since is not None
    peers = [{"id": a.pk, "name": a.name}
             for a in in_call(meeting).exclude(pk=admission.pk)]
    admission.in_call_since = timezone.now()
    admission.save(update_fields=["in_call_since", "updated_at"])
    admission.meeting = meeting
    join = {"id": admission.pk, "name": admission.name, "peers": peers, "was_in_call": was_in_call,
            "ice_servers": ice_servers(admission), "ice_transport_policy": ice_transport_policy()}
    media = janus_join(admission)
    if media:
        join["janus"] = media
    return join


def in_call(meeting: Meeting):
    return (Admission.objects.filter(meeting=meeting, status=AdmissionStatus.ADMITTED, in_call_since__isnull=False)
            .exclude(channel_name="").order_by("in_call_since", "id"))


def waiting_list(meeting_id: int) -> list[dict]:
    waiting = (Admission.objects.filter(meeting_id=meeting_id, status=AdmissionStatus.WAITING).exclude(channel_name="")
               .order_by("created_at", "id"))
    return [{"id": a.pk, "name": a.name} for a in waiting]


def participants_list(meeting_id: int) -> list[dict]:
    people = in_call(Meeting(pk=meeting_id))
    return [{"id": a.pk, "name": a.name, "role": a.role} for a in people]


def may_signal(sender_id: int, channel: str, target_id) -> bool:
    """Signalling goes only from an admitted person in the call (on the socket that holds their
    admission) to another admitted person in the call of the same open meeting."""
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        return False
    if target_id == sender_id:
        return False
    people = {a.pk: a for a in Admission.objects.select_related("meeting").filter(pk__in=[sender_id, target_id])}
    sender, target = people.get(sender_id), people.get(target_id)
    return bool(
        sender and target and sender.meeting_id == target.meeting_id and sender.meeting.state == MeetingState.OPEN
        and sender.channel_name == channel and all(
            a.status == AdmissionStatus.ADMITTED and a.in_call_since is not None and a.channel_name for a in (sender, target))
    )


def may_receive(admission_id: int, channel: str) -> bool:
    """Whether this socket's admission is in the call now (checked before signalling reaches it)."""
    return Admission.objects.filter(
        pk=admission_id, channel_name=channel, status=AdmissionStatus.ADMITTED, in_call_since__isnull=False,
        meeting__state=MeetingState.OPEN).exists()


@transaction.atomic
def leave(admission_id: int, *, channel: str, address=None) -> bool | None:
    """The socket closed. If it held the admission, the person has left (logged): returns whether
    they were in the call (the peers are told); None when another socket holds the admission (a
    newer tab), which changes nothing. The admission keeps its status: a reconnect (same token,
    same sign-in) comes straight back."""
    admission = Admission.objects.select_for_update().filter(pk=admission_id).first()
    if admission is None or not channel or admission.channel_name != channel:
        return None
    was_in_call = admission.in_call_since is not None and admission.status == AdmissionStatus.ADMITTED
    admission.channel_name, admission.in_call_since = "", None
    admission.save(update_fields=["channel_name", "in_call_since", "updated_at"])
    _event(admission.meeting, MeetingEventKind.LEFT, admission=admission, actor=admission.user, address=address)
    return was_in_call


# --- The host's actions -------------------------------------------------------------------------
def _host_action(meeting_id: int, actor):
    meeting = _lock(meeting_id)
    if not may_host(actor, meeting.session):
        raise NotAllowed(NOT_HOST)
    if meeting.state == MeetingState.ENDED:
        raise MeetingEnded(ENDED)
    return meeting


def _target(meeting: Meeting, admission_id) -> Admission:
    try:
        admission_id = int(admission_id)
    except (TypeError, ValueError):
        raise DomainError(NOT_IN_MEETING, code="unknown") from None
    admission = Admission.objects.select_for_update().filter(pk=admission_id, meeting=meeting).first()
    if admission is None:
        raise DomainError(NOT_IN_MEETING, code="unknown")
    return admission


def _room_left(meeting: Meeting, joining_count: int = 1) -> bool:
    if meeting.backend != MeetingBackend.P2P:
        return True
    return in_call(meeting).count() + joining_count <= settings.MEETING_MAX_P2P


def _set(admission: Admission, status: str, kind: str, *, actor, address):
    admission.status = status
    admission.was_in_call = admission.in_call_since is not None
    if status != AdmissionStatus.ADMITTED:
        admission.in_call_since = None  # out of the call now; the peers are told at once
    admission.save(update_fields=["status", "in_call_since", "updated_at"])
    _event(admission.meeting, kind, admission=admission, actor=actor, address=address)
    return admission


@transaction.atomic
def admit(meeting_id: int, admission_id, *, actor, address=None) -> Admission | None:
    """Let a waiting (or declined, or removed) person into the call; None when already admitted."""
    meeting = _host_action(meeting_id, actor)
    admission = _target(meeting, admission_id)
    if admission.status == AdmissionStatus.ADMITTED:
        return None
    if not _room_left(meeting):
        raise DomainError(FULL.format(max=settings.MEETING_MAX_P2P), code="full")
    admission.meeting = meeting
    if meeting.backend == MeetingBackend.JANUS:
        _janus_allow(meeting, [admission])
    return _set(admission, AdmissionStatus.ADMITTED, MeetingEventKind.ADMITTED, actor=actor, address=address)


@transaction.atomic
def admit_all(meeting_id: int, *, actor, address=None) -> list[Admission]:
    """Admit everyone in the waiting room (connected), first come first in, as far as the call holds."""
    meeting = _host_action(meeting_id, actor)
    waiting = list(Admission.objects.select_for_update().filter(meeting=meeting, status=AdmissionStatus.WAITING)
                   .exclude(channel_name="").order_by("created_at", "id"))
    if meeting.backend == MeetingBackend.P2P:
        room = max(settings.MEETING_MAX_P2P - in_call(meeting).count(), 0)
        if waiting and not room:
            raise DomainError(FULL.format(max=settings.MEETING_MAX_P2P), code="full")
        waiting = waiting[:room]
    for admission in waiting:
        admission.meeting = meeting
    if waiting and meeting.backend == MeetingBackend.JANUS:
        _janus_allow(meeting, waiting)
    return [_set(a, AdmissionStatus.ADMITTED, MeetingEventKind.ADMITTED, actor=actor, address=address) for a in waiting]


def _change(meeting_id, admission_id, *, actor, address, status, kind, allowed_from):
    meeting = _host_action(meeting_id, actor)
    admission = _target(meeting, admission_id)
    admission.meeting = meeting
    if admission.status == status:
        return None
    if admission.role == AdmissionRole.HOST:
        raise DomainError("A host cannot be declined, sent back or removed.", code="host")
    if admission.status not in allowed_from:
        raise DomainError(f"{admission.name} is {admission.get_status_display().lower()}.", code="state")
    was_admitted = admission.status == AdmissionStatus.ADMITTED
    _set(admission, status, kind, actor=actor, address=address)
    if was_admitted and meeting.backend == MeetingBackend.JANUS and meeting.janus_room:
        _janus_ban(meeting, admission)
    return admission


@transaction.atomic
def decline(meeting_id: int, admission_id, *, actor, address=None) -> Admission | None:
    """Turn a waiting person away (they stay declined until the host admits them)."""
    return _change(meeting_id, admission_id, actor=actor, address=address, status=AdmissionStatus.DECLINED,
                   kind=MeetingEventKind.DECLINED, allowed_from={AdmissionStatus.WAITING})


@transaction.atomic
def send_back(meeting_id: int, admission_id, *, actor, address=None) -> Admission | None:
    """Send someone in the call back to the waiting room."""
    return _change(meeting_id, admission_id, actor=actor, address=address, status=AdmissionStatus.WAITING,
                   kind=MeetingEventKind.SENT_BACK, allowed_from={AdmissionStatus.ADMITTED})


@transaction.atomic
def remove(meeting_id: int, admission_id, *, actor, address=None) -> Admission | None:
    """Remove someone from the call or the waiting room (they stay removed until the host admits them)."""
    return _change(meeting_id, admission_id, actor=actor, address=address, status=AdmissionStatus.REMOVED,
                   kind=MeetingEventKind.REMOVED, allowed_from={AdmissionStatus.ADMITTED, AdmissionStatus.WAITING})


@transaction.atomic
def end_meeting(meeting_id: int, *, actor, address=None) -> Meeting | None:
    """End the meeting for everyone; it cannot be entered again. None when it had ended already."""
    meeting = _lock(meeting_id)
    if not may_host(actor, meeting.session):
        raise NotAllowed(NOT_HOST)
    if meeting.state == MeetingState.ENDED:
        return None
    meeting.state, meeting.ended_at = MeetingState.ENDED, timezone.now()
    meeting.save(update_fields=["state", "ended_at"])
    Admission.objects.filter(meeting=meeting).update(in_call_since=None, updated_at=meeting.ended_at)
    _event(meeting, MeetingEventKind.ENDED, actor=actor, address=address)
    if meeting.janus_room:
        destroy_janus_room(meeting)
    return meeting


# --- Media credentials (admitted people only) ---------------------------------------------------
def credentials_expire(session: Session) -> int:
    return int(closes_at(session).timestamp())


def turn_credential(username: str, secret: str | None = None) -> str:
    """coturn's REST scheme (use-auth-secret): base64(HMAC-SHA1(secret, username))."""
    secret = settings.TURN_SECRET if secret is None else secret
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def ice_servers(admission: Admission) -> list[dict]:
    """RTCIceServer entries for an admitted person, else nothing. TURN credentials are
    ``<unix expiry>:<admission id>`` (the session's end + 15 minutes) and their HMAC."""
    if admission is None or admission.status != AdmissionStatus.ADMITTED:
        return []
    servers = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username = f"{credentials_expire(admission.meeting.session)}:{admission.pk}"
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": turn_credential(username)})
    return servers


def ice_transport_policy() -> str:
    """``relay`` (every call through the TURN server) with MEETING_RELAY_ONLY and TURN set up, else ``all``."""
    return "relay" if settings.MEETING_RELAY_ONLY and settings.TURN_URLS and settings.TURN_SECRET else "all"


# --- Janus (with JANUS_URLS) --------------------------------------------------------------------
def janus_token(admission: Admission) -> str:
    """The admission's token on the room's allowed list: scoped to it and the session's end."""
    end = int(admission.meeting.session.end.timestamp())
    return salted_hmac("sessions_app.meetings.janus-token", f"{admission.pk}:{end}").hexdigest()


def room_secret(meeting: Meeting) -> str:
    """The room's secret (to edit, kick and destroy): derived, never sent to a browser."""
    key = f"{settings.JANUS_ADMIN_SECRET}:{settings.SECRET_KEY}"
    return salted_hmac("sessions_app.meetings.janus-room", f"{meeting.janus_node}:{meeting.janus_room}", secret=key).hexdigest()


def _ensure_janus_room(meeting: Meeting, first_allowed: list[str]):
    """Create the meeting's room once (the meeting row is locked); the meeting remembers node, room and PIN."""
    if meeting.janus_room:
        return False
    try:
        node = janus.pick_node()
        room, pin = janus.new_room_number(), janus.new_pin()
        meeting.janus_node, meeting.janus_room, meeting.janus_pin = node, room, pin
        janus.create_room(node, room=room, pin=pin, secret=room_secret(meeting), allowed=first_allowed,
                          description=f"Session {meeting.session_id}")
    except janus.JanusError as error:
        log.error("Janus room for meeting %s on %s was not created: %s", meeting.pk, meeting.janus_node, error)
        raise DomainError(VIDEO_SERVER_DOWN, code="janus") from error
    meeting.save(update_fields=["janus_node", "janus_room", "janus_pin"])
    return True


def _janus_allow(meeting: Meeting, admissions: list[Admission]):
    tokens = [janus_token(a) for a in admissions]
    if _ensure_janus_room(meeting, tokens):
        return
    try:
        janus.allow(meeting.janus_node, meeting.janus_room, room_secret(meeting), tokens)
    except janus.JanusError as error:
        log.error("Janus room %s of meeting %s refused the tokens: %s", meeting.janus_room, meeting.pk, error)
        raise DomainError(VIDEO_SERVER_DOWN, code="janus") from error


def _janus_ban(meeting: Meeting, admission: Admission):
    """Take the admission's token off the room's list, then kick its publisher (id = admission id).

    A Janus that does not answer does not keep the person in the meeting: the removal stands
    (their signalling is cut), and is logged; a Janus down relays no media either."""
    secret = room_secret(meeting)
    try:
        janus.allow(meeting.janus_node, meeting.janus_room, secret, [janus_token(admission)], action="remove")
        janus.kick(meeting.janus_node, meeting.janus_room, secret, admission.pk)
    except janus.JanusError as error:
        log.error("ALERT: Janus did not kick admission %s from room %s of meeting %s: %s",
                  admission.pk, meeting.janus_room, meeting.pk, error)


def janus_join(admission: Admission) -> dict | None:
    """What an admitted person's browser joins the Janus room with (None without Janus)."""
    meeting = admission.meeting
    if admission.status != AdmissionStatus.ADMITTED or meeting.backend != MeetingBackend.JANUS or not meeting.janus_room:
        return None
    return {"url": janus_public_url(meeting.janus_node), "room": meeting.janus_room, "pin": meeting.janus_pin,
            "token": janus_token(admission), "id": admission.pk, "display": admission.name}


def janus_public_url(node: str) -> str:
    """The address browsers reach ``node`` at (``JANUS_PUBLIC_URLS``, in ``JANUS_URLS``' order)."""
    nodes, public = list(settings.JANUS_URLS), list(settings.JANUS_PUBLIC_URLS)
    if node in nodes and nodes.index(node) < len(public):
        return public[nodes.index(node)]
    return node


def janus_browser_origins() -> list[str]:
    """The origins (scheme, host, port) of every Janus node's public address, for the meeting pages' CSP."""
    origins = []
    for node in settings.JANUS_URLS:
        parts = urlsplit(janus_public_url(node))
        if parts.scheme and parts.netloc and f"{parts.scheme}://{parts.netloc}" not in origins:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def destroy_janus_room(meeting: Meeting) -> bool:
    """Destroy the meeting's Janus room (an ended meeting, or one past its end + 15 minutes).
    Returns False when Janus did not answer (the beat task tries again)."""
    if not meeting.janus_room:
        return True
    try:
        janus.destroy_room(meeting.janus_node, meeting.janus_room, room_secret(meeting))
    except janus.JanusError as error:
        log.warning("Janus room %s of meeting %s not destroyed yet: %s", meeting.janus_room, meeting.pk, error)
        return False
    Meeting.objects.filter(pk=meeting.pk).update(janus_room=None, janus_pin="")
    meeting.janus_room, meeting.janus_pin = None, ""
    return True


def destroy_overdue_janus_rooms(now=None) -> int:
    """Destroy the rooms of ended meetings and of meetings past their session's end + 15 minutes."""
    now = now or timezone.now()
    overdue = (Meeting.objects.select_related("session").filter(janus_room__isnull=False)
               .filter(Q(state=MeetingState.ENDED) | Q(session__end__lt=now - GRACE)).order_by("pk"))
    destroyed = 0
    for meeting in overdue:
        destroyed += destroy_janus_room(meeting)
    return destroyed

