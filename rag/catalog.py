"""Report metadata from `corpus/catalog.toml`, or inferred from the text when a file is not listed."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SettingsError
from .types import ReportMeta

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_DATE = re.compile(r"\b(\d{1,2})(?:\s*[-–]\s*\d{1,2})?\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d{2})\b",
                   re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ReportPart:
    """One report inside a file holding several, starting at a paragraph beginning with `starts_with`."""

    starts_with: str
    meta: ReportMeta


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    file: str
    meta: ReportMeta
    parts: tuple[ReportPart, ...] = ()


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: tuple[CatalogEntry, ...] = ()

    def entry(self, doc: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.file == doc), None)


def _meta(data: dict[str, Any], where: str, defaults: ReportMeta | None = None) -> ReportMeta:
    date = data.get("date", defaults.date if defaults else None)
    if date is not None:
        date = str(date)
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
            raise SettingsError(f"{where}: date {date!r} must look like 2019-03-21")
    title = data.get("title") or (defaults.title if defaults else None)
    if not title:
        raise SettingsError(f"{where}: every report needs a title")
    return ReportMeta(
        title=str(title), date=date,
        place=data.get("place", defaults.place if defaults else None),
        organiser=data.get("organiser", defaults.organiser if defaults else None),
    )


def load_catalog(corpus_dir: Path, file_name: str = "catalog.toml") -> Catalog:
    path = corpus_dir / file_name
    if not path.exists():
        return Catalog()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}); fix the catalog") from None
    entries = []
    for i, report in enumerate(data.get("report", [])):
        where = f"{path} report #{i + 1}"
        if not isinstance(report, dict) or "file" not in report:
            raise SettingsError(f"{where}: needs a 'file' key")
        meta = _meta(report, where)
        parts = tuple(
            ReportPart(str(p.get("starts_with", "")), _meta(p, f"{where} part #{j + 1}", meta))
            for j, p in enumerate(report.get("part", []))
        )
        entries.append(CatalogEntry(str(report["file"]), meta, parts))
    return Catalog(tuple(entries))


def infer_meta(doc: str, headings: list[str], text: str) -> ReportMeta:
    """Title from the first heading (or the file name), date from the first clear date in the opening."""
    title = next((h for h in headings if 3 <= len(h) <= 160), "")
    if not title:
        title = re.sub(r"[-_]+", " ", Path(doc).stem).strip().capitalize() or doc
    date = None
    match = _DATE.search(text[:1500])
    if match:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], match.group(3)
        date = f"{year}-{month:02d}-{day:02d}"
    return ReportMeta(title=title, date=date)
