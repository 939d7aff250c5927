"""``check --deploy`` fails when mail would go to the console or Twilio is set up in part (issue 12, item 7)."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def deploy_error_ids():
    return {message.id for message in run_checks(include_deployment_checks=True) if message.id.startswith("practice.")}


@override_settings(EMAIL_BACKEND=CONSOLE, EMAIL_HOST="")
def test_console_mail_fails_check_deploy():
    with pytest.raises(SystemCheckError, match="practice.E001"):
        call_command("check", "--deploy")


@override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="")
def test_smtp_without_a_host_fails_check_deploy():
    assert "practice.E002" in deploy_error_ids()


@override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="smtp.example.com")
def test_smtp_with_a_host_passes():
    assert deploy_error_ids() == set()


@pytest.mark.parametrize("sid, token, number, expected", [
    ("AC1", "", "", {"practice.E003"}),
    ("AC1", "token", "", {"practice.E003"}),
    ("", "", "", set()),
    ("AC1", "token", "+15005550006", set()),
])
def test_twilio_must_be_set_whole_or_not_at_all(settings, sid, token, number, expected):
    settings.EMAIL_BACKEND, settings.EMAIL_HOST = SMTP, "smtp.example.com"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = sid, token, number
    assert deploy_error_ids() == expected


def production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "TWILIO_")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({
        "DEBUG": "0", "ALLOWED_HOSTS": "practice.example.com", "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "SECRET_KEY": "a-long-random-production-secret-" + uuid.uuid4().hex + uuid.uuid4().hex,
    })
    env.update(extra)
    return env


def check_deploy(env):
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_production_without_email_host_fails_check_deploy():
    result = check_deploy(production_env())
    assert result.returncode != 0
    assert "practice.E001" in result.stderr and "console.EmailBackend" in result.stderr


def test_production_with_email_host_passes_check_deploy():
    result = check_deploy(production_env(EMAIL_HOST="smtp.example.com"))
    assert result.returncode == 0, result.stdout + result.stderr
