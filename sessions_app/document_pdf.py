"""Signed documents as PDF (reportlab, DejaVu Sans from ``practice.pdf_fonts``).

``render_signed`` makes the document a participant signed: its title, the answers, the statements
they read, the signature (drawn or typed) and the e-signature consent; for a template that is an
uploaded PDF, that PDF's pages come first (joined with pypdf). It is rendered once, when the
document is signed, from the submission's own copies; its bytes are stored with their SHA-256
and never rendered again, so a later change of the template or of this code changes no signed PDF
or hash. ``invariant=1`` and uncompressed pages make a render repeatable and its text searchable.

``with_audit_page`` is what the team downloads: the stored document followed by an audit page (who
signed, when, from which address, the SHA-256 of the stored document).
"""
import io
import zoneinfo
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from practice import pdf_fonts
from practice.models import QuestionKind
from practice.pdf_fonts import BOLD, REGULAR

MUTED = colors.HexColor("#6c757d")
GRID = colors.HexColor("#dee2e6")
SIGNATURE_BOX = (80 * mm, 30 * mm)


def _styles():
    pdf_fonts.register()
    return {
        "title": ParagraphStyle("title", fontName=BOLD, fontSize=17, leading=21, spaceAfter=2),
        "practice": ParagraphStyle("practice", fontName=REGULAR, fontSize=9.5, leading=12, textColor=MUTED),
        "normal": ParagraphStyle("normal", fontName=REGULAR, fontSize=10, leading=13.5),
        "label": ParagraphStyle("label", fontName=BOLD, fontSize=9.5, leading=12, spaceBefore=7, spaceAfter=1),
        "answer": ParagraphStyle("answer", fontName=REGULAR, fontSize=10.5, leading=14, leftIndent=4 * mm),
        "muted": ParagraphStyle("muted", fontName=REGULAR, fontSize=8.5, leading=11, textColor=MUTED),
        "h2": ParagraphStyle("h2", fontName=BOLD, fontSize=12, leading=15, spaceBefore=12, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=9, leading=11.5),
        "mono": ParagraphStyle("mono", fontName=REGULAR, fontSize=8.5, leading=11),
    }


def _text(value) -> str:
    """Escaped text with its line breaks kept."""
    return escape(str(value)).replace("\n", "<br/>")


def _when(moment, zone_name) -> str:
    """The moment in the practice's zone, named, with its offset from UTC (times are shown in a zone,
    never as a UTC clock reading: DESIGN.md invariant 2)."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    offset = local.strftime("%z")
    return (f"{local:%B} {local.day}, {local.year} at {local:%H:%M} {local:%Z} ({zone_name}, "
            f"UTC{offset[:3]}:{offset[3:]})")


def _answer_text(field, answers) -> str:
    value = answers.get(field["key"], "")
    if isinstance(value, list):
        value = ", ".join(value)
    return _text(value) if value else '<font color="#6c757d">(no answer)</font>'


def _doc(buffer, title, author):
    return SimpleDocTemplate(buffer, pagesize=LETTER, invariant=1, pageCompression=0, title=title, author=author,
                             leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm)


def _signature_flowable(data, s):
    if data["signature_png"]:
        image = Image(io.BytesIO(bytes(data["signature_png"])), mask="auto")
        width, height = image.imageWidth, image.imageHeight
        scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height)
        image.drawWidth, image.drawHeight = width * scale, height * scale
        image.hAlign = "LEFT"
        return image
    return Paragraph(f'<font size="20">{escape(data["typed_signature"])}</font>',
                     ParagraphStyle("typed", parent=s["normal"], leading=26))


def render_signed(data: dict) -> bytes:
    """The signed document's PDF bytes. ``data``: practice_name, time_zone, title, template_name,
    version_number, intro, fields, answers, signer_name, typed_signature, signature_png, initials,
    consent_text, signed_at, uploaded_pdf (bytes or None)."""
    s = _styles()
    buffer = io.BytesIO()
    doc = _doc(buffer, data["title"], data["practice_name"])
    story = [Paragraph(escape(data["practice_name"]), s["practice"]), Paragraph(escape(data["title"]), s["title"]),
             Paragraph(f"Signed by {escape(data['signer_name'])} · {_when(data['signed_at'], data['time_zone'])}",
                       s["muted"]),
             Spacer(1, 4 * mm)]
    if data.get("uploaded_pdf"):
        story.append(Paragraph(f"The pages before this one are the document “{escape(data['template_name'])}” "
                               "the signer read.", s["muted"]))
    if data["intro"]:
        story.append(Paragraph(_text(data["intro"]), s["normal"]))
    for field in data["fields"]:
        kind = field["kind"]
        if kind == QuestionKind.SIGNATURE:
            continue
        if kind == QuestionKind.STATEMENT:
            story += [Paragraph(escape(field["label"]), s["label"]), Paragraph(_text(field.get("text", "")), s["normal"])]
            continue
        story += [Paragraph(escape(field["label"]) + (" *" if field.get("required") else ""), s["label"]),
                  Paragraph(_answer_text(field, data["answers"]), s["answer"])]
    story.append(KeepTogether([
        Paragraph("Signature", s["h2"]),
        Paragraph(_text(data["consent_text"]), s["muted"]),
        Spacer(1, 3 * mm),
        _signature_flowable(data, s),
        Table([[""]], colWidths=[SIGNATURE_BOX[0]], hAlign="LEFT",
              style=TableStyle([("LINEABOVE", (0, 0), (-1, 0), 0.8, colors.black)])),
        Paragraph(f"{escape(data['signer_name'])}"
                  + (" (typed signature)" if not data["signature_png"] else " (drawn signature)"), s["normal"]),
        Paragraph(_when(data["signed_at"], data["time_zone"]), s["muted"]),
    ]))
    doc.build(story)
    signed_pages = buffer.getvalue()
    if not data.get("uploaded_pdf"):
        return signed_pages
    return _join([bytes(data["uploaded_pdf"]), signed_pages])


def _join(parts: list[bytes]) -> bytes:
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    writer.add_metadata({"/Producer": "practice documents"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def audit_page(submission, *, practice_name: str, time_zone: str) -> bytes:
    s = _styles()
    buffer = io.BytesIO()
    doc = _doc(buffer, f"Audit: {submission.title}", practice_name)
    signature = "Drawn on a signature pad" if submission.signature_png else f"Typed: {submission.typed_signature}"
    rows = [
        ("Document", f"{submission.title} — {submission.template_name}, version {submission.version_number}"),
        ("Signed by", submission.signer_name),
        ("Signed at", _when(submission.signed_at, time_zone)),
        ("From address", submission.ip_address or "unknown"),
        ("Browser", submission.user_agent or "unknown"),
        ("Portal account", submission.signed_by.email if submission.signed_by_id else "None (signed link)"),
        ("Signature", signature),
        ("E-signature consent", submission.consent_text),
        ("SHA-256 of the signed document", submission.sha256),
    ]
    hash_style = ParagraphStyle("hash", parent=s["cell"], fontSize=7.6)  # the 64 hex digits on one line
    table = Table([[Paragraph(f"<b>{escape(k)}</b>", s["cell"]),
                    Paragraph(_text(v), hash_style if k.startswith("SHA-256") else s["cell"])] for k, v in rows],
                  colWidths=[doc.width * 0.3, doc.width * 0.7])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    pages = len(PdfReader(io.BytesIO(bytes(submission.pdf))).pages)
    doc.build([
        Paragraph(escape(practice_name), s["practice"]), Paragraph("Audit page", s["title"]), Spacer(1, 4 * mm), table,
        Spacer(1, 5 * mm),
        Paragraph(f"The signed document is the {pages} page{'s' if pages != 1 else ''} before this one, exactly as "
                  "stored when it was signed. Its SHA-256 above is computed over those stored bytes (download "
                  "“Signed document only” and run sha256sum to check it). This audit page is added on download.",
                  s["muted"]),
    ])
    return buffer.getvalue()


def with_audit_page(submission, *, practice_name: str, time_zone: str) -> bytes:
    """The stored signed document followed by its audit page, as one PDF."""
    return _join([bytes(submission.pdf), audit_page(submission, practice_name=practice_name, time_zone=time_zone)])
