import pytest
from django.urls import reverse

from practice.tests.factories import ContactFactory, MembershipFactory, UserFactory
from sessions_app.models import Contact

pytestmark = pytest.mark.django_db

GOOD = {"name": "Jamie Rivera", "invite_method": "text", "email": "", "phone": "(212) 555-0142", "time_zone": "America/Chicago"}


def test_practitioner_saves_a_contact_with_an_e164_phone(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:contact_add"), GOOD)
    assert response.status_code == 302
    contact = Contact.objects.get(name="Jamie Rivera")
    assert contact.phone == "+12125550142"
    assert contact.owner == world.home.practitioner and contact.practice == world.home.practice
    assert "Jamie Rivera" in client.get(reverse("sessions_app:contacts")).content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"name": "J"}, "name", "at least 2 characters"),
        ({"name": "   "}, "name", "required"),
        ({"invite_method": "email", "email": ""}, "email", "Enter an e-mail address"),
        ({"invite_method": "email", "email": "not-an-email"}, "email", "valid email"),
        ({"phone": ""}, "phone", "Enter a cell phone number"),
        ({"phone": "12345"}, "phone", "valid phone number"),
        ({"phone": "call me maybe"}, "phone", "valid phone number"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a time zone we know"),
        ({"invite_method": "pigeon"}, "invite_method", "Select a valid choice"),
    ],
)
def test_bad_contact_input_gets_a_form_error_and_writes_nothing(login, world, change, field, message):
    client = login(world.home.practitioner)
    before = Contact.objects.count()
    response = client.post(reverse("sessions_app:contact_add"), {**GOOD, **change})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Contact.objects.count() == before


def test_no_invite_contact_needs_no_address(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:contact_add"), {**GOOD, "invite_method": "none", "phone": ""})
    assert response.status_code == 302


def test_practitioners_see_only_their_own_contacts_office_sees_all(login, world):
    colleague = UserFactory()
    MembershipFactory(user=colleague, practice=world.home.practice, role="practitioner")
    theirs = ContactFactory(practice=world.home.practice, owner=colleague, name="Colleague's Person")
    client = login(world.home.practitioner)
    assert "Colleague&#x27;s Person" not in client.get(reverse("sessions_app:contacts")).content.decode()
    assert client.get(reverse("sessions_app:contact_edit", args=[theirs.pk])).status_code == 404
    staff = login(world.home.staff)
    assert staff.get(reverse("sessions_app:contact_edit", args=[theirs.pk])).status_code == 200


def test_clients_have_no_contacts_page(login, world):
    client = login(world.home.client)
    assert client.get(reverse("sessions_app:contacts")).status_code == 403
    assert client.get(reverse("sessions_app:contact_add")).status_code == 403
    assert client.get(reverse("sessions_app:contact_edit", args=[world.home.contact.pk])).status_code == 404


def test_search_finds_by_name_or_email(login, world):
    ContactFactory(practice=world.home.practice, owner=world.home.practitioner, name="Zelda Quinn", email="zq@example.com")
    client = login(world.home.practitioner)
    page = client.get(reverse("sessions_app:contacts"), {"q": "quinn"}).content.decode()
    assert "Zelda Quinn" in page and "Home Contact" not in page


def test_delete_contact(login, world):
    client = login(world.home.practitioner)
    assert client.post(reverse("sessions_app:contact_delete", args=[world.home.contact.pk])).status_code == 302
    assert not Contact.objects.filter(pk=world.home.contact.pk).exists()


def _charge_for(contact):
    from billing.models import EntryKind, LedgerEntry

    return LedgerEntry.objects.create(practice=contact.practice, kind=EntryKind.CHARGE, amount="120.00", currency="USD",
                                      label="Therapy", contact=contact, client_name=contact.name)


def test_deleting_a_contact_with_ledger_lines_explains_and_offers_to_archive(login, world):
    contact = world.home.contact
    _charge_for(contact)
    client = login(world.home.practitioner)
    url = reverse("sessions_app:contact_delete", args=[contact.pk])
    response = client.post(url)
    assert response.status_code == 409
    page = response.content.decode()
    assert "cannot be deleted" in page and "Archive instead" in page
    assert Contact.objects.filter(pk=contact.pk, is_archived=False).exists()

    response = client.post(url, {"action": "archive"}, follow=True)
    assert response.redirect_chain == [(reverse("sessions_app:contacts"), 302)]
    assert "archived" in response.content.decode()
    contact.refresh_from_db()
    assert contact.is_archived
    assert "Home Contact" not in client.get(reverse("sessions_app:contacts")).content.decode()
    assert "Home Contact" not in client.get(reverse("sessions_app:contact_search"), {"q": "Home"}).content.decode()
    assert "Home Contact" in client.get(reverse("sessions_app:contacts"), {"archived": "1"}).content.decode()

    assert client.post(url, {"action": "restore"}, follow=True).status_code == 200
    assert "Home Contact" in client.get(reverse("sessions_app:contacts")).content.decode()


def test_archiving_is_only_for_contacts_one_may_see(login, world):
    client = login(world.home.practitioner)
    url = reverse("sessions_app:contact_delete", args=[world.outsider.contact.pk])
    assert client.post(url, {"action": "archive"}).status_code == 404
    assert not Contact.objects.get(pk=world.outsider.contact.pk).is_archived
