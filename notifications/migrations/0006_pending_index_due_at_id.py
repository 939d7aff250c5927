"""The pending index in the drain's order, (due_at, id) (issue 17): built and dropped concurrently,
so a large outbox keeps taking writes meanwhile."""
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0005_portal_message_kinds"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(condition=models.Q(("state", "pending")), fields=["due_at", "id"],
                               name="notification_pending_due_id"),
        ),
        RemoveIndexConcurrently(
            model_name="notification",
            name="notification_pending_due",
        ),
    ]
