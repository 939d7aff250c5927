"""A session with a client has at least one service (issue 11, item 9): the domain functions refuse
one without, so nothing that calls them (a task, a command, a future portal) bills a session at 0.
Exempt: an Orientation Session, and a session with no client participant."""
from datetime import timedelta
from decimal import Decimal

import pytest

from practice.errors import DomainError
from practice.tests.factories import next_weekday_at
from sessions_app import scheduling
from sessions_app.models import Participant, Session, SessionKind, SessionService

pytestmark = pytest.mark.django_db


def _data(world, *, services=(), is_client=True, kind=SessionKind.REGULAR, hour=10):
    return scheduling.SessionData(
        practitioner=world.home.practitioner, start=next_weekday_at(hour), duration_minutes=50,
        time_zone="America/New_York", kind=kind, services=list(services),
        participants=[scheduling.ParticipantData(name="Jamie Rivera", invite_method="none",
                                                 time_zone="America/New_York", is_client=is_client)],
    )


def _schedule(world, data):
    return scheduling.schedule_session(practice=world.home.practice, actor=world.home.practitioner, data=data)


def test_schedule_session_refuses_a_client_session_without_a_service(world):
    with pytest.raises(DomainError) as refused:
        _schedule(world, _data(world))
    assert refused.value.message == scheduling.SERVICE_REQUIRED
    assert Session.objects.count() == 0 and Participant.objects.count() == 0


def test_an_orientation_and_a_session_without_a_client_are_exempt(world):
    _schedule(world, _data(world, kind=SessionKind.ORIENTATION))
    _schedule(world, _data(world, is_client=False, hour=14))
    assert Session.objects.count() == 2 and SessionService.objects.count() == 0


def test_update_session_refuses_to_drop_the_last_service(world):
    session = _schedule(world, _data(world, services=[(world.home.service, Decimal("150.00"))]))
    moved = _data(world, hour=13)
    moved.participants[0].id = session.participants.get().pk
    with pytest.raises(DomainError, match="at least one service"):
        scheduling.update_session(practice=world.home.practice, actor=world.home.practitioner, session=session, data=moved)
    session.refresh_from_db()
    assert session.start == next_weekday_at(10)
    assert list(session.session_services.values_list("price", flat=True)) == [Decimal("150.00")]


def test_update_session_reads_the_saved_kind_not_the_data(world):
    """An orientation stays exempt on edit; a regular session does not become exempt by saying it is one."""
    orientation = _schedule(world, _data(world, kind=SessionKind.ORIENTATION))
    scheduling.update_session(practice=world.home.practice, actor=world.home.practitioner, session=orientation,
                              data=_data(world, hour=11))
    regular = _schedule(world, _data(world, services=[(world.home.service, Decimal("150.00"))], hour=15))
    with pytest.raises(DomainError, match="at least one service"):
        scheduling.update_session(practice=world.home.practice, actor=world.home.practitioner, session=regular,
                                  data=_data(world, kind=SessionKind.ORIENTATION, hour=15))
    assert orientation.start + timedelta(hours=1) == Session.objects.get(pk=orientation.pk).start


def test_create_series_refuses_a_client_series_without_a_service(world):
    from sessions_app import series
    from sessions_app.models import SessionSeries

    with pytest.raises(DomainError):
        series.create_series(practice=world.home.practice, actor=world.home.practitioner, data=_data(world),
                             repeat={"preset": "weekly", "count": 3}, today=next_weekday_at(10).date())
    assert SessionSeries.objects.count() == 0 and Session.objects.count() == 0
