"""Feed tokens are stored as their SHA-256 only (issue 12, item 10).

The column is renamed and every token stored as issued is replaced by its hash,
so existing feed links keep working: the lookup hashes the presented token. The
reverse cannot recover tokens: it clears them (practitioners make a new link).
"""
import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    Membership = apps.get_model("practice", "Membership")
    for pk, token in Membership.objects.exclude(feed_token_hash__isnull=True).exclude(feed_token_hash="") \
            .values_list("pk", "feed_token_hash").iterator():
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        Membership.objects.filter(pk=pk).update(feed_token_hash=digest)


def clear_tokens(apps, schema_editor):
    apps.get_model("practice", "Membership").objects.update(feed_token_hash=None)


class Migration(migrations.Migration):

    dependencies = [
        ("practice", "0006_encrypt_stripe_secrets"),
    ]

    operations = [
        migrations.RenameField(model_name="membership", old_name="feed_token", new_name="feed_token_hash"),
        migrations.AlterField(
            model_name="membership",
            name="feed_token_hash",
            field=models.CharField(blank=True, editable=False, help_text="SHA-256 of the secret in the practitioner's private calendar feed URL (the token itself is shown once, never stored).", max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(hash_tokens, clear_tokens),
    ]
