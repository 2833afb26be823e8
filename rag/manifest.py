"""What a build records about itself, whichever backend holds it: model, settings, files and checksums."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import StoreError

FORMAT_VERSION = 4  # 2: sentence vectors in the build; 3: the BM25 index too; 4: records read by row at load


@dataclass(frozen=True, slots=True)
class FileStatus:
    """What happened to one corpus file in a build."""

    doc: str
    sha256: str
    status: str  # "ok", "failed" (could not be read) or "skipped" (not a file the corpus may index)
    error: str | None = None
    chunks: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Manifest:
    """A build's description: model, the settings that shape it, files, checksums, the kind of vector index."""

    model: str
    dimension: int
    index_settings: dict[str, Any]
    files: tuple[FileStatus, ...]
    chunk_count: int
    checksums: dict[str, str] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    created: str = ""
    dense: dict[str, Any] = field(default_factory=lambda: {"kind": "flat"})  # the vector index and its parameters

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            data = json.loads(text)
            files = tuple(FileStatus(**{**f, "warnings": tuple(f["warnings"])}) for f in data.pop("files"))
            return cls(files=files, **data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StoreError(f"{where}: damaged manifest ({exc}); run 'rag ingest' to rebuild") from None

    def file(self, doc: str) -> FileStatus | None:
        return next((f for f in self.files if f.doc == doc), None)
