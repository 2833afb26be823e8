"""Corpus folder to live index: load, repair, chunk, embed (only what changed), switch."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .catalog import Catalog, load_catalog
from .chunking import chunk_document, embedding_text
from .embedding import Embedder
from .errors import LoaderError, StoreError
from .limits import time_limit
from .loaders import load_file
from .manifest import FileStatus, Manifest
from .paragraphs import QualityReport, build_document, check_text_size, quality_report
from .sentences import SentenceTable, build_table, reusable
from .settings import IngestSettings, Settings
from .store import Build, Store, open_store
from .types import Chunk, Document

log = logging.getLogger(__name__)

# (stage, done, total): stages are "read" (files), "embed" (chunks) and "sentences" (their sentences)
IngestProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class IngestReport:
    build: str  # where the new build lives (its folder, for the default store)
    files: tuple[FileStatus, ...]
    quality: tuple[QualityReport, ...]
    reused_files: tuple[str, ...]
    chunks: int
    embedded_chunks: int
    seconds: float

    @property
    def failed(self) -> tuple[FileStatus, ...]:
        return tuple(f for f in self.files if f.status != "ok")


def corpus_files(corpus: Path, catalog_name: str) -> list[Path]:
    return scan_corpus(corpus, catalog_name)[0]


def scan_corpus(corpus: Path, catalog_name: str) -> tuple[list[Path], list[tuple[str, str]]]:
    """Regular files inside the corpus folder, and (name, reason) for every other entry found.

    Links are resolved: one whose target lies outside the corpus, is missing or loops is never read,
    and one to a file inside is left to that file, so nothing is indexed twice."""
    if not corpus.is_dir():
        raise LoaderError(f"corpus folder {corpus} does not exist; pass --corpus DIR or create it")
    root = corpus.resolve()
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for folder, dirs, names in os.walk(corpus, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                skipped.append((_safe_name(_rel(here / name, corpus)), "a symbolic link to a folder is not followed; "
                                "copy or move the folder into the corpus instead"))
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(names):
            path = here / name
            rel = _rel(path, corpus)
            if name.startswith(".") or (here == corpus and name == catalog_name) or name.lower() == "readme.md":
                continue
            reason = _unreadable_reason(path, root)
            if not _utf8(rel):
                rel, reason = _safe_name(rel), ("the file name is not valid UTF-8 (shown with \\x escapes); "
                                                "rename it")
            if reason:
                skipped.append((rel, reason))
            else:
                files.append(path)
    return sorted(files), sorted(skipped)


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.walk gives undecodable bytes as lone surrogates
        return False
    return True


def _safe_name(name: str) -> str:
    """The name as given where it is valid UTF-8; its undecodable bytes as \\xNN where not."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _rel(path: Path, corpus: Path) -> str:
    return path.relative_to(corpus).as_posix()


def _unreadable_reason(path: Path, root: Path) -> str | None:
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "a broken symbolic link (its target is missing or the link loops); remove it"
        if not target.is_relative_to(root):
            return (f"a symbolic link to {target}, outside the corpus folder, is not read; "
                    "copy the file into the corpus instead")
        if target.is_file():
            return f"a symbolic link to {target.relative_to(root).as_posix()}, which is indexed under its own name"
        return "a symbolic link to something that is not a regular file; remove it"
    if not path.is_file():
        return "not a regular file (a pipe, socket or device); remove it"
    return None


def sha256_bytes(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:  # in blocks: a file may be far larger than memory
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_one(
    path: Path, doc: str, corpus: Path, catalog: Catalog, limits: IngestSettings, max_text_mb: float
) -> tuple[str, Document | None, str | None]:
    """(sha256, document, None), or (sha256 or "", None, reason): whatever one file does, the build goes on."""
    sha = ""
    try:
        with time_limit(limits.file_seconds, doc):
            size = path.stat().st_size
            if limits.max_file_mb and size > limits.max_file_mb * 1e6:
                raise LoaderError(f"{doc}: the file is over the size limit ({size / 1e6:.1f} MB, ingest.max_file_mb "
                                  f"is {limits.max_file_mb:g} MB); split or compress it, or raise "
                                  "RAG_INGEST_MAX_FILE_MB")
            sha = sha256_bytes(path)
            raw = load_file(path, corpus)
            check_text_size(raw, max_text_mb)  # a small compressed file can still extract to gigabytes
            document = build_document(raw, catalog.entry(doc), sha256=sha)
            if not any(p.kind != "heading" and p.text.strip() for p in document.paragraphs):
                raise LoaderError(f"{doc}: {_no_text_reason(document)}")
    except LoaderError as exc:
        return sha, None, str(exc).removeprefix(f"{doc}: ")  # the file is named beside it already
    except OSError as exc:
        return sha, None, f"cannot be read ({exc.strerror or exc}); check its permissions"
    # Parsers of PDF, DOCX and HTML raise types of their own on hostile input (a decompression-bomb
    # limit, an XML syntax error, a recursion limit, plain bugs): none of them may cost the build.
    except Exception as exc:
        log.debug("unexpected error reading %s", doc, exc_info=True)
        return sha, None, (f"the reader failed ({type(exc).__name__}: {_one_line(exc)}); re-export or re-save "
                           "the file, and report the problem if a clean copy also fails")
    return sha, document, None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or "no message"


def _no_text_reason(document: Document) -> str:
    if document.warnings and any("no text layer" in w for w in document.warnings):
        return "no text layer (a scanned PDF?); run OCR on it and save the result into the corpus"
    if document.format == "html":
        return ("no readable text (the page may draw its text with scripts); save the rendered page as PDF "
                "or HTML with its text")
    return "no text to index (only headings or blank lines); replace it with the full report"


def _index_settings(settings: Settings, catalog_sha: str) -> dict[str, object]:
    return {"chunking": asdict(settings.chunking), "catalog_sha256": catalog_sha, "embedded_text": EMBEDDED_TEXT}


# What a vector was computed from (see chunking.embedding_text): change it when that changes, so none is reused.
EMBEDDED_TEXT = "contextual header + list lead-in + chunk text"


def _previous(store: Store, embedder: Embedder) -> Build | None:
    try:
        return store.load(expect_model=embedder.name)
    except StoreError as exc:  # includes "no index yet"; a damaged one is simply rebuilt in full
        log.info("no reusable previous index: %s", exc)
        return None


def ingest(settings: Settings, embedder: Embedder, progress: IngestProgress | None = None) -> IngestReport:
    """Build a new index from the corpus folder; the previous one serves until the switch."""
    return build_index(settings, embedder, progress)[0]


def build_index(settings: Settings, embedder: Embedder,
                progress: IngestProgress | None = None) -> tuple[IngestReport, Build]:
    """As `ingest`, also returning the new build as verified, so a caller may serve it without loading it again."""
    store = open_store(settings)
    store.check_writable()  # before any work: a read-only index would waste the embedding
    with store.lock():
        return _ingest(settings, store, embedder, progress)


def _ingest(settings: Settings, store: Store, embedder: Embedder,
            progress: IngestProgress | None) -> tuple[IngestReport, Build]:
    began = time.perf_counter()
    corpus = settings.paths.corpus
    files, skipped = scan_corpus(corpus, settings.paths.catalog)
    catalog_path = corpus / settings.paths.catalog
    catalog_sha = sha256_bytes(catalog_path) if catalog_path.exists() else ""
    catalog = load_catalog(corpus, settings.paths.catalog)
    index_settings = _index_settings(settings, catalog_sha)
    previous = _previous(store, embedder)

    # Every file is parsed again (cheap, and a repair fix reaches old files); embedding, the costly
    # step, is reused for every chunk whose text the previous build already holds.
    documents: list[Document] = []
    statuses: list[FileStatus] = []
    quality: list[QualityReport] = []
    for done, path in enumerate(files, start=1):
        doc = path.relative_to(corpus).as_posix()
        sha, document, reason = _read_one(path, doc, corpus, catalog, settings.ingest,
                                           settings.repair.max_text_mb)
        if document is None:
            statuses.append(FileStatus(doc, sha, "failed", reason))
            log.warning("skipped %s: %s", doc, reason)
        else:
            documents.append(document)
            quality.append(quality_report(document))
        if progress:
            progress("read", done, len(files))

    statuses.extend(FileStatus(doc, "", "skipped", reason) for doc, reason in skipped)
    chunks: list[Chunk] = []
    per_doc: dict[str, int] = {}
    for document in documents:
        doc_chunks = chunk_document(document, settings.chunking, embedder.count_tokens)
        per_doc[document.doc] = len(doc_chunks)
        chunks.extend(doc_chunks)
    for document in documents:
        statuses.append(FileStatus(document.doc, document.sha256, "ok", None, per_doc[document.doc], document.warnings))
    statuses.sort(key=lambda s: s.doc)

    vectors, fresh = _vectors(chunks, previous, embedder, progress)
    sentences = _sentences(chunks, previous, embedder, progress)
    changed = {chunks[i].doc for i in fresh}
    # Reused: an unchanged file whose every vector came from the previous build (none on a first build).
    before = {f.doc: f.sha256 for f in previous.manifest.files} if previous is not None else {}
    reused = [d.doc for d in documents
              if d.doc not in changed and per_doc[d.doc] and before.get(d.doc) == d.sha256]
    manifest = Manifest(
        model=embedder.name,
        dimension=embedder.dimension,
        index_settings=index_settings,
        files=tuple(statuses),
        chunk_count=len(chunks),
    )
    build = store.write(manifest, documents, chunks, vectors, sentences)
    report = IngestReport(
        build=build.where,
        files=tuple(statuses),
        quality=tuple(quality),
        reused_files=tuple(reused),
        chunks=len(chunks),
        embedded_chunks=len(fresh),
        seconds=time.perf_counter() - began,
    )
    return report, build


def _vectors(
    chunks: list[Chunk], previous: Build | None, embedder: Embedder, progress: IngestProgress | None
) -> tuple[np.ndarray, list[int]]:
    """Reuse the previous build's vector for any chunk whose embedded text (passage, report, section, lead-in)
    is unchanged; embed the rest."""
    vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    old_positions: dict[str, int] = {}
    if (previous is not None and previous.manifest.dimension == embedder.dimension
            and previous.manifest.index_settings.get("embedded_text") == EMBEDDED_TEXT):
        old_positions = {embedding_text(c): i for i, c in enumerate(previous.chunks)}
    texts = [embedding_text(c) for c in chunks]
    todo = [i for i, text in enumerate(texts) if text not in old_positions]
    keep = [i for i, text in enumerate(texts) if text in old_positions]
    if keep and previous is not None:
        vectors[keep] = previous.dense.vectors([old_positions[texts[i]] for i in keep])
    if todo:
        def embed_progress(done: int, total: int) -> None:
            if progress:
                progress("embed", done, total)

        vectors[todo] = embedder.encode([texts[i] for i in todo], progress=embed_progress)
    return vectors, todo


def _sentences(
    chunks: list[Chunk], previous: Build | None, embedder: Embedder, progress: IngestProgress | None
) -> SentenceTable:
    """Every sentence's vector, taken from the previous build when its text is there, else embedded."""
    reuse: dict[str, np.ndarray] = {}
    if previous is not None and previous.manifest.dimension == embedder.dimension:
        reuse = reusable(previous.sentences, previous.chunks, previous.documents)

    def encode(texts: Sequence[str]) -> np.ndarray:
        return embedder.encode(texts, progress=lambda done, total: progress("sentences", done, total)
                               if progress else None)

    return build_table(chunks, encode, embedder.dimension, reuse)


__all__ = ["IngestReport", "build_index", "corpus_files", "ingest"]
