"""Issue 12: odd input to the session form (with its participant and service formsets),
closures, contacts and the calendar endpoints never answers 5xx, and a refusal writes
no row. Each example runs in its own savepoint, rolled back after it."""
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice.tests.factories import SessionFactory
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ODD = st.one_of(
    st.sampled_from([
        "", " ", "\x00", "a\x00b", "\x01\x02\x1b[31m\x7f", "\u200b\u202e", "😀" * 80, "Zoë Ñúñez 李", "x" * 5000,
        "-1", "0", "-99999999999999999999", "99999999999999999999", "1e309", "NaN", "inf", "1.005", "-0.01",
        "9999-12-31", "0001-01-01", "10000-01-01", "2030-02-30", "2030-13-01", "0000-00-00", "25:61", "23:59:60",
        "9999-12-31T23:59:59", "2030-03-12T10:00:00+99:00", "2030-03-08T02:30:00", "Mars/Olympus_Mons",
        "localtime", "EST5EDT", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "a" * 300 + "@x.com",
        "on", "True", "false", "email", "text", "none", "pigeon",
    ]),
    st.text(max_size=40),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
)


def _rows():
    """How many rows every model of sessions_app, billing and notifications holds."""
    return {
        model._meta.label: model.objects.count()
        for label in ("sessions_app", "billing", "notifications")
        for model in apps.get_app_config(label).get_models()
    }


def _fuzzed(data, draw, world, extra_keys=()):
    """The form's data with up to five fields (or new ones) set to odd values or to the ids of
    another practice's rows."""
    foreign = st.sampled_from([str(pk) for pk in (
        world.outsider.practitioner.pk, world.outsider.service.pk, world.outsider.room.pk, world.outsider.contact.pk,
        world.outsider.client.pk)])
    keys = sorted(set(data) | set(extra_keys))
    for key in draw(st.lists(st.sampled_from(keys), max_size=5, unique=True)):
        data[key] = draw(st.one_of(ODD, foreign))
    return data


@contextmanager
def _example():
    """One example's rows (its sessions too) are rolled back after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _check(client, method, url, data, *, success=(302,)):
    before = _rows()
    with transaction.atomic():
        response = getattr(client, method)(url, data)
        assert response.status_code < 500, (url, data, response.status_code)
        if response.status_code not in success:
            assert _rows() == before, (url, data, response.status_code)
        transaction.set_rollback(True)
    return response


@FUZZ
@given(data=st.data())
def test_session_form_with_odd_input(client, world, data):
    client.force_login(world.home.practitioner)
    post = session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Jamie Rivera", "email": "jamie@example.com", "save_contact": "on", "require_payment": "on",
         "payment_service": world.home.service.pk, "payment_amount": "10", "contact": world.home.contact.pk},
        {"name": "Sam Lee", "invite_method": "text", "phone": "(212) 555-0142", "time_zone": "Europe/Paris"},
    ])
    post = _fuzzed(post, data.draw, world, extra_keys=["participants-0-id", "services-0-id", "room", "series"])
    _check(client, "post", reverse("sessions_app:session_new"), post)


@FUZZ
@given(data=st.data())
def test_session_edit_with_odd_input(client, world, data):
    client.force_login(world.home.practitioner)
    with _example():
        _edit(client, world, data)


def _edit(client, world, data):
    session = SessionFactory(cast=world.home, clients=1)
    participant = session.participants.first()
    post = session_post(practitioner=world.home.practitioner, participants=[
        {"id": participant.pk, "name": participant.name, "email": "pat@example.com"}],
        **{"participants-INITIAL_FORMS": 1})
    post = _fuzzed(post, data.draw, world)
    _check(client, "post", reverse("sessions_app:session_edit", args=[session.pk]), post)


@FUZZ
@given(data=st.data())
def test_closures_with_odd_input(client, world, data):
    client.force_login(world.home.admin)
    post = _fuzzed({"title": "Holiday", "start_date": "2030-12-24", "end_date": "2030-12-26"}, data.draw, world,
                   extra_keys=["practitioner", "all_day"])
    _check(client, "post", reverse("sessions_app:closure_add"), post)


@FUZZ
@given(data=st.data())
def test_contacts_with_odd_input(client, world, data):
    client.force_login(world.home.practitioner)
    post = _fuzzed({"name": "Jamie Rivera", "invite_method": "email", "email": "jamie@example.com",
                    "phone": "(212) 555-0142", "time_zone": "America/Chicago"}, data.draw, world)
    url = data.draw(st.sampled_from([
        reverse("sessions_app:contact_add"), reverse("sessions_app:contact_edit", args=[world.home.contact.pk]),
        reverse("sessions_app:contact_edit", args=[world.outsider.contact.pk]),
        reverse("sessions_app:contact_delete", args=[world.outsider.contact.pk]),
    ]))
    _check(client, "post", url, post)
    for search in (reverse("sessions_app:contact_search"), reverse("sessions_app:contacts")):
        params = _fuzzed({"q": "Ho"}, data.draw, world, extra_keys=["participants-0-name", "page", "archived"])
        _check(client, "get", search, params, success=(200,))


@FUZZ
@given(data=st.data())
def test_calendar_endpoints_with_odd_input(client, world, data):
    role = data.draw(st.sampled_from(["admin", "staff", "practitioner", "client"]))
    client.force_login(world.home.member(role))
    params = _fuzzed({"start": "2030-03-01T00:00:00-05:00", "end": "2030-04-12T00:00:00-04:00",
                      "practitioner": str(world.home.practitioner.pk)}, data.draw, world)
    _check(client, "get", reverse("sessions_app:calendar_events"), params, success=(200,))

    with _example():
        session = SessionFactory(cast=world.home, clients=1)
        theirs = SessionFactory(cast=world.outsider)
        target = data.draw(st.sampled_from([session, theirs]))
        move = _fuzzed({"start": "2030-03-12T11:00:00-04:00", "end": "2030-03-12T11:50:00-04:00"}, data.draw, world)
        response = _check(client, "post", reverse("sessions_app:session_move", args=[target.pk]), move, success=(200,))
        if response.status_code != 200:  # refused: the session has not moved
            moved = type(target).objects.get(pk=target.pk)
            assert (moved.start, moved.end) == (target.start, target.end)
