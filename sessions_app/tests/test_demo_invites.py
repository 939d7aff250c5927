"""The demo data claims no text invite that could not leave (issue 12, item 6, demo part)."""
from io import StringIO

import pytest
from django.core.management import call_command

from notifications.models import Channel, Notification
from sessions_app.models import Contact, InviteMethod, Participant

pytestmark = pytest.mark.django_db


def test_without_twilio_the_demo_phone_contacts_get_no_invite(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM_NUMBER = ""
    out = StringIO()
    call_command("demo_data", stdout=out)
    assert "Text messages are not set up" in out.getvalue()
    riley = Contact.objects.filter(name="Riley Park")
    assert riley.exists() and set(riley.values_list("invite_method", flat=True)) == {InviteMethod.NONE}
    assert not Participant.objects.filter(invite_method=InviteMethod.TEXT).exists()
    assert not Notification.objects.filter(channel=Channel.SMS).exists()


def test_with_twilio_the_demo_phone_contacts_are_texted(settings):
    out = StringIO()
    call_command("demo_data", stdout=out)
    assert "Text messages are not set up" not in out.getvalue()
    assert set(Contact.objects.filter(name="Riley Park").values_list("invite_method", flat=True)) == {InviteMethod.TEXT}
    assert Notification.objects.filter(channel=Channel.SMS).exists()
