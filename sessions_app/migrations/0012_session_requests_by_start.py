"""Portal requests by start time (the beat that declines unanswered ones): built concurrently, so a
large sessions table keeps taking writes meanwhile."""
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sessions_app", "0011_participant_documents"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="session",
            index=models.Index(condition=models.Q(("booking_state", "requested")), fields=["start"],
                               name="session_requests_by_start"),
        ),
    ]
