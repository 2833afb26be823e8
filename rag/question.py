"""What a question asks, read once: its parts."""

from __future__ import annotations

import re

# "…, and what roles did they have?", "… and in how many phases …?", "…; and …": where a second question
# begins. A topic joined by "and" ("connectivity and business") is not a second question.
_PART_BOUNDARY = re.compile(
    r",?\s+and\s+(?=(?:(?:in|on|at|for|from|by|across)\s+)?(?:who|whom|whose|what|when|where|which|why|how)\b)"
    r"|,\s*and\s+|;\s*(?:and\s+)?",
    re.IGNORECASE,
)


def question_parts(question: str) -> tuple[str, ...]:
    """The questions a question joins ("How many posters …, and how long was its video?" -> two), each at
    least two words; a question in one part is returned whole."""
    parts = [p.strip(" ,;?") for p in _PART_BOUNDARY.split(question)]
    parts = [p for p in parts if len(p.split()) >= 2]
    return tuple(parts) if len(parts) > 1 else (question,)
