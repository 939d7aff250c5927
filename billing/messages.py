"""What the team is told about money: a payment received, worded here and written
to the outbox in the transaction that records the payment."""
import zoneinfo

from django.conf import settings

from notifications import outbox
from notifications.models import Channel, NotificationKind


def payment_received(payment):
    """Tell the host a participant paid (once per payment)."""
    participant = payment.participant
    session = participant.session
    host = session.practitioner
    if not host.email:
        return None
    zone = zoneinfo.ZoneInfo(host.time_zone)
    context = {"payment": payment, "participant": participant, "session": session, "host": host, "practice": session.practice,
               "start": session.start.astimezone(zone), "zone": host.time_zone, "site_url": settings.SITE_URL}
    subject, text, html = outbox.render("billing/messages", NotificationKind.PAYMENT_RECEIVED, Channel.EMAIL, context, zone)
    return outbox.enqueue(
        practice_id=session.practice_id, session=session, participant=participant, recipient_user=host,
        kind=NotificationKind.PAYMENT_RECEIVED, channel=Channel.EMAIL, to_address=host.email,
        subject=subject, text=text, html=html, dedupe_key=f"payment_received:{payment.pk}",
    )
