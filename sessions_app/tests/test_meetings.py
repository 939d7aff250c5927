"""The meeting room's control plane (sessions_app/meetings.py; DESIGN.md invariant 10)."""
import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from practice.errors import DomainError, NotAllowed
from practice.models import Role
from practice.tests.factories import MembershipFactory, SessionFactory, UserFactory
from sessions_app import meetings
from sessions_app.models import (
    Admission,
    AdmissionRole,
    AdmissionStatus,
    Meeting,
    MeetingEvent,
    MeetingEventKind,
    MeetingState,
    SessionStatus,
)

ADDRESS = "203.0.113.7"


def video_session(cast, *, starts_in=timedelta(minutes=-5), minutes=50, **extra):
    start = timezone.now() + starts_in
    extra.setdefault("delivery_method", "video")
    return SessionFactory(cast=cast, start=start, end=start + timedelta(minutes=minutes), **extra)


@pytest.fixture
def session(world):
    return video_session(world.home, clients=["Riley Park", "Sam Lee"])


def meeting_of(session):
    return Meeting.objects.get(session=session)


def kinds(meeting, admission=None):
    events = MeetingEvent.objects.filter(meeting=meeting)
    if admission is not None:
        events = events.filter(admission=admission)
    return list(events.order_by("at", "id").values_list("kind", flat=True))


def host_in_call(session, user, channel="host-socket"):
    host = meetings.enter_as_host(session, user, ADDRESS, channel=channel)
    meetings.enter_call(host.pk, channel)
    return host


# --- When and who --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_window_opens_15_minutes_before_the_start_and_closes_at_the_end(world):
    session = video_session(world.home, starts_in=timedelta(hours=2))
    start, end = session.start, session.end
    assert not meetings.window_open(session, now=start - timedelta(minutes=15, seconds=1))
    assert meetings.window_open(session, now=start - timedelta(minutes=15))
    assert meetings.window_open(session, now=end)
    assert not meetings.window_open(session, now=end + timedelta(seconds=1))
    session.status = SessionStatus.CANCELED
    assert not meetings.window_open(session, now=start)
    in_person = video_session(world.home, delivery_method="in_person", starts_in=timedelta(days=1))
    assert not meetings.window_open(in_person, now=in_person.start)


@pytest.mark.django_db
def test_who_may_host(world):
    session = video_session(world.home)
    home, outsider = world.home, world.outsider
    assert meetings.may_host(home.practitioner, session)
    assert meetings.may_host(home.admin, session)
    assert meetings.may_host(home.staff, session)
    assert not meetings.may_host(home.client, session)
    assert not meetings.may_host(outsider.admin, session)
    assert not meetings.may_host(outsider.practitioner, session)
    colleague = UserFactory()
    MembershipFactory(user=colleague, practice=home.practice, role=Role.PRACTITIONER)
    assert not meetings.may_host(colleague, session)  # another practitioner's session
    home.practitioner.memberships.update(is_active=False)
    assert not meetings.may_host(home.practitioner, session)  # no longer on the team


@pytest.mark.django_db
def test_join_tokens(world, session):
    riley = session.participants.get(name="Riley Park")
    assert meetings.read_join_token(meetings.join_token(session, riley)) == (session, riley)
    anonymous = meetings.join_token(session)
    assert meetings.read_join_token(anonymous) == (session, None)
    # Each access-code token is its own person; the same token is always the same one.
    assert meetings.join_pass(anonymous).client_key == meetings.join_pass(anonymous).client_key
    assert meetings.join_pass(anonymous).client_key != meetings.join_pass(meetings.join_token(session)).client_key

    with pytest.raises(DomainError):
        meetings.read_join_token(anonymous[:-2] + "xx")  # forged
    forged = signing.dumps({"s": session.pk, "k": "0" * 32}, salt="another.salt", compress=True)
    with pytest.raises(DomainError):
        meetings.read_join_token(forged)
    with pytest.raises(DomainError, match="expired"):
        meetings.read_join_token(anonymous, now=session.end + timedelta(minutes=15, seconds=1))
    assert meetings.read_join_token(anonymous, now=session.end + timedelta(minutes=15))[0] == session
    riley_token = meetings.join_token(session, riley)
    riley.delete()  # taken off the session
    with pytest.raises(DomainError):
        meetings.read_join_token(riley_token)


# --- Coming in -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_host_enters_admitted_once_however_often(world, session):
    first = meetings.enter_as_host(session, world.home.practitioner, ADDRESS, channel="tab-1")
    again = meetings.enter_as_host(session, world.home.practitioner, ADDRESS, channel="tab-2")
    assert first.pk == again.pk and again.previous_channel == "tab-1"
    assert (again.role, again.status) == (AdmissionRole.HOST, AdmissionStatus.ADMITTED)
    assert Admission.objects.filter(meeting__session=session).count() == 1
    assert kinds(again.meeting) == ["entered", "entered"]
    event = MeetingEvent.objects.filter(meeting=again.meeting).first()
    assert (event.actor, event.ip_address) == (world.home.practitioner, ADDRESS)
    with pytest.raises(NotAllowed):
        meetings.enter_as_host(session, world.outsider.admin, ADDRESS)
    with pytest.raises(NotAllowed):
        meetings.enter_as_host(session, world.home.client, ADDRESS)


@pytest.mark.django_db
def test_arrivals_are_idempotent_per_participant_user_and_key(world, session):
    riley = session.participants.get(name="Riley Park")
    one = meetings.arrive(session, participant=riley, address=ADDRESS, channel="a")
    two = meetings.arrive(session, participant=riley, address=ADDRESS, channel="b")  # a second tab
    assert one.pk == two.pk and two.status == AdmissionStatus.WAITING and two.name == "Riley Park"

    key = meetings.join_pass(meetings.join_token(session)).client_key
    guest = meetings.arrive(session, name="  Jo   Guest ", client_key=key, address=ADDRESS)
    assert guest.name == "Jo Guest"
    assert meetings.arrive(session, name="Someone Else", client_key=key, address=ADDRESS).pk == guest.pk  # reconnect
    other = meetings.arrive(session, name="Jo Guest", client_key=meetings.join_pass(meetings.join_token(session)).client_key)
    assert other.pk != guest.pk  # a new code entry is a new person for the host to admit

    world.home.client.participations.add(session.participants.get(name="Sam Lee"))
    sam = meetings.client_participant(world.home.client, session)
    by_user = meetings.arrive(session, participant=sam, user=world.home.client, address=ADDRESS)
    assert meetings.arrive(session, participant=sam, user=world.home.client).pk == by_user.pk
    assert Admission.objects.filter(meeting__session=session).count() == 4
    assert kinds(one.meeting, one) == ["waiting", "waiting"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", " ", "J", "x" * 81])
def test_a_name_of_2_to_80_characters(world, session, name):
    with pytest.raises(DomainError, match="2 to 80"):
        meetings.arrive(session, name=name, client_key=meetings.join_pass(meetings.join_token(session)).client_key)
    assert not Admission.objects.exists()


@pytest.mark.django_db
def test_nobody_comes_in_outside_the_window_or_into_a_canceled_session(world):
    later = video_session(world.home, starts_in=timedelta(minutes=16), clients=["Riley Park"])
    with pytest.raises(DomainError, match="not open"):
        meetings.enter_as_host(later, world.home.practitioner)
    with pytest.raises(DomainError, match="not open"):
        meetings.arrive(later, participant=later.participants.get())
    with time_machine.travel(later.start - timedelta(minutes=14), tick=False):
        assert meetings.enter_as_host(later, world.home.practitioner).status == AdmissionStatus.ADMITTED
    canceled = video_session(world.home, starts_in=timedelta(hours=3), status=SessionStatus.CANCELED, clients=["Sam Lee"])
    with time_machine.travel(canceled.start, tick=False), pytest.raises(DomainError, match="not open"):
        meetings.arrive(canceled, participant=canceled.participants.get())


# --- The host's actions --------------------------------------------------------------------------
@pytest.mark.django_db
def test_admit_decline_send_back_remove_each_logged_once(world, session):
    host = host_in_call(session, world.home.practitioner)
    actor, mid = world.home.practitioner, host.meeting_id
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), address=ADDRESS, channel="r")
    sam = meetings.arrive(session, participant=session.participants.get(name="Sam Lee"), address=ADDRESS, channel="s")

    assert meetings.admit(mid, riley.pk, actor=actor, address=ADDRESS).status == AdmissionStatus.ADMITTED
    assert meetings.admit(mid, riley.pk, actor=actor, address=ADDRESS) is None  # twice: one change
    assert meetings.decline(mid, sam.pk, actor=actor).status == AdmissionStatus.DECLINED
    assert meetings.decline(mid, sam.pk, actor=actor) is None
    # A declined person stays so when they come back...
    again = meetings.arrive(session, participant=sam.participant, address=ADDRESS, channel="s2")
    assert again.status == AdmissionStatus.DECLINED
    # ...until the host lets them in.
    assert meetings.admit(mid, sam.pk, actor=actor).status == AdmissionStatus.ADMITTED

    meetings.enter_call(riley.pk, "r")
    back = meetings.send_back(mid, riley.pk, actor=actor, address=ADDRESS)
    assert back.status == AdmissionStatus.WAITING and back.was_in_call and back.in_call_since is None
    assert meetings.send_back(mid, riley.pk, actor=actor) is None
    meetings.admit(mid, riley.pk, actor=actor)
    removed = meetings.remove(mid, riley.pk, actor=actor, address=ADDRESS)
    assert removed.status == AdmissionStatus.REMOVED and not removed.was_in_call  # had not rejoined the call
    assert meetings.remove(mid, riley.pk, actor=actor) is None
    assert meetings.arrive(session, participant=riley.participant, channel="r2").status == AdmissionStatus.REMOVED

    assert kinds(host.meeting, riley) == ["waiting", "admitted", "sent_back", "admitted", "removed", "refused"]
    assert kinds(host.meeting, sam) == ["waiting", "declined", "refused", "admitted"]
    for event in MeetingEvent.objects.filter(kind__in=["admitted", "declined", "sent_back", "removed"]):
        assert event.actor == actor
    assert MeetingEvent.objects.filter(kind="sent_back").get().ip_address == ADDRESS

    with pytest.raises(DomainError, match="host cannot"):
        meetings.remove(mid, host.pk, actor=actor)
    with pytest.raises(DomainError, match="not in this meeting"):
        meetings.admit(mid, 10**9, actor=actor)
    other = video_session(world.home, starts_in=timedelta(minutes=1), minutes=10, practitioner=world.home.admin,
                          clients=["Pat Doe"])
    stranger = meetings.arrive(other, participant=other.participants.get())
    with pytest.raises(DomainError, match="not in this meeting"):
        meetings.admit(mid, stranger.pk, actor=actor)  # another meeting's admission


@pytest.mark.django_db
def test_only_a_host_of_the_session_acts(world, session):
    host = host_in_call(session, world.home.practitioner)
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    for user in (world.outsider.admin, world.home.client, world.outsider.practitioner):
        with pytest.raises(NotAllowed):
            meetings.admit(host.meeting_id, riley.pk, actor=user)
        with pytest.raises(NotAllowed):
            meetings.end_meeting(host.meeting_id, actor=user)
    assert meetings.admit(host.meeting_id, riley.pk, actor=world.home.staff).status == AdmissionStatus.ADMITTED
    assert not MeetingEvent.objects.filter(kind="ended").exists()


@pytest.mark.django_db
def test_a_browser_to_browser_call_holds_meeting_max_p2p_people(world, settings):
    settings.MEETING_MAX_P2P = 3
    session = video_session(world.home, clients=["A One", "B Two", "C Three", "D Four"])
    host = host_in_call(session, world.home.practitioner)
    people = [meetings.arrive(session, participant=p, channel=f"c{p.pk}") for p in session.participants.all()]
    admitted = meetings.admit_all(host.meeting_id, actor=world.home.practitioner)
    assert [a.pk for a in admitted] == [p.pk for p in people[:2]]  # first come, first in
    for a in admitted:
        meetings.enter_call(a.pk, a.channel_name)
    with pytest.raises(DomainError, match="full"):
        meetings.admit(host.meeting_id, people[2].pk, actor=world.home.practitioner)
    with pytest.raises(DomainError, match="full"):
        meetings.admit_all(host.meeting_id, actor=world.home.practitioner)
    meetings.leave(people[0].pk, channel=people[0].channel_name)  # one leaves: room for one
    assert meetings.admit(host.meeting_id, people[2].pk, actor=world.home.practitioner)
    assert [w["id"] for w in meetings.waiting_list(host.meeting_id)] == [people[3].pk]


@pytest.mark.django_db
def test_end_meeting_ends_it_for_good(world, session):
    host = host_in_call(session, world.home.practitioner)
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    meetings.admit(host.meeting_id, riley.pk, actor=world.home.practitioner)
    meetings.enter_call(riley.pk, "r")
    ended = meetings.end_meeting(host.meeting_id, actor=world.home.practitioner, address=ADDRESS)
    assert ended.state == MeetingState.ENDED and ended.ended_at
    assert meetings.end_meeting(host.meeting_id, actor=world.home.practitioner) is None
    assert not meetings.in_call(ended).exists()
    assert meetings.enter_call(riley.pk, "r") is None
    with pytest.raises(meetings.MeetingEnded):
        meetings.enter_as_host(session, world.home.practitioner)  # nobody, the host included
    with pytest.raises(meetings.MeetingEnded):
        meetings.arrive(session, participant=riley.participant)
    with pytest.raises(meetings.MeetingEnded):
        meetings.admit(host.meeting_id, riley.pk, actor=world.home.practitioner)
    assert kinds(ended).count("ended") == 1


# --- In the call ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_enter_call_peers_and_signalling_only_between_people_in_the_call(world, session):
    host = host_in_call(session, world.home.practitioner, channel="h")
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    sam = meetings.arrive(session, participant=session.participants.get(name="Sam Lee"), channel="s")
    assert meetings.enter_call(riley.pk, "r") is None  # waiting: nothing
    assert not meetings.may_signal(riley.pk, "r", host.pk)
    assert not meetings.may_signal(host.pk, "h", riley.pk)

    meetings.admit_all(host.meeting_id, actor=world.home.practitioner)
    riley_join = meetings.enter_call(riley.pk, "r")
    sam_join = meetings.enter_call(sam.pk, "s")
    assert [p["id"] for p in riley_join["peers"]] == [host.pk]
    assert [p["id"] for p in sam_join["peers"]] == [host.pk, riley.pk]  # the newcomer offers; nobody twice
    assert meetings.may_signal(riley.pk, "r", sam.pk) and meetings.may_signal(host.pk, "h", riley.pk)
    assert not meetings.may_signal(riley.pk, "another-tab", sam.pk)  # only the socket holding the admission
    assert not meetings.may_signal(riley.pk, "r", riley.pk)
    assert not meetings.may_signal(riley.pk, "r", "nobody")

    meetings.remove(host.meeting_id, sam.pk, actor=world.home.practitioner)
    assert not meetings.may_signal(sam.pk, "s", riley.pk)
    assert not meetings.may_signal(riley.pk, "r", sam.pk)
    assert not meetings.may_receive(sam.pk, "s") and meetings.may_receive(riley.pk, "r")
    assert [p["id"] for p in meetings.participants_list(host.meeting_id)] == [host.pk, riley.pk]

    again = meetings.arrive(session, participant=riley.participant, channel="r-new")  # a second tab takes over
    assert again.previous_channel == "r"
    assert meetings.leave(riley.pk, channel="r") is None  # the old tab closing changes nothing
    assert meetings.enter_call(riley.pk, "r-new")["was_in_call"] is True
    assert meetings.leave(riley.pk, channel="r-new", address=ADDRESS) is True
    assert kinds(host.meeting, riley)[-1] == "left"


@pytest.mark.django_db
def test_ice_servers_only_for_the_admitted_with_coturn_credentials(world, session, settings):
    settings.STUN_URLS = ["stun:turn.practice.example:3478"]
    settings.TURN_URLS = ["turn:turn.practice.example:3478?transport=udp", "turns:turn.practice.example:5349"]
    settings.TURN_SECRET = "coturn-static-auth-secret"
    host = host_in_call(session, world.home.practitioner)
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    assert meetings.ice_servers(riley) == []
    riley = meetings.admit(host.meeting_id, riley.pk, actor=world.home.practitioner)
    stun, turn = meetings.ice_servers(riley)
    assert stun == {"urls": ["stun:turn.practice.example:3478"]}
    assert turn["urls"] == settings.TURN_URLS
    expiry, admission_id = turn["username"].split(":")
    assert int(admission_id) == riley.pk
    assert int(expiry) == int((session.end + timedelta(minutes=15)).timestamp())
    expected = base64.b64encode(hmac.new(b"coturn-static-auth-secret", turn["username"].encode(), hashlib.sha1).digest())
    assert turn["credential"] == expected.decode()
    meetings.remove(host.meeting_id, riley.pk, actor=world.home.practitioner)
    riley.refresh_from_db()
    assert meetings.ice_servers(riley) == []
    settings.TURN_URLS, settings.STUN_URLS = [], []
    assert meetings.ice_servers(host) == []  # no third-party STUN by default


# --- The log -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_meeting_log_is_append_only(world, session):
    host = meetings.enter_as_host(session, world.home.practitioner, ADDRESS)
    event = MeetingEvent.objects.get(admission=host)
    assert event.kind == MeetingEventKind.ENTERED
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        MeetingEvent.objects.filter(pk=event.pk).update(kind="left")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        MeetingEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        session.delete()  # cascades to the log
    # The maintenance switch that purges a whole test or benchmark practice.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL sessions_app.purge_meeting_log = 'on'")
        session.delete()
    assert not Meeting.objects.exists() and not MeetingEvent.objects.exists()


# --- Janus (JANUS_URLS set), against a loopback stub of its HTTP API ----------------------------
@pytest.fixture
def janus_stub(settings):
    from sessions_app.tests.janus_stub import JanusStub

    stub = JanusStub(admin_key="janus-admin-key")
    settings.JANUS_URLS = [stub.api]
    settings.JANUS_ADMIN_SECRET = "janus-admin-key"
    settings.JANUS_TIMEOUT = 2
    yield stub
    stub.close()


@pytest.mark.django_db
def test_janus_room_made_once_without_recording_and_joined_only_with_an_admitted_token(world, session, janus_stub):
    host = host_in_call(session, world.home.practitioner)
    meeting = Meeting.objects.get(session=session)
    assert meeting.backend == "janus" and meeting.janus_node == janus_stub.api
    (create,) = janus_stub.requests_of("create")
    assert create["record"] is False and create["lock_record"] is True
    assert create["pin"] == meeting.janus_pin and len(meeting.janus_pin) >= 12
    assert create["room"] == meeting.janus_room and create["is_private"] is True
    assert create["admin_key"] == "janus-admin-key" and create["secret"] and create["secret"] != meeting.janus_pin
    assert create["allowed"] == [meetings.janus_token(host)]

    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    assert meetings.janus_join(riley) is None
    waiting_token = meetings.janus_token(riley)
    assert not janus_stub.join(meeting.janus_room, pin=meeting.janus_pin, token=waiting_token, participant_id=riley.pk)

    meetings.admit(meeting.pk, riley.pk, actor=world.home.practitioner)
    join = meetings.enter_call(riley.pk, "r")["janus"]
    assert join == {"url": janus_stub.api, "room": meeting.janus_room, "pin": meeting.janus_pin,
                    "token": waiting_token, "id": riley.pk, "display": "Riley Park"}
    assert len(janus_stub.requests_of("create")) == 1  # one room per meeting
    assert not janus_stub.join(join["room"], pin="wrong", token=join["token"], participant_id=riley.pk)
    assert janus_stub.join(join["room"], pin=join["pin"], token=join["token"], participant_id=riley.pk, display="Riley Park")
    assert host.pk not in janus_stub.rooms[meeting.janus_room]["participants"]
    assert janus_stub.join(join["room"], pin=join["pin"], token=meetings.janus_token(host), participant_id=host.pk)
    assert meetings.janus_join(host)["token"] != join["token"]


@pytest.mark.django_db
def test_janus_remove_kicks_and_bans_and_end_destroys(world, session, janus_stub):
    host = host_in_call(session, world.home.practitioner)
    meeting = Meeting.objects.get(session=session)
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    meetings.admit(meeting.pk, riley.pk, actor=world.home.practitioner)
    join = meetings.enter_call(riley.pk, "r")["janus"]
    assert janus_stub.join(join["room"], pin=join["pin"], token=join["token"], participant_id=riley.pk)

    meetings.remove(meeting.pk, riley.pk, actor=world.home.practitioner)
    assert janus_stub.kicked == [(meeting.janus_room, riley.pk)]
    assert join["token"] not in janus_stub.rooms[meeting.janus_room]["allowed"]
    assert not janus_stub.join(join["room"], pin=join["pin"], token=join["token"], participant_id=riley.pk)  # banned
    riley.refresh_from_db()
    assert meetings.janus_join(riley) is None

    sam = meetings.arrive(session, participant=session.participants.get(name="Sam Lee"), channel="s")
    meetings.admit(meeting.pk, sam.pk, actor=world.home.practitioner)
    meetings.send_back(meeting.pk, sam.pk, actor=world.home.practitioner)  # not in the room yet: nothing to kick
    assert janus_stub.kicked == [(meeting.janus_room, riley.pk)]

    room = meeting.janus_room
    meetings.end_meeting(meeting.pk, actor=world.home.practitioner)
    assert room not in janus_stub.rooms
    assert janus_stub.requests_of("destroy")[-1]["room"] == room
    meeting.refresh_from_db()
    assert meeting.janus_room is None and meeting.janus_pin == "" and meeting.janus_node == janus_stub.api
    assert meetings.janus_join(meetings.current(host.pk)) is None


@pytest.mark.django_db
def test_janus_down_admits_nobody_and_removes_all_the_same(world, session, janus_stub):
    host = host_in_call(session, world.home.practitioner)
    riley = meetings.arrive(session, participant=session.participants.get(name="Riley Park"), channel="r")
    janus_stub.down = True
    with pytest.raises(DomainError, match="video server"):
        meetings.admit(host.meeting_id, riley.pk, actor=world.home.practitioner)
    riley.refresh_from_db()
    assert riley.status == AdmissionStatus.WAITING and kinds(host.meeting, riley) == ["waiting"]
    janus_stub.down = False
    meetings.admit(host.meeting_id, riley.pk, actor=world.home.practitioner)
    janus_stub.down = True  # a Janus that does not answer keeps nobody in the meeting
    assert meetings.remove(host.meeting_id, riley.pk, actor=world.home.practitioner).status == AdmissionStatus.REMOVED
    assert kinds(host.meeting, riley) == ["waiting", "admitted", "removed"]


@pytest.mark.django_db
def test_the_beat_task_destroys_overdue_rooms(world, janus_stub):
    from sessions_app import tasks

    early = video_session(world.home, starts_in=timedelta(minutes=-40), minutes=45)
    late = video_session(world.home, starts_in=timedelta(minutes=6), minutes=50, practitioner=world.home.admin)
    meetings.enter_as_host(early, world.home.practitioner)
    meetings.enter_as_host(late, world.home.admin)
    early_room, late_room = meeting_of(early).janus_room, meeting_of(late).janus_room
    assert {early_room, late_room} == set(janus_stub.rooms)

    with time_machine.travel(early.end + timedelta(minutes=14), tick=False):
        assert tasks.destroy_overdue_janus_rooms() == 0
    janus_stub.down = True
    with time_machine.travel(early.end + timedelta(minutes=16), tick=False):
        assert tasks.destroy_overdue_janus_rooms() == 0  # Janus did not answer: tried again next time
    janus_stub.down = False
    with time_machine.travel(early.end + timedelta(minutes=16), tick=False):
        assert tasks.destroy_overdue_janus_rooms() == 1
    assert set(janus_stub.rooms) == {late_room}
    assert meeting_of(early).janus_room is None

    # An ended meeting whose room Janus did not destroy then is destroyed by the task.
    janus_stub.down = True
    meetings.end_meeting(meeting_of(late).pk, actor=world.home.admin)
    janus_stub.down = False
    assert meeting_of(late).janus_room == late_room
    assert tasks.destroy_overdue_janus_rooms() == 1
    assert janus_stub.rooms == {}
    # A room already gone on Janus counts as destroyed.
    Meeting.objects.filter(pk=meeting_of(late).pk).update(janus_room=late_room, janus_pin="x")
    assert meetings.destroy_janus_room(meeting_of(late)) is True
    assert meeting_of(late).janus_room is None


@pytest.mark.django_db
def test_pick_node_takes_the_node_with_the_fewest_open_rooms(world, settings):
    from sessions_app import janus
    from sessions_app.tests.janus_stub import JanusStub

    stubs = [JanusStub(), JanusStub()]
    try:
        settings.JANUS_URLS = [stub.api for stub in stubs]
        assert janus.pick_node() == stubs[0].api  # a tie: the first listed
        first = video_session(world.home, starts_in=timedelta(minutes=-5))
        meetings.enter_as_host(first, world.home.practitioner)
        assert meeting_of(first).janus_node == stubs[0].api
        assert janus.pick_node() == stubs[1].api
        second = video_session(world.home, starts_in=timedelta(minutes=-5), practitioner=world.home.admin)
        meetings.enter_as_host(second, world.home.admin)
        assert meeting_of(second).janus_node == stubs[1].api and meeting_of(second).janus_room in stubs[1].rooms
        meetings.end_meeting(meeting_of(first).pk, actor=world.home.practitioner)  # its room no longer counts
        assert janus.pick_node() == stubs[0].api
        assert [len(stub.requests_of("create")) for stub in stubs] == [1, 1]
        assert janus.list_participants(stubs[1].api, meeting_of(second).janus_room) == []
    finally:
        for stub in stubs:
            stub.close()
