"""Hostile corpus files, generated on the spot: damaged, encrypted, oversized, deeply nested, badly
named. Shared by tests/test_hostile.py and eval/hostile.py, so both try the same folder.

Each generator writes into a corpus folder and says what ingest should make of it (`Expect`)."""

from __future__ import annotations

import io
import os
import random
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A build must end with these outcomes; "either" is a damaged file a reader may partly recover.
OK, FAILED, SKIPPED, EITHER = "ok", "failed", "skipped", "ok or failed"


@dataclass(frozen=True, slots=True)
class Expect:
    doc: str  # name as the manifest records it
    outcome: str  # OK, FAILED, SKIPPED or EITHER
    reason: str = ""  # a regex the failure reason must match
    phrase: str = ""  # for OK: words that must reach the index


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for page in range(3):
        c.drawString(72, 700, f"{text} Page {page + 1}.")
        c.drawString(72, 680, "Participants discussed labour migration and the costs of recruitment.")
        c.showPage()
    c.save()
    return out.getvalue()


def _encrypted_pdf(text: str, user: str, algorithm: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf(text))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _raw_pdf(content: bytes) -> bytes:
    """A one-page PDF whose page content is the given (already Flate-compressed) stream."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _bomb_pdf() -> bytes:
    # 100 MB of spaces inflate from ~100 kB: past pypdf's 75 MB limit for one Flate stream.
    squeezer = zlib.compressobj(9)
    block = b" " * (1 << 20)
    data = b"".join(squeezer.compress(block) for _ in range(100)) + squeezer.flush()
    return _raw_pdf(data)


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Hostile test report", 1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _docx_with_body(text: str, body: Callable[[str], str]) -> bytes:
    """A real DOCX whose word/document.xml body is rewritten by `body`."""
    source = zipfile.ZipFile(io.BytesIO(_docx(text)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = body(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


def _with_comments(xml: str) -> str:
    return xml.replace("<w:body>", "<w:body><!-- reviewer: check the figures --><?mso-hint keep?>", 1)


def _deeply_nested(xml: str) -> str:
    depth = 5_000
    return xml.replace("<w:body>", "<w:body>" + "<w:customXml>" * depth + "</w:customXml>" * depth, 1)


def _malformed(xml: str) -> str:
    return xml.replace("</w:body>", "<w:p><w:r><w:t>unclosed</w:body>", 1)


def _write(corpus: Path, name: str | bytes, data: bytes) -> None:
    target = os.path.join(os.fsencode(corpus), name) if isinstance(name, bytes) else corpus / name
    Path(os.fsdecode(target)).parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(data)


def write_hostile_corpus(corpus: Path) -> list[Expect]:
    """Write every hostile file (and a few good ones in odd shapes) into `corpus`; say what to expect."""
    rng = random.Random(10)
    expect: list[Expect] = []

    def put(name: str, data: bytes, outcome: str, reason: str = "", phrase: str = "") -> None:
        _write(corpus, name, data)
        expect.append(Expect(name, outcome, reason, phrase))

    put("hostile/empty.txt", b"", FAILED, "empty")
    put("hostile/empty.pdf", b"", FAILED, "empty")
    put("hostile/noise.txt", rng.randbytes(20_000), FAILED, "binary|not readable")
    put("hostile/noise.pdf", rng.randbytes(20_000), FAILED, "damaged")
    put("hostile/noise.docx", rng.randbytes(20_000), FAILED, "damaged|not a Word document")
    put("hostile/noise.html", rng.randbytes(20_000), FAILED, "binary|not readable")

    good_pdf = _pdf("The Quito roundtable endorsed portable pensions for seasonal workers.")
    put("good/quito.pdf", good_pdf, OK, phrase="portable pensions for seasonal workers")
    good_docx = _docx("The Tunis meeting agreed to publish recruitment fee ceilings.")
    put("good/tunis.docx", good_docx, OK, phrase="recruitment fee ceilings")
    for cut in (0.05, 0.25, 0.5, 0.75, 0.95):
        put(f"hostile/truncated-{int(cut * 100)}.pdf", good_pdf[: int(len(good_pdf) * cut)], EITHER, "damaged")
        put(f"hostile/truncated-{int(cut * 100)}.docx", good_docx[: int(len(good_docx) * cut)], FAILED,
            "damaged|not a Word document")

    sentence = "The Accra dialogue asked for consular protection of domestic workers."
    put("good/owner-rc4.pdf", _encrypted_pdf(sentence, "", "RC4-128"), OK, phrase="consular protection")
    put("good/owner-aes.pdf", _encrypted_pdf(sentence, "", "AES-256"), OK, phrase="consular protection")
    put("hostile/user-rc4.pdf", _encrypted_pdf(sentence, "letmein", "RC4-128"), FAILED, "password")
    put("hostile/user-aes.pdf", _encrypted_pdf(sentence, "letmein", "AES-256"), FAILED, "password")
    put("hostile/bomb.pdf", _bomb_pdf(), FAILED, "safety limit")

    put("hostile/bad-xml.docx", _docx_with_body("x", _malformed), FAILED, "XML")
    put("hostile/deep-xml.docx", _docx_with_body("x", _deeply_nested), FAILED, "XML")
    put("good/comments.docx", _docx_with_body("The Manila forum launched a skills passport.", _with_comments),
        OK, phrase="skills passport")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("notes.txt", "not a word document")
    put("hostile/not-word.docx", archive.getvalue(), FAILED, "damaged|not a Word document")

    depth = 100_000
    put("hostile/deep.html", ("<html><body>" + "<div>" * depth + "<p>Buried sentence about visas.</p>"
                              + "</div>" * depth + "</body></html>").encode(), EITHER, "reader failed|no readable")

    text = "The Dhaka workshop recommended lowering remittance costs below three per cent.\n\n" * 3
    put("good/utf16-bom.txt", text.encode("utf-16"), OK, phrase="Dhaka workshop")
    put("good/utf16-no-bom.txt", text.encode("utf-16-le"), EITHER, "binary|not readable")
    put("good/cp1252.txt", "Delegates from São Tomé and Côte d’Ivoire met in Genève.\n".encode("cp1252") * 3,
        OK, phrase="São Tomé")
    put("hostile/nul-bytes.txt", b"Report\x00text\x00" * 2_000, FAILED, "binary|not readable")
    put("hostile/huge.txt", b"Oversized report line about migration.\n" * 60_000, FAILED, "size limit")

    _write(corpus, b"hostile/bad\xffname.txt", b"A report whose name is not UTF-8.\n")
    expect.append(Expect("hostile/bad\\xffname.txt", SKIPPED, "not valid UTF-8.*rename"))
    (corpus / "hostile" / "loop.txt").symlink_to(corpus / "hostile" / "loop.txt")
    expect.append(Expect("hostile/loop.txt", SKIPPED, "broken symbolic link"))
    (corpus / "hostile" / "up").symlink_to("..", target_is_directory=True)
    expect.append(Expect("hostile/up", SKIPPED, "folder is not followed"))
    put("hostile/x.pdf/inside.md", b"# Folder named like a PDF\n\nThe Rabat process met in a folder.\n",
        OK, phrase="Rabat process")
    return expect


HOSTILE_SETTINGS = {"ingest.max_file_mb": 2}  # huge.txt (2.3 MB) is over it; every other file is far under


def reason_kind(reason: str) -> str:
    """A short label for a failure reason: its first clause, without file-specific details."""
    return re.split(r"[(;:]", reason, maxsplit=1)[0].strip() or reason


__all__ = ["EITHER", "FAILED", "HOSTILE_SETTINGS", "OK", "SKIPPED", "Expect", "reason_kind",
           "write_hostile_corpus"]
