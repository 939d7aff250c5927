"""The practitioner's private iCalendar feed: what it shows, how it is written, who gets its link."""
import zoneinfo
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import icalendar
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from practice.models import DeliveryMethod, Membership, Role
from practice.tests.factories import (
    MembershipFactory,
    ParticipantFactory,
    RoomFactory,
    SessionFactory,
    UserFactory,
    next_weekday_at,
)
from sessions_app import ical
from sessions_app.models import InviteMethod, SessionKind, SessionStatus

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


# --- helpers ------------------------------------------------------------------------------------


def membership(user, practice):
    return Membership.objects.get(user=user, practice=practice)


def feed_token(user, practice):
    """A working feed token. Only its hash is stored, so for a member who has one already a new one is made."""
    member = membership(user, practice)
    return ical.ensure_feed_token(member) or ical.reset_feed_token(member)


def feed_url(user, practice):
    return reverse("sessions_app:calendar_feed", args=[feed_token(user, practice)])


def shown_feed_url(response):
    """The feed URL a settings page shows, or None."""
    import re

    found = re.search(r'value="http://testserver(/feeds/[^"]+\.ics)"', response.content.decode())
    return found and found.group(1)


def fetch(user, practice):
    response = Client().get(feed_url(user, practice))
    assert response.status_code == 200
    return response.content.decode("utf-8")


def unfold(body):
    """Content lines with folds undone (RFC 5545 3.1)."""
    return body.replace("\r\n ", "").split("\r\n")


def events(body):
    """{uid: {property: raw value, still escaped}} for every VEVENT in the feed.

    The body must also parse with the icalendar package, to the same events.
    """
    found, current = {}, None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found[current["UID"]] = current
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    assert set(found) == set(parsed_events(body))
    return found


def parsed_events(body):
    """{uid: icalendar.Event}, read back by the library: values unescaped, folds undone."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def physical_lines(raw: bytes):
    """The lines as sent, folds kept; checks that each ends in CRLF and holds a whole UTF-8 text."""
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    for line in lines:
        line.decode("utf-8")  # no multi-byte character is split across a fold
    return lines


def folded(raw: bytes, name: bytes):
    """The physical lines of the one content line whose property is ``name``."""
    lines = physical_lines(raw)
    first = next(i for i, line in enumerate(lines) if line.startswith(name + b":"))
    end = first + 1
    while end < len(lines) and lines[end].startswith(b" "):
        end += 1
    return lines[first:end]


def uid(session):
    return f"session-{session.pk}@testserver"


def next_date(month, day, hour, minute=0):
    """The next ``month``/``day`` (at least a week ahead, so inside the feed's year) at a New York wall time."""
    today = timezone.now().astimezone(NEW_YORK).date()
    moment = datetime(today.year, month, day, hour, minute, tzinfo=NEW_YORK)
    if moment.date() < today + timedelta(days=7):
        moment = moment.replace(year=today.year + 1)
    return moment


def session_at(world, start, **kwargs):
    return SessionFactory(cast=world.home, start=start, **kwargs)


# --- what the feed shows ------------------------------------------------------------------------


def test_feed_shows_only_the_practitioners_own_sessions_in_that_practice(world):
    home = world.home
    mine = session_at(world, next_weekday_at(9, days_ahead=3), room=home.room)
    colleague = session_at(world, next_weekday_at(9, days_ahead=3), practitioner=home.admin)
    outsider = session_at(world, next_weekday_at(9, days_ahead=3), practice=world.outsider.practice,
                          practitioner=world.outsider.practitioner)
    # The same practitioner also works for the other practice: that practice's sessions stay out of this feed.
    MembershipFactory(user=home.practitioner, practice=world.outsider.practice, role=Role.PRACTITIONER)
    elsewhere = session_at(world, next_weekday_at(13, days_ahead=3), practice=world.outsider.practice)

    found = events(fetch(home.practitioner, home.practice))

    assert set(found) == {uid(mine)}
    assert uid(colleague) not in found and uid(outsider) not in found and uid(elsewhere) not in found
    other = events(fetch(home.practitioner, world.outsider.practice))
    assert set(other) == {uid(elsewhere)}


def test_feed_window_is_sixty_days_back_to_a_year_ahead(world):
    now = timezone.now()
    recent = session_at(world, now - timedelta(days=30))
    soon = session_at(world, now + timedelta(days=300))
    too_old = session_at(world, now - timedelta(days=90))
    too_far = session_at(world, now + timedelta(days=400))

    found = events(fetch(world.home.practitioner, world.home.practice))

    assert uid(recent) in found and uid(soon) in found
    assert uid(too_old) not in found and uid(too_far) not in found


def test_feed_shows_client_initials_only_never_names_emails_phones_or_notes(world):
    session = session_at(
        world, next_weekday_at(11, days_ahead=4),
        public_note="Bring the intake forms", private_note="Discussed panic attacks",
    )
    ParticipantFactory(session=session, name="Jamie Rivera", email="jamie.rivera@example.com",
                       phone="+15555550123", invite_method=InviteMethod.TEXT)
    ParticipantFactory(session=session, name="Olga Petrova", email="interpreter@example.com", is_client=False)

    body = fetch(world.home.practitioner, world.home.practice)

    assert events(body)[uid(session)]["SUMMARY"] == "J.R."
    for secret in ("Jamie", "Rivera", "jamie.rivera", "@example.com", "5555550123", "Olga", "Petrova", "O.P.",
                   "intake", "panic", world.home.practitioner.email):
        assert secret not in body
    assert "DESCRIPTION" not in body and "ATTENDEE" not in body and "ORGANIZER" not in body


def test_group_and_orientation_summaries(world):
    group = session_at(world, next_weekday_at(9, days_ahead=5), clients=["Jamie Rivera", "Ann Marie"])
    orientation = session_at(world, next_weekday_at(11, days_ahead=5), kind=SessionKind.ORIENTATION, clients=["Kim Moss"])

    found = events(fetch(world.home.practitioner, world.home.practice))

    # The comma between initials is escaped, as TEXT values need.
    assert found[uid(group)]["SUMMARY"] == "Group: J.R.\\, A.M."
    assert found[uid(orientation)]["SUMMARY"] == "Orientation"


def test_canceled_session_goes_out_as_cancelled(world):
    kept = session_at(world, next_weekday_at(9, days_ahead=6))
    canceled = session_at(world, next_weekday_at(9, days_ahead=6), status=SessionStatus.CANCELED)
    missed = session_at(world, timezone.now() - timedelta(days=3), status=SessionStatus.MISSED)

    found = events(fetch(world.home.practitioner, world.home.practice))

    assert found[uid(canceled)]["STATUS"] == "CANCELLED"
    assert found[uid(kept)]["STATUS"] == "CONFIRMED"
    assert found[uid(missed)]["STATUS"] == "CONFIRMED"


def test_times_are_utc_for_new_york_sessions_in_winter_and_summer(world):
    winter = session_at(world, next_date(1, 15, 10))  # 10:00 EST = 15:00 UTC
    summer = session_at(world, next_date(7, 15, 10), minutes=45)  # 10:00 EDT = 14:00 UTC
    winter.refresh_from_db()

    found = events(fetch(world.home.practitioner, world.home.practice))

    day = winter.start.astimezone(NEW_YORK).strftime("%Y%m%d")
    assert found[uid(winter)]["DTSTART"] == f"{day}T150000Z"
    assert found[uid(winter)]["DTEND"] == f"{day}T155000Z"
    day = summer.start.astimezone(NEW_YORK).strftime("%Y%m%d")
    assert found[uid(summer)]["DTSTART"] == f"{day}T140000Z"
    assert found[uid(summer)]["DTEND"] == f"{day}T144500Z"
    assert found[uid(winter)]["DTSTAMP"] == winter.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def test_location_is_the_room_else_the_delivery_method(world):
    in_room = session_at(world, next_weekday_at(9, days_ahead=8), room=world.home.room)
    video = session_at(world, next_weekday_at(11, days_ahead=8), delivery_method=DeliveryMethod.VIDEO)

    found = events(fetch(world.home.practitioner, world.home.practice))

    assert found[uid(in_room)]["LOCATION"] == "home room"
    assert found[uid(video)]["LOCATION"] == "Secure video"


def test_calendar_header_and_response_headers(world):
    world.home.practice.name = "Rivera, Moss; Partners"
    world.home.practice.save()
    response = Client().get(feed_url(world.home.practitioner, world.home.practice))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="home-sessions.ics"'
    assert response["Cache-Control"] == "private, max-age=300"
    lines = unfold(response.content.decode())
    assert lines[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Practice Scheduling//EN",
                         "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    assert "X-WR-CALNAME:Rivera\\, Moss\\; Partners" in lines
    assert lines[-2:] == ["END:VCALENDAR", ""]


# --- how it is written --------------------------------------------------------------------------


def test_every_line_ends_in_crlf_and_fits_75_octets_with_a_long_non_ascii_room(world):
    name = "Salle thérapie familiale — étage 2; côté jardin, 🌿 ÅÄÖ ÅÄÖ ÅÄÖ ÅÄÖ ÅÄÖ"
    assert len(name) <= 80 and len(name.encode()) > 75
    room = RoomFactory(practice=world.home.practice, name=name)
    session = session_at(world, next_weekday_at(9, days_ahead=9), room=room,
                         clients=["Jamie Rivera", "Ann Marie", "Kim Moss", "Åsa Öberg", "Zoë Ünal", "Li Wei", "Bo Ek", "Jo Ng",
                                  "Al Fa", "Ed Ox", "Ty Yu", "Ri Ro", "Mo Mu", "Sé Sá"])

    raw = Client().get(feed_url(world.home.practitioner, world.home.practice)).content

    lines = physical_lines(raw)  # CRLF line ends, no bare CR or LF, no split UTF-8 character
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "the long lines were folded"
    found = events(raw.decode("utf-8"))
    assert found[uid(session)]["LOCATION"] == (
        "Salle thérapie familiale — étage 2\\; côté jardin\\, 🌿 ÅÄÖ ÅÄÖ ÅÄÖ ÅÄÖ ÅÄÖ"
    )
    assert found[uid(session)]["SUMMARY"].startswith("Group: J.R.\\, A.M.\\, K.M.\\, Å.Ö.\\, Z.Ü.")
    # Read back by the library, the non-ASCII text is what went in.
    event = parsed_events(raw)[uid(session)]
    assert str(event["LOCATION"]) == name
    assert str(event["SUMMARY"]).startswith("Group: J.R., A.M., K.M., Å.Ö., Z.Ü.")
    assert str(event["SUMMARY"]).endswith(", S.S.")


def plain_invite(practice_name="Rivera Practice"):
    """What ``invite_ics`` reads, as plain objects: no model, no database."""
    created = datetime(2031, 1, 2, 9, 0, tzinfo=UTC)
    session = SimpleNamespace(
        pk=41, status=SessionStatus.SCHEDULED, created_at=created, updated_at=created + timedelta(seconds=90),
        start=datetime(2031, 1, 14, 10, 0, tzinfo=NEW_YORK), end=datetime(2031, 1, 14, 10, 50, tzinfo=NEW_YORK),
        practitioner="Dr. Zoë Ünal", practice=SimpleNamespace(name=practice_name),
        room=None, delivery_method=DeliveryMethod.VIDEO,
    )
    return session, SimpleNamespace(pk=7, name="Jamie Rivera", email="jamie@example.com")


def invite_summary_of(octets):
    """A practice name that makes the invite's SUMMARY content line exactly ``octets`` long."""
    frame = len("SUMMARY:Session with Dr. Zoë Ünal ()".encode())
    return "X" * (octets - frame)


def test_long_summary_is_folded_at_75_octets_on_character_boundaries(settings):
    settings.SITE_URL = "https://example.org"
    session, participant = plain_invite(practice_name="é" * 100)

    raw = ical.invite_ics(session, participant).encode()

    parts = folded(raw, b"SUMMARY")
    assert len(parts) > 1
    assert all(len(part) <= 75 for part in parts)
    assert all(part.startswith(b" ") for part in parts[1:])
    # Filled up to the limit, less at most one character (é is two octets).
    assert all(len(part) >= 75 - 3 for part in parts[:-1])
    line = "SUMMARY:Session with Dr. Zoë Ünal (" + "é" * 100 + ")"
    assert b"".join([parts[0]] + [part[1:] for part in parts[1:]]).decode() == line
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == line.removeprefix("SUMMARY:")


def test_folded_lines_are_full_and_where_the_library_folds(settings):
    settings.SITE_URL = "https://example.org"
    session, participant = plain_invite(practice_name="X" * 200)
    parts = folded(ical.invite_ics(session, participant).encode(), b"SUMMARY")
    # Every physical line but the last is full: the library keeps a line's content under 75 octets,
    # so the first line has 74 and each continuation line a space and 74.
    assert [len(part) for part in parts[:-1]] == [74, 75, 75]
    assert all(part.startswith(b" ") for part in parts[1:])
    # Short lines stay whole; a 74-octet line is the longest that is not folded.
    body = ical.invite_ics(session, participant)
    assert "\r\nSTATUS:CONFIRMED\r\n" in body and "\r\nMETHOD:REQUEST\r\n" in body
    raw = ical.invite_ics(*plain_invite(practice_name=invite_summary_of(74))).encode()
    assert [len(part) for part in folded(raw, b"SUMMARY")] == [74]
    raw = ical.invite_ics(*plain_invite(practice_name=invite_summary_of(75))).encode()
    assert [len(part) for part in folded(raw, b"SUMMARY")] == [74, 2]


def test_a_fold_never_splits_an_escape(world):
    session = session_at(world, next_weekday_at(9, days_ahead=9))
    # "SUMMARY:Group: J.\\, " then "X.Y.\\, " eight times: octet 74, the last on the first line, is a backslash.
    for person in ("Jamie", "Al Fa", "Bo Ek", "Jo Ng", "Ed Ox", "Ty Yu", "Ri Ro", "Mo Mu", "Li Wei", "Kim Moss",
                   "Ann Marie", "Ida Ulm", "Ola Nor", "Eva Ray", "Uma Lee", "Ian Hay", "Ben Coe", "Cy Dee"):
        ParticipantFactory(session=session, name=person)

    raw = Client().get(feed_url(world.home.practitioner, world.home.practice)).content

    parts = folded(raw, b"SUMMARY")
    assert len(parts) == 2
    # The backslash went on the next line with the comma it escapes.
    assert parts[0].endswith(b"L.W.") and parts[1].startswith(b" \\, K.M.")
    assert not any(part.endswith(b"\\") for part in parts)
    assert all(len(part) <= 75 for part in parts)
    assert str(parsed_events(raw)[uid(session)]["SUMMARY"]).startswith("Group: J., A.F., B.E., J.N., ")


def test_render_feed_directly_converts_to_utc_and_skips_non_clients(world):
    start = datetime(2031, 1, 14, 10, 0, tzinfo=NEW_YORK)  # 10:00 EST
    session = session_at(world, start, room=world.home.room)
    summer = session_at(world, datetime(2031, 7, 1, 10, 0, tzinfo=NEW_YORK))  # 10:00 EDT
    ParticipantFactory(session=session, name="Jamie Rivera")
    ParticipantFactory(session=session, name="Olga Petrova", is_client=False)
    # A session as a caller might hand it over: times still in New York, participants not filtered.
    session = type(session).objects.prefetch_related("participants").get(pk=session.pk)
    session.start, session.end = start, start + timedelta(minutes=50)
    session.updated_at = session.updated_at.astimezone(NEW_YORK)

    body = ical.render_feed(world.home.practice, [session, summer], "example.org")

    found = events(body)
    event = found[f"session-{session.pk}@example.org"]
    assert event["DTSTART"] == "20310114T150000Z" and event["DTEND"] == "20310114T155000Z"
    assert event["DTSTAMP"] == session.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["SUMMARY"] == "J.R."
    assert found[f"session-{summer.pk}@example.org"]["DTSTART"] == "20310701T140000Z"
    parsed = parsed_events(body)[f"session-{session.pk}@example.org"]
    assert parsed.decoded("DTSTART") == start and parsed.decoded("DTSTART").utcoffset() == timedelta(0)


def test_text_values_are_escaped_and_read_back_whole(world):
    room = RoomFactory(practice=world.home.practice, name="a,b;c\\d\ne\r\nf")
    session = session_at(world, next_weekday_at(9, days_ahead=10), room=room)
    plain = session_at(world, next_weekday_at(11, days_ahead=10),
                       room=RoomFactory(practice=world.home.practice, name="Room 1: east"))

    body = fetch(world.home.practitioner, world.home.practice)

    found = events(body)
    # Backslash, semicolon, comma and line breaks (CRLF or LF) are escaped; a colon is not.
    assert found[uid(session)]["LOCATION"] == "a\\,b\\;c\\\\d\\ne\\nf"
    assert found[uid(plain)]["LOCATION"] == "Room 1: east"
    assert str(parsed_events(body)[uid(session)]["LOCATION"]) == "a,b;c\\d\ne\nf"


def test_escaping_in_the_feed(world):
    room = RoomFactory(practice=world.home.practice, name="Suite 4, floor 2; back\\side")
    session = session_at(world, next_weekday_at(9, days_ahead=10), room=room)

    body = fetch(world.home.practitioner, world.home.practice)

    assert events(body)[uid(session)]["LOCATION"] == "Suite 4\\, floor 2\\; back\\\\side"


# --- the invitation attachment -------------------------------------------------------------------


def test_invite_ics_takes_plain_objects_and_reads_no_database(settings, django_assert_num_queries):
    settings.SITE_URL = "https://example.org/app"
    session, participant = plain_invite(practice_name="Clínica Ñandú, Søren; Ærø")

    with django_assert_num_queries(0):
        body = ical.invite_ics(session, participant)

    lines = unfold(body)
    assert lines[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Practice Scheduling//EN",
                         "CALSCALE:GREGORIAN", "METHOD:REQUEST"]
    assert lines[-2:] == ["END:VCALENDAR", ""]
    raw = events(body)["session-41-participant-7@example.org"]
    assert raw["SEQUENCE"] == "90"  # seconds from created_at to updated_at
    assert raw["DTSTART"] == "20310114T150000Z" and raw["DTEND"] == "20310114T155000Z"
    assert raw["SUMMARY"] == "Session with Dr. Zoë Ünal (Clínica Ñandú\\, Søren\\; Ærø)"
    assert raw["LOCATION"] == "Secure video" and raw["STATUS"] == "CONFIRMED"
    event = parsed_events(body)["session-41-participant-7@example.org"]
    assert str(event["SUMMARY"]) == "Session with Dr. Zoë Ünal (Clínica Ñandú, Søren; Ærø)"
    assert abs(event.decoded("DTSTAMP") - timezone.now()) < timedelta(minutes=1)
    for secret in ("Jamie", "jamie@example.com", "ATTENDEE", "ORGANIZER", "DESCRIPTION"):
        assert secret not in body

    session.status, session.room = SessionStatus.CANCELED, SimpleNamespace(name="Room 2; upstairs")
    raw = events(ical.invite_ics(session, participant))["session-41-participant-7@example.org"]
    assert raw["STATUS"] == "CANCELLED" and raw["LOCATION"] == "Room 2\\; upstairs"


def test_invite_ics_for_a_session_names_host_and_practice_not_other_participants(world, settings):
    settings.SITE_URL = "http://testserver"
    session = session_at(world, next_weekday_at(9, days_ahead=11), room=world.home.room,
                         private_note="Discussed panic attacks")
    # Names no factory makes up (a practitioner once came out as "Jamie Simon").
    invited = ParticipantFactory(session=session, name="Jamie Quillfeather", email="jamie.quillfeather@example.com")
    ParticipantFactory(session=session, name="Olga Zvezdanova", email="olga@example.com")

    body = ical.invite_ics(type(session).objects.get(pk=session.pk), invited)

    event = parsed_events(body)[f"session-{session.pk}-participant-{invited.pk}@testserver"]
    assert str(event["SUMMARY"]) == f"Session with {world.home.practitioner} ({world.home.practice.name})"
    assert str(event["LOCATION"]) == "home room"
    for secret in ("Zvezdanova", "olga@", "panic", "Quillfeather", "jamie.quillfeather"):
        assert secret not in body


@pytest.mark.parametrize("name, expected", [
    ("Jamie Rivera", "J.R."),
    ("K.M.", "K.M."),
    ("k m", "K.M."),
    ("Jamie", "J."),
    ("Mary Ann van der Berg", "M.B."),
    ("Jean-Luc Picard", "J.P."),
    ("Kate O'Brien", "K.O."),
    ("  åsa   öberg ", "Å.Ö."),
])
def test_initials(name, expected):
    assert ical.initials(name) == expected


# --- tokens and the settings page ---------------------------------------------------------------


def test_feed_settings_creates_a_token_once_and_shows_the_url(login, world):
    client = login(world.home.practitioner)
    assert membership(world.home.practitioner, world.home.practice).feed_token_hash is None

    response = client.get(reverse("sessions_app:feed_settings"))

    assert response.status_code == 200
    token = shown_feed_url(response).removeprefix("/feeds/").removesuffix(".ics")
    assert token and len(token) >= 43
    assert membership(world.home.practitioner, world.home.practice).feed_token_hash == ical.hash_feed_token(token)
    assert f"http://testserver/feeds/{token}.ics" in response.content.decode()
    assert reverse("sessions_app:feed_reset") in response.content.decode()
    client.get(reverse("sessions_app:feed_settings"))
    assert membership(world.home.practitioner, world.home.practice).feed_token_hash == ical.hash_feed_token(token)


def test_admin_may_have_a_feed(login, world):
    response = login(world.home.admin).get(reverse("sessions_app:feed_settings"))
    assert response.status_code == 200
    assert membership(world.home.admin, world.home.practice).feed_token_hash


@pytest.mark.parametrize("role", ["client", "staff"])
def test_client_and_staff_may_not_have_a_feed(login, world, role):
    client = login(world.home.member(role))
    assert client.get(reverse("sessions_app:feed_settings")).status_code == 403
    assert client.post(reverse("sessions_app:feed_reset")).status_code == 403
    assert membership(world.home.member(role), world.home.practice).feed_token_hash is None


def test_feed_settings_needs_a_login(client):
    response = client.get(reverse("sessions_app:feed_settings"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_reset_replaces_the_token_and_the_old_url_stops_working(login, world):
    client = login(world.home.practitioner)
    old_url = feed_url(world.home.practitioner, world.home.practice)
    assert Client().get(old_url).status_code == 200

    response = client.post(reverse("sessions_app:feed_reset"), follow=True)

    assert response.redirect_chain == [(reverse("sessions_app:feed_settings"), 302)]
    assert "The old link no longer works" in response.content.decode()
    new_url = shown_feed_url(response)
    assert new_url != old_url
    assert Client().get(old_url).status_code == 404
    assert Client().get(new_url).status_code == 200
    assert new_url in response.content.decode()


def test_reset_is_post_only_and_csrf_protected(world):
    token = feed_token(world.home.practitioner, world.home.practice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.home.practitioner)

    assert client.get(reverse("sessions_app:feed_reset")).status_code == 405
    assert client.post(reverse("sessions_app:feed_reset")).status_code == 403
    assert membership(world.home.practitioner, world.home.practice).feed_token_hash == ical.hash_feed_token(token)


def test_unknown_token_answers_404(world):
    feed_url(world.home.practitioner, world.home.practice)
    assert Client().get(reverse("sessions_app:calendar_feed", args=["not-a-real-token"])).status_code == 404
    assert ical.membership_for_feed_token("") is None
    assert ical.membership_for_feed_token(None) is None


def test_feed_stops_for_an_inactive_membership_or_a_client_role(world):
    url = feed_url(world.home.practitioner, world.home.practice)
    member = membership(world.home.practitioner, world.home.practice)
    assert Client().get(url).status_code == 200

    member.is_active = False
    member.save()
    assert Client().get(url).status_code == 404

    member.is_active, member.role = True, Role.CLIENT
    member.save()
    assert Client().get(url).status_code == 404


def test_reset_feed_token_function():
    user = UserFactory()
    member = MembershipFactory(user=user)
    first = ical.ensure_feed_token(member)
    assert first and ical.ensure_feed_token(member) is None  # made once, then never shown again
    second = ical.reset_feed_token(member)
    assert second != first
    assert Membership.objects.get(pk=member.pk).feed_token_hash == ical.hash_feed_token(second)
    assert ical.new_feed_token() != ical.new_feed_token()


# --- bounded queries ----------------------------------------------------------------------------


def add_sessions(world, count, offset=0):
    start = next_weekday_at(8, days_ahead=2)
    for i in range(count):
        session_at(world, start + timedelta(hours=i + offset), room=world.home.room if i % 2 else None, clients=2)


def test_feed_queries_do_not_grow_with_sessions(world, django_assert_max_num_queries, django_assert_num_queries):
    url = feed_url(world.home.practitioner, world.home.practice)
    add_sessions(world, 2)
    with django_assert_max_num_queries(3) as captured:  # today's count, as a ceiling
        assert Client().get(url).status_code == 200
    few = len(captured)
    add_sessions(world, 28, offset=2)
    assert len(events(Client().get(url).content.decode())) == 30
    with django_assert_num_queries(few):
        assert Client().get(url).status_code == 200
