"""Participant documents, the rules (DESIGN.md invariant 11 "Signed is final"; issue 16)."""
import hashlib
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from practice.errors import DomainError
from practice.models import QuestionKind
from practice.questions import Question
from sessions_app import documents
from sessions_app.models import DocumentSubmission, DocumentTemplateVersion
from sessions_app.tests.documents_helpers import (
    GOOD_ANSWERS,
    data_url,
    drawn_png,
    make_package,
    make_template,
    participant_with,
    pdf_text,
    signing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(world):
    intake = make_template(world.home.practice)
    consent = make_template(world.home.practice, name="Telehealth consent",
                            fields=[Question(key="ok", label="I consent to telehealth", kind=QuestionKind.YES_NO,
                                             required=True)])
    package = make_package(world.home.practice, intake, consent)
    person = participant_with(world.home, package, name="Jamie Rivera")
    return person, list(person.document_requests.order_by("position"))


# --- Versions ----------------------------------------------------------------------------------------

def test_editing_a_template_writes_a_new_version_and_sent_documents_keep_theirs(world, sent):
    person, (intake_request, _consent) = sent
    template = intake_request.version.template
    v2 = documents.save_template(practice=world.home.practice, actor=world.home.admin, template=template,
                                 name=template.name, title="Intake v2",
                                 fields=[Question(key="new", label="A new question", required=True)])
    assert v2.number == 2 and template.versions.count() == 2
    intake_request.refresh_from_db()
    assert intake_request.version.number == 1 and intake_request.version.title == "Intake questionnaire"
    # A participant picked now gets the new version.
    other = participant_with(world.home, intake_request.package)
    assert other.document_requests.get(version__template=template).version == v2


def test_the_database_refuses_to_change_a_template_version(sent):
    _person, (intake_request, _c) = sent
    with pytest.raises(DatabaseError, match="template version is never changed"), transaction.atomic():
        DocumentTemplateVersion.objects.filter(pk=intake_request.version_id).update(title="Changed")


# --- Signing -----------------------------------------------------------------------------------------

def test_signing_keeps_answers_signature_pdf_and_its_sha256(sent, tmp_path):
    _person, (request, _c) = sent
    submission, created = documents.sign(request=request, data=signing())
    assert created
    assert submission.answers["topics"] == ["Sleep", "Stress"]  # the options' order
    assert bytes(submission.signature_png).startswith(b"\x89PNG")
    assert submission.sha256 == hashlib.sha256(bytes(submission.pdf)).hexdigest()
    text = pdf_text(bytes(submission.pdf), tmp_path)
    assert "Intake questionnaire" in text and "Sleep trouble" in text and "Jamie Rivera" in text
    assert "We keep your notes private." in text and "I agree to sign this document electronically" in text
    assert submission.ip_address == "203.0.113.7"


def test_the_pdf_render_is_deterministic(sent):
    _person, (request, _c) = sent
    version = request.version
    moment = timezone.now()
    data = documents._pdf_data(request, version, answers=GOOD_ANSWERS, signer_name="Jamie", typed="Jamie R",
                               png=None, signed_at=moment)
    assert documents.document_pdf.render_signed(data) == documents.document_pdf.render_signed(data)


def test_signed_submissions_are_append_only_in_the_database(sent):
    _person, (request, _c) = sent
    submission, _ = documents.sign(request=request, data=signing())
    with pytest.raises(DatabaseError, match="signed document is final"), transaction.atomic():
        DocumentSubmission.objects.filter(pk=submission.pk).update(signer_name="Someone else")
    with pytest.raises(DatabaseError, match="signed document is final"), transaction.atomic():
        DocumentSubmission.objects.filter(pk=submission.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE sessions_app_documentsubmission SET sha256 = %s WHERE id = %s", ["0" * 64, submission.pk])
    submission.refresh_from_db()
    assert submission.signer_name == "Jamie Rivera"


def test_editing_or_archiving_the_template_later_changes_no_submission_pdf_or_hash(world, sent):
    _person, (request, _c) = sent
    submission, _ = documents.sign(request=request, data=signing())
    before = (bytes(submission.pdf), submission.sha256, submission.title, submission.fields, submission.answers)
    template = request.version.template
    documents.save_template(practice=world.home.practice, actor=None, template=template, name="Renamed",
                            title="Something else", fields=[], is_active=False)
    submission = DocumentSubmission.objects.get(pk=submission.pk)
    assert (bytes(submission.pdf), submission.sha256, submission.title, submission.fields, submission.answers) == before
    # The version it was signed on cannot be deleted (requests protect it), nor the submission.
    with pytest.raises(DatabaseError), transaction.atomic():
        DocumentSubmission.objects.filter(pk=submission.pk).delete()


def test_signing_twice_leaves_one_submission(sent):
    _person, (request, _c) = sent
    first, created = documents.sign(request=request, data=signing())
    again, created_again = documents.sign(request=request, data=signing(answers={**GOOD_ANSWERS, "reason": "Other"}))
    assert created and not created_again and again.pk == first.pk
    assert DocumentSubmission.objects.filter(request=request).count() == 1


def test_the_database_allows_one_submission_per_request(sent):
    _person, (request, _c) = sent
    first, _ = documents.sign(request=request, data=signing())
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentSubmission.objects.create(request=request, practice_id=request.practice_id, title="x", template_name="x",
                                          version_number=1, signer_name="x", typed_signature="x", consent_text="x",
                                          pdf=b"%PDF-", sha256="a" * 64)


@pytest.mark.django_db(transaction=True)
def test_two_tabs_signing_at_once_leave_one_submission(world):
    template = make_template(world.home.practice)
    person = participant_with(world.home, make_package(world.home.practice, template))
    request = person.document_requests.get()
    results, barrier = [], threading.Barrier(2)

    def tab():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(documents.sign(request=request, data=signing()))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for _s, created in results) == [False, True]
    assert len({s.pk for s, _c in results}) == 1
    assert DocumentSubmission.objects.count() == 1


# --- Bad input: a plain error, nothing written ---------------------------------------------------------

def _refused(request, data, words):
    with pytest.raises(DomainError, match=words):
        documents.sign(request=request, data=data)
    assert not DocumentSubmission.objects.filter(request=request).exists()


def test_a_blank_signature_is_refused(sent):
    _person, (request, _c) = sent
    _refused(request, signing(signature_data_url=data_url(drawn_png(ink=False))), "signature box is empty")


def test_an_oversized_signature_is_refused(sent):
    _person, (request, _c) = sent
    import os

    from PIL import Image

    noisy = Image.frombytes("RGBA", (400, 300), os.urandom(400 * 300 * 4))
    import io

    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert len(out.getvalue()) > 100 * 1024
    _refused(request, signing(signature_data_url=data_url(out.getvalue())), "over 100 KB")


def test_a_signature_that_is_not_a_png_is_refused(sent):
    _person, (request, _c) = sent
    import base64
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (50, 50), (0, 0, 0)).save(out, format="JPEG")
    jpeg = base64.b64encode(out.getvalue()).decode()
    _refused(request, signing(signature_data_url="data:image/jpeg;base64," + jpeg), "must be a PNG")
    _refused(request, signing(signature_data_url="data:image/png;base64," + jpeg), "must be a PNG")
    _refused(request, signing(signature_data_url="data:image/png;base64,@@not base64@@"), "must be a PNG")
    broken = data_url(drawn_png()[:60])  # a PNG header with its image cut off
    _refused(request, signing(signature_data_url=broken), "must be a PNG")


def test_no_signature_or_no_consent_is_refused(sent):
    _person, (request, _c) = sent
    _refused(request, signing(signature_data_url="", typed_signature="   "), "Sign in the box")
    _refused(request, signing(consent=False), "I agree to sign electronically")
    _refused(request, signing(signature_data_url="", typed_signature="x" * 121), "120 characters")


def test_a_typed_signature_is_accepted(sent, tmp_path):
    _person, (request, _c) = sent
    submission, _ = documents.sign(request=request, data=signing(signature_data_url="", typed_signature="Jamie Rivera"))
    assert submission.typed_signature == "Jamie Rivera" and submission.signature_png is None
    assert "(typed signature)" in pdf_text(bytes(submission.pdf), tmp_path)


@pytest.mark.parametrize("answers, key, words", [
    ({**GOOD_ANSWERS, "reason": ""}, "reason", "Please answer"),
    ({**GOOD_ANSWERS, "reason": "x" * 2001}, "reason", "under 2000 characters"),
    ({**GOOD_ANSWERS, "initials": "ABCDEFGHIJ"}, "initials", "under 8 characters"),
    ({**GOOD_ANSWERS, "dob": "02/04/1990"}, "dob", "date like"),
    ({**GOOD_ANSWERS, "dob": "0001-01-01"}, "dob", "between the years"),
    ({**GOOD_ANSWERS, "contact": "Carrier pigeon"}, "contact", "one of the options"),
    ({**GOOD_ANSWERS, "topics": ["Sleep", "Nope"]}, "topics", "among the options"),
    ({**GOOD_ANSWERS, "before": "Maybe"}, "before", "yes or no"),
])
def test_missing_or_bad_answers_are_refused(sent, answers, key, words):
    _person, (request, _c) = sent
    with pytest.raises(documents.AnswersInvalid) as refused:
        documents.sign(request=request, data=signing(answers=answers))
    assert words in refused.value.errors[key]
    assert not DocumentSubmission.objects.exists()


def test_autosave_keeps_good_answers_and_drops_refused_ones(sent):
    _person, (request, _c) = sent
    errors = documents.save_draft(request=request, raw={"reason": "Half an answer", "contact": "Carrier pigeon",
                                                        "unknown": "ignored"})
    request.refresh_from_db()
    assert request.draft == {"reason": "Half an answer"} and "contact" in errors


# --- Sending ------------------------------------------------------------------------------------------

def test_assign_is_idempotent_and_withdraws_only_unsigned_documents(world, sent):
    person, (intake_request, consent_request) = sent
    documents.assign(participant=person, package=intake_request.package, actor=None)
    assert person.document_requests.count() == 2
    documents.sign(request=intake_request, data=signing())
    documents.assign(participant=person, package=None, actor=None)
    assert list(person.document_requests.all()) == [intake_request]  # the signed one stays


def test_another_practices_package_is_refused(world, sent):
    outsider_package = make_package(world.outsider.practice, make_template(world.outsider.practice))
    person, _requests = sent
    with pytest.raises(DomainError, match="this practice"):
        documents.assign(participant=person, package=outsider_package, actor=None)


def test_the_link_expires_with_the_session_plus_the_grace_period(sent):
    person, _requests = sent
    token = documents.token_for(person)
    end = person.session.end
    assert documents.participant_for_token(token, now=end + timedelta(days=7) - timedelta(minutes=1)) == person
    assert documents.participant_for_token(token, now=end + timedelta(days=7, minutes=1)) is None
    assert documents.participant_for_token(token[:-2] + "xx") is None
    assert documents.participant_for_token("") is None


def test_the_triggers_refusal_is_an_integrity_error(sent):
    """The trigger's refusal (restrict_violation) reaches Django as an IntegrityError, never silently."""
    _person, (request, _c) = sent
    submission, _ = documents.sign(request=request, data=signing())
    with pytest.raises(IntegrityError, match="signed document is final"), transaction.atomic():
        DocumentSubmission.objects.filter(pk=submission.pk).update(answers={})
