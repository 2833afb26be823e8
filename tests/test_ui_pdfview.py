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

from ui.pdfquote import place_quote, split_quote
from ui.pdfview import SCALE, Located, find_quote, locate_quote, render_page

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


def test_a_quote_running_onto_the_next_page_is_highlighted_on_both_pages(pdf: Path) -> None:
    quote = "diaspora bonds, which ends here and continues on the second page with other words"
    assert locate_quote(pdf, 1, quote).pages == (1, 2)
    first = render_page(pdf, 1, quote)
    assert first.located is Located.WHOLE
    top_of_second_line = round((A4[1] - 586 - SIZE) * SCALE)
    assert first.boxes and all(box[1] >= top_of_second_line - 4 for box in first.boxes)
    second = render_page(pdf, 2, quote, cited=1)
    assert second.located is Located.WHOLE and len(second.boxes) == 1
    left, top, right, _ = second.boxes[0]
    assert left <= X * SCALE + 2 and top <= round((A4[1] - Y) * SCALE)  # the first line of page 2
    assert right < (X + stringWidth("continues on the second page with other words entirely", FONT, SIZE)) * SCALE


def test_a_quote_that_starts_on_the_page_after_the_cited_one_is_found_there(pdf: Path) -> None:
    placement = locate_quote(pdf, 1, "continues on the second page with other words entirely.")
    assert placement.located is Located.WHOLE and placement.pages == (2,)
    view = render_page(pdf, 2, "continues on the second page with other words entirely.", cited=1)
    assert view.located is Located.WHOLE and highlight_mask(view.png).sum() > 0
    assert render_page(pdf, 1, "continues on the second page with other words entirely.").boxes == ()


def test_a_quote_over_a_page_break_skips_the_running_footer_and_header_between() -> None:
    pages = {
        4: "The delegates agreed that the pilot scheme for seasonal\nworkers would be ex-\nGFMD 2019 Report 4",
        5: "Geneva workshop\ntended to the fishing sector by 2020. Other business followed.",
    }
    placement = place_quote(pages, 4, "the pilot scheme for seasonal workers would be extended to the fishing sector.")
    assert placement.located is Located.WHOLE and placement.pages == (4, 5)
    assert pages[4][placement.on(4).start:placement.on(4).stop] == "the pilot scheme for seasonal\nworkers would be ex"
    assert pages[5][placement.on(5).start:placement.on(5).stop] == "tended to the fishing sector"


def test_a_few_letters_found_by_chance_mid_page_do_not_make_a_page_break_match() -> None:
    first = "A short page mentioning the word rights in its middle." + " Unrelated words follow here." * 10
    second = "rights of migrants were discussed at length by all the delegations present on the day."
    assert split_quote(first, second, "The rights of migrants were discussed at length") is None
    assert place_quote({1: first, 2: second}, 1, "The rights of migrants were discussed at length").pages != (1, 2)


def test_the_longest_run_is_highlighted_when_the_whole_quote_is_on_no_page_or_page_pair() -> None:
    pages = {1: "Nothing relevant here at all.", 2: "the committee adopted the annual budget after a long debate"}
    placement = place_quote(pages, 1, "In the end the committee adopted the annual budget without any changes")
    assert placement.located is Located.PART and placement.pages == (2,)
    assert place_quote(pages, 1, "entirely different words that appear nowhere").located is Located.NONE


def test_a_quote_not_on_the_page_still_renders_the_page_with_no_highlight(pdf: Path) -> None:
    view = render_page(pdf, 2, QUOTE)
    assert view.located is Located.NONE and view.boxes == ()
    image = Image.open(io.BytesIO(view.png))
    assert image.size == (view.width, view.height) == (round(A4[0] * SCALE), round(A4[1] * SCALE))
    assert not highlight_mask(view.png).any()


def test_a_page_outside_the_document_is_an_error(pdf: Path) -> None:
    with pytest.raises(IndexError):
        render_page(pdf, 3, QUOTE)
