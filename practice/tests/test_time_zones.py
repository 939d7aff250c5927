"""Only canonical IANA time zone names are accepted as new input (issue 12, item 11)."""
import pytest
from django.urls import reverse

from practice.models import Practice
from practice.timezones import time_zone_choices
from sessions_app.models import Contact

pytestmark = pytest.mark.django_db

GOOD = {"name": "Jamie Rivera", "invite_method": "email", "email": "jamie@example.com", "phone": "", "time_zone": "America/Chicago"}


@pytest.mark.parametrize("zone, message", [
    ("localtime", "“localtime” is not a time zone we know."),
    ("EST5EDT", "“EST5EDT” is not a time zone we know."),
    ("US/Eastern", "“US/Eastern” is an old name for a time zone. Use America/New_York instead."),
    ("Asia/Calcutta", "“Asia/Calcutta” is an old name for a time zone. Use Asia/Kolkata instead."),
    ("GMT+0", "“GMT+0” is not a time zone we know."),
])
def test_legacy_and_system_zone_names_are_refused_with_a_plain_message(login, world, zone, message):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:contact_add"), {**GOOD, "time_zone": zone})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["time_zone"])
    assert not Contact.objects.filter(name="Jamie Rivera").exists()


@pytest.mark.parametrize("zone", ["America/Chicago", "Europe/Oslo", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "UTC"])
def test_canonical_names_are_accepted(login, world, zone):
    client = login(world.home.practitioner)
    assert client.post(reverse("sessions_app:contact_add"), {**GOOD, "time_zone": zone}).status_code == 302
    assert Contact.objects.get(name="Jamie Rivera").time_zone == zone


def test_the_picker_offers_no_legacy_names():
    offered = {value for value, _label in time_zone_choices()}
    assert "America/New_York" in offered and "UTC" in offered and "Europe/Oslo" in offered
    assert not offered & {"localtime", "EST5EDT", "US/Eastern", "Asia/Calcutta", "GMT", "Etc/UTC", "Canada/Eastern"}


def test_a_row_saved_with_a_legacy_name_still_reads(login, world):
    Practice.objects.filter(pk=world.home.practice.pk).update(time_zone="US/Eastern")
    Contact.objects.filter(pk=world.home.contact.pk).update(time_zone="EST5EDT")
    client = login(world.home.practitioner)
    assert client.get(reverse("sessions_app:contacts")).status_code == 200
    assert client.get(reverse("sessions_app:dashboard")).status_code == 200
    assert client.get(reverse("sessions_app:contact_edit", args=[world.home.contact.pk])).status_code == 200
