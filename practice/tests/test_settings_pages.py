"""Admins manage services and rooms on the settings page; bad input writes nothing."""
from decimal import Decimal

import pytest
from django.urls import reverse

from practice.models import Room, Service

pytestmark = pytest.mark.django_db

GOOD_SERVICE = {
    "cpt_code": "90834", "name": "Psychotherapy, 45 min", "price": "130.00", "duration_minutes": "45",
    "in_person": "on", "video": "on", "wage_kind": "percent", "wage_amount": "60", "is_active": "on",
}


def test_admin_adds_a_service(login, world):
    client = login(world.home.admin)
    response = client.post(reverse("service_add"), GOOD_SERVICE)
    assert response.status_code == 302
    service = Service.objects.get(name="Psychotherapy, 45 min")
    assert service.practice == world.home.practice
    assert service.price == Decimal("130.00")
    page = client.get(reverse("practice_settings")).content.decode()
    assert "Psychotherapy, 45 min" in page and "130.00 USD" in page


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"price": "-5"}, "price", "greater than or equal to 0"),
        ({"duration_minutes": "0"}, "duration_minutes", "greater than or equal to 5"),
        ({"cpt_code": "9083"}, "cpt_code", "five characters"),
        ({"cpt_code": "abcde"}, "cpt_code", "five characters"),
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
        ({"price": "abc"}, "price", "Enter a number"),
        ({"in_person": "", "video": ""}, "in_person", "at least one delivery method"),
        ({"wage_amount": "150"}, "wage_amount", "more than 100"),
        ({"name": "home therapy"}, "name", "already has one named"),
    ],
)
def test_bad_service_input_gets_a_form_error_and_writes_nothing(login, world, change, field, message):
    client = login(world.home.admin)
    before = Service.objects.count()
    data = {**GOOD_SERVICE, **change}
    data = {k: v for k, v in data.items() if v != ""} if field == "in_person" else data
    response = client.post(reverse("service_add"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Service.objects.count() == before


def test_admin_edits_a_room(login, world):
    client = login(world.home.admin)
    response = client.post(reverse("room_edit", args=[world.home.room.pk]), {"name": "Blue room", "kind": "virtual", "is_active": "on"})
    assert response.status_code == 302
    world.home.room.refresh_from_db()
    assert (world.home.room.name, world.home.room.kind) == ("Blue room", "virtual")


def test_room_names_are_unique_within_a_practice_only(login, world):
    client = login(world.home.admin)
    assert client.post(reverse("room_add"), {"name": "outsider room", "kind": "in_person"}).status_code == 302
    response = client.post(reverse("room_add"), {"name": "HOME ROOM", "kind": "in_person"})
    assert response.status_code == 200
    assert Room.objects.filter(practice=world.home.practice).count() == 2


@pytest.mark.parametrize("role", ["staff", "practitioner", "client"])
def test_only_admins_manage_settings(login, world, role):
    client = login(world.home.member(role))
    assert client.get(reverse("practice_settings")).status_code == 403
    assert client.get(reverse("service_edit", args=[world.home.service.pk])).status_code == 403
    assert client.post(reverse("service_add"), GOOD_SERVICE).status_code == 403
    assert not Service.objects.filter(name=GOOD_SERVICE["name"]).exists()


def test_a_virtual_room_with_overlapping_sessions_cannot_become_in_person(login, world):
    from practice.tests.factories import SessionFactory, next_weekday_at

    video = Room.objects.create(practice=world.home.practice, name="Video", kind="virtual")
    start = next_weekday_at(10)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, room=video, start=start)
    SessionFactory(practice=world.home.practice, practitioner=world.home.admin, room=video, start=start)
    client = login(world.home.admin)
    response = client.post(reverse("room_edit", args=[video.pk]), {"name": "Video", "kind": "in_person", "is_active": "on"})
    assert response.status_code == 200
    assert "cannot become an in-person room" in response.content.decode()
    video.refresh_from_db()
    assert video.kind == "virtual"


def test_a_room_turned_in_person_guards_its_sessions(login, world):
    from django.db import IntegrityError, transaction

    from practice.tests.factories import SessionFactory, next_weekday_at

    video = Room.objects.create(practice=world.home.practice, name="Video", kind="virtual")
    start = next_weekday_at(10)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, room=video, start=start)
    client = login(world.home.admin)
    client.post(reverse("room_edit", args=[video.pk]), {"name": "Video", "kind": "in_person", "is_active": "on"})
    video.refresh_from_db()
    assert video.sessions.get().room_is_in_person
    with pytest.raises(IntegrityError, match="no_double_booking_room"), transaction.atomic():
        SessionFactory(practice=world.home.practice, practitioner=world.home.admin, room=video, start=start)


def test_a_room_turned_in_person_in_django_admin_guards_its_sessions_too(login, world):
    from practice.tests.factories import SessionFactory, next_weekday_at

    video = Room.objects.create(practice=world.home.practice, name="Video", kind="virtual")
    session = SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, room=video,
                             start=next_weekday_at(10))
    response = login(world.home.admin).post(reverse("admin:practice_room_change", args=[video.pk]),
                                            {"name": "Video", "kind": "in_person", "is_active": "on"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.room_is_in_person


def _overlapping_in(room, world):
    """Two sessions at the same time in the (virtual) room."""
    from practice.tests.factories import SessionFactory, next_weekday_at

    start = next_weekday_at(10)
    SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner, room=room, start=start)
    SessionFactory(practice=world.home.practice, practitioner=world.home.admin, room=room, start=start)


@pytest.fixture
def advisory_check_misses(monkeypatch):
    """The first overlap check (the form's) answers "none"; later ones (save_room's, under the lock) look:
    what a booking landing between the form's check and the save looks like."""
    from sessions_app import rooms

    real, calls = rooms.room_has_overlapping_sessions, []

    def check(room):
        calls.append(room)
        return False if len(calls) == 1 else real(room)

    monkeypatch.setattr(rooms, "room_has_overlapping_sessions", check)
    return calls


def test_a_switch_to_in_person_refused_at_save_is_a_plain_form_error(login, world, advisory_check_misses):
    video = Room.objects.create(practice=world.home.practice, name="Video", kind="virtual")
    _overlapping_in(video, world)
    response = login(world.home.admin).post(reverse("room_edit", args=[video.pk]),
                                            {"name": "Video", "kind": "in_person", "is_active": "on"})
    assert response.status_code == 200
    assert "cannot become an in-person room" in response.content.decode()
    assert len(advisory_check_misses) == 2  # the form's, then save_room's under the room's lock
    video.refresh_from_db()
    assert video.kind == "virtual"
    assert not video.sessions.filter(room_is_in_person=True).exists()


def test_a_switch_to_in_person_refused_at_save_in_django_admin_is_a_plain_message(login, world, advisory_check_misses):
    video = Room.objects.create(practice=world.home.practice, name="Video", kind="virtual")
    _overlapping_in(video, world)
    url = reverse("admin:practice_room_change", args=[video.pk])
    response = login(world.home.admin).post(url, {"name": "Video", "kind": "in_person", "is_active": "on"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "The room was not saved: This room has sessions at the same time" in response.content.decode()
    video.refresh_from_db()
    assert video.kind == "virtual"
    assert not video.sessions.filter(room_is_in_person=True).exists()


def test_settings_and_admin_are_in_the_admin_person_menu_only(login, world):
    """They sit in the person menu, not the bar, which had no room left for the practice's name."""
    settings_link = f'href="{reverse("practice_settings")}"'
    page = login(world.home.admin).get(reverse("sessions_app:session_list")).content.decode()
    menu = page.split('class="dropdown-menu dropdown-menu-xl-end"', 1)[1].split("</ul>", 1)[0]
    assert settings_link in menu and f'href="{reverse("admin:index")}"' in menu
    assert page.count(settings_link) == 1
    for role in ("staff", "practitioner"):
        other = login(world.home.member(role)).get(reverse("sessions_app:session_list")).content.decode()
        assert settings_link not in other and reverse("admin:index") not in other
