"""The Unicode font of every PDF the app writes (invoices, signed documents).

The standard PDF fonts (Helvetica and friends) only know Windows-1252: a client called Дарья,
Ζωή or יעל came out as black boxes or nothing. DejaVu Sans (vendored from the npm package
``dejavu-fonts-ttf`` 2.37.3 into ``practice/fonts/``, with its licence) covers Latin, Greek,
Cyrillic, Armenian, Georgian, Hebrew and Arabic letters and is embedded (subset) in each PDF, so
the names are real text (searchable, copyable). Not covered: Chinese, Japanese and Korean (no CJK
glyphs in DejaVu), and reportlab lays out right-to-left scripts (Hebrew, Arabic) in logical order
without bidi reordering or Arabic letter shaping.
"""
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


def register() -> None:
    """Register DejaVu Sans (regular and bold, as one family) with reportlab; safe to call often."""
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    # <b> in a Paragraph picks the bold face; italics fall back to the upright faces.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
