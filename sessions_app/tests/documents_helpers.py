"""Small builders for the participant documents tests."""
import base64
import io
import itertools
import shutil
import subprocess

from PIL import Image, ImageDraw

from practice.models import QuestionKind
from practice.questions import Question
from practice.tests.factories import ParticipantFactory, SessionFactory
from sessions_app import documents

INTAKE_FIELDS = [
    Question(key="reason", label="What brings you in?", kind=QuestionKind.LONG_TEXT, required=True),
    Question(key="dob", label="Date of birth", kind=QuestionKind.DATE, required=True),
    Question(key="contact", label="Preferred contact", kind=QuestionKind.CHOICE, options=("Phone", "E-mail")),
    Question(key="topics", label="Topics", kind=QuestionKind.MULTI_CHOICE, options=("Sleep", "Stress", "Work")),
    Question(key="before", label="Been in therapy before?", kind=QuestionKind.YES_NO),
    Question(key="privacy", label="Privacy", kind=QuestionKind.STATEMENT, text="We keep your notes private."),
    Question(key="initials", label="Initials", kind=QuestionKind.INITIALS, required=True),
    Question(key="sign", label="Signature", kind=QuestionKind.SIGNATURE),
]
GOOD_ANSWERS = {"reason": "Sleep trouble", "dob": "1990-04-02", "contact": "Phone", "topics": ["Stress", "Sleep"],
                "before": "No", "initials": "JR"}


def make_template(practice, actor=None, name="Intake questionnaire", fields=INTAKE_FIELDS, title=None):
    return documents.save_template(practice=practice, actor=actor, name=name, title=title or name,
                                   intro="Please answer before your first session.", fields=fields)


def make_package(practice, *templates, name="New client intake"):
    templates = [getattr(t, "template", t) for t in templates]  # a version stands for its template
    return documents.save_package(practice=practice, name=name, templates=templates)


_days = itertools.count(3)


def participant_with(cast, package=None, session=None, **participant):
    session = session or SessionFactory(cast=cast, days_ahead=next(_days))
    person = ParticipantFactory(session=session, **participant)
    if package is not None:
        documents.assign(participant=person, package=package, actor=cast.practitioner)
    return person


def drawn_png(size=(400, 150), ink=True) -> bytes:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    if ink:
        ImageDraw.Draw(image).line([(20, 100), (120, 30), (220, 110), (360, 40)], fill=(10, 10, 60, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def signing(answers=None, **extra):
    values = {"answers": dict(GOOD_ANSWERS if answers is None else answers), "signature_data_url": data_url(drawn_png()),
              "consent": True, "ip_address": "203.0.113.7", "user_agent": "pytest"}
    values.update(extra)
    return documents.Signing(**values)


def pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text as poppler's pdftotext reads it (independent of reportlab)."""
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
