"""Participant documents: templates and their versions, packages, sending them to participants,
answers saved as they go, signing, and who may see what (DESIGN.md invariant 11, "Signed is final").

- Editing a template writes a new version (``save_template``); a request is pinned to the version
  it was sent with, and a submission keeps copies of everything it showed and was answered.
- ``sign`` checks the answers (``practice.questions``, the Booking Page Form's rules), the
  signature (a PNG drawn on the pad: not blank, at most 100 KB; or a typed name) and the consent
  to sign electronically, renders the PDF once and stores it with its SHA-256. One submission per
  request: the request row is locked and a unique constraint backs it, so a double click or a
  second tab gets the first submission back. The database refuses UPDATE and DELETE of it.
- The participant's link is signed (``django.core.signing``, its own salt) and names the
  participant; it works until the session's end plus ``LINK_GRACE`` (7 days), whenever the
  session is moved to.
- Team access goes through ``requests_visible_to`` / ``submission_for`` (practice first, then the
  role: office roles every document, a practitioner those of their own sessions' participants);
  every team view of a submission is written to the access log by the view.
"""
import base64
import binascii
import hashlib
import io
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from practice.errors import DomainError
from practice.models import OFFICE_ROLES, TEAM_ROLES, QuestionKind, Role
from practice.questions import Question, clean_answer, clean_answers
from sessions_app import document_pdf
from sessions_app.models import (
    DocumentKind,
    DocumentPackage,
    DocumentPackageItem,
    DocumentRequest,
    DocumentSubmission,
    DocumentTemplate,
    DocumentTemplateVersion,
    Participant,
    SessionStatus,
)

LINK_SALT = "sessions_app.documents.link"
LINK_GRACE = timedelta(days=7)
MAX_SIGNATURE_BYTES = 100 * 1024
MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_FIELDS = 40
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONSENT_TEXT = ("I agree to sign this document electronically. My electronic signature (drawn or typed) has the "
                "same effect as my handwritten signature, and I can download a copy of what I signed.")
CONSENT_REQUIRED = "Tick “I agree to sign electronically” to sign."
SIGNATURE_REQUIRED = "Sign in the box, or type your full name as your signature."
SIGNATURE_BLANK = "The signature box is empty. Sign in the box, or type your full name."
SIGNATURE_TOO_BIG = "That signature image is too large (over 100 KB). Clear the box and sign again."
SIGNATURE_NOT_PNG = "The signature must be a PNG image from the signature box. Clear the box and sign again."
TYPED_TOO_LONG = "Type your name in 120 characters or fewer."


class AnswersInvalid(DomainError):
    """Some answers are refused: ``errors`` is field key -> words."""

    default_code = "answers"

    def __init__(self, errors: dict):
        super().__init__("Some answers need your attention: see the marked questions.")
        self.errors = errors


# --- Templates, versions and packages ------------------------------------------------------------

def questions_of(version) -> list[Question]:
    return [Question.from_dict(item) for item in version.fields or []]


def latest_version(template):
    return template.versions.order_by("-number").first()


def check_fields(fields: list[Question]) -> None:
    if len(fields) > MAX_FIELDS:
        raise DomainError(f"A document can have at most {MAX_FIELDS} fields.", code="too_many_fields")
    keys = [f.key for f in fields]
    if len(set(keys)) != len(keys):
        raise DomainError("Each field needs its own key.", code="field_keys")
    for field in fields:
        if not field.label.strip():
            raise DomainError("Every field needs a label.", code="field_label")
        if field.kind in (QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE) and len(field.options) < 2:
            raise DomainError(f"“{field.label}” needs at least two options.", code="field_options")


@transaction.atomic
def save_template(*, practice, actor, template=None, name: str, kind: str = DocumentKind.FORM, title: str,
                  intro: str = "", fields: list[Question] = (), pdf: bytes | None = None, pdf_name: str = "",
                  is_active: bool = True) -> DocumentTemplateVersion:
    """Create a template, or edit one: each edit writes a new version (numbered on), and what was
    already sent keeps the version it was sent with. A PDF template keeps its PDF unless a new one
    is given. Returns the new version."""
    fields = list(fields)
    check_fields(fields)
    if kind == DocumentKind.PDF and pdf is None and template is not None:
        previous = latest_version(template)
        pdf, pdf_name = (bytes(previous.pdf), previous.pdf_name) if previous and previous.pdf else (None, "")
    if kind == DocumentKind.PDF and not pdf:
        raise DomainError("Upload the PDF to read and sign.", code="pdf_required")
    if pdf is not None:
        check_pdf(pdf)
    if template is None:
        template = DocumentTemplate(practice=practice, created_by=actor)
    elif template.practice_id != practice.pk:
        raise Http404
    template.name, template.kind, template.is_active = name, kind, is_active
    if DocumentTemplate.objects.filter(practice=practice, name=name).exclude(pk=template.pk).exists():
        raise DomainError("Another template already has that name.", code="template_name")
    template.save()
    template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)  # numbers versions one at a time
    number = (latest_version(template).number + 1) if template.versions.exists() else 1
    return DocumentTemplateVersion.objects.create(
        template=template, number=number, title=title, intro=intro, fields=[f.as_dict() for f in fields],
        pdf=pdf if kind == DocumentKind.PDF else None, pdf_name=pdf_name if kind == DocumentKind.PDF else "",
        created_by=actor)


def check_pdf(data: bytes) -> None:
    if len(data) > MAX_PDF_BYTES:
        raise DomainError("The PDF is too large: 5 MB at most.", code="pdf_size")
    if not data.startswith(b"%PDF-"):
        raise DomainError("That file is not a PDF.", code="pdf_type")
    try:
        from pypdf import PdfReader

        if not PdfReader(io.BytesIO(data)).pages:
            raise DomainError("That PDF has no pages.", code="pdf_pages")
    except DomainError:
        raise
    except Exception as error:  # a damaged file: pypdf raises many kinds
        raise DomainError("That PDF could not be read. Save it again as a PDF and upload it.", code="pdf_broken") from error


@transaction.atomic
def save_package(*, practice, package=None, name: str, templates, is_active: bool = True) -> DocumentPackage:
    """Create or edit a package: its templates (the practice's own, active), in the order given."""
    templates = list(templates)
    if any(t.practice_id != practice.pk for t in templates):
        raise DomainError("Choose templates of this practice.", code="package_templates")
    if not templates:
        raise DomainError("Choose at least one document for the package.", code="package_empty")
    if DocumentPackage.objects.filter(practice=practice, name=name).exclude(pk=getattr(package, "pk", None)).exists():
        raise DomainError("Another package already has that name.", code="package_name")
    package = package or DocumentPackage(practice=practice)
    package.name, package.is_active = name, is_active
    package.save()
    package.items.all().delete()
    DocumentPackageItem.objects.bulk_create(
        DocumentPackageItem(package=package, template=t, position=i) for i, t in enumerate(templates))
    return package


def packages_of(practice):
    return DocumentPackage.objects.filter(practice=practice, is_active=True)


def packages_for_form(practice, also=()):
    """The packages the participant form offers: the active ones, and those in ``also`` (picked before)."""
    return DocumentPackage.objects.filter(Q(is_active=True) | Q(pk__in=list(also)), practice=practice)


def templates_of(membership):
    return DocumentTemplate.objects.filter(practice=membership.practice)


def template_for(membership, pk, roles=OFFICE_ROLES):
    from practice.access import require

    template = get_object_or_404(templates_of(membership), pk=pk)
    require(membership, roles)
    return template


def package_for(membership, pk, roles=OFFICE_ROLES):
    from practice.access import require

    package = get_object_or_404(DocumentPackage.objects.filter(practice=membership.practice), pk=pk)
    require(membership, roles)
    return package


# --- Sending documents to participants ----------------------------------------------------------

def packages_picked(session) -> dict[int, int]:
    """Participant id -> the package last picked for them (the participant form shows it), one query."""
    rows = (DocumentRequest.objects.filter(session=session, participant__isnull=False).exclude(package=None)
            .order_by("created_at", "id").values_list("participant_id", "package_id"))
    return dict(rows)


def assign(*, participant: Participant, package: DocumentPackage | None, actor) -> list[DocumentRequest]:
    """Send ``package``'s documents (each template's latest version) to the participant, in the
    caller's transaction: documents already sent stay as they are (their version too), unsigned
    documents not in the package any more are withdrawn, signed ones always stay. ``None``
    withdraws every unsigned one. Returns the participant's requests."""
    session = participant.session
    if package is not None and package.practice_id != session.practice_id:
        raise DomainError("Choose one of this practice's document packages.", code="package")
    existing = list(participant.document_requests.select_related("version").annotate(
        signed=Exists(DocumentSubmission.objects.filter(request=OuterRef("pk")))))
    wanted = []
    if package is not None:
        items = package.items.select_related("template").filter(template__is_active=True)
        wanted = [(item.position, latest_version(item.template)) for item in items]
        wanted = [(position, version) for position, version in wanted if version is not None]
    wanted_templates = {version.template_id for _p, version in wanted}
    stale = [r.pk for r in existing if not r.signed and r.version.template_id not in wanted_templates]
    if stale:
        DocumentRequest.objects.filter(pk__in=stale).delete()
    have = {r.version.template_id for r in existing if r.pk not in stale}
    for position, version in wanted:
        if version.template_id in have:
            continue
        DocumentRequest.objects.create(
            practice_id=session.practice_id, session=session, participant=participant, client=participant.client,
            contact=participant.contact, name=participant.name, package=package, version=version, position=position,
            created_by=actor)
    return list(participant.document_requests.all())


def token_for(participant) -> str:
    return signing.dumps({"p": participant.pk}, salt=LINK_SALT, compress=True)


def link(participant) -> str:
    """The participant's signed documents page (absolute), or '' when nothing was sent."""
    if not participant.pk or not participant.document_requests.exists():
        return ""
    return settings.SITE_URL + reverse("documents:participant", args=[token_for(participant)])


def link_expires_at(participant):
    return participant.session.end + LINK_GRACE


def participant_for_token(token: str, *, now=None):
    """The participant a link was made for while it is valid (until the session's end plus
    LINK_GRACE; not for a canceled session), else None."""
    try:
        data = signing.loads(token or "", salt=LINK_SALT)
    except signing.BadSignature:
        return None
    pk = data.get("p") if isinstance(data, dict) else None
    if not isinstance(pk, int):
        return None
    participant = Participant.objects.select_related("session__practice", "session__practitioner").filter(pk=pk).first()
    if participant is None:
        return None
    now = now or timezone.now()
    if now > link_expires_at(participant) or participant.session.status == SessionStatus.CANCELED:
        return None
    return participant


def requests_of_participant(participant):
    return (participant.document_requests.select_related("version__template", "submission")
            .order_by("position", "id"))


def request_of_participant(participant, pk) -> DocumentRequest:
    """One of the participant's requests; any other id (another participant's too) is 404."""
    if not str(pk).isdigit():
        raise Http404
    return get_object_or_404(requests_of_participant(participant), pk=pk)


# --- Filling in and signing ----------------------------------------------------------------------

def save_draft(*, request: DocumentRequest, raw: dict) -> dict:
    """Keep the answers typed so far (autosave). Answers that are refused (too long, not an option)
    are not kept; returns their errors by key. A signed document keeps nothing new."""
    if request.is_signed:
        return {}
    questions = [q for q in questions_of(request.version) if q.takes_answer]
    draft, errors = dict(request.draft or {}), {}
    for question in questions:
        if question.key not in raw:
            continue
        value, error = clean_answer(question, raw[question.key])
        if error and value not in ("", []):
            errors[question.key] = error
            continue
        draft[question.key] = value
    DocumentRequest.objects.filter(pk=request.pk).update(draft=draft, updated_at=timezone.now())
    request.draft = draft
    return errors


def signature_png(data_url: str) -> bytes | None:
    """The PNG bytes of a signature pad's ``data:image/png;base64,...`` (None when empty), or
    DomainError: over 100 KB, not a PNG, or blank (no ink)."""
    data_url = (data_url or "").strip()
    if not data_url:
        return None
    if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + 100:
        raise DomainError(SIGNATURE_TOO_BIG, code="signature_size")
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise DomainError(SIGNATURE_NOT_PNG, code="signature_type")
    try:
        data = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise DomainError(SIGNATURE_NOT_PNG, code="signature_type") from None
    check_signature(data)
    return data


def check_signature(data: bytes) -> None:
    if len(data) > MAX_SIGNATURE_BYTES:
        raise DomainError(SIGNATURE_TOO_BIG, code="signature_size")
    if not data.startswith(PNG_MAGIC):
        raise DomainError(SIGNATURE_NOT_PNG, code="signature_type")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise DomainError(SIGNATURE_NOT_PNG, code="signature_type")
            if image.width * image.height > 4000 * 2000:
                raise DomainError(SIGNATURE_TOO_BIG, code="signature_size")
            image.load()
            rgba = image.convert("RGBA")
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise DomainError(SIGNATURE_NOT_PNG, code="signature_type") from error
    # Ink is a pixel neither transparent nor (near) white.
    alpha = rgba.getchannel("A").point(lambda a: 255 if a > 16 else 0)
    grey = rgba.convert("L").point(lambda v: 255 if v < 235 else 0)
    from PIL import ImageChops

    if ImageChops.multiply(alpha, grey).getbbox() is None:
        raise DomainError(SIGNATURE_BLANK, code="signature_blank")


@dataclass
class Signing:
    answers: dict  # key -> raw answer
    signature_data_url: str = ""
    typed_signature: str = ""
    consent: bool = False
    ip_address: str | None = None
    user_agent: str = ""
    user: object = None  # the portal user, when logged in


def _pdf_data(request, version, *, answers, signer_name, typed, png, signed_at) -> dict:
    practice = request.session.practice if request.session_id else version.template.practice
    return {
        "practice_name": practice.name, "time_zone": practice.time_zone, "title": version.title,
        "template_name": version.template.name, "version_number": version.number, "intro": version.intro,
        "fields": version.fields, "answers": answers, "signer_name": signer_name, "typed_signature": typed,
        "signature_png": png, "consent_text": CONSENT_TEXT, "signed_at": signed_at,
        "uploaded_pdf": bytes(version.pdf) if version.pdf else None,
    }


def sign(*, request: DocumentRequest, data: Signing, now=None) -> tuple[DocumentSubmission, bool]:
    """Sign the document: ``(submission, created)``. Already signed (a double click, a second tab):
    the first submission and False, nothing written. Refused answers: AnswersInvalid; a refused
    signature or no consent: DomainError; nothing is written then either."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = DocumentRequest.objects.select_for_update(of=("self",)).select_related(
            "version__template", "session__practice").get(pk=request.pk)
        existing = DocumentSubmission.objects.filter(request=locked).first()
        if existing is not None:
            return existing, False
        version = locked.version
        questions = questions_of(version)
        answers, errors = clean_answers(questions, data.answers)
        if errors:
            raise AnswersInvalid(errors)
        typed = " ".join((data.typed_signature or "").split())
        if len(typed) > 120:
            raise DomainError(TYPED_TOO_LONG, code="typed_signature")
        png = signature_png(data.signature_data_url)
        if png is None and not typed:
            raise DomainError(SIGNATURE_REQUIRED, code="signature_required")
        if png is not None:
            typed = ""  # the drawn signature is the signature
        if not data.consent:
            raise DomainError(CONSENT_REQUIRED, code="consent")
        kept = {q.key: value for q, value in answers if q.takes_answer}
        signer = locked.name
        pdf = document_pdf.render_signed(_pdf_data(locked, version, answers=kept, signer_name=signer, typed=typed,
                                                   png=png, signed_at=now))
        try:
            with transaction.atomic():
                submission = DocumentSubmission.objects.create(
                    request=locked, practice_id=locked.practice_id, title=version.title,
                    template_name=version.template.name, version_number=version.number, fields=version.fields,
                    answers=kept, signer_name=signer, typed_signature=typed, signature_png=png,
                    consent_text=CONSENT_TEXT, signed_at=now, ip_address=data.ip_address or None,
                    user_agent=(data.user_agent or "")[:300], signed_by=data.user, pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest())
        except IntegrityError:  # the unique request: signed meanwhile by a writer that took no lock
            return DocumentSubmission.objects.get(request=locked), False
        DocumentRequest.objects.filter(pk=locked.pk).update(draft=kept, updated_at=now)
        return submission, True


# --- Who sees what -------------------------------------------------------------------------------

def requests_visible_to(membership):
    """Office roles: the practice's documents; a practitioner: those of their own sessions'
    participants; a client: their own; anyone else nothing. Always scoped to the practice first."""
    if membership is None or not membership.is_active:
        return DocumentRequest.objects.none()
    queryset = DocumentRequest.objects.filter(practice=membership.practice)
    if membership.role in OFFICE_ROLES:
        return queryset
    if membership.role == Role.PRACTITIONER:
        return queryset.filter(session__practitioner=membership.user)
    if membership.role == Role.CLIENT:
        return queryset.filter(client=membership.user)
    return queryset.none()


def submission_for(membership, pk) -> DocumentSubmission:
    """A signed document a team member may read; another practice's, another practitioner's client's
    or an unknown id answers 404."""
    if membership is None or membership.role not in TEAM_ROLES:
        raise Http404
    requests = requests_visible_to(membership)
    return get_object_or_404(
        DocumentSubmission.objects.filter(practice=membership.practice, request__in=requests)
        .select_related("request__session__practitioner", "request__participant", "signed_by"), pk=pk)


LIGHT = ("submission__pdf", "submission__signature_png", "submission__fields", "submission__answers")


def with_status(requests):
    """The requests with their template version, session and submission (``is_signed``), in one
    query; the submission's heavy columns (PDF, signature, answers) are left out."""
    return requests.select_related("version__template", "session", "submission").defer(*LIGHT)


def for_account(membership, *, client=None, contact=None):
    """The documents of one client account (a client user, or a contact without one), for the team."""
    requests = requests_visible_to(membership)
    requests = requests.filter(client=client) if client is not None else requests.filter(contact=contact, client=None)
    return with_status(requests).order_by("-created_at", "position", "id")


def summary(requests) -> tuple[int, int]:
    """(signed, sent) of a participant's prefetched requests (``document_requests`` with
    ``submission`` selected): counted in Python, no query per participant."""
    requests = list(requests)
    return sum(1 for r in requests if r.is_signed), len(requests)


def download(submission) -> bytes:
    """The team's PDF: the stored signed document with its audit page."""
    practice = submission.practice
    return document_pdf.with_audit_page(submission, practice_name=practice.name, time_zone=practice.time_zone)


def questions_of_submission(submission) -> list[tuple[Question, object]]:
    """(question, answer) as the submission keeps them (its own copy of the fields)."""
    return [(q, (submission.answers or {}).get(q.key, "")) for q in (Question.from_dict(f) for f in submission.fields)]


def signature_data_url(submission) -> str:
    if not submission.signature_png:
        return ""
    return "data:image/png;base64," + base64.b64encode(bytes(submission.signature_png)).decode()


def own_request(membership, pk) -> DocumentRequest:
    """A client's own document (the portal); anyone else's id answers 404."""
    if membership is None or membership.role != Role.CLIENT:
        raise Http404
    return get_object_or_404(requests_visible_to(membership).select_related("submission"), pk=pk)
