"""Materialising a series in sets (issue 17): the query count does not grow with the number of
sessions, and the result is what the row-by-row path gave: one collision refuses its day and only
that day, the exclusion constraints stay the backstop, access codes stay unique among live
sessions, and every reminder is the row ``messages.schedule_reminders`` writes."""
import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification, NotificationKind
from practice.tests.factories import RoomFactory, SessionFactory, UserFactory
from sessions_app import messages, scheduling
from sessions_app import series as S
from sessions_app.models import Participant, Session, SessionSeries, SessionService, SessionStatus
from sessions_app.scheduling import ParticipantData, SessionData

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
# Far enough ahead that every reminder is still to come.
MONDAY = date.today() + timedelta(days=7 - date.today().weekday() + 14)


def people():
    return [
        ParticipantData(name="Jamie Rivera", invite_method="email", email="jamie@example.com", time_zone="America/Chicago"),
        ParticipantData(name="Sam Text", invite_method="text", phone="+15555550123", time_zone="Europe/London"),
        ParticipantData(name="No Invite", invite_method="none", time_zone="America/New_York"),
    ]


def data_at(world, day, hour, *, room=None, practitioner=None):
    return SessionData(
        practitioner=practitioner or world.home.practitioner, start=datetime.combine(day, time(hour), tzinfo=NY),
        duration_minutes=50, time_zone="America/New_York", room=room or world.home.room,
        services=[(world.home.service, Decimal("150.00"))], participants=people(),
    )


def make(world, day, hour, count, **kwargs):
    return S.create_series(practice=world.home.practice, actor=world.home.practitioner, data=data_at(world, day, hour, **kwargs),
                           repeat={"preset": "weekly", "count": count, "enabled": True}, today=day)


def queries_to_make(world, day, hour, count, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        _series, made, skipped = make(world, day, hour, count, **kwargs)
    assert len(made) == count and not skipped
    return len(captured)


def test_a_52_session_series_costs_the_queries_of_a_10_session_one(world):
    """Sessions, services, participants and reminders are written per batch, not per session."""
    ten = queries_to_make(world, MONDAY, 9, 10)
    fifty_two = queries_to_make(world, MONDAY, 14, 52)
    assert fifty_two == ten
    # Everything was written: 52 + 10 sessions with their service and three participants each, and two
    # reminders (a day and an hour before) to each of the two participants who are to be contacted.
    assert Session.objects.count() == 62 and SessionService.objects.count() == 62
    assert Participant.objects.count() == 62 * 3
    assert Notification.objects.filter(kind=NotificationKind.REMINDER).count() == 62 * 2 * 2


def test_a_never_ending_series_extended_by_the_beat_task_costs_the_same_whatever_the_weeks(world):
    series, made, _ = S.create_series(practice=world.home.practice, actor=world.home.practitioner,
                                      data=data_at(world, MONDAY, 9), repeat={"preset": "weekly", "enabled": True},
                                      today=MONDAY)
    assert len(made) == 13  # 84 days ahead: weeks 0..12
    counts = []
    for today, added in ((MONDAY + timedelta(weeks=2), 2), (MONDAY + timedelta(weeks=22), 20)):
        with CaptureQueriesContext(connection) as captured:
            assert S.extend_horizon(series, today) == added
        counts.append(len(captured))
    assert counts[0] == counts[1]


def materialise_over(world, existing_starts, *, practitioner=None, room=None, status=SessionStatus.SCHEDULED):
    """A six-week series saved unflagged, then sessions written in its way (as by another booking
    meanwhile), then materialised: (series, made, refused)."""
    series = S.new_series(practice=world.home.practice, actor=None, data=data_at(world, MONDAY, 10),
                          repeat={"preset": "weekly", "count": 6})
    series.save()
    for start in existing_starts:
        SessionFactory(cast=world.home, practitioner=practitioner or world.home.practitioner, room=room, start=start,
                       minutes=30, status=status)
    made, refused = S.materialise(series, S.occurrence_days(series))
    return series, made, refused


def test_a_collision_in_the_middle_refuses_that_day_only(world):
    third, fifth = MONDAY + timedelta(weeks=2), MONDAY + timedelta(weeks=4)
    series, made, refused = materialise_over(world, [datetime.combine(third, time(10, 30), tzinfo=NY),
                                                     datetime.combine(fifth, time(9, 45), tzinfo=NY)])
    assert refused == [third, fifth]
    assert [s.series_day for s in made] == [MONDAY + timedelta(weeks=w) for w in (0, 1, 3, 5)]
    series.refresh_from_db()
    assert series.skipped_days == [third, fifth]
    kept = Session.objects.filter(series=series)
    assert sorted(kept.values_list("series_day", flat=True)) == [s.series_day for s in made]
    # Nothing half-written: the refused days have no session, service, participant or reminder.
    assert SessionService.objects.filter(session__series=series).count() == 4
    assert Participant.objects.filter(session__series=series).count() == 4 * 3
    assert Notification.objects.filter(session__series=series).count() == 4 * 2 * 2
    # Materialising again makes nothing more (the refused days are skipped now).
    assert S.materialise(series, S.occurrence_days(series)) == ([], [])


def test_a_session_ending_as_an_occurrence_starts_does_not_refuse_it(world):
    second = MONDAY + timedelta(weeks=1)
    _series, made, refused = materialise_over(world, [datetime.combine(second, time(9, 30), tzinfo=NY)])  # ends at 10:00
    assert refused == [] and len(made) == 6


def test_a_canceled_session_does_not_refuse_an_occurrence(world):
    second = MONDAY + timedelta(weeks=1)
    _series, made, refused = materialise_over(world, [datetime.combine(second, time(10, 0), tzinfo=NY)],
                                              status=SessionStatus.CANCELED)
    assert refused == [] and len(made) == 6


def test_an_in_person_room_taken_by_another_practitioner_refuses_the_day(world):
    assert world.home.room.is_in_person
    other = UserFactory()
    fourth = MONDAY + timedelta(weeks=3)
    _series, made, refused = materialise_over(world, [datetime.combine(fourth, time(10, 15), tzinfo=NY)],
                                              practitioner=other, room=world.home.room)
    assert refused == [fourth] and len(made) == 5


def test_a_virtual_room_is_shared(world):
    video = RoomFactory(practice=world.home.practice, name="Video", kind="virtual")
    other = UserFactory()
    series = S.new_series(practice=world.home.practice, actor=None, data=data_at(world, MONDAY, 10, room=video),
                          repeat={"preset": "weekly", "count": 3})
    series.save()
    SessionFactory(cast=world.home, practitioner=other, room=video, start=datetime.combine(MONDAY, time(10), tzinfo=NY))
    made, refused = S.materialise(series, S.occurrence_days(series))
    assert refused == [] and len(made) == 3


def test_the_exclusion_constraint_stays_the_backstop(world, monkeypatch):
    """A writer that took no booking lock slips a session in after the batch's overlap check: the
    batch's INSERT is refused, nothing of it stays, and the row-by-row path refuses that day only."""
    third = MONDAY + timedelta(weeks=2)
    real = scheduling._overlapped

    def check_then_someone_books(sessions, **kwargs):
        found = real(sessions, **kwargs)
        SessionFactory(cast=world.home, start=datetime.combine(third, time(10, 20), tzinfo=NY), minutes=20)
        return found

    monkeypatch.setattr(scheduling, "_overlapped", check_then_someone_books)
    series, made, refused = materialise_over(world, [])
    assert refused == [third]
    assert [s.series_day for s in made] == [MONDAY + timedelta(weeks=w) for w in (0, 1, 3, 4, 5)]
    assert Session.objects.filter(series=series).count() == 5
    assert len({s.pk for s in made}) == 5 and all(s.pk for s in made)
    assert Participant.objects.filter(session__series=series).count() == 5 * 3


def test_access_codes_stay_unique_among_live_sessions(world, monkeypatch):
    live = SessionFactory(cast=world.home, start=datetime.combine(MONDAY - timedelta(days=1), time(10), tzinfo=NY))
    SessionFactory(cast=world.home, start=datetime.combine(MONDAY - timedelta(days=2), time(10), tzinfo=NY),
                   status=SessionStatus.CANCELED, access_code="222222222")
    # Every draw repeats a code a few times, the live session's among them, then runs on.
    draws = iter([live.access_code, "111111111", "111111111", live.access_code, "222222222"]
                 + [f"{n:09d}" for n in range(300000000, 300000100)])
    monkeypatch.setattr(scheduling, "new_access_code", lambda: next(draws))
    field = Session._meta.get_field("access_code")
    field.get_default()  # Django keeps the default's callable once asked: replace that one
    monkeypatch.setattr(field, "_get_default", lambda: next(draws))
    _series, made, _refused = make(world, MONDAY, 9, 6)
    codes = [s.access_code for s in Session.objects.filter(series__isnull=False)]
    assert len(codes) == 6 == len(set(codes))
    assert live.access_code not in codes
    assert "222222222" in codes  # a canceled session's code is free again


def test_reminders_are_the_rows_schedule_reminders_writes(world):
    _series, made, _ = make(world, MONDAY, 9, 3)
    fields = ("kind", "channel", "to_address", "subject", "body_text", "body_html", "ics", "due_at", "about_start",
              "dedupe_key", "session_id", "participant_id", "practice_id", "state")
    batch = sorted(Notification.objects.filter(kind=NotificationKind.REMINDER).values_list(*fields))
    Notification.objects.filter(kind=NotificationKind.REMINDER).delete()
    for session in made:
        for participant in session.participants.all():
            messages.schedule_reminders(session, participant)
    one_by_one = sorted(Notification.objects.filter(kind=NotificationKind.REMINDER).values_list(*fields))
    assert batch == one_by_one and len(batch) == 3 * 2 * 2
    # The batch writes each key once, like ``outbox.enqueue``.
    again = messages.schedule_reminders_for([(s, p) for s in made for p in s.participants.all()])
    assert again == [] and Notification.objects.filter(kind=NotificationKind.REMINDER).count() == 12


def test_wall_clock_time_holds_in_a_batch_across_the_march_change(world):
    """The DST rule is the expansion's: naive local times, the zone attached afterwards."""
    first = date(2030, 3, 4)
    series, made, _ = S.create_series(practice=world.home.practice, actor=world.home.practitioner,
                                      data=data_at(world, first, 9), repeat={"preset": "weekly", "count": 3, "enabled": True},
                                      today=first)
    assert [s.start.astimezone(NY).strftime("%H:%M") for s in made] == ["09:00"] * 3
    assert SessionSeries.objects.get().skipped_days == []


def test_preview_names_the_first_session_in_the_way(world):
    """The preview's search for the session in an occurrence's way (sorted, by bisection) finds the
    same one the old scan over every busy session found: the first by start."""
    from practice.errors import CONSTRAINT_MESSAGES

    other = UserFactory()
    host_says = CONSTRAINT_MESSAGES["no_double_booking_practitioner"][1]
    room_says = CONSTRAINT_MESSAGES["no_double_booking_room"][1]
    week = [MONDAY + timedelta(weeks=w) for w in range(6)]
    # Week 1: the room (another practitioner) from 9:00 to 10:30, then the host at 10:40: the room is first.
    SessionFactory(cast=world.home, practitioner=other, room=world.home.room,
                   start=datetime.combine(week[1], time(9), tzinfo=NY), minutes=90)
    SessionFactory(cast=world.home, start=datetime.combine(week[1], time(10, 40), tzinfo=NY), minutes=30)
    # Week 3: a long session of the host from 6:00 to 18:00; week 4: one ending as the occurrence starts.
    SessionFactory(cast=world.home, start=datetime.combine(week[3], time(6), tzinfo=NY), minutes=720)
    SessionFactory(cast=world.home, start=datetime.combine(week[4], time(9), tzinfo=NY), minutes=60)
    # Week 5: the host at 10:30, and the room at 10:45: the host is first.
    SessionFactory(cast=world.home, start=datetime.combine(week[5], time(10, 30), tzinfo=NY), minutes=10)
    SessionFactory(cast=world.home, practitioner=other, room=world.home.room,
                   start=datetime.combine(week[5], time(10, 45), tzinfo=NY), minutes=10)
    draft = S.new_series(practice=world.home.practice, actor=None, data=data_at(world, MONDAY, 10),
                         repeat={"preset": "weekly", "count": 6})
    items = S.preview(draft, S.occurrence_days(draft))
    assert [item.conflict for item in items] == ["", room_says, "", host_says, "", host_says]
