"""System checks for a deployment (``manage.py check --deploy``).

Mail that would go nowhere a person reads (the console backend writes names, access codes
and payment links into the worker's log), and Twilio set up by only some of its variables,
fail the deploy check instead of going unnoticed.
"""
from django.conf import settings
from django.core import checks

# Backends that deliver nothing to a recipient.
UNDELIVERED_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
TWILIO_SETTINGS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")


@checks.register(deploy=True)
def check_mail_is_delivered(app_configs=None, **kwargs):
    backend = settings.EMAIL_BACKEND
    if backend in UNDELIVERED_MAIL_BACKENDS:
        return [checks.Error(
            f"EMAIL_BACKEND is {backend}: e-mail (with names, access codes and payment links) would not be delivered.",
            hint="Set EMAIL_HOST (and EMAIL_HOST_USER / EMAIL_HOST_PASSWORD) to your SMTP server.",
            id="practice.E001",
        )]
    if backend == "django.core.mail.backends.smtp.EmailBackend" and not settings.EMAIL_HOST:
        return [checks.Error("EMAIL_HOST is not set: e-mail cannot be sent.",
                             hint="Set EMAIL_HOST to your SMTP server.", id="practice.E002")]
    return []


@checks.register(deploy=True)
def check_twilio_is_complete(app_configs=None, **kwargs):
    present = [name for name in TWILIO_SETTINGS if getattr(settings, name, "")]
    if present and len(present) < len(TWILIO_SETTINGS):
        missing = [name for name in TWILIO_SETTINGS if name not in present]
        return [checks.Error(
            f"Twilio is set up only in part: {', '.join(missing)} missing.",
            hint="Set all of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER, or none.",
            id="practice.E003",
        )]
    return []
