"""Participant documents through the pages: the host picks a package, the invite links to it, the
participant fills and signs by the signed link, the team reads it (logged), and who sees what."""
import hashlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from notifications.models import Notification
from practice.models import AccessKind, AccessLogEntry
from practice.tests.factories import SessionFactory
from sessions_app import documents
from sessions_app.models import DocumentRequest, DocumentSubmission, DocumentTemplateVersion, Participant, Session
from sessions_app.tests.documents_helpers import (
    GOOD_ANSWERS,
    data_url,
    drawn_png,
    make_package,
    make_template,
    participant_with,
    signing,
)
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def package(world):
    intake = make_template(world.home.practice)
    consent = make_template(world.home.practice, name="Telehealth consent", fields=[])
    return make_package(world.home.practice, intake, consent)


def links_to_documents_of(person, text) -> bool:
    """Whether ``text`` holds a documents link that opens ``person``'s documents (the link's signature
    carries the second it was made, so it is compared by what it opens, not by its characters)."""
    import re

    tokens = re.findall(r"/d/([^/\s\"<]+)/", text)
    return bool(tokens) and all(getattr(documents.participant_for_token(t), "pk", None) == person.pk for t in tokens)


def fill_url(person, doc):
    return reverse("documents:fill", args=[documents.token_for(person), doc.pk])


def sign_post(answers=None, **extra):
    post = {f"q{k}": v for k, v in (GOOD_ANSWERS if answers is None else answers).items()}
    post.update({"signature": data_url(drawn_png()), "consent": "on"})
    post.update(extra)
    return post


# --- The host picks a package in the participant form ---------------------------------------------

def test_the_host_picks_a_package_and_the_invite_links_to_the_documents(login, world, package):
    client = login(world.home.practitioner)
    post = session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Jamie Rivera", "invite_method": "email", "email": "jamie@example.com", "time_zone": "America/Chicago",
         "document_package": package.pk}])
    response = client.post(reverse("sessions_app:session_new"), post)
    assert response.status_code == 302, response.context and response.context["participants"].errors
    person = Participant.objects.get(name="Jamie Rivera")
    assert [r.version.title for r in person.document_requests.all()] == ["Intake questionnaire", "Telehealth consent"]
    invite = Notification.objects.get(participant=person, kind="invite")
    assert links_to_documents_of(person, invite.body_text) and links_to_documents_of(person, invite.body_html)


def test_the_session_form_shows_the_picker(login, world, package):
    response = login(world.home.practitioner).get(reverse("sessions_app:session_new") + "?now=1")
    assert "Show Participant Documents" in response.text and "New client intake" in response.text


@pytest.mark.parametrize("value", ["outsider", "999999", "abc"])
def test_a_package_of_another_practice_or_an_odd_id_is_a_form_error(login, world, package, value):
    outsider = make_package(world.outsider.practice, make_template(world.outsider.practice))
    pk = outsider.pk if value == "outsider" else value
    post = session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Jamie Rivera", "invite_method": "none", "time_zone": "America/Chicago", "document_package": pk}])
    response = login(world.home.practitioner).post(reverse("sessions_app:session_new"), post)
    assert response.status_code == 200
    assert "Choose one of this practice&#x27;s document packages." in response.text
    assert not Session.objects.filter(practice=world.home.practice).exists()
    assert not DocumentRequest.objects.exists()


def test_editing_the_session_keeps_signed_documents_and_can_change_the_package(login, world, package):
    person = participant_with(world.home, package, name="Jamie Rivera")
    intake = person.document_requests.get(version__template__name="Intake questionnaire")
    documents.sign(request=intake, data=signing())
    session = person.session
    client = login(world.home.practitioner)
    edit = client.get(reverse("sessions_app:session_edit", args=[session.pk]))
    assert f'<option value="{package.pk}" selected>' in edit.text
    local = session.start.astimezone(__import__("zoneinfo").ZoneInfo(session.time_zone))
    post = session_post(practitioner=world.home.practitioner, day=local.date().isoformat(), time=f"{local:%H:%M}",
                        participants=[{"id": person.pk, "name": person.name, "invite_method": "email", "email": person.email,
                                       "time_zone": person.time_zone, "document_package": ""}])
    post["participants-INITIAL_FORMS"] = 1
    response = client.post(reverse("sessions_app:session_edit", args=[session.pk]), post)
    assert response.status_code == 302
    assert list(person.document_requests.all()) == [intake]  # the unsigned consent withdrawn, the signed intake kept


# --- The dashboard tile -----------------------------------------------------------------------------------

def test_the_dashboard_tile_counts_signed_documents(login, world, package):
    person = participant_with(world.home, package, name="Jamie Rivera")
    documents.sign(request=person.document_requests.first(), data=signing())
    response = login(world.home.practitioner).get(reverse("sessions_app:dashboard"))
    assert "Documents: 1 of 2 signed" in response.text


def test_the_dashboard_counts_add_no_query_per_session(login, world, package, django_assert_num_queries,
                                                      django_assert_max_num_queries):
    client = login(world.home.practitioner)
    participant_with(world.home, package)
    with django_assert_max_num_queries(12) as captured:
        client.get(reverse("sessions_app:dashboard"))
    for _ in range(6):
        person = participant_with(world.home, package)
        documents.sign(request=person.document_requests.first(), data=signing())
    with django_assert_num_queries(len(captured)):
        response = client.get(reverse("sessions_app:dashboard"))
    assert response.text.count("Documents: 1 of 2 signed") == 6


# --- The participant: a signed link, no login ----------------------------------------------------------

def test_the_participant_fills_signs_and_downloads_a_copy(client, world, package):
    person = participant_with(world.home, package, name="Jamie Rivera")
    intake = person.document_requests.get(version__template__name="Intake questionnaire")
    token = documents.token_for(person)
    page = client.get(reverse("documents:participant", args=[token]))
    assert "Documents: 0 of 2 signed" in page.text
    assert client.get(fill_url(person, intake)).status_code == 200
    saved = client.post(reverse("documents:autosave", args=[token, intake.pk]), {"qreason": "Half typed"})
    assert saved.json() == {"saved": True, "errors": {}}
    assert "Half typed" in client.get(fill_url(person, intake)).text  # the draft comes back
    response = client.post(fill_url(person, intake), sign_post(), REMOTE_ADDR="198.51.100.4",
                           HTTP_USER_AGENT="Phone browser")
    assert response.status_code == 302
    submission = DocumentSubmission.objects.get(request=intake)
    assert submission.ip_address == "198.51.100.4" and submission.user_agent == "Phone browser"
    assert "Documents: 1 of 2 signed" in client.get(reverse("documents:participant", args=[token])).text
    copy = client.get(reverse("documents:signed_copy", args=[token, intake.pk]))
    assert copy["Content-Type"] == "application/pdf" and hashlib.sha256(copy.content).hexdigest() == submission.sha256


def test_posting_twice_leaves_one_submission(client, world, package):
    person = participant_with(world.home, package)
    intake = person.document_requests.get(version__template__name="Intake questionnaire")
    assert client.post(fill_url(person, intake), sign_post()).status_code == 302
    assert client.post(fill_url(person, intake), sign_post(answers={**GOOD_ANSWERS, "reason": "Changed"})).status_code == 200
    assert DocumentSubmission.objects.filter(request=intake).count() == 1
    assert DocumentSubmission.objects.get(request=intake).answers["reason"] == "Sleep trouble"


@pytest.mark.parametrize("change, words", [
    ({"signature": data_url(drawn_png(ink=False))}, "signature box is empty"),
    ({"signature": "data:image/gif;base64,R0lGODlhAQABAAAAACw="}, "must be a PNG"),
    ({"signature": ""}, "Sign in the box"),
    ({"consent": ""}, "I agree to sign electronically"),
    ({"qreason": ""}, "Please answer this question."),
    ({"qreason": "x" * 5000}, "under 2000 characters"),
    ({"qdob": "yesterday"}, "Enter a date like"),
    ({"qcontact": "Fax"}, "Select a valid choice"),
    ({"qinitials": "\x00"}, "character we cannot store"),
])
def test_bad_input_is_a_plain_form_error_and_writes_nothing(client, world, package, change, words):
    person = participant_with(world.home, package)
    intake = person.document_requests.get(version__template__name="Intake questionnaire")
    response = client.post(fill_url(person, intake), {**sign_post(), **change})
    assert response.status_code == 400
    assert words in response.text
    assert not DocumentSubmission.objects.exists()


def test_an_oversized_signature_is_a_form_error(client, world, package):
    import os

    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGBA", (400, 300), os.urandom(400 * 300 * 4)).save(out, format="PNG")
    person = participant_with(world.home, package)
    intake = person.document_requests.get(version__template__name="Intake questionnaire")
    response = client.post(fill_url(person, intake), sign_post(signature=data_url(out.getvalue())))
    assert response.status_code == 400 and "over 100 KB" in response.text
    assert not DocumentSubmission.objects.exists()


def test_another_participants_document_or_a_bad_token_answers_404(client, world, package):
    person = participant_with(world.home, package)
    other = participant_with(world.home, package)
    others_doc = other.document_requests.first()
    assert client.get(fill_url(person, others_doc)).status_code == 404
    assert client.post(fill_url(person, others_doc), sign_post()).status_code == 404
    assert client.post(reverse("documents:autosave", args=[documents.token_for(person), others_doc.pk]),
                       {"qreason": "x"}).status_code == 404
    assert client.get(reverse("documents:participant", args=["not-a-token"])).status_code == 404
    assert not DocumentSubmission.objects.exists()


def test_the_link_expires_a_week_after_the_session(client, world, package):
    person = participant_with(world.home, package)
    url = reverse("documents:participant", args=[documents.token_for(person)])
    with time_machine.travel(person.session.end + timedelta(days=6, hours=23)):
        assert client.get(url).status_code == 200
    with time_machine.travel(person.session.end + timedelta(days=7, minutes=5)):
        response = client.get(url)
        assert response.status_code == 404 and "not valid any more" in response.text


# --- The team ----------------------------------------------------------------------------------------------

@pytest.fixture
def signed(world, package):
    person = participant_with(world.home, package, name="Дарья Ζωή")
    submission, _ = documents.sign(request=person.document_requests.first(), data=signing())
    return submission


def test_the_team_reads_a_submission_and_every_view_is_logged(login, world, signed):
    client = login(world.home.staff)
    response = client.get(reverse("documents:submission", args=[signed.pk]))
    assert response.status_code == 200 and signed.sha256 in response.text and "203.0.113.7" in response.text
    pdf = client.get(reverse("documents:submission_pdf", args=[signed.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Audit page" in text and signed.sha256 in text.replace("\n", "") and "Дарья Ζωή" in text
    assert "Sleep trouble" in text
    only = client.get(reverse("documents:submission_pdf", args=[signed.pk]) + "?part=document")
    assert hashlib.sha256(only.content).hexdigest() == signed.sha256
    logged = AccessLogEntry.objects.filter(kind=AccessKind.DOCUMENT, object_id=str(signed.pk), user=world.home.staff)
    assert logged.count() == 3


@pytest.mark.parametrize("who", ["outsider_admin", "outsider_practitioner", "other_practitioner", "client"])
def test_another_practice_or_another_practitioners_submission_answers_404(login, world, signed, who):
    from practice.tests.factories import MembershipFactory, UserFactory

    if who == "other_practitioner":
        user = UserFactory()
        MembershipFactory(user=user, practice=world.home.practice, role="practitioner")
    else:
        user = {"outsider_admin": world.outsider.admin, "outsider_practitioner": world.outsider.practitioner,
                "client": world.home.client}[who]
    client = login(user)
    for name in ("documents:submission", "documents:submission_pdf"):
        assert client.get(reverse(name, args=[signed.pk])).status_code in (403, 404)
    assert not AccessLogEntry.objects.filter(kind=AccessKind.DOCUMENT).exists()


def test_the_team_list_shows_outstanding_and_signed(login, world, signed):
    client = login(world.home.admin)
    outstanding = client.get(reverse("documents:list"))
    assert "Telehealth consent" in outstanding.text and "Outstanding" in outstanding.text
    assert "Signed" in client.get(reverse("documents:list") + "?state=signed").text
    assert login(world.outsider.admin).get(reverse("documents:list")).text.count("data-document=") == 0


def test_the_client_account_lists_the_clients_documents(login, world, package):
    from billing.tests.test_billing_pages import session_on  # noqa: F401  (billing's own fixtures build accounts)

    person = participant_with(world.home, package, client=world.home.client, name="Casey")
    documents.sign(request=person.document_requests.first(), data=signing())
    from billing import ledger

    ledger.post_outcome(session=person.session, participant=person, actor=world.home.admin,
                        client_amount=__import__("decimal").Decimal("100"), practitioner_amount=0, label="Completed",
                        service_date=person.session.start.date())
    response = login(world.home.staff).get(reverse("billing:client_account", args=["u", world.home.client.pk]))
    assert response.status_code == 200 and "Intake questionnaire" in response.text and "Outstanding" in response.text


# --- The portal ---------------------------------------------------------------------------------------------

def test_the_portal_lists_a_clients_own_documents_only(login, world, package):
    mine = participant_with(world.home, package, client=world.home.client)
    documents.sign(request=mine.document_requests.first(), data=signing())
    participant_with(world.home, package, name="Someone Else")
    client = login(world.home.client)
    page = client.get(reverse("documents:portal"))
    assert page.text.count("data-document=") == 2
    signed_doc = mine.document_requests.first()
    assert client.get(reverse("documents:portal_signed_copy", args=[signed_doc.pk])).status_code == 200
    others = DocumentRequest.objects.exclude(participant=mine).first()
    assert client.get(reverse("documents:portal_signed_copy", args=[others.pk])).status_code == 404


# --- The builder --------------------------------------------------------------------------------------------

def template_post(**extra):
    post = {"name": "Release form", "title": "Release of information", "kind": "form", "intro": "", "is_active": "on",
            "fields-TOTAL_FORMS": 2, "fields-INITIAL_FORMS": 0, "fields-MIN_NUM_FORMS": 0, "fields-MAX_NUM_FORMS": 40,
            "fields-0-label": "Who may we talk to?", "fields-0-kind": "short_text", "fields-0-required": "on",
            "fields-1-label": "Signature", "fields-1-kind": "signature"}
    post.update(extra)
    return post


def test_an_admin_builds_a_template_and_an_edit_makes_a_new_version(login, world):
    client = login(world.home.admin)
    assert client.post(reverse("documents:template_new"), template_post()).status_code == 302
    version = DocumentTemplateVersion.objects.get(template__name="Release form")
    assert [f["label"] for f in version.fields] == ["Who may we talk to?", "Signature"]
    page = client.get(reverse("documents:template_edit", args=[version.template.pk]))
    assert "Who may we talk to?" in page.text
    assert client.post(reverse("documents:template_edit", args=[version.template.pk]),
                       template_post(title="Release v2")).status_code == 302
    assert list(version.template.versions.values_list("number", "title")) == [(2, "Release v2"), (1, "Release of information")]


@pytest.mark.parametrize("change, words", [
    ({"fields-0-kind": "choice", "fields-0-options": "Only one"}, "at least two options"),
    ({"fields-0-kind": "statement", "fields-0-text": ""}, "Write the statement"),
    ({"fields-0-kind": "nonsense"}, "Select a valid choice"),
    ({"name": ""}, "This field is required"),
    ({"kind": "pdf"}, "Upload the PDF"),
    ({"fields-TOTAL_FORMS": 60}, "Please submit at most 40 forms"),
])
def test_builder_bad_input_is_a_form_error(login, world, change, words):
    response = login(world.home.admin).post(reverse("documents:template_new"), template_post(**change))
    assert response.status_code == 400 and words in response.text
    assert not DocumentTemplateVersion.objects.exists()


def test_a_pdf_template_takes_a_real_pdf_only(login, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(world.home.admin)
    fake = SimpleUploadedFile("consent.pdf", b"not a pdf", content_type="application/pdf")
    response = client.post(reverse("documents:template_new"), template_post(kind="pdf", pdf=fake))
    assert response.status_code == 400 and "not a PDF" in response.text
    real = SimpleUploadedFile("consent.pdf", documents.document_pdf.audit_page.__module__ and _tiny_pdf(),
                              content_type="application/pdf")
    assert client.post(reverse("documents:template_new"), template_post(kind="pdf", pdf=real)).status_code == 302


def _tiny_pdf():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Practice policies")
    page.save()
    return out.getvalue()


def test_a_signed_pdf_document_starts_with_the_uploaded_pages(world, tmp_path):
    version = documents.save_template(practice=world.home.practice, actor=None, name="Policies", kind="pdf",
                                      title="Practice policies", pdf=_tiny_pdf(), pdf_name="policies.pdf")
    person = participant_with(world.home, make_package(world.home.practice, version))
    submission, _ = documents.sign(request=person.document_requests.get(), data=signing(answers={}))
    reader = PdfReader(io.BytesIO(bytes(submission.pdf)))
    assert len(reader.pages) == 2 and "Practice policies" in reader.pages[0].extract_text()


def test_packages_take_this_practices_templates_only(login, world, package):
    outsider = make_template(world.outsider.practice)
    response = login(world.home.admin).post(reverse("documents:package_new"),
                                            {"name": "Mixed", "templates": [outsider.template.pk], "is_active": "on"})
    assert response.status_code == 400 and "Choose documents of this practice." in response.text


@pytest.mark.parametrize("role", ["practitioner", "client"])
def test_only_admin_and_staff_use_the_builder(login, world, package, role):
    client = login(world.home.member(role))
    assert client.get(reverse("documents:builder")).status_code == 403
    template = package.items.first().template
    assert client.get(reverse("documents:template_edit", args=[template.pk])).status_code == 403
    assert login(world.outsider.admin).get(reverse("documents:template_edit", args=[template.pk])).status_code == 404


def test_an_invite_written_later_includes_the_link(world, package, settings):
    session = SessionFactory(cast=world.home, days_ahead=4)
    person = Participant.objects.create(session=session, name="Text Person", invite_method="email",
                                        email="text@example.com", time_zone="America/Chicago")
    documents.assign(participant=person, package=package, actor=None)
    from sessions_app import messages

    messages.invite(session, [person])
    assert links_to_documents_of(person, Notification.objects.get(participant=person, kind="invite").body_text)


@pytest.mark.parametrize("method, address", [("email", "reminded@example.com"), ("text", "+13125550142")])
def test_the_reminders_link_to_the_documents_too(world, package, method, address):
    from sessions_app import messages

    session = SessionFactory(cast=world.home, days_ahead=4)
    person = Participant.objects.create(session=session, name="Reminded Person", invite_method=method, time_zone="America/Chicago",
                                        **({"email": address} if method == "email" else {"phone": address}))
    without = Participant.objects.create(session=session, name="Plain Person", invite_method=method, time_zone="America/Chicago",
                                         **({"email": "other@example.com"} if method == "email" else {"phone": "+13125550199"}))
    documents.assign(participant=person, package=package, actor=None)
    messages.invite(session, [person, without])
    reminders = list(Notification.objects.filter(participant=person, kind="reminder"))
    assert len(reminders) == len(messages.reminder_offsets(session.practice))
    for reminder in reminders:
        assert links_to_documents_of(person, reminder.body_text)
        assert method == "text" or links_to_documents_of(person, reminder.body_html)
    for reminder in Notification.objects.filter(participant=without, kind="reminder"):
        assert "Your documents" not in reminder.body_text
