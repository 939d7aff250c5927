"""Phone numbers are checked with libphonenumber and stored in E.164 form."""
import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def to_e164(raw: str, region: str | None = None) -> str:
    """Return the number in E.164 (``+15551234567``) or raise ValidationError."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationError("Enter a valid phone number, for example +1 212 555 0142.") from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Enter a valid phone number, for example +1 212 555 0142.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    if value and to_e164(value) != value:
        raise ValidationError("Phone numbers are stored in E.164 form, like +12125550142.")


def display(value: str) -> str:
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value
