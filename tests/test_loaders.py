"""Reading each supported format, and refusing bad files with a message that names the fix."""

from __future__ import annotations

import pytest

from rag.errors import LoaderError
from rag.loaders import load_file
from rag.paragraphs import build_document


def _pdf(path, pages):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = 780
        for line in lines:
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()


def test_a_generated_pdf_keeps_its_page_numbers(tmp_path):
    _pdf(tmp_path / "r.pdf", [
        ["1. The workshop was attended by 87 government delegates.", "", "2. It was chaired by Ms. Halvorsen."],
        ["3. Participants recommended abolishing recruitment fees."],
    ])
    raw = load_file(tmp_path / "r.pdf", tmp_path)
    assert raw.format == "pdf" and [p.number for p in raw.pages] == [1, 2]
    doc = build_document(raw, None)
    by_number = {p.number: p for p in doc.paragraphs}
    assert by_number["1."].page == 1 and "87 government delegates" in by_number["1."].text
    assert by_number["3."].page == 2 and doc.pages == 2


def test_a_generated_docx_gives_headings_sections_lists_and_table_rows(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Report of the Lima workshop", level=1)
    d.add_heading("Attendance", level=2)
    d.add_paragraph("The workshop convened 60 delegates from 20 countries.")
    d.add_paragraph("Peru", style="List Bullet")
    d.add_paragraph("Chile", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Country", "Delegates"
    table.cell(1, 0).text, table.cell(1, 1).text = "Peru", "12"
    d.save(tmp_path / "lima.docx")
    doc = build_document(load_file(tmp_path / "lima.docx", tmp_path), None)
    body = next(p for p in doc.paragraphs if "60 delegates" in p.text)
    assert body.section == ("Report of the Lima workshop", "Attendance")
    assert [p.text for p in doc.paragraphs if p.kind == "list"] == ["Peru", "Chile"]
    assert any(p.kind == "table" and p.text == "Country | Delegates\nPeru | 12" for p in doc.paragraphs)
    assert doc.report.title == "Report of the Lima workshop"


def test_html_drops_scripts_but_keeps_escaped_script_text_as_words(tmp_path):
    (tmp_path / "p.html").write_text(
        "<html><head><script>evil()</script></head><body><h1>Title</h1>"
        "<p>Shown as text: &lt;script&gt;alert(1)&lt;/script&gt; *not emphasis*</p>"
        "<script>document.write('x')</script></body></html>", encoding="utf-8")
    doc = build_document(load_file(tmp_path / "p.html", tmp_path), None)
    assert "evil" not in doc.text and "document.write" not in doc.text
    assert "Shown as text: <script>alert(1)</script> *not emphasis*" in doc.text


def test_cp1252_text_is_decoded_with_its_accents(tmp_path):
    (tmp_path / "old.txt").write_bytes("The delegates’ café in Bogotá was réservé.".encode("cp1252"))
    doc = build_document(load_file(tmp_path / "old.txt", tmp_path), None)
    assert doc.text == "The delegates’ café in Bogotá was réservé."


def test_utf8_with_a_byte_order_mark_loses_the_mark(tmp_path):
    (tmp_path / "bom.md").write_bytes("\ufeff# Título\n\nTexto com acentuação.".encode())
    doc = build_document(load_file(tmp_path / "bom.md", tmp_path), None)
    assert doc.paragraphs[0].text == "Título"


def test_an_encrypted_pdf_is_refused_with_a_clear_message(tmp_path):
    from pypdf import PdfReader, PdfWriter

    _pdf(tmp_path / "plain.pdf", [["secret text"]])
    writer = PdfWriter()
    for page in PdfReader(tmp_path / "plain.pdf").pages:
        writer.add_page(page)
    writer.encrypt("pw", algorithm="RC4-128")
    with (tmp_path / "locked.pdf").open("wb") as fh:
        writer.write(fh)
    with pytest.raises(LoaderError, match=r"locked\.pdf.*needs a password"):
        load_file(tmp_path / "locked.pdf", tmp_path)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("cut.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "damaged"),
    ("blob.txt", bytes(range(256)) * 4, "binary"),
    ("empty.md", b"  \n\n", "empty"),
    ("fake.docx", b"not a zip at all", "damaged"),
    ("sheet.xlsx", b"PK\x03\x04", "unsupported"),
])
def test_bad_files_raise_a_loader_error_naming_the_file_and_the_fix(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(LoaderError, match=message) as info:
        load_file(tmp_path / name, tmp_path)
    assert name in str(info.value)
