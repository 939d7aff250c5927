"""Stripe secrets: encrypted at rest, never shown whole, not in Django admin (issue 12, item 5)."""
import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection
from django.urls import reverse

from billing import payments
from practice.models import Practice
from practice.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "sk_test_abcdefghijklmnop1234"
WEBHOOK_SECRET = "whsec_abcdefghijkl5678"


def stored(practice, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM practice_practice WHERE id = %s", [practice.pk])
        return cursor.fetchone()[0]


def test_secrets_saved_on_the_settings_page_are_encrypted_in_the_column(login, world):
    client = login(world.home.admin)
    response = client.post(reverse("billing:stripe_settings"), {
        "stripe_secret_key": SECRET_KEY, "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_publishable_key": "pk_test_abc", "stripe_account_id": ""})
    assert response.status_code == 302
    practice = world.home.practice
    for column, secret in (("stripe_secret_key", SECRET_KEY), ("stripe_webhook_secret", WEBHOOK_SECRET)):
        raw = stored(practice, column)
        assert secret not in raw and secret[-4:] not in raw and raw.startswith("gAAAA")  # a Fernet token
        assert Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(raw.encode()).decode() == secret
    practice = Practice.objects.get(pk=practice.pk)
    assert practice.stripe_secret_key == SECRET_KEY and practice.stripe_webhook_secret == WEBHOOK_SECRET
    assert payments.webhook_secret(practice) == WEBHOOK_SECRET
    assert practice.stripe_ready


def test_queryset_update_encrypts_too(world):
    Practice.objects.filter(pk=world.home.practice.pk).update(stripe_secret_key=SECRET_KEY)
    assert SECRET_KEY not in stored(world.home.practice, "stripe_secret_key")
    assert Practice.objects.values_list("stripe_secret_key", flat=True).get(pk=world.home.practice.pk) == SECRET_KEY


def test_an_empty_secret_stays_empty(world):
    assert stored(world.home.practice, "stripe_secret_key") == ""
    assert not world.home.practice.stripe_ready


def test_a_token_no_key_opens_reads_as_not_set(world, caplog):
    other = Fernet(Fernet.generate_key()).encrypt(SECRET_KEY.encode()).decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE practice_practice SET stripe_secret_key = %s WHERE id = %s", [other, world.home.practice.pk])
    assert Practice.objects.get(pk=world.home.practice.pk).stripe_secret_key == ""
    assert "could not be decrypted" in caplog.text


def test_the_migration_encrypts_plain_values_saved_before_it(world):
    migration = importlib.import_module("practice.migrations.0006_encrypt_stripe_secrets")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE practice_practice SET stripe_secret_key = %s, stripe_webhook_secret = %s WHERE id = %s",
                       [SECRET_KEY, WEBHOOK_SECRET, world.home.practice.pk])
    with connection.schema_editor() as editor:
        migration.encrypt_existing(None, editor)
        migration.encrypt_existing(None, editor)  # twice: an encrypted value is left alone
    assert SECRET_KEY not in stored(world.home.practice, "stripe_secret_key")
    assert WEBHOOK_SECRET not in stored(world.home.practice, "stripe_webhook_secret")
    practice = Practice.objects.get(pk=world.home.practice.pk)
    assert (practice.stripe_secret_key, practice.stripe_webhook_secret) == (SECRET_KEY, WEBHOOK_SECRET)
    with connection.schema_editor() as editor:
        migration.decrypt_existing(None, editor)
    assert stored(world.home.practice, "stripe_secret_key") == SECRET_KEY


def test_django_admin_shows_neither_secret(client, login, world):
    practice = world.home.practice
    practice.stripe_secret_key, practice.stripe_webhook_secret = SECRET_KEY, WEBHOOK_SECRET
    practice.save()
    admin = login(world.home.admin)
    page = admin.get(reverse("admin:practice_practice_change", args=[practice.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "stripe_secret_key" not in text and "stripe_webhook_secret" not in text
    assert SECRET_KEY not in text and WEBHOOK_SECRET not in text and SECRET_KEY[-4:] not in text
    superuser = UserFactory(is_superuser=True, is_staff=True)
    add_page = login(superuser).get(reverse("admin:practice_practice_add")).content.decode()
    assert "stripe_secret_key" not in add_page and "stripe_webhook_secret" not in add_page


def test_production_refuses_to_start_without_an_encryption_key():
    env = {k: v for k, v in os.environ.items() if k != "FIELD_ENCRYPTION_KEY"}
    env.update({"DEBUG": "0", "SECRET_KEY": "a-long-random-production-secret-" + uuid.uuid4().hex})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG is off" in result.stderr
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env={**env, "FIELD_ENCRYPTION_KEY": "not-a-key"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "not 32 url-safe base64-encoded bytes" in result.stderr
