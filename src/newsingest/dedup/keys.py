"""Versioned dedup keys: what makes two articles "the same".

Every key starts with its algorithm version (``"c1:"``, ``"t1:"``; URL keys ``"u1:"`` come
from :mod:`newsingest.normalize.urls`), so a store never silently mixes keys made by
different algorithms: a new algorithm gets a new prefix and simply never matches old keys.

* **URL key**: computed by the URL normaliser and stored on ``Article.url_key`` by
  ``ingest()``; read here, never recomputed.
* **Content key** (:func:`content_key`): a 128-bit BLAKE2b hash over the *normalised* body
  segments, *sorted*, so paragraph order, spacing, case and invisible characters do not
  matter. A cryptographic hash, so nobody can craft a different text that collides with a
  real article and suppresses it. Empty bodies have no content key.
* **Title key** (:func:`title_key`): the normalised headline scoped to one source (see
  :func:`title_scope`); opt-in, and only meaningful inside a time window (the
  :class:`~newsingest.dedup.Deduplicator` applies :data:`DEFAULT_TITLE_WINDOW`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from newsingest.normalize.text import normalize_text

if TYPE_CHECKING:
    from newsingest.model import Article

__all__ = [
    "BUILT_FOR_TEXT_NORM",
    "CONTENT_KEY_VERSION",
    "DEFAULT_TITLE_WINDOW",
    "KEY_TYPES",
    "TITLE_KEY_VERSION",
    "content_key",
    "key_version",
    "title_key",
    "title_scope",
]

#: Prefix of content keys. Bump it whenever the hashed bytes could change for some body,
#: including when :data:`~newsingest.normalize.text.TEXT_NORM_VERSION` changes.
CONTENT_KEY_VERSION: Final = "c1"

#: Prefix of title keys (same rule as :data:`CONTENT_KEY_VERSION`).
TITLE_KEY_VERSION: Final = "t1"

#: The text normalisation the ``c1`` / ``t1`` keys were defined with. A test pins
#: ``TEXT_NORM_VERSION`` to this, so changing the normaliser forces a new key version.
BUILT_FOR_TEXT_NORM: Final = "t1"

#: Key types a Deduplicator can use, in the order they are reported when several match.
KEY_TYPES: Final = ("url", "content", "title")

#: How far apart two articles may be for an equal title key to make them duplicates.
DEFAULT_TITLE_WINDOW: Final = timedelta(days=7)

# Normalised text has no control characters (and no newlines: whitespace is collapsed to
# single spaces), so this separator cannot occur inside a segment: joining is unambiguous.
_SEPARATOR: Final = "\n"


def content_key(body: Iterable[str]) -> str | None:
    """Return the versioned content key of a body, or ``None`` when it has no text.

    Each segment is normalised (:func:`~newsingest.normalize.text.normalize_text`);
    segments that normalise to nothing are ignored; the rest are sorted, joined with a
    separator that normalised text cannot contain, and hashed once with BLAKE2b-128.

    Args:
        body: the article's segments (``Article.body``), in any order.

    Returns:
        ``"c1:"`` followed by 32 lowercase hex digits, or ``None`` for an empty body.
    """
    fast = _fast_ascii_segments(body)
    if fast is not None:
        if not fast:
            return None
        fast.sort()  # for ASCII, byte order is code-point order: same as sorting str
        payload = b"\n".join(fast)
    else:
        segments = [segment for segment in map(normalize_text, body) if segment]
        if not segments:
            return None
        segments.sort()
        payload = _SEPARATOR.join(segments).encode("utf-8")
    digest = hashlib.blake2b(payload, digest_size=16)
    return f"{CONTENT_KEY_VERSION}:{digest.hexdigest()}"


# Byte-level tables for the ASCII fast path: delete the controls normalize_text deletes,
# lowercase letters, and turn the other whitespace characters into spaces.
_CONTROL_BYTES: Final = bytes([*range(0x09), *range(0x0E, 0x20), 0x7F])
_TABLE = bytearray(range(256))
for _code in range(ord("A"), ord("Z") + 1):
    _TABLE[_code] = _code + 32
for _code in b"\t\x0b\x0c\r":
    _TABLE[_code] = ord(" ")
_LOWER_SPACE_TABLE: Final = bytes(_TABLE)
_SPACE_BEFORE_MARK: Final = re.compile(b" ([.,;:!?])")
_PUNCTUATION_TO_DOT: Final = bytes.maketrans(b",;:!?", b".....")


def _fast_ascii_segments(body: Iterable[str]) -> list[bytes] | None:
    """``normalize_text`` of every segment at once, for the common all-ASCII body.

    Works on the stripped segments joined by newlines, as bytes, so each step is
    one C-level pass over ~4 KB instead of ~27 passes over 150 characters, and the
    rare repairs (runs of spaces, a space before punctuation) are looked for once.
    It gives exactly what per-segment :func:`normalize_text` gives, encoded (a
    property test holds it to that), and returns ``None`` when it cannot: non-ASCII
    text, control characters, or a segment holding a line break.
    """
    parts = [part.strip() for part in body]
    joined = "\n".join(parts)
    if not joined.isascii() or joined.count("\n") != len(parts) - 1:
        return None
    raw = joined.encode("ascii")
    data = raw.translate(_LOWER_SPACE_TABLE, _CONTROL_BYTES)
    if len(data) != len(raw):
        return None  # a control character was deleted: spacing may need the full path
    # Segments were stripped and nothing was deleted, so no space touches a newline:
    # only runs of spaces inside a segment and spaces before punctuation need work.
    while b"  " in data:  # replace() halves each run per pass; far cheaper than a regex
        data = data.replace(b"  ", b" ")
    if b" ." in data.translate(_PUNCTUATION_TO_DOT):
        data = _SPACE_BEFORE_MARK.sub(rb"\1", data)
    return [segment for segment in data.split(b"\n") if segment]


def title_scope(article: Article) -> str:
    """Return the source a title key is scoped to.

    The feed's URL when the article came from a feed; otherwise the host of the
    article's (canonical) URL; otherwise the location it was read from. Headlines are
    only compared within one scope: two outlets may well print the same headline.
    """
    provenance = article.source
    if provenance.feed_url:
        return f"feed:{provenance.feed_url}"
    url = article.canonical_url or article.url
    if url:
        host = urlsplit(url).hostname
        if host:
            return f"host:{host.removeprefix('www.')}"
    return f"location:{provenance.location}"


def title_key(title: str, scope: str) -> str | None:
    """Return the versioned title key of a headline within ``scope``, or ``None``.

    Args:
        title: the headline as read.
        scope: the source it is scoped to, usually :func:`title_scope` of the article.

    Returns:
        ``"t1:"`` and 32 hex digits, or ``None`` when the title normalises to nothing.
    """
    normalised = normalize_text(title)
    if not normalised:
        return None
    # The scope is hashed with the title so equal headlines of two sources never meet.
    payload = f"{scope}{_SEPARATOR}{normalised}".encode()
    digest = hashlib.blake2b(payload, digest_size=16)
    return f"{TITLE_KEY_VERSION}:{digest.hexdigest()}"


def key_version(key: str) -> str:
    """Return the version prefix of a key (``"c1"`` for ``"c1:…"``)."""
    version, sep, _ = key.partition(":")
    if not sep or not version:
        raise ValueError(f"not a versioned dedup key: {key!r}")
    return version
