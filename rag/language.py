"""Whether a question is one the English-only embedding model can read.

The bundled model maps text in other scripts to near-arbitrary vectors, so such a question would get a
confident answer to some other question. Until a multilingual model is configured it is declined.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

MIN_LATIN_SHARE = 0.5  # below this share of Latin-script letters a question is not read as English

_SCRIPT_NAMES = {"CJK": "Chinese, Japanese or Korean", "HANGUL": "Korean", "HIRAGANA": "Japanese",
                 "KATAKANA": "Japanese", "KATAKANA-HIRAGANA": "Japanese"}


def _script(letter: str) -> str:
    """The script a letter belongs to, from its Unicode name ("ARABIC LETTER ALEF" -> "ARABIC")."""
    name = unicodedata.name(letter, "")
    return "LATIN" if "LATIN" in name.split() else (name.split() or ["UNKNOWN"])[0]


def english_only_reason(question: str) -> str | None:
    """Why the English model cannot read `question`, or None when it can.

    Accented Latin letters ("São Tomé") and a few names in another script leave a question readable;
    a question written mostly in another script is not.
    """
    # NFKC folds full-width and stylised Latin letters onto plain ones.
    letters = [ch for ch in unicodedata.normalize("NFKC", question) if ch.isalpha()]
    if not letters:
        return None  # nothing to judge: digits or symbols only are handled by the caller
    scripts = Counter(_script(ch) for ch in letters)
    if scripts["LATIN"] / len(letters) >= MIN_LATIN_SHARE:
        return None
    main = next(s for s, _ in scripts.most_common() if s != "LATIN")
    shown = _SCRIPT_NAMES.get(main, main.title())
    return (f"the assistant reads English questions only, and this question is written mostly in {shown} "
            "script. Ask it in English.")
