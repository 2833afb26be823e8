"""File to RawDocument, chosen by suffix. Structured formats become Markdown-ish text so one
repair path (`paragraphs`) serves them all."""

from __future__ import annotations

import codecs
import logging
import re
import warnings as warnings_module
from pathlib import Path
from typing import Any

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
        raise LoaderError(f"{doc}: {unsupported_reason(path)}")
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
    text, warnings = decode_text(doc, data)
    if suffix in (".html", ".htm"):
        return RawDocument(doc, "html", (RawPage(html_to_markdown(text)),), warnings)
    return RawDocument(doc, "md" if suffix in (".md", ".markdown") else "txt", (RawPage(text),), warnings)


_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A few damaged bytes in a UTF-8 file are replaced (and reported), not a reason to guess another encoding.
_MAX_BAD_UTF8 = 0.001
_MAX_CHAOS = 0.25  # charset-normalizer's mess ratio above which the decoded text is unreadable


_ARCHIVES = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar")


def unsupported_reason(path: Path) -> str:
    """Names the whole type (".tar.gz", not ".gz") and what to do with it."""
    suffixes = [x for x in path.suffixes if 1 < len(x) <= 6 and x[1:].isalnum()][-2:]
    kind = "".join(suffixes) if suffixes and suffixes[0].lower() == ".tar" else path.suffix or "(no extension)"
    if path.suffix.lower() in _ARCHIVES:
        return f"'{kind}' is an archive; extract the reports in it into the corpus folder and remove the archive"
    return f"unsupported file type '{kind}'; convert it to PDF, DOCX, HTML, Markdown or text"


def decode_text(doc: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    """Text and decoding warnings: a BOM is obeyed, UTF-8 is preferred (a few bad bytes replaced),
    anything else is detected by charset-normalizer; bytes that decode to no readable text are refused."""
    text, warnings = _decode(doc, data)
    sample = text[:65536]
    if len(_CONTROL.findall(sample)) > 0.01 * max(1, len(sample)):
        raise LoaderError(f"{doc}: looks like a binary file, not text; remove it or export it as text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), warnings


def _decode(doc: str, data: bytes) -> tuple[str, tuple[str, ...]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), ()
            except UnicodeDecodeError as exc:
                raise LoaderError(f"{doc}: starts with a {encoding} byte-order mark but is not valid {encoding} "
                                  f"({exc.reason} at byte {exc.start}); re-save it as UTF-8") from None
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        try:
            return data.decode(utf16), (f"{utf16} without a byte-order mark; re-save the file as UTF-8",)
        except UnicodeDecodeError:
            pass  # zeros in a pattern by chance: not UTF-16 after all
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8", errors="replace")
    bad = replaced.count("\ufffd") - data.count("\ufffd".encode())
    # Damaged UTF-8 has valid multi-byte characters around its few bad bytes; legacy text has none.
    valid_multibyte = sum(1 for ch in replaced if ord(ch) > 127) - bad
    few = bad <= _MAX_BAD_UTF8 * len(data) or valid_multibyte >= 10 * bad
    if b"\x00" not in data and valid_multibyte > 0 and few:
        return replaced, (f"{bad} invalid UTF-8 byte sequence(s) replaced with \ufffd; re-save the file as UTF-8",)
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if m.chaos <= _MAX_CHAOS]
    if not matches:
        raise LoaderError(f"{doc}: not readable text in any known encoding (binary data?); "
                          "remove it or export it as UTF-8 text")
    # Ties in mess are broken by a language guess that is noisy on short texts; cp1252 is the common
    # legacy encoding of English reports, so it wins a tie
    # (the detector may not even list it among a dozen equally clean code pages).
    least = min(m.chaos for m in matches)
    western = from_bytes(data, cp_isolation=["cp1252"]).best()
    best = western if western is not None and western.chaos <= least + 0.01 else min(matches, key=lambda m: m.chaos)
    return str(best), (f"not UTF-8: decoded as {best.encoding} (detected); re-save the file as UTF-8 to be sure",)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of a Latin script has a zero in every other byte, and only there."""
    sample = data[:8192]
    if len(sample) < 16 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0) / (len(sample) / 2), sample[1::2].count(0) / (len(sample) / 2)
    if odd > 0.3 and even < 0.02:
        return "utf-16-le"
    if even > 0.3 and odd < 0.02:
        return "utf-16-be"
    return None


def _page_text(page: Any) -> str:
    text: str = page.extract_text() or ""
    if not text.strip() and page.get("/Contents") is not None:
        # extract_text swallows a decompression limit and returns "": decode the content again so a
        # bomb is reported as one, not as a scanned page
        page.get_contents()
    return text


def _pdf(doc: str, path: Path) -> RawDocument:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfReadError

    problems = _Collected()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(problems)
    propagate, pypdf_log.propagate = pypdf_log.propagate, False  # thousands of lines for one bad PDF
    try:
        with warnings_module.catch_warnings(record=True) as caught:
            warnings_module.simplefilter("always")
            reader = PdfReader(str(path))
            # An owner password only restricts printing or copying: the empty user password opens it.
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise FileNotDecryptedError("user password required")
            pages = tuple(RawPage(_page_text(page), number) for number, page in enumerate(reader.pages, 1))
        problems.messages.extend(str(w.message) for w in caught)
    except FileNotDecryptedError:
        raise LoaderError(f"{doc}: the PDF needs a password to open; save an unprotected copy into the corpus") \
            from None
    except LimitReachedError as exc:
        raise LoaderError(f"{doc}: the PDF inflates past the reader's safety limit ({exc}; a decompression "
                          "bomb or a damaged stream); re-export it, or split it into smaller files") from None
    except DependencyError as exc:
        raise LoaderError(f"{doc}: the PDF is encrypted and cannot be decrypted here ({exc}); "
                          "install the 'cryptography' package or save an unencrypted copy") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise LoaderError(f"{doc}: the PDF is damaged ({exc}); re-download or re-export it") from None
    finally:
        pypdf_log.removeHandler(problems)
        pypdf_log.propagate = propagate
    notes: list[str] = []
    if not any(p.text.strip() for p in pages):
        notes.append("no text layer: scanned PDF? run OCR first")
    if problems.messages:
        first = " ".join(problems.messages[0].split())[:120]
        notes.append(f"the PDF reader reported {len(problems.messages)} problem(s), e.g. \"{first}\"; "
                     "check the text of this report, or re-export the PDF")
    return RawDocument(doc, "pdf", pages, tuple(notes))


class _Collected(logging.Handler):
    """Keeps a library's log records for one file, to report them as one line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 10_000:
            self.messages.append(record.getMessage())


def _docx(doc: str, path: Path) -> RawDocument:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError) as exc:
        raise LoaderError(f"{doc}: the DOCX file is damaged or not a Word document ({exc}); re-save it") from None
    except XMLSyntaxError as exc:  # malformed, or nested past lxml's depth limit
        raise LoaderError(f"{doc}: the DOCX file holds XML that cannot be parsed ({exc}); open it in Word "
                          "and re-save it") from None
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if not isinstance(child.tag, str):  # an XML comment or processing instruction: no text of the report
            continue
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


_MARKUP = re.compile(r"([\\`*_\[\]<>])")


def _literal(text: str) -> str:
    """HTML text is data: characters Markdown would read as markup are escaped (repair unescapes them)."""
    return _MARKUP.sub(r"\\\1", " ".join(text.split()))


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
            cells = [_literal(c.get_text(" ")) for c in el.find_all(["td", "th"])]
            blocks.append("| " + " | ".join(cells) + " |")
            continue
        text = _literal(el.get_text(" "))
        if not text:
            continue
        if el.name[0] == "h":
            blocks.append("#" * int(el.name[1]) + " " + text)
        elif el.name == "li":
            blocks.append("- " + text)
        else:
            blocks.append(text)
    if not blocks:  # a page of bare text in divs
        blocks = [_literal(line) for line in soup.get_text("\n").split("\n") if line.strip()]
    return "\n\n".join(blocks)
