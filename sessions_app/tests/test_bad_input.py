"""Issue 12, items 12-14: odd input answers a plain 4xx or a form error, never a 500,
and writes nothing."""
import pytest
from django.urls import reverse

from practice.models import Role
from sessions_app.models import Contact, Participant, Session
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db

NUL_MESSAGE = "That input contains a character we cannot store."


@pytest.mark.parametrize("url, params", [
    ("sessions_app:contact_search", {"q": "a\x00b"}),
    ("sessions_app:contacts", {"q": "a\x00b"}),
    ("sessions_app:contacts", {"q\x00": "a"}),
    ("sessions_app:calendar_events", {"start": "2030-03-01\x00", "end": "2030-03-08"}),
])
def test_nul_in_a_query_parameter_is_a_plain_400(login, world, url, params):
    response = login(world.home.practitioner).get(reverse(url), params)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_nul_in_a_participant_name_is_a_plain_400_and_writes_nothing(login, world):
    client = login(world.home.practitioner)
    before = (Session.objects.count(), Participant.objects.count(), Contact.objects.count())
    data = session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Jamie\x00 Rivera", "email": "jamie@example.com", "save_contact": "on"}])
    response = client.post(reverse("sessions_app:session_new"), data)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert (Session.objects.count(), Participant.objects.count(), Contact.objects.count()) == before


def test_nul_in_a_contact_form_is_a_plain_400_and_writes_nothing(login, world):
    client = login(world.home.practitioner)
    before = Contact.objects.count()
    response = client.post(reverse("sessions_app:contact_add"), {
        "name": "Jamie Rivera", "invite_method": "none", "email": "", "phone": "", "time_zone": "America/Chicago\x00"})
    assert response.status_code == 400
    assert Contact.objects.count() == before


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("start, end", [
    ("9999-12-31", "9999-12-31"),
    ("9999-12-31T23:59:59", "9999-12-31T23:59:59"),
])
def test_calendar_events_at_the_ends_of_time_are_a_400_for_every_role(login, world, role, start, end):
    response = login(world.home.member(role)).get(reverse("sessions_app:calendar_events"), {"start": start, "end": end})
    assert response.status_code == 400
    assert response.content  # a message, not an empty body


LONG_EMAIL = "a" * 300 + "@example.com"  # 312 characters: a valid address longer than the 254 the column holds


def test_a_participant_email_longer_than_the_column_is_a_form_error(login, world):
    assert len(LONG_EMAIL) == 312
    client = login(world.home.practitioner)
    before = (Session.objects.count(), Participant.objects.count())
    data = session_post(practitioner=world.home.practitioner, participants=[{"name": "Jamie Rivera", "email": LONG_EMAIL}])
    response = client.post(reverse("sessions_app:session_new"), data)
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert (Session.objects.count(), Participant.objects.count()) == before


def test_a_contact_email_longer_than_the_column_is_a_form_error(login, world):
    client = login(world.home.practitioner)
    before = Contact.objects.count()
    response = client.post(reverse("sessions_app:contact_add"), {
        "name": "Jamie Rivera", "invite_method": "email", "email": LONG_EMAIL, "phone": "", "time_zone": "America/Chicago"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert Contact.objects.count() == before
