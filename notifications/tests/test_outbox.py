"""Invites, reminders, reschedules, cancellations and delivery (DESIGN.md invariant 5)."""
import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from twilio.request_validator import RequestValidator

from notifications import delivery
from notifications.models import Channel, Notification, NotificationKind, State
from notifications.stubs import TwilioStub
from notifications.views import record_status
from sessions_app import scheduling
from sessions_app.scheduling import ParticipantData, SessionData

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def schedule(world, start=datetime(2030, 3, 12, 10, 0, tzinfo=NY), people=None):
    people = people or [
        ParticipantData(name="Emma London", invite_method="email", email="emma@example.com", time_zone="Europe/London"),
        ParticipantData(name="Tex Chicago", invite_method="text", phone="+13125550142", time_zone="America/Chicago"),
        ParticipantData(name="N.I.", invite_method="none", time_zone="America/New_York"),
    ]
    return scheduling.schedule_session(
        practice=world.home.practice, actor=world.home.practitioner,
        data=SessionData(practitioner=world.home.practitioner, start=start, duration_minutes=50, time_zone="America/New_York",
                         services=[(world.home.service, Decimal("150"))], public_note="Bring your worksheet.",
                         private_note="PRIVATE-CLINICAL", participants=people),
    )


def messages(session, **filters):
    return Notification.objects.filter(session=session, **filters).order_by("due_at", "id")


def test_scheduling_writes_invites_and_reminders_in_the_same_transaction(world):
    session = schedule(world)
    rows = messages(session)
    assert sorted((n.participant.name, n.kind, n.channel) for n in rows) == sorted([
        ("Emma London", "invite", "email"), ("Emma London", "reminder", "email"), ("Emma London", "reminder", "email"),
        ("Tex Chicago", "invite", "sms"), ("Tex Chicago", "reminder", "sms"), ("Tex Chicago", "reminder", "sms"),
    ])
    reminders = messages(session, kind=NotificationKind.REMINDER, channel=Channel.EMAIL)
    assert [session.start - n.due_at for n in reminders] == [timedelta(hours=24), timedelta(hours=1)]


def test_system_should_not_send_invite_means_no_message_at_all(world):
    session = schedule(world)
    assert not messages(session, participant__name="N.I.").exists()
    scheduling.cancel_session(practice=world.home.practice, actor=None, session=session)
    assert not messages(session, participant__name="N.I.").exists()


def test_invite_names_the_time_in_the_participants_zone_across_a_dst_change(world):
    # 12 March 2030: New York is already on EDT, London still on GMT (it changes on 31 March).
    session = schedule(world)
    emma = messages(session, kind=NotificationKind.INVITE, channel=Channel.EMAIL).get()
    assert "Tuesday, March 12, 2030 at 2:00 PM GMT (Europe/London)" in emma.body_text
    assert str(world.home.practitioner) in emma.body_text and session.access_code in emma.body_text
    assert "https://practice.example.com/join/" in emma.body_text and emma.subject.endswith("2:00 PM GMT")
    tex = messages(session, kind=NotificationKind.INVITE, channel=Channel.SMS).get()
    assert "9:00 AM CDT" in tex.body_text
    # A week later the same wall time in New York is still 10:00, and London's 14:00 becomes... still GMT.
    later = schedule(world, start=datetime(2030, 4, 2, 10, 0, tzinfo=NY))
    assert "3:00 PM BST (Europe/London)" in messages(later, kind=NotificationKind.INVITE, channel=Channel.EMAIL).get().body_text


def test_text_messages_carry_no_clinical_detail(world):
    session = schedule(world)
    for sms in messages(session, channel=Channel.SMS):
        assert world.home.service.name not in sms.body_text and world.home.service.cpt_code not in sms.body_text
        assert "worksheet" not in sms.body_text and "PRIVATE" not in sms.body_text
        assert len(sms.body_text) <= 320
    assert all("PRIVATE" not in n.body_text + n.body_html for n in messages(session))


def test_rescheduling_replaces_reminders_and_tells_the_participants(world):
    session = schedule(world)
    old_ids = set(messages(session, kind=NotificationKind.REMINDER).values_list("pk", flat=True))
    scheduling.move_session(practice=world.home.practice, actor=None, session=session,
                            start=datetime(2030, 3, 13, 15, 0, tzinfo=NY), end=datetime(2030, 3, 13, 15, 50, tzinfo=NY))
    assert set(Notification.objects.filter(pk__in=old_ids).values_list("state", flat=True)) == {State.CANCELED}
    new = messages(session, kind=NotificationKind.REMINDER, state=State.PENDING)
    assert new.count() == 4 and all(n.about_start == datetime(2030, 3, 13, 15, 0, tzinfo=NY) for n in new)
    notice = messages(session, kind=NotificationKind.RESCHEDULE, channel=Channel.EMAIL).get()
    assert "Wednesday, March 13, 2030 at 7:00 PM GMT" in notice.body_text
    assert "It was: Tuesday, March 12, 2030 at 2:00 PM" in notice.body_text


def test_canceling_removes_reminders_and_sends_notices(world):
    session = schedule(world)
    scheduling.cancel_session(practice=world.home.practice, actor=None, session=session)
    assert not messages(session, kind=NotificationKind.REMINDER, state=State.PENDING).exists()
    assert sorted(messages(session, kind=NotificationKind.CANCEL).values_list("channel", flat=True)) == ["email", "sms"]


def test_a_message_about_an_old_time_is_withdrawn_not_sent(world, clock):
    session = schedule(world)
    reminder = messages(session, kind=NotificationKind.REMINDER, channel=Channel.EMAIL).first()
    # Move the session behind the outbox's back (as a crash between steps would): the old reminder must not go.
    type(session).objects.filter(pk=session.pk).update(start=session.start + timedelta(days=1), end=session.end + timedelta(days=1))
    clock.move_to(reminder.due_at + timedelta(seconds=1))
    assert delivery.deliver_one(reminder.pk) == "withdrawn"
    reminder.refresh_from_db()
    assert reminder.state == State.CANCELED and not mail.outbox


def test_email_delivery_has_text_html_and_ics_and_is_never_sent_twice(world):
    session = schedule(world)
    invite = messages(session, kind=NotificationKind.INVITE, channel=Channel.EMAIL).get()
    assert delivery.deliver_one(invite.pk) == "sent"
    assert delivery.deliver_one(invite.pk) is None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["emma@example.com"] and sent.alternatives[0][1] == "text/html"
    name, ics, mimetype = sent.attachments[0]
    assert name == "session.ics" and "METHOD:REQUEST" in ics and "DTSTART:20300312T140000Z" in ics
    invite.refresh_from_db()
    assert invite.state == State.SENT and invite.attempts == 1 and invite.provider_id.startswith("<notification-")


def test_sms_goes_through_the_twilio_sdk(world, settings):
    stub = TwilioStub()
    settings.TWILIO_API_BASE = stub.url
    try:
        session = schedule(world)
        sms = messages(session, kind=NotificationKind.INVITE, channel=Channel.SMS).get()
        assert delivery.deliver_one(sms.pk) == "sent"
    finally:
        stub.close()
    [sent] = stub.messages
    assert sent["To"] == "+13125550142" and sent["From"] == "+15005550006" and session.access_code in sent["Body"]
    # The callback names the practice, so its signature is checked with that practice's token.
    assert sent["StatusCallback"] == f"https://practice.example.com/notifications/twilio/status/{session.practice.slug}/"
    assert sent["path"] == f"/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json"
    sms.refresh_from_db()
    assert sms.provider_id == sent["sid"] and sms.state == State.SENT


def test_failures_retry_with_backoff_then_end_as_failed_with_the_reason(world, clock):
    session = schedule(world)  # Twilio points at a port where nothing listens
    sms = messages(session, kind=NotificationKind.INVITE, channel=Channel.SMS).get()
    gaps = []
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        outcome = delivery.deliver_one(sms.pk)
        sms.refresh_from_db()
        if attempt < delivery.MAX_ATTEMPTS:
            assert outcome == "retry" and sms.state == State.PENDING
            gaps.append(sms.due_at - datetime.now(tz=NY))
            clock.move_to(sms.due_at + timedelta(seconds=1))
    assert outcome == "failed" and sms.state == State.FAILED and sms.attempts == delivery.MAX_ATTEMPTS
    assert "Connection" in sms.last_error or "connect" in sms.last_error.lower()
    assert gaps == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]


def test_a_provider_error_is_recorded(world, settings):
    stub = TwilioStub(fail_with=400)
    settings.TWILIO_API_BASE = stub.url
    try:
        session = schedule(world)
        sms = messages(session, kind=NotificationKind.INVITE, channel=Channel.SMS).get()
        assert delivery.deliver_one(sms.pk) == "retry"
    finally:
        stub.close()
    sms.refresh_from_db()
    assert "not a valid phone number" in sms.last_error


def signed_post(client, data, url="https://practice.example.com/notifications/twilio/status/", token="test-auth-token", tamper=None):
    signature = RequestValidator(token).compute_signature(url, data)
    if tamper:
        signature = tamper(signature)
    return client.post(reverse("notifications:twilio_status"), data, HTTP_X_TWILIO_SIGNATURE=signature)


def sent_sms(world):
    session = schedule(world)
    sms = messages(session, kind=NotificationKind.INVITE, channel=Channel.SMS).get()
    Notification.objects.filter(pk=sms.pk).update(state=State.SENT, provider_id="SM123")
    return sms


def test_twilio_callback_signature_is_checked(client, world):
    sms = sent_sms(world)
    data = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    flip = lambda s: ("A" if s[0] != "A" else "B") + s[1:]  # noqa: E731
    assert signed_post(client, data, tamper=flip).status_code == 403
    assert signed_post(client, data, url="http://practice.example.com/notifications/twilio/status/").status_code == 403
    assert signed_post(client, data, token="someone-elses-token").status_code == 403
    assert client.post(reverse("notifications:twilio_status"), data).status_code == 403
    sms.refresh_from_db()
    assert sms.state == State.SENT
    assert signed_post(client, data).status_code == 204
    sms.refresh_from_db()
    assert sms.state == State.DELIVERED and sms.delivered_at is not None


def test_statuses_are_recorded_once_and_only_move_forward(world):
    sms = sent_sms(world)
    assert record_status(provider_id="SM123", status="delivered")
    assert not record_status(provider_id="SM123", status="delivered")  # the same status again
    assert not record_status(provider_id="SM123", status="sent")  # a late, older status
    sms.refresh_from_db()
    assert sms.state == State.DELIVERED and sms.status_events.count() == 2


def test_a_failed_delivery_report_marks_the_message_failed(world):
    sms = sent_sms(world)
    record_status(provider_id="SM123", status="undelivered", error_code="30003")
    sms.refresh_from_db()
    assert sms.state == State.FAILED and "30003" in sms.last_error


def test_the_tile_shows_the_invite_state(login, world):
    session = schedule(world, start=datetime(2030, 3, 2, 10, 0, tzinfo=NY))
    page = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode()
    assert page.count("Invite queued") == 2 and "E-Mail/Text Not Used" in page
    delivery.deliver_one(messages(session, kind=NotificationKind.INVITE, channel=Channel.EMAIL).get().pk)
    page = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode()
    assert "Invite sent" in page and "Invite queued" in page


def test_text_invites_are_refused_without_twilio_settings(login, world, settings):
    from sessions_app.tests.helpers import session_post

    settings.TWILIO_ACCOUNT_SID = ""
    client = login(world.home.practitioner)
    data = session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Tex", "invite_method": "text", "phone": "+13125550142"}])
    response = client.post(reverse("sessions_app:session_new"), data)
    assert "Text messages are not set up" in response.content.decode()


def test_without_twilio_texts_go_to_the_console_in_development_and_fail_clearly_in_production(world, settings, capsys):
    session = schedule(world)
    sms = messages(session, kind=NotificationKind.INVITE, channel=Channel.SMS).get()
    settings.TWILIO_ACCOUNT_SID = ""
    settings.DEBUG = True
    assert delivery.deliver_one(sms.pk) == "sent"
    assert "text message to +13125550142" in capsys.readouterr().out
    reminder = messages(session, kind=NotificationKind.REMINDER, channel=Channel.SMS).first()
    Notification.objects.filter(pk=reminder.pk).update(due_at=NOW)
    settings.DEBUG = False
    assert delivery.deliver_one(reminder.pk) == "failed"
    reminder.refresh_from_db()
    assert reminder.state == State.FAILED and "not set up" in reminder.last_error and reminder.attempts == 1


def test_no_invitation_for_a_session_that_is_already_over(world):
    session = schedule(world, start=NOW - timedelta(hours=3))  # recorded after the fact
    assert not messages(session).exists()
