"""The invoice as a PDF (reportlab): the same lines and totals as the HTML invoice.

Built from a ``billing.invoices.Invoice``; no query is made here. ``invariant=1`` makes
the same invoice give the same bytes on the same day (no creation time or random
document id), and uncompressed pages keep the text searchable.
The font is DejaVu Sans, embedded (``practice.pdf_fonts``): names in Cyrillic, Greek, Hebrew and
other non-Latin alphabets come out as text (not in Chinese, Japanese or Korean: see that module).
"""
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from practice import pdf_fonts
from practice.pdf_fonts import BOLD, REGULAR

# North American practices print on Letter; everyone else on A4.
LETTER_CURRENCIES = {"USD", "CAD", "MXN"}
GRID = colors.HexColor("#dee2e6")
MUTED = colors.HexColor("#6c757d")
HEAD = colors.HexColor("#f1f3f5")


def _date(day):
    return f"{day:%b} {day.day}, {day.year}"


def _styles():
    pdf_fonts.register()
    base = getSampleStyleSheet()
    font = {"fontName": REGULAR}
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=BOLD, alignment=0, fontSize=18, leading=22,
                                spaceAfter=2),
        "normal": ParagraphStyle("normal", parent=base["Normal"], fontSize=9.5, leading=12, **font),
        "muted": ParagraphStyle("muted", parent=base["Normal"], fontSize=9, leading=11, textColor=MUTED, **font),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=BOLD, fontSize=11.5, leading=14, spaceBefore=10,
                             spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=9, leading=11, **font),
        "right": ParagraphStyle("right", parent=base["Normal"], fontSize=9.5, leading=12, alignment=TA_RIGHT, **font),
    }


def _table(header, rows, widths, *, money_columns=(), empty="None in this period."):
    if not rows:
        rows = [[empty] + [""] * (len(header) - 1)]
        spans = [("SPAN", (0, 1), (-1, 1)), ("TEXTCOLOR", (0, 1), (-1, 1), MUTED)]
    else:
        spans = []
    table = Table([header, *rows], colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), BOLD, 9),
        ("FONT", (0, 1), (-1, -1), REGULAR, 9),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        *[("ALIGN", (column, 0), (column, -1), "RIGHT") for column in money_columns],
        *spans,
    ]
    table.setStyle(TableStyle(style))
    return table


def render_invoice(invoice) -> bytes:
    """The PDF bytes of ``invoice`` (a billing.invoices.Invoice)."""
    buffer = io.BytesIO()
    pagesize = LETTER if invoice.currency in LETTER_CURRENCIES else A4
    doc = SimpleDocTemplate(
        buffer, pagesize=pagesize, invariant=1, pageCompression=0,
        leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"Invoice {invoice.number}", author=invoice.practice_name, subject=f"Invoice for {invoice.client_name}",
    )
    width = doc.width
    s = _styles()
    currency = invoice.currency
    story = [
        Paragraph(escape(invoice.practice_name), s["title"]),
        Paragraph("Invoice", s["muted"]),
        Spacer(1, 6 * mm),
    ]
    header = Table(
        [
            [Paragraph(f"<b>Bill to</b><br/>{escape(invoice.client_name)}", s["normal"]),
             Paragraph(f"<b>Invoice number</b> {escape(invoice.number)}<br/>"
                       f"<b>Date issued</b> {_date(invoice.issued)}<br/>"
                       f"<b>Period</b> {_date(invoice.start)} – {_date(invoice.end)}", s["right"])],
        ],
        colWidths=[width * 0.5, width * 0.5],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [header, Spacer(1, 4 * mm)]

    story.append(Paragraph("Sessions", s["h2"]))
    story.append(_table(
        ["Date", "Services", "Outcome", f"Amount ({currency})"],
        [[_date(line.day), Paragraph(escape(line.services), s["cell"]), Paragraph(escape(line.outcome), s["cell"]),
          str(line.amount)] for line in invoice.sessions],
        [width * 0.2, width * 0.35, width * 0.25, width * 0.2], money_columns=(3,), empty="No sessions in this period.",
    ))
    if invoice.others:
        story.append(Paragraph("Other charges and credits", s["h2"]))
        story.append(_table(
            ["Date", "Description", f"Amount ({currency})"],
            [[_date(line.day), Paragraph(escape(line.label), s["cell"]), str(line.amount)] for line in invoice.others],
            [width * 0.2, width * 0.6, width * 0.2], money_columns=(2,),
        ))
    story.append(Paragraph("Payments", s["h2"]))
    story.append(_table(
        ["Date", "Description", f"Received ({currency})"],
        [[_date(line.day), Paragraph(escape(line.label), s["cell"]), str(line.amount)] for line in invoice.payments],
        [width * 0.2, width * 0.6, width * 0.2], money_columns=(2,), empty="No payments in this period.",
    ))
    story.append(Spacer(1, 6 * mm))
    totals = [
        ["", "Balance brought forward", invoice.forward.with_currency],
        ["", "Total charges", invoice.charges_total.with_currency],
        ["", "Total payments", invoice.payments_total.with_currency],
        ["", "Balance due", invoice.balance_due.with_currency],
    ]
    # Full width, so the amounts line up with the amount columns above.
    table = Table(totals, colWidths=[width * 0.5, width * 0.3, width * 0.2])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), REGULAR, 9.5),
        ("FONT", (0, -1), (-1, -1), BOLD, 11),
        ("ALIGN", (2, 0), (2, -1), "RIGHT"),
        ("LINEABOVE", (1, -1), (-1, -1), 0.8, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
