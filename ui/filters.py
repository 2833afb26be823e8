"""Filters that stay visible: one removable chip per active filter above the chat, the Filters panel's label
counting them, and a decline under a filter that says the filter may be the reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr

from rag import Filters

from .citation import clip

CHIP_TITLE = 40  # characters of a report title on its chip


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def scope(filters: Filters) -> str:
    """The filtered part of the corpus in words: 'the 2019 reports', 'the 2016 and 2019 reports from Geneva'."""
    if filters.docs:
        reports = _join([f"“{clip(d, CHIP_TITLE)}”" for d in filters.docs])
        where = f"the report{'s' if len(filters.docs) > 1 else ''} {reports}"
    else:
        years = _join([str(y) for y in filters.years]) + " " if filters.years else ""
        where = f"the {years}reports"
    if filters.places:
        where += " from " + _join(list(filters.places))
    if filters.docs and filters.years:
        where += " of " + _join([str(y) for y in filters.years])
    return where


def filtered_decline(filters: Filters, reason: str | None) -> str:
    """The chat text of a decline under a filter (plain text: the caller escapes it)."""
    why = (reason or "").rstrip(". ")
    return (f"No passage in {scope(filters)} answers this ({why}). The filter may be why: try again without it. "
            "The nearest passages within the filter are listed with the sources.")


def chip_labels(reports: Sequence[str], years: Sequence[str], places: Sequence[str]) -> list[tuple[str, str, str]]:
    """(kind, value, label) for each active filter, in panel order."""
    chips = [("report", r, f"Report: {clip(r, CHIP_TITLE)}") for r in reports or ()]
    chips += [("year", str(y), f"Year: {y}") for y in years or ()]
    chips += [("place", p, f"Place: {p}") for p in places or ()]
    return chips


def panel_label(reports: Sequence[str], years: Sequence[str], places: Sequence[str]) -> str:
    count = len(chip_labels(reports, years, places))
    return f"Filters ({count} on)" if count else "Filters"


def filter_chips(dropdowns: dict[str, gr.Dropdown]) -> None:
    """Chips for the active filters, each removing its own value when clicked (built where they are shown)."""
    order = ["report", "year", "place"]

    @gr.render(inputs=[dropdowns[k] for k in order])
    def chips(reports: list[str], years: list[str], places: list[str]) -> None:
        labels = chip_labels(reports, years, places)
        if not labels:
            return
        current = dict(zip(order, (reports or [], years or [], places or []), strict=True))
        with gr.Row(elem_id="active-filters", elem_classes=["rag-chips"]):
            gr.HTML('<span class="rag-chips-label">Searching only:</span>', elem_classes=["rag-chips-lead"])
            for kind, value, label in labels:
                chip = gr.Button(f"{label} ✕", size="sm", elem_classes=["rag-chip"], scale=0, min_width=0)
                remaining: list[Any] = [v for v in current[kind] if str(v) != value]
                chip.click(lambda r=remaining: r, None, [dropdowns[kind]], api_visibility="private")


CSS = """
#active-filters {gap: 6px; flex-wrap: wrap; align-items: center; margin-bottom: 4px;}
#active-filters > * {flex: 0 1 auto !important; width: auto !important; min-width: 0 !important;}
.rag-chips-label {font-size: 0.9em; font-weight: 600;}
button.rag-chip {border: 1px solid var(--color-accent); border-radius: 999px; color: var(--color-accent);
                 background: var(--color-accent-soft); max-width: 22em; white-space: nowrap; overflow: hidden;
                 text-overflow: ellipsis; font-weight: 600;}
.rag-filter-menu .token {max-width: 100%;}
.rag-filter-menu .token > span {white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 16em;}
"""
