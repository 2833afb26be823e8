"""Retrieval-augmented answers over GFMD reports, every claim quoted verbatim with its citation.

The public API: the CLI, the UI (`ui/`) and the evaluation (`eval/`) import only the names in `__all__`.
Names are imported on first use, so `import rag` stays light and the model stack loads only when needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    # the assistant and its settings
    "Assistant": ("pipeline", "Assistant"),
    "clean_question": ("pipeline", "clean_question"),
    "Settings": ("settings", "Settings"),
    "load_settings": ("settings", "load_settings"),
    "offline_environment": ("settings", "offline_environment"),
    "Filters": ("filters", "Filters"),
    "rewrite_followup": ("conversation", "rewrite"),
    # building the index
    "ingest": ("indexing", "ingest"),
    "IngestReport": ("indexing", "IngestReport"),
    "IngestProgress": ("indexing", "IngestProgress"),
    "Embedder": ("embedding", "Embedder"),
    "build_document": ("paragraphs", "build_document"),
    # the store seam
    "Build": ("store", "Build"),
    "Corpus": ("corpus", "Corpus"),
    "SentenceTable": ("sentences", "SentenceTable"),
    "Store": ("store", "Store"),
    "VectorIndex": ("store", "VectorIndex"),
    "LexicalRanker": ("store", "LexicalRanker"),
    "Manifest": ("manifest", "Manifest"),
    "FileStatus": ("manifest", "FileStatus"),
    "open_store": ("store", "open_store"),
    # the default backend's vector index, for the benchmark
    "FaissIndex": ("faiss_index", "FaissIndex"),
    "DenseKind": ("faiss_index", "DenseKind"),
    "faiss_dense_index": ("store_faiss", "dense_index"),
    # core records and their JSON forms
    "Answer": ("types", "Answer"),
    "Chunk": ("types", "Chunk"),
    "Citation": ("types", "Citation"),
    "Document": ("types", "Document"),
    "Hit": ("types", "Hit"),
    "Paragraph": ("types", "Paragraph"),
    "Quote": ("types", "Quote"),
    "RawDocument": ("types", "RawDocument"),
    "RawPage": ("types", "RawPage"),
    "ReportMeta": ("types", "ReportMeta"),
    "answer_record": ("records", "answer_record"),
    "citation_record": ("records", "citation_record"),
    "hit_record": ("records", "hit_record"),
    "citation_label": ("grounding", "citation_label"),
    "read_batch": ("batch", "read_batch"),
    "BatchLine": ("batch", "BatchLine"),
    # briefing notes and the compare view
    "BriefingNote": ("briefing", "BriefingNote"),
    "NoteItem": ("briefing", "NoteItem"),
    "reverify": ("briefing", "reverify"),
    "to_docx": ("briefing", "to_docx"),
    "to_markdown": ("briefing", "to_markdown"),
    "compare": ("comparison", "compare"),
    "is_comparison": ("comparison", "is_comparison"),
    "Comparison": ("comparison", "Comparison"),
    "CompareRow": ("comparison", "CompareRow"),
    # the answer-or-decline model, for its trainer
    "Answerability": ("types", "Answerability"),
    "AnswerabilityModel": ("answerability", "AnswerabilityModel"),
    "ANSWERABILITY_FEATURES": ("answerability", "FEATURES"),
    "ANSWERABILITY_MODEL_PATH": ("answerability", "MODEL_PATH"),
    "query_terms": ("evidence", "query_terms"),
    "SentenceScorer": ("sentence_scorer", "SentenceScorer"),
    "SENTENCE_SCORER_PATH": ("sentence_scorer", "MODEL_PATH"),
    "sentence_spans": ("grounding", "sentence_spans"),
    # evaluation
    "GoldItem": ("evaluation", "GoldItem"),
    "EvalRun": ("evaluation", "EvalRun"),
    "load_gold": ("evaluation", "load_gold"),
    "own_corpus": ("evaluation", "own_corpus"),
    "seed_names": ("evaluation", "seed_names"),
    "set_name": ("evaluation", "set_name"),
    "evidence_in": ("evaluation", "evidence_in"),
    "evaluate": ("evaluation", "evaluate"),
    "ablation_settings": ("evaluation", "ablation_settings"),
    "compare_metrics": ("evaluation", "compare"),
    "gate": ("evaluation", "gate"),
    "metrics_table": ("eval_report", "metrics_table"),
    "write_report": ("eval_report", "write_report"),
    # errors
    "RagError": ("errors", "RagError"),
    "SettingsError": ("errors", "SettingsError"),
    "LoaderError": ("errors", "LoaderError"),
    "FileTimeoutError": ("errors", "FileTimeoutError"),
    "StoreError": ("errors", "StoreError"),
    "IndexNotFoundError": ("errors", "IndexNotFoundError"),
    "IndexBusyError": ("errors", "IndexBusyError"),
    "ModelError": ("errors", "ModelError"),
    "QuestionError": ("errors", "QuestionError"),
    "FilterError": ("errors", "FilterError"),
    "GroundingError": ("errors", "GroundingError"),
}

__all__ = [  # noqa: RUF022 -- plain sorted(), the order tests/test_public_api.py checks
    "ANSWERABILITY_FEATURES", "ANSWERABILITY_MODEL_PATH", "Answer", "Answerability", "AnswerabilityModel",
    "Assistant", "BatchLine", "BriefingNote", "Build", "Chunk", "Citation", "CompareRow", "Comparison", "Corpus",
    "DenseKind", "Document", "Embedder", "EvalRun", "FaissIndex", "FileStatus", "FileTimeoutError", "FilterError",
    "Filters", "GoldItem", "GroundingError", "Hit", "IndexBusyError", "IndexNotFoundError", "IngestProgress",
    "IngestReport", "LexicalRanker", "LoaderError", "Manifest", "ModelError", "NoteItem", "Paragraph",
    "QuestionError", "Quote", "RagError", "RawDocument", "RawPage", "ReportMeta", "SENTENCE_SCORER_PATH",
    "SentenceScorer", "SentenceTable", "Settings", "SettingsError", "Store", "StoreError", "VectorIndex",
    "ablation_settings", "answer_record", "build_document", "citation_label", "citation_record", "clean_question",
    "compare", "compare_metrics", "evaluate", "evidence_in", "faiss_dense_index", "gate", "hit_record", "ingest",
    "is_comparison", "load_gold", "load_settings", "metrics_table", "offline_environment", "open_store",
    "own_corpus", "query_terms", "read_batch", "reverify", "rewrite_followup", "seed_names", "sentence_spans",
    "set_name", "to_docx", "to_markdown", "write_report",
]  # the keys of _EXPORTS (a test checks)


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'rag' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value  # the next lookup skips this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # the same names, for type checkers
    from .answerability import FEATURES as ANSWERABILITY_FEATURES
    from .answerability import MODEL_PATH as ANSWERABILITY_MODEL_PATH
    from .answerability import AnswerabilityModel
    from .batch import BatchLine, read_batch
    from .briefing import BriefingNote, NoteItem, reverify, to_docx, to_markdown
    from .comparison import CompareRow, Comparison, compare, is_comparison
    from .conversation import rewrite as rewrite_followup
    from .corpus import Corpus
    from .embedding import Embedder
    from .errors import (
        FileTimeoutError,
        FilterError,
        GroundingError,
        IndexBusyError,
        IndexNotFoundError,
        LoaderError,
        ModelError,
        QuestionError,
        RagError,
        SettingsError,
        StoreError,
    )
    from .eval_report import metrics_table, write_report
    from .evaluation import (
        EvalRun,
        GoldItem,
        ablation_settings,
        evaluate,
        evidence_in,
        gate,
        load_gold,
        own_corpus,
        seed_names,
        set_name,
    )
    from .evaluation import compare as compare_metrics
    from .evidence import query_terms
    from .faiss_index import DenseKind, FaissIndex
    from .filters import Filters
    from .grounding import citation_label, sentence_spans
    from .indexing import IngestProgress, IngestReport, ingest
    from .manifest import FileStatus, Manifest
    from .paragraphs import build_document
    from .pipeline import Assistant, clean_question
    from .records import answer_record, citation_record, hit_record
    from .sentence_scorer import MODEL_PATH as SENTENCE_SCORER_PATH
    from .sentence_scorer import SentenceScorer
    from .settings import Settings, load_settings, offline_environment
    from .store import Build, LexicalRanker, Store, VectorIndex, open_store
    from .store_faiss import dense_index as faiss_dense_index
    from .types import (
        Answer,
        Answerability,
        Chunk,
        Citation,
        Document,
        Hit,
        Paragraph,
        Quote,
        RawDocument,
        RawPage,
        ReportMeta,
    )
