"""File to RawDocument, chosen by suffix. Structured formats become Markdown-ish text so one
repair path (`paragraphs`) serves them all."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .errors import LoaderError
from .types import RawDocument, RawPage

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def load_file(path: Path, corpus_root: Path) -> RawDocument:
    """Read one corpus file; raise LoaderError naming the file, the problem and the fix."""
    doc = path.relative_to(corpus_root).as_posix()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoaderError(f"{doc}: unsupported file type '{suffix}'; convert it to PDF, DOCX, HTML, Markdown or text")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(f"{doc}: cannot be read ({exc.strerror}); check its permissions") from None
    if not data.strip():
        raise LoaderError(f"{doc}: the file is empty; remove it or replace it with the full report")
    if suffix == ".pdf":
        return _pdf(doc, path)
    if suffix == ".docx":
        return _docx(doc, path)
    text = decode_text(doc, data)
    if suffix in (".html", ".htm"):
        return RawDocument(doc, "html", (RawPage(html_to_markdown(text)),))
    return RawDocument(doc, "md" if suffix in (".md", ".markdown") else "txt", (RawPage(text),))


def decode_text(doc: str, data: bytes) -> str:
    """UTF-8 (BOM stripped) if it decodes, else cp1252, else latin-1; binary data is refused."""
    if b"\x00" in data[:65536]:
        raise LoaderError(f"{doc}: looks like a binary file, not text; remove it or export it as text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > 0.01 * max(1, len(sample)):
        raise LoaderError(f"{doc}: looks like a binary file, not text; remove it or export it as text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _pdf(doc: str, path: Path) -> RawDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise LoaderError(f"{doc}: the PDF is password-protected; save an unprotected copy into the corpus")
        pages = tuple(RawPage(page.extract_text() or "", number) for number, page in enumerate(reader.pages, 1))
    except LoaderError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoaderError(f"{doc}: the PDF is damaged ({exc}); re-download or re-export it") from None
    warnings: tuple[str, ...] = ()
    if not any(p.text.strip() for p in pages):
        warnings = ("no text layer: scanned PDF? run OCR first",)
    return RawDocument(doc, "pdf", pages, warnings)


def _docx(doc: str, path: Path) -> RawDocument:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoaderError(f"{doc}: the DOCX file is damaged or not a Word document ({exc}); re-save it") from None
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            from docx.text.paragraph import Paragraph

            para = Paragraph(child, document)
            text = para.text.strip()
            if not text:
                continue
            style = (para.style.name if para.style is not None else "") or ""
            level = re.match(r"Heading (\d)", style)
            if level:
                lines.append("#" * int(level.group(1)) + " " + text)
            elif style == "Title":
                lines.append("# " + text)
            elif "List" in style:
                lines.append("- " + text)
            else:
                lines.append(text)
        elif tag == "tbl":
            from docx.table import Table

            rows = []
            for row in Table(child, document).rows:
                cells = [c.text.strip().replace("\n", " ") for c in row.cells]
                rows.append("| " + " | ".join(cells) + " |")
            lines.append("\n".join(rows))
    return RawDocument(doc, "docx", (RawPage("\n\n".join(lines)),))


def html_to_markdown(html: str) -> str:
    """Headings, paragraphs, list items and table rows as Markdown blocks; scripts and styles dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "noscript", "template", "head"]):
        tag.decompose()
    blocks: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "blockquote", "pre"]):
        if el.find_parent(["li", "tr"]) is not None and el.name not in ("tr",):
            continue  # its text is taken with the enclosing item or row
        if el.name == "tr":
            cells = [" ".join(c.get_text(" ").split()) for c in el.find_all(["td", "th"])]
            blocks.append("| " + " | ".join(cells) + " |")
            continue
        text = " ".join(el.get_text(" ").split())
        if not text:
            continue
        if el.name[0] == "h":
            blocks.append("#" * int(el.name[1]) + " " + text)
        elif el.name == "li":
            blocks.append("- " + text)
        else:
            blocks.append(text)
    if not blocks:  # a page of bare text in divs
        blocks = [" ".join(line.split()) for line in soup.get_text("\n").split("\n") if line.strip()]
    # Escape Markdown-looking characters that are data, so repair does not read them as markup.
    return "\n\n".join(b if b.startswith(("#", "- ", "| ")) else b.replace("*", "\\*") for b in blocks)
