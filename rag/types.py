"""Core records. Every text span keeps character offsets into its document's clean text,
so a quote can always be proved verbatim."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParagraphKind = Literal["body", "heading", "list", "footnote", "table"]
PARAGRAPH_KINDS: tuple[str, ...] = ("body", "heading", "list", "footnote", "table")


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Who held the meeting a passage reports on, and when and where."""

    title: str
    date: str | None = None  # ISO yyyy-mm-dd when known
    place: str | None = None
    organiser: str | None = None

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None


@dataclass(frozen=True, slots=True)
class RawPage:
    """Text as a loader extracted it; `number` is the 1-based page for paginated formats."""

    text: str
    number: int | None = None


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A file's extracted text before repair."""

    doc: str  # path relative to the corpus folder, with forward slashes
    format: str  # pdf, docx, html, md, txt
    pages: tuple[RawPage, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A true paragraph rebuilt from extraction damage, with its locator."""

    doc: str
    index: int  # position in the document, 0-based
    kind: ParagraphKind
    text: str
    start: int  # offsets into Document.text
    end: int
    section: tuple[str, ...] = ()  # heading path, outermost first
    number: str | None = None  # the report's own paragraph number: "4.", "(2)", "a)"
    page: int | None = None
    footnote_label: str | None = None  # for kind == "footnote": its marker, e.g. "6" or "ii"
    cited_by: int | None = None  # for footnotes: index of the paragraph that cites it
    footnotes: tuple[str, ...] = ()  # for body paragraphs: labels of footnotes they cite
    report: ReportMeta | None = None

    def __post_init__(self) -> None:
        if self.kind not in PARAGRAPH_KINDS:
            raise ValueError(f"unknown paragraph kind {self.kind!r}")
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad offsets {self.start}..{self.end}")
        if len(self.text) != self.end - self.start:
            raise ValueError("paragraph text length does not match its offsets")


@dataclass(frozen=True, slots=True)
class Document:
    """A cleaned report: its clean text and the paragraphs that tile it."""

    doc: str
    format: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    report: ReportMeta
    sha256: str = ""
    pages: int | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for p in self.paragraphs:
            if self.text[p.start : p.end] != p.text:
                raise ValueError(f"{self.doc}: paragraph {p.index} is not a slice of the clean text")


@dataclass(frozen=True, slots=True)
class Chunk:
    """The unit that is embedded and retrieved: a verbatim slice of the clean text, one paragraph or part of
    one, or a short list with the sentence that introduces it."""

    chunk_id: str
    doc: str
    paragraph_index: int
    kind: ParagraphKind
    text: str
    start: int
    end: int
    section: tuple[str, ...] = ()
    paragraph: str | None = None  # the report's own paragraph number
    page: int | None = None
    title: str = ""
    date: str | None = None
    place: str | None = None
    lead: str = ""  # for a list item: the sentence that introduces its list ("The workshop aimed to:")

    def __post_init__(self) -> None:
        if len(self.text) != self.end - self.start:
            raise ValueError(f"chunk {self.chunk_id}: text length does not match its offsets")

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk retrieved for a query, with the score that ranked it."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    stage_scores: tuple[tuple[str, float], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Quote:
    """Text proved verbatim in a document. Build it with `grounding.verify_quote`."""

    doc: str
    text: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a quote cannot be empty")
        if len(self.text) != self.end - self.start:
            raise ValueError("quote text length does not match its offsets")


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered reference from an answer to the paragraph a quote came from."""

    n: int
    quote: Quote
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class Answerability:
    """The probability that an answer's quotes answer its question, the threshold it is held to, and the
    measurements it was computed from (rag.answerability)."""

    probability: float
    threshold: float
    features: tuple[tuple[str, float], ...]

    @property
    def answers(self) -> bool:
        return self.probability >= self.threshold


@dataclass(frozen=True, slots=True)
class Answer:
    """What the assistant says, with every quote it rests on."""

    question: str
    query: str  # the standalone query actually searched (after follow-up rewriting)
    text: str  # plain text with [n] markers
    abstained: bool
    reason: str | None
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    timings_ms: tuple[tuple[str, float], ...] = ()
    short: Quote | None = None  # the words of quote [1] that answer a who / how-many / when question
    answerability: Answerability | None = None  # why it answered or declined, when the composer decided

    def __post_init__(self) -> None:
        if self.abstained and not self.reason:
            raise ValueError("an abstention must give its reason")
