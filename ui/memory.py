"""Bounds on what a long-running server keeps in memory: the C heap's retention and Gradio's session store.

Measured with eval/soak_serve.py (2000 questions from 50 clients): without these the server grew from
0.56 GB to 2.4 GB and kept rising. Almost all of it was native, not Python objects: every request embeds
~100 sentences, and torch's activation buffers (a few hundred KB to tens of MB) are freed back to glibc,
whose mmap threshold then rises to match, so later buffers are carved out of per-thread heap arenas that
fragment and never shrink. Fixing the threshold keeps large buffers on mmap, returned to the OS on free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept from rising
# Sessions whose gr.State Gradio keeps (least recently used dropped first). Each costs ~60 KB of per-session
# component config before any conversation; Gradio's default of 10,000 would allow 0.6 GB or more.
SESSION_CAPACITY = 1000


def limit_heap_growth() -> bool:
    """Fix glibc's mmap threshold so freed tensor buffers go back to the OS; False where not glibc.

    Works at run time (unlike MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_, which glibc reads only at
    process start) and applies to every allocation made afterwards.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        log.info("cannot load %s: the C heap's mmap threshold is left as it is", name)
        return False
    done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    log.debug("glibc mmap threshold fixed at %d bytes: %s", MMAP_THRESHOLD_BYTES, done)
    return done
