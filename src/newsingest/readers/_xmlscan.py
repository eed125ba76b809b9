"""Cheap looks at an XML document before the costly parse.

feedparser builds state for every open element and a dict for every entry, so a
few megabytes of ``<a><a><a>...`` or of ``<item/><item/>...`` cost gigabytes and
minutes inside it. These scans measure a document's nesting depth and find its
entries with C-level regular-expression passes (linear in the document, also for
an unterminated comment or CDATA section), so the feed reader can refuse or cut a
document before handing it over.

They read markup, not XML: what is inside comments, CDATA sections, processing
instructions and declarations opens no element and is skipped; everything else
that looks like a tag counts. That is exact for well-formed documents and a
close, safe estimate for broken ones.
"""

from __future__ import annotations

import re
from itertools import accumulate, islice
from typing import Final

__all__ = ["decode_for_scan", "deepest_nesting", "entries_past"]

_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")


def decode_for_scan(data: bytes) -> tuple[str, str]:
    """The document as text for scanning markup, and the codec that gives it.

    UTF-16 and UTF-32 (by BOM or by a ``<`` with a NUL beside it) are decoded;
    every other encoding a feed may use is ASCII-compatible for markup and is read
    as latin-1, so a character offset is a byte offset.
    """
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", "replace"), "utf-16"
    if data[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"):
        return data.decode("utf-32", "replace"), "utf-32"
    if data[:2] in (b"<\x00", b"\x00<"):
        codec = "utf-16-le" if data[0] else "utf-16-be"
        return data.decode(codec, "replace"), codec
    return data.decode("latin-1"), "latin-1"


# Markup that opens no element: a CDATA section, a comment, a PI or declaration.
# An unterminated section runs to the end of the text (as a parser reads it), so a
# failed search for its end happens once, not once per opening.
_OPAQUE: Final = r"<!\[CDATA\[(?:.*?\]\]>|.*)|<!--(?:.*?-->|.*)|<[?!][^<>]*"
_OPAQUE_RE: Final = re.compile(_OPAQUE, re.DOTALL)
_EMPTY_TAG_RE: Final = re.compile(r"<[^<>]*/>")
_END_TAG_RE: Final = re.compile(r"</[^<>]*>")
_START_TAG_RE: Final = re.compile(r"<[^<>]*>")
_NOT_A_MARK_RE: Final = re.compile(r"[^\x01\x02]+")
# One step of depth per mark, as signed bytes: \x01 opens (+1), \x02 closes (-1).
_SIGNED_STEPS: Final = bytes.maketrans(b"\x02", b"\xff")


#: Characters of markup turned into depth marks at a time: the regex passes build
#: a list of pieces as long as the tags they replace, so they go a slice at a time.
_SLICE_CHARS: Final = 1 << 20


def deepest_nesting(text: str, limit: int) -> int:
    """How deep elements nest in ``text``, or 0 when it cannot exceed ``limit``.

    A document with no more ``<`` than ``limit`` cannot nest deeper, and costs one
    count; any other costs a few linear passes, a slice at a time (cut before a
    ``<``, so no tag is split), and a little more memory than one slice.
    """
    if text.count("<") <= limit:
        return 0
    markup = _OPAQUE_RE.sub("", text.replace("\x01", "").replace("\x02", ""))
    depth = deepest = 0
    start = 0
    while start < len(markup):
        end = markup.find("<", start + _SLICE_CHARS)
        end = len(markup) if end < 0 else end
        steps = _depth_steps(markup[start:end])
        if steps:
            deepest = max(deepest, *accumulate(memoryview(steps).cast("b"), initial=depth))
            depth += steps.count(1) - steps.count(255)
        start = end
    return deepest


def _depth_steps(markup: str) -> bytes:
    """One signed byte per tag of ``markup``: +1 opens an element, -1 closes one."""
    marks = _EMPTY_TAG_RE.sub("\x01\x02", markup)
    marks = _START_TAG_RE.sub("\x01", _END_TAG_RE.sub("\x02", marks))
    return _NOT_A_MARK_RE.sub("", marks).encode("ascii").translate(_SIGNED_STEPS)


# An entry's start tag (RSS item, Atom entry, any namespace prefix), or markup to
# step over so that an ``<item>`` quoted inside a comment or CDATA is not counted.
_ENTRY_OR_OPAQUE_RE: Final = re.compile(
    _OPAQUE + r"|(?P<entry><(?:[A-Za-z_][\w.-]*:)?(?:item|entry)(?=[\s/>]))", re.DOTALL
)


def entries_past(text: str, keep: int) -> tuple[int, int] | None:
    """Where ``text`` holds more than ``keep`` entries: how many it holds, and where
    the first one past ``keep`` starts; ``None`` when it holds no more.

    Every entry's tag holds ``item`` or ``entry``, so a text with no more of those
    words than ``keep`` costs two counts.
    """
    if text.count("item") + text.count("entry") <= keep:
        return None
    found = (match.start() for match in _ENTRY_OR_OPAQUE_RE.finditer(text) if match.lastgroup)
    kept = sum(1 for _ in islice(found, keep))
    cut = next(found, None)
    if cut is None:
        return None
    return kept + 1 + sum(1 for _ in found), cut
