"""The calendar attachment is written with the message (``ics``) instead of being
built at delivery from the session (``attach_ics``), so delivery needs nothing
from the sessions app. E-mails still waiting to go out get theirs rendered here.
"""
from django.db import migrations, models


def render_pending(apps, schema_editor):
    from types import SimpleNamespace

    from sessions_app.ical import invite_ics  # reads plain attributes only

    Notification = apps.get_model("notifications", "Notification")
    waiting = (Notification.objects.filter(attach_ics=True, state="pending", session__isnull=False, participant__isnull=False)
               .select_related("session__practice", "session__practitioner", "session__room", "participant"))
    for notification in waiting.iterator():
        session = notification.session
        host = session.practitioner
        # Historical models have no __str__: give the host the name the real User shows.
        named_host = f"{host.first_name} {host.last_name}".strip() or host.email
        plain = SimpleNamespace(**{f.attname: getattr(session, f.attname) for f in session._meta.concrete_fields},
                                pk=session.pk, practice=session.practice, room=session.room, practitioner=named_host)
        notification.ics = invite_ics(plain, notification.participant)
        notification.save(update_fields=["ics"])


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0001_initial'),
        ('sessions_app', '0005_participant_paid_amount_participant_payment_amount_and_more'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='ics',
            field=models.TextField(blank=True, help_text='The calendar attachment (an e-mail invitation), as written.'),
        ),
        migrations.RunPython(render_pending, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='notification',
            name='attach_ics',
        ),
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('invite', 'Invitation'), ('reschedule', 'Session moved'), ('cancel', 'Session canceled'), ('reminder', 'Reminder'), ('notice', 'Notice'), ('payment_received', 'Payment received')], max_length=20),
        ),
    ]
