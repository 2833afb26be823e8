"""Limits that keep one hostile corpus file from stalling a build: a wall-clock alarm per file."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import FileTimeoutError

log = logging.getLogger(__name__)


@contextmanager
def time_limit(seconds: float, doc: str) -> Iterator[None]:
    """Raise FileTimeoutError in the body after `seconds` (0: no limit).

    A SIGALRM timer: only the main thread may take signals, so elsewhere (a UI worker) the body runs
    unlimited. Python handles the signal between bytecodes, so one long C call (a single zlib
    inflate, an lxml parse) finishes before the error is raised; the size limit bounds those."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        if seconds > 0:
            log.debug("no time limit for %s: not on the main thread", doc)
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise FileTimeoutError(
            f"{doc}: reading it took longer than {seconds:g} s (ingest.file_seconds); it may be damaged "
            "or far larger than a report: re-export it, split it, or raise RAG_INGEST_FILE_SECONDS")

    previous = signal.signal(signal.SIGALRM, expire)
    # Re-armed every second: a library that swallows exceptions broadly must not swallow the limit.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


__all__ = ["time_limit"]
