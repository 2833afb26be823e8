"""A PDF page rendered with the quote's characters highlighted, found despite the differences between our
cleaned text and the PDF's text layer (spacing, hyphenation, case, ligatures, typographic quotes)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from ui.pdfview import SCALE, Located, find_quote, render_page

FONT, SIZE = "Helvetica", 12
LINE = "2. The Lisbon meeting was chaired by Mr. Tomasz Wierzbicki of Poland."
QUOTE = "chaired by Mr. Tomasz Wierzbicki"
X, Y = 72, 750  # where LINE is drawn, in PDF points from the bottom left


def write_pdf(path: Path) -> Path:
    """Page 1: LINE, then an unrelated line; a word hyphenated across two lines. Page 2: other text."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont(FONT, SIZE)
    pdf.drawString(X, Y, LINE)
    pdf.drawString(X, 600, "Unrelated text further down the page, about remit-")
    pdf.drawString(X, 586, "tances and diaspora bonds, which ends here and")
    pdf.showPage()
    pdf.setFont(FONT, SIZE)
    pdf.drawString(X, Y, "continues on the second page with other words entirely.")
    pdf.showPage()
    pdf.save()
    return path


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    return write_pdf(tmp_path / "lisbon.pdf")


def highlight_mask(png: bytes) -> np.ndarray:
    """Pixels of the highlight colour over white paper (amber, not text, not paper)."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return (r > 240) & (g > 215) & (g < 245) & (b > 120) & (b < 170)


def expected_box() -> tuple[int, int, int, int]:
    """The quote's extent in pixels from reportlab's own font metrics: left, top, right, bottom."""
    left = X + stringWidth(LINE[: LINE.index(QUOTE)], FONT, SIZE)
    right = left + stringWidth(QUOTE, FONT, SIZE)
    top, bottom = A4[1] - (Y + SIZE), A4[1] - (Y - SIZE * 0.3)
    return round(left * SCALE), round(top * SCALE), round(right * SCALE), round(bottom * SCALE)


def test_the_quote_is_highlighted_on_its_page_and_nothing_else_is(pdf: Path) -> None:
    view = render_page(pdf, 1, QUOTE)
    assert view.located is Located.WHOLE
    mask = highlight_mask(view.png)
    left, top, right, bottom = expected_box()
    ys, xs = np.nonzero(mask)
    assert mask[top:bottom, left:right].mean() > 0.5  # most of the quote's box is highlighted
    margin = 4
    assert xs.min() >= left - margin and xs.max() <= right + margin  # and nothing beyond it
    assert ys.min() >= top - margin and ys.max() <= bottom + margin


def test_a_quote_with_other_spacing_hyphenation_and_case_is_still_found(pdf: Path) -> None:
    view = render_page(pdf, 1, "About remittances  and\nDiaspora bonds")
    assert view.located is Located.WHOLE
    assert len(view.boxes) == 2  # one box per line of the PDF
    assert highlight_mask(view.png).sum() > 0


def test_letters_are_compared_after_unicode_normalisation() -> None:
    page = "the ﬁnancial inclusion of “migrants” …"
    located, chars = find_quote(page, 'Financial inclusion of "migrants"')
    assert located is Located.WHOLE and page[chars.start:chars.stop] == "ﬁnancial inclusion of “migrants"


def test_the_quote_s_own_opening_and_closing_punctuation_is_highlighted_when_the_page_has_it() -> None:
    page = "He said (as agreed) that it ends. Then more."
    located, chars = find_quote(page, "(as agreed) that it ends.")
    assert located is Located.WHOLE and page[chars.start:chars.stop] == "(as agreed) that it ends."
    located, chars = find_quote(page, "“as agreed) that it ends!")
    assert page[chars.start:chars.stop] == "as agreed) that it ends"


def test_a_quote_running_onto_the_next_page_highlights_its_part_on_this_page(pdf: Path) -> None:
    view = render_page(pdf, 1, "diaspora bonds, which ends here and continues on the second page with other words")
    assert view.located is Located.PART
    top_of_second_line = round((A4[1] - 586 - SIZE) * SCALE)
    assert view.boxes and all(box[1] >= top_of_second_line - 4 for box in view.boxes)


def test_a_quote_not_on_the_page_still_renders_the_page_with_no_highlight(pdf: Path) -> None:
    view = render_page(pdf, 2, QUOTE)
    assert view.located is Located.NONE and view.boxes == ()
    image = Image.open(io.BytesIO(view.png))
    assert image.size == (view.width, view.height) == (round(A4[0] * SCALE), round(A4[1] * SCALE))
    assert not highlight_mask(view.png).any()


def test_a_page_outside_the_document_is_an_error(pdf: Path) -> None:
    with pytest.raises(IndexError):
        render_page(pdf, 3, QUOTE)
