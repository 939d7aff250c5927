"""Another practice's objects answer 404 for every role, on every page that takes an id."""
import pytest
from django.urls import reverse

from practice.models import Role, Room, Service
from sessions_app.models import Contact

pytestmark = pytest.mark.django_db

ROLES = list(Role.values)


def outsider_urls(world):
    o = world.outsider
    return [
        reverse("service_edit", args=[o.service.pk]),
        reverse("room_edit", args=[o.room.pk]),
        reverse("sessions_app:contact_edit", args=[o.contact.pk]),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_another_practices_objects_answer_404_to_every_role(login, world, role):
    client = login(world.home.member(role))
    for url in outsider_urls(world):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Hijacked"}).status_code == 404, url
    assert client.post(reverse("sessions_app:contact_delete", args=[world.outsider.contact.pk])).status_code == 404
    assert Contact.objects.filter(pk=world.outsider.contact.pk, name="Outsider Contact").exists()
    assert Service.objects.get(pk=world.outsider.service.pk).name == "outsider therapy"
    assert Room.objects.get(pk=world.outsider.room.pk).name == "outsider room"


def test_lists_show_only_the_own_practice(login, world):
    client = login(world.home.admin)
    settings_page = client.get(reverse("practice_settings")).content.decode()
    assert "home therapy" in settings_page and "outsider therapy" not in settings_page
    assert "outsider room" not in settings_page
    contacts_page = client.get(reverse("sessions_app:contacts")).content.decode()
    assert "Home Contact" in contacts_page and "Outsider Contact" not in contacts_page


def test_django_admin_is_scoped_to_the_admins_practice(login, world):
    client = login(world.home.admin)
    listing = client.get(reverse("admin:practice_service_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "home therapy" in body and "outsider therapy" not in body
    # Django admin answers a row it cannot see by sending the user back to the index.
    response = client.get(reverse("admin:practice_service_change", args=[world.outsider.service.pk]))
    assert response.status_code == 302 and "outsider therapy" not in response.content.decode()
    response = client.post(reverse("admin:practice_service_delete", args=[world.outsider.service.pk]), {"post": "yes"})
    assert Service.objects.filter(pk=world.outsider.service.pk).exists()


def test_django_admin_sets_the_practice_itself(login, world):
    client = login(world.home.admin)
    response = client.post(reverse("admin:practice_room_add"), {
        "name": "Admin-made room", "kind": "in_person", "is_active": "on", "practice": world.outsider.practice.pk,
    })
    assert response.status_code == 302
    assert Room.objects.get(name="Admin-made room").practice == world.home.practice


@pytest.mark.parametrize("role", ["staff", "practitioner", "client"])
def test_django_admin_is_for_admins_only(login, world, role):
    client = login(world.home.member(role))
    response = client.get(reverse("admin:practice_service_changelist"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
