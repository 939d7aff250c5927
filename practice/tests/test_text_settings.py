"""The "Text messages" settings page: a practice's own Twilio account (issue 12, item 6)."""
import pytest
from django.db import connection
from django.urls import reverse

from practice.models import Practice
from practice.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SID = "AC" + "1234567890abcdef" * 2
TOKEN = "0123456789abcdef0123456789abcdef"
URL = "/settings/texts/"


def stored_token(practice):
    with connection.cursor() as cursor:
        cursor.execute("SELECT twilio_auth_token FROM practice_practice WHERE id = %s", [practice.pk])
        return cursor.fetchone()[0]


def save(client, **data):
    return client.post(URL, {"twilio_account_sid": SID, "twilio_auth_token": TOKEN,
                             "twilio_from_number": "+1 212 555 0142", **data})


def test_the_page_is_at_settings_texts_and_linked_from_the_settings_page(login, world):
    client = login(world.home.admin)
    assert reverse("text_settings") == URL
    assert URL in client.get(reverse("practice_settings")).content.decode()
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("role", ["staff", "practitioner", "client"])
def test_only_admins_may_open_it(login, world, role):
    client = login(getattr(world.home, role))
    assert client.get(URL).status_code in (302, 403, 404)
    assert save(client).status_code in (302, 403, 404)
    assert not Practice.objects.get(pk=world.home.practice.pk).twilio_account_sid


def test_saves_encrypts_and_masks(login, world):
    client = login(world.home.admin)
    assert save(client).status_code == 302
    practice = Practice.objects.get(pk=world.home.practice.pk)
    assert (practice.twilio_account_sid, practice.twilio_auth_token, practice.twilio_from_number) == (
        SID, TOKEN, "+12125550142")
    raw = stored_token(practice)
    assert TOKEN not in raw and TOKEN[-4:] not in raw and raw.startswith("gAAAA")
    page = client.get(URL).content.decode()
    assert TOKEN not in page and "01234567…cdef" in page and "own Twilio account" in page
    assert 'type="password"' in page and "Leave empty to keep the saved token." in page
    assert "https://practice.example.com/notifications/twilio/status/home/" in page
    # Empty keeps the saved token; the other practice is untouched.
    assert save(client, twilio_auth_token="", twilio_from_number="+13125550142").status_code == 302
    practice = Practice.objects.get(pk=practice.pk)
    assert practice.twilio_auth_token == TOKEN and practice.twilio_from_number == "+13125550142"
    assert not Practice.objects.get(pk=world.outsider.practice.pk).twilio_auth_token


def test_remove_the_saved_credentials(login, world):
    client = login(world.home.admin)
    save(client)
    assert client.post(URL, {"clear_credentials": "on"}).status_code == 302
    practice = Practice.objects.get(pk=world.home.practice.pk)
    assert (practice.twilio_account_sid, practice.twilio_auth_token, practice.twilio_from_number) == ("", "", "")
    assert stored_token(practice) == ""


@pytest.mark.parametrize("data, error", [
    ({"twilio_account_sid": "AC123"}, "An Account SID is AC followed by 32 hexadecimal digits."),
    ({"twilio_account_sid": "SK" + "1" * 32}, "An Account SID is AC followed by 32 hexadecimal digits."),
    ({"twilio_account_sid": "AC" + "g" * 32}, "An Account SID is AC followed by 32 hexadecimal digits."),
    ({"twilio_from_number": "555-not-a-number"}, "Enter a valid phone number"),
    ({"twilio_from_number": "+1 212 555 014"}, "Enter a valid phone number"),
    ({"twilio_auth_token": "short"}, "An auth token is 32 hexadecimal digits."),
    ({"twilio_from_number": ""}, "Enter all three"),
    ({"twilio_account_sid": ""}, "Enter all three"),
])
def test_bad_input_is_refused_and_nothing_is_saved(login, world, data, error):
    client = login(world.home.admin)
    response = save(client, **data)
    assert response.status_code == 200 and error in response.content.decode()
    practice = Practice.objects.get(pk=world.home.practice.pk)
    assert (practice.twilio_account_sid, practice.twilio_auth_token, practice.twilio_from_number) == ("", "", "")


def test_a_token_alone_is_refused_without_a_sid_and_number(login, world):
    response = login(world.home.admin).post(URL, {"twilio_auth_token": TOKEN})
    assert "Enter all three" in response.content.decode()
    assert stored_token(world.home.practice) == ""


def test_django_admin_never_shows_the_token(login, world):
    practice = world.home.practice
    Practice.objects.filter(pk=practice.pk).update(twilio_account_sid=SID, twilio_auth_token=TOKEN,
                                                   twilio_from_number="+12125550142")
    superuser = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    page = login(superuser).get(reverse("admin:practice_practice_change", args=[practice.pk])).content.decode()
    assert SID in page and "twilio_auth_token" not in page and TOKEN not in page
