"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with FIELD_ENCRYPTION_KEY.

``EncryptedTextField`` stores a Fernet token and gives the plain value back in Python, so
callers read and assign ``practice.stripe_secret_key`` as before while the column never holds
the secret. An empty value stays empty (it means "not set"). FIELD_ENCRYPTION_KEY may list
several keys, comma-separated: the first encrypts, all decrypt (rotate by putting the new key
first; rows are re-encrypted with it when saved).
"""
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _fernet(keys: tuple) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def generate_key() -> str:
    return Fernet.generate_key().decode()


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The plain value of a stored token; "" (and an error in the log) for one no key opens."""
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("A stored secret could not be decrypted with FIELD_ENCRYPTION_KEY: treated as not set.")
        return ""


def is_encrypted(value: str) -> bool:
    try:
        fernet().decrypt(value.encode())
    except InvalidToken:
        return False
    return True


def mask(value: str) -> str:
    """A secret as its start and last four characters, never whole."""
    return f"{value[:8]}…{value[-4:]}" if value else ""


class EncryptedTextField(models.TextField):
    """Text encrypted in the database, plain in Python. Not searchable (each token differs)."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value


# The Practice fields that hold secrets: left out of every admin form, shown only masked.
SECRET_FIELDS = ["stripe_secret_key", "stripe_webhook_secret", "twilio_auth_token"]
