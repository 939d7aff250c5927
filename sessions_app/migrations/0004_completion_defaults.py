from django.db import migrations

DEFAULTS = [
    ("completed", "completed", "Completed", 100, 100, "The session took place: full cost and wages."),
    ("canceled", "canceled", "Canceled", 0, 0, "The session did not take place: no cost and no wages."),
    ("missed", "missed", "Missed", 100, 100, "The client did not come: full cost and wages."),
]


def add_defaults(apps, schema_editor):
    Practice = apps.get_model("practice", "Practice")
    CompletionType = apps.get_model("sessions_app", "CompletionType")
    for practice in Practice.objects.all():
        for position, (key, status, label, client, practitioner, description) in enumerate(DEFAULTS):
            CompletionType.objects.get_or_create(
                practice=practice, default_key=key,
                defaults={"map_status": status, "label": label, "client_modifier": client,
                          "practitioner_modifier": practitioner, "modifier_type": "percent",
                          "description": description, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0003_participant_client_amount_participant_completed_at_and_more"), ("practice", "0003_practitionerwage")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
