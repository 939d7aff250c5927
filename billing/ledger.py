"""The ledger: money as Decimal in the practice currency, append-only, balances as sums."""
from decimal import ROUND_HALF_UP, Decimal

from billing.models import EntryKind, LedgerEntry

# Currencies whose minor unit is not the cent (ISO 4217).
MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3}


def money(value, currency: str) -> Decimal:
    """The one rounding rule: half up, to the currency's minor unit."""
    places = MINOR_UNITS.get(currency.upper(), 2)
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def write(**fields) -> LedgerEntry:
    return LedgerEntry.objects.create(**fields)


def reverse(entry: LedgerEntry, *, actor, label_prefix="Reversal of") -> LedgerEntry:
    """A new line cancelling ``entry`` (which stays as it was)."""
    line = reversal(entry, actor=actor, label_prefix=label_prefix)
    line.save(force_insert=True)
    return line


def client_fields(participant) -> dict:
    """Whose account a participant's lines go to: the client user, else the contact."""
    return {"client_id": participant.client_id,
            "contact_id": participant.contact_id if participant.client_id is None else None,
            "client_name": participant.name}


def outcome_lines(*, session, participant, actor, client_amount, practitioner_amount, label, service_date) -> list[LedgerEntry]:
    """The charge and the wage of one saved client participant (unsaved), labelled with the CPT codes and the outcome."""
    common = dict(
        practice_id=session.practice_id, currency=session.practice.currency, session=session, participant=participant,
        practitioner_id=session.practitioner_id, service_date=service_date, created_by=actor, **client_fields(participant),
    )
    services = ", ".join(line.service.cpt_code for line in session.session_services.all()) or "Session"
    return [
        LedgerEntry(kind=EntryKind.CHARGE, amount=client_amount, label=f"{services} · {label}", **common),
        LedgerEntry(kind=EntryKind.WAGE, amount=practitioner_amount, label=f"{services} · {label} · {participant.name}", **common),
    ]


def post_outcome(*, session, participant, actor, client_amount, practitioner_amount, label, service_date):
    """The charge and the wage of one saved client participant, labelled with the CPT codes and the outcome."""
    return LedgerEntry.objects.bulk_create(outcome_lines(
        session=session, participant=participant, actor=actor, client_amount=client_amount,
        practitioner_amount=practitioner_amount, label=label, service_date=service_date))


def post_lines(lines: list[LedgerEntry]) -> list[LedgerEntry]:
    """Append many lines (``outcome_lines`` of a batch) in one INSERT."""
    return LedgerEntry.objects.bulk_create(lines) if lines else []


def reversal(entry: LedgerEntry, *, actor, label_prefix="Reversal of") -> LedgerEntry:
    """The (unsaved) line cancelling ``entry``: what ``reverse`` writes."""
    return LedgerEntry(
        practice_id=entry.practice_id, kind=entry.kind, amount=-entry.amount, currency=entry.currency,
        label=f"{label_prefix} {entry.label}"[:120], client_id=entry.client_id, contact_id=entry.contact_id,
        client_name=entry.client_name, practitioner_id=entry.practitioner_id, session_id=entry.session_id,
        participant_id=entry.participant_id, service_date=entry.service_date, reverses=entry, created_by=actor,
    )


def reverse_outcome(*, participant, actor) -> int:
    """Reverse the open charge and wage lines of a participant (an earlier save); payments stay."""
    lines = list(open_entries(participant=participant, kind__in=[EntryKind.CHARGE, EntryKind.WAGE]))
    for line in lines:
        reverse(line, actor=actor)
    return len(lines)


def reverse_outcomes(*, participants, actor) -> int:
    """``reverse_outcome`` for many participants: their open charge and wage lines read in one query,
    their reversals written in one INSERT (each line still reversed once: ``reverses`` is unique)."""
    if not participants:
        return 0
    lines = list(open_entries(participant__in=participants, kind__in=[EntryKind.CHARGE, EntryKind.WAGE])
                 .order_by("participant_id", "created_at", "id"))
    LedgerEntry.objects.bulk_create([reversal(line, actor=actor) for line in lines])
    return len(lines)


def open_entries(**filters):
    """Lines that have not been reversed and are not reversals themselves."""
    return LedgerEntry.objects.filter(reverses__isnull=True, reversed_by__isnull=True, **filters)


def client_account(practice, *, client=None, contact=None):
    """The ledger lines of one client account: a client user, or a contact without one."""
    lines = LedgerEntry.objects.filter(practice=practice).exclude(kind=EntryKind.WAGE)
    if client is not None:
        return lines.filter(client=client)
    return lines.filter(contact=contact, client__isnull=True)


def wages(practice, *, start, end, practitioner=None):
    """Wage totals per practitioner for sessions dated start..end (inclusive)."""
    lines = LedgerEntry.objects.filter(practice=practice, kind=EntryKind.WAGE, service_date__gte=start, service_date__lte=end)
    if practitioner is not None:
        lines = lines.filter(practitioner=practitioner)
    return lines

