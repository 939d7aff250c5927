"""Invoice PDFs name clients in any alphabet DejaVu Sans covers (practice.pdf_fonts): the names are
embedded text, read back by poppler's pdftotext (independent of reportlab) and by pypdf."""
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from billing import pdf
from billing.tests.test_billing_pages import pdf_text

NAMES = ["Дарья Смирнова", "Ζωή Παπαδοπούλου", "יעל כהן"]


class Money:
    def __init__(self, amount):
        self.amount = Decimal(amount)
        self.with_currency = f"{amount} USD"


class Line:
    def __init__(self, label):
        self.day, self.services, self.outcome, self.label, self.amount = date(2026, 3, 2), label, "Completed", label, Decimal("150.00")


class Invoice:
    def __init__(self, name):
        self.number, self.practice_name, self.client_name, self.currency = "INV-1", "Практика Σ", name, "USD"
        self.issued, self.start, self.end = date(2026, 3, 31), date(2026, 3, 1), date(2026, 3, 31)
        self.sessions, self.others, self.payments = [Line("90837 Психотерапия")], [], []
        self.forward = self.charges_total = self.payments_total = self.balance_due = Money("150.00")
        self.filename = "invoice.pdf"


def test_invoice_pdf_uses_an_embedded_unicode_font_not_helvetica():
    data = pdf.render_invoice(Invoice(NAMES[0]))
    assert b"DejaVuSans" in data and b"/FontFile2" in data  # embedded TrueType
    # reportlab still declares Helvetica as each page's initial font (an empty BT /F1 12 Tf ET);
    # every word is set in DejaVu Sans, and the bold of the headers too.
    assert b"/Helvetica-Bold" not in data


@pytest.mark.parametrize("name", NAMES)
def test_invoice_pdf_names_come_out_as_text(name, tmp_path):
    data = pdf.render_invoice(Invoice(name))
    extracted = pdf_text(data)
    if shutil.which("pdftotext"):
        path = tmp_path / "invoice.pdf"
        path.write_bytes(data)
        extracted += subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    words = name.split()
    if name[0] in "אבגדהוזחטיכלמנסעפצקרשת":
        # reportlab writes right-to-left text in logical order: each word comes out, letters as typed
        # or reversed depending on the reader; the glyphs are the Hebrew letters either way.
        assert all(w in extracted or w[::-1] in extracted for w in words), extracted
    else:
        assert all(w in extracted for w in words), extracted
    assert "Психотерапия" in extracted and "Практика Σ" in extracted
