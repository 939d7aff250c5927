"""Twilio settings per practice (issue 12, item 6): a practice's own account sends its texts and
checks its status callbacks; the environment's TWILIO_* account still serves a practice without one."""
import zoneinfo
from datetime import datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from twilio.request_validator import RequestValidator

from notifications import channels, delivery
from notifications.models import Channel, Notification, NotificationKind, State
from notifications.stubs import TwilioStub
from practice.models import Practice
from sessions_app import scheduling
from sessions_app.models import Contact, InviteMethod
from sessions_app.scheduling import ParticipantData, SessionData
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=NY)
ENV_SID = "AC" + "0" * 32  # conftest's _messaging
ENV_TOKEN = "test-auth-token"
OWN = {"twilio_account_sid": "AC" + "a1" * 16, "twilio_auth_token": "f" * 32, "twilio_from_number": "+12125550142"}
SITE = "https://practice.example.com"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def no_environment(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM_NUMBER = ""


def give_own_twilio(practice, **overrides):
    values = {**OWN, **overrides}
    for field, value in values.items():
        setattr(practice, field, value)
    practice.save(update_fields=list(values))
    return Practice.objects.get(pk=practice.pk)


def schedule_text(cast):
    session = scheduling.schedule_session(
        practice=cast.practice, actor=cast.practitioner,
        data=SessionData(practitioner=cast.practitioner, start=datetime(2030, 3, 12, 10, 0, tzinfo=NY), duration_minutes=50,
                         time_zone="America/New_York", services=[(cast.service, Decimal("150"))],
                         participants=[ParticipantData(name="Tex Chicago", invite_method="text", phone="+13125550142",
                                                       time_zone="America/Chicago")]),
    )
    return Notification.objects.get(session=session, kind=NotificationKind.INVITE, channel=Channel.SMS)


def deliver_to_stub(settings, notification):
    stub = TwilioStub()
    settings.TWILIO_API_BASE = stub.url
    try:
        assert delivery.deliver_one(notification.pk) == "sent"
    finally:
        stub.close()
    [sent] = stub.messages
    return sent


# --- which account -------------------------------------------------------------

def test_the_practice_credentials_win_over_the_environment(world):
    practice = give_own_twilio(world.home.practice)
    assert channels.twilio_credentials(practice) == (OWN["twilio_account_sid"], OWN["twilio_auth_token"], "+12125550142")
    assert channels.twilio_credentials(world.outsider.practice) == (ENV_SID, ENV_TOKEN, "+15005550006")
    assert channels.sms_configured(practice) and channels.sms_configured(world.outsider.practice)


def test_part_of_an_own_account_falls_back_to_the_environment(world):
    practice = give_own_twilio(world.home.practice, twilio_from_number="")
    assert channels.twilio_credentials(practice) == (ENV_SID, ENV_TOKEN, "+15005550006")


def test_nothing_configured_means_no_texts(world, settings):
    no_environment(settings)
    assert channels.twilio_credentials(world.home.practice) is None
    assert not channels.sms_configured(world.home.practice)
    practice = give_own_twilio(world.home.practice, twilio_auth_token="")
    assert not channels.sms_configured(practice)


def test_a_practice_with_its_own_account_can_choose_text_invites_with_the_environment_unset(login, world, settings):
    no_environment(settings)
    give_own_twilio(world.home.practice)
    data = session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Tex", "invite_method": "text", "phone": "+13125550142"}])
    response = login(world.home.practitioner).post(reverse("sessions_app:session_new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Notification.objects.filter(practice=world.home.practice, channel=Channel.SMS).exists()


def test_a_practice_without_an_account_is_still_refused_text_invites(login, world, settings):
    no_environment(settings)
    give_own_twilio(world.home.practice)  # another practice's account is not this one's
    data = session_post(practitioner=world.outsider.practitioner, participants=[
        {"name": "Tex", "invite_method": "text", "phone": "+13125550142"}])
    response = login(world.outsider.practitioner).post(reverse("sessions_app:session_new"), data)
    assert "Text messages are not set up" in response.content.decode()
    assert not Notification.objects.filter(channel=Channel.SMS).exists()


def test_demo_data_asks_about_the_demo_practice(settings):
    no_environment(settings)
    give_own_twilio(Practice.objects.create(name="Demo Practice", slug="demo"))
    out = StringIO()
    call_command("demo_data", stdout=out)
    assert "Text messages are not set up" not in out.getvalue()
    assert set(Contact.objects.filter(name="Riley Park").values_list("invite_method", flat=True)) == {InviteMethod.TEXT}


# --- sending ---------------------------------------------------------------------

def test_a_text_goes_out_with_the_practice_account(world, settings):
    no_environment(settings)
    give_own_twilio(world.home.practice)
    sms = schedule_text(world.home)
    sent = deliver_to_stub(settings, sms)
    assert sent["path"] == f"/2010-04-01/Accounts/{OWN['twilio_account_sid']}/Messages.json"
    assert sent["From"] == "+12125550142" and sent["To"] == "+13125550142"
    assert sent["StatusCallback"] == f"{SITE}/notifications/twilio/status/home/"
    sms.refresh_from_db()
    assert sms.state == State.SENT and sms.provider_id == sent["sid"]


def test_the_environment_account_still_serves_a_practice_without_its_own(world, settings):
    give_own_twilio(world.home.practice)
    sent = deliver_to_stub(settings, schedule_text(world.outsider))
    assert sent["path"] == f"/2010-04-01/Accounts/{ENV_SID}/Messages.json" and sent["From"] == "+15005550006"
    assert sent["StatusCallback"] == f"{SITE}/notifications/twilio/status/outsider/"


def test_senders_keep_one_client_per_account(world):
    home = give_own_twilio(world.home.practice)
    other_env_practice = Practice.objects.create(name="Third", slug="third")
    senders = channels.Senders()
    mine = senders.twilio(home)
    assert senders.twilio(Practice.objects.get(pk=home.pk)) is mine
    assert mine.credentials.account_sid == OWN["twilio_account_sid"]
    env = senders.twilio(world.outsider.practice)
    assert env is not mine and env.credentials.account_sid == ENV_SID
    assert senders.twilio(other_env_practice) is env
    changed = give_own_twilio(home, twilio_auth_token="e" * 32)  # a new token is a new client
    assert senders.twilio(changed) is not mine


def test_the_claimed_message_carries_its_practice_without_another_query(world, django_assert_num_queries):
    sms = schedule_text(world.home)
    notification, outcome = delivery._claim(sms.pk, NOW, reclaim=False)
    assert notification is not None and outcome is None
    with django_assert_num_queries(0):
        assert notification.practice.slug == "home"


# --- status callbacks --------------------------------------------------------------

def sent_text(cast, provider_id):
    sms = schedule_text(cast)
    Notification.objects.filter(pk=sms.pk).update(state=State.SENT, provider_id=provider_id)
    return sms


def callback(client, slug, token, data, signed_for=None):
    path = reverse("notifications:twilio_status_practice", args=[slug]) if slug else reverse("notifications:twilio_status")
    signature = RequestValidator(token).compute_signature(SITE + (signed_for or path), data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_callback_signed_with_practice_a_token_is_accepted_at_a_and_refused_at_b(client, world, settings):
    home = give_own_twilio(world.home.practice)
    give_own_twilio(world.outsider.practice, twilio_auth_token="b" * 32)
    sms = sent_text(world.home, "SMhome")
    data = {"MessageSid": "SMhome", "MessageStatus": "delivered"}
    assert callback(client, "outsider", home.twilio_auth_token, data).status_code == 403
    assert callback(client, "home", ENV_TOKEN, data).status_code == 403  # home has its own account
    assert callback(client, "", home.twilio_auth_token, data).status_code == 403  # the old URL: environment only
    assert callback(client, "nowhere", home.twilio_auth_token, data).status_code == 403
    sms.refresh_from_db()
    assert sms.state == State.SENT
    assert callback(client, "home", home.twilio_auth_token, data).status_code == 204
    sms.refresh_from_db()
    assert sms.state == State.DELIVERED


def test_a_callback_at_b_cannot_move_a_message_of_a(client, world):
    give_own_twilio(world.outsider.practice, twilio_auth_token="b" * 32)
    sms = sent_text(world.home, "SMhome")
    data = {"MessageSid": "SMhome", "MessageStatus": "failed"}
    assert callback(client, "outsider", "b" * 32, data).status_code == 204  # signed right, but not B's message
    sms.refresh_from_db()
    assert sms.state == State.SENT


def test_a_practice_on_the_environment_account_is_checked_with_the_environment_token(client, world, settings):
    sms = sent_text(world.outsider, "SMenv")
    data = {"MessageSid": "SMenv", "MessageStatus": "delivered"}
    assert callback(client, "outsider", "someone-elses-token", data).status_code == 403
    assert callback(client, "outsider", ENV_TOKEN, data).status_code == 204
    sms.refresh_from_db()
    assert sms.state == State.DELIVERED
    no_environment(settings)
    assert callback(client, "outsider", ENV_TOKEN, {**data, "MessageStatus": "sent"}).status_code == 403


def test_the_old_url_still_takes_the_environment_token(client, world):
    sms = sent_text(world.outsider, "SMold")
    assert callback(client, "", ENV_TOKEN, {"MessageSid": "SMold", "MessageStatus": "delivered"}).status_code == 204
    sms.refresh_from_db()
    assert sms.state == State.DELIVERED
