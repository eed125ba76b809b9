"""Text normalised for keys only: articles keep their text exactly as read.

:func:`normalize_text` makes two spellings of one paragraph compare equal: Unicode
NFC, invisible characters (zero-width, bidi marks, soft hyphen) and control
characters removed, whitespace runs collapsed to one space and trimmed, the space
scraping leaves before ``. , ; : ! ?`` removed, and case folded. The result is only
ever hashed; its algorithm carries a version (:data:`TEXT_NORM_VERSION`) that keys
built from it should include.

The function is on the dedup hot path (every body segment of every article), so
pure-ASCII text, the common case, takes a path of a few C-level string operations.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["TEXT_NORM_VERSION", "normalize_text"]

#: Version of the :func:`normalize_text` algorithm, for keys built from its output.
TEXT_NORM_VERSION: Final = "t1"

# ASCII controls other than the whitespace ones (\t \n \v \f \r), and DEL.
_ASCII_CONTROLS: Final = [*range(0x09), *range(0x0E, 0x20), 0x7F]
_ASCII_CONTROL: Final = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_DELETE_ASCII: Final = dict.fromkeys(_ASCII_CONTROLS)

# Invisible characters beyond ASCII: C1 controls (but NEL, a line break), soft
# hyphen, Mongolian vowel separator, zero-width space/joiners, bidi marks and
# embeddings, word joiner and invisible operators, bidi isolates and deprecated
# format characters, byte-order mark.
_INVISIBLE: Final = [
    *(code for code in range(0x80, 0xA0) if code != 0x85),
    0xAD,
    0x180E,
    *range(0x200B, 0x2010),
    *range(0x202A, 0x202F),
    *range(0x2060, 0x2065),
    *range(0x2066, 0x2070),
    0xFEFF,
]
_DELETE_UNICODE: Final = dict.fromkeys([*_ASCII_CONTROLS, *_INVISIBLE])

_PUNCTUATION: Final = tuple((f" {mark}", mark) for mark in ".,;:!?")


def _close_punctuation(text: str) -> str:
    for spaced, mark in _PUNCTUATION:
        if spaced in text:
            text = text.replace(spaced, mark)
    return text


def normalize_text(text: str) -> str:
    """Return ``text`` normalised for comparison (never for display).

    Raises:
        TypeError: when ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if text.isascii():
        if _ASCII_CONTROL.search(text) is not None:
            text = text.translate(_DELETE_ASCII)
        return _close_punctuation(" ".join(text.split())).lower()
    text = unicodedata.normalize("NFC", text.translate(_DELETE_UNICODE))
    text = _close_punctuation(" ".join(text.split())).casefold()
    return unicodedata.normalize("NFC", text)
