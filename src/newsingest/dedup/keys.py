"""Versioned dedup keys: what makes two articles "the same".

Every key starts with its algorithm version (``"c2:"``, ``"t1:"``; URL keys ``"u1:"`` come
from :mod:`newsingest.normalize.urls`), so a store never silently mixes keys made by
different algorithms: a new algorithm gets a new prefix and simply never matches old keys.

* **URL key**: computed by the URL normaliser and stored on ``Article.url_key`` by
  ``ingest()``; read here, never recomputed.
* **Content key** (:func:`content_key`): a SHA-256 hash, truncated to 128 bits, over the
  *key forms* of the body segments, *sorted*, so paragraph order, whitespace, case and
  invisible characters do not matter. A cryptographic hash, so nobody can craft a
  different text that collides with a real article and suppresses it. Empty bodies have
  no content key.
* **Title key** (:func:`title_key`): the normalised headline scoped to one source (see
  :func:`title_scope`); opt-in, and only meaningful inside a time window (the
  :class:`~newsingest.dedup.Deduplicator` applies :data:`DEFAULT_TITLE_WINDOW`).

Content key ``c2``
------------------

The key form of a segment: invisible and control characters deleted (the same sets
:func:`~newsingest.normalize.text.normalize_text` deletes), Unicode NFC, **every**
whitespace character deleted (whatever ``str.isspace()`` is true for), case folded, NFC
again. Segments whose key form is empty are dropped, the rest sorted, joined with
``"\\n"`` (which no key form contains), encoded as UTF-8 and hashed:
``"c2:" + sha256(payload).hexdigest()[:32]``.

Why delete whitespace instead of collapsing it (as ``c1`` did through
``normalize_text``): the key becomes insensitive to the scraping artefacts our seeds
really show -- double spaces where links were removed (``and  hospitals .``), a space
before punctuation, paragraphs run together without a space (``call you hereI feel``),
spaces added or dropped around inline tags -- and deleting costs one C-level pass where
collapsing and repairing took several. The price, two texts that differ only in where
words break hashing alike, is negligible for whole-article identity. SHA-256 rather
than BLAKE2b because it runs on the CPU's SHA extensions (about 2.8 µs against 4.8 µs
per 4 KB here) and is just as collision resistant. For all-ASCII bodies, the common
case, the key forms of all segments are made at once on bytes (one ``translate``, one
``split``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from newsingest.normalize.text import _ASCII_CONTROLS, _DELETE_UNICODE, normalize_text

if TYPE_CHECKING:
    from newsingest.model import Article

__all__ = [
    "BOILERPLATE_KEY_VERSION",
    "BUILT_FOR_TEXT_NORM",
    "CONTENT_KEY_VERSION",
    "DEFAULT_TITLE_WINDOW",
    "ENTRY_KEY_VERSION",
    "KEY_TYPES",
    "MIN_CONTENT_CHARS",
    "TITLE_KEY_VERSION",
    "VERSION_KEY_VERSION",
    "WITHHELD",
    "boilerplate_keys",
    "content_key",
    "entry_key",
    "key_version",
    "loose_key",
    "scope_of",
    "title_key",
    "title_scope",
    "version_key",
    "withheld_reason",
]

#: Prefix of content keys. Bump it whenever the hashed bytes could change for some body,
#: including when the sets of deleted characters borrowed from
#: :mod:`newsingest.normalize.text` change.
CONTENT_KEY_VERSION: Final = "c3"

#: A body whose key form (all segments, whitespace and invisible characters
#: deleted) is shorter than this gets no content key: a "Comments" link, a
#: "Continue reading..." teaser or a one-line blurb is shared by distinct stories,
#: so its hash would merge them. Measured on the key form, not in words, so that
#: two bodies the key cannot tell apart (spacing, invisible characters) always both
#: have a key or both have none. 100 characters is about 15-20 English words.
#: (``c2`` keyed every non-empty body.)
MIN_CONTENT_CHARS: Final = 100

#: The ``extra`` entry saying why a record's body was not used to match it: no
#: content key (``"short_body: 8 characters of text, under 100"``), or a key not
#: matched because the body is its source's boilerplate (``"boilerplate: …"``).
WITHHELD: Final = "content_key_withheld"

#: Prefix of the boilerplate keys (:func:`boilerplate_keys`).
BOILERPLATE_KEY_VERSION: Final = "b1"

#: Prefix of title keys. Bump it whenever the hashed bytes could change for some title,
#: including when :data:`~newsingest.normalize.text.TEXT_NORM_VERSION` changes.
TITLE_KEY_VERSION: Final = "t1"

#: The text normalisation the ``t1`` title key was defined with. A test pins
#: ``TEXT_NORM_VERSION`` to this, so changing the normaliser forces a new title key
#: version. Content keys (``c2``) do not use :func:`normalize_text` and are not pinned.
BUILT_FOR_TEXT_NORM: Final = "t1"

#: Key types a Deduplicator can use, in the order they are reported when several match.
KEY_TYPES: Final = ("url", "entry", "content", "title")

#: Prefix of entry keys (:func:`entry_key`): a feed's own id for an item.
ENTRY_KEY_VERSION: Final = "e1"

#: Prefix of the version record of a story (:func:`version_key`), and of the loose
#: form of its body (:func:`loose_key`) that tells an edit from a reformatting.
VERSION_KEY_VERSION: Final = "v1"

#: How far apart two articles may be for an equal title key to make them duplicates.
DEFAULT_TITLE_WINDOW: Final = timedelta(days=7)

# Neither a content key form (all whitespace deleted) nor normalised text (whitespace
# collapsed to single spaces) contains a newline, so joining with it is unambiguous.
_SEPARATOR: Final = "\n"

# The ASCII byte path: one translate() lowercases A-Z and deletes every ASCII whitespace
# byte but the segment separator (\t \v \f \r space; \x1c-\x1f are among the controls)
# and the controls normalize_text deletes; this is exactly the key form of ASCII text.
_ASCII_TABLE: Final = bytes(
    code + 32 if ord("A") <= code <= ord("Z") else code for code in range(256)
)
_ASCII_DELETE: Final = bytes(sorted({*_ASCII_CONTROLS, *b"\t\x0b\x0c\r "}))


# Any character _key_form deletes before NFC. Outside ASCII, str.translate with a dict
# costs tens of nanoseconds a character, and there is usually nothing to delete: one
# regex search over the whole body finds out for a fraction of that.
_DELETABLE: Final = re.compile(
    "[" + "".join(f"\\U{code:08x}" for code in sorted(_DELETE_UNICODE)) + "]"
)


def _key_form(segment: str) -> str:
    """The ``c2`` key form of one segment: no invisibles, no whitespace, folded case."""
    return _visible_key_form(segment.translate(_DELETE_UNICODE))


def _visible_key_form(segment: str) -> str:
    """:func:`_key_form` of a segment that holds nothing it would delete first."""
    text = unicodedata.normalize("NFC", segment)
    return unicodedata.normalize("NFC", "".join(text.split()).casefold())


def _unicode_key(segments: Iterable[str], text: str) -> str | None:
    """The content key of ``segments`` by the str path; ``text`` holds all of them."""
    form = _key_form if _DELETABLE.search(text) is not None else _visible_key_form
    return _digest(map(form, segments))


# The last ASCII body content_key saw and its key form, for loose_key of the same body
# (the pipeline asks both of every record): the loose form of ASCII text is its key
# form without punctuation and newlines, so one translate of the shorter key form
# replaces a second pass over the body. Keyed by the text itself, so it is never wrong.
_last_ascii_form: tuple[str, bytes] = ("", b"")


def _ascii_key_forms(joined: str) -> list[bytes]:
    """The key forms of the lines of all-ASCII ``joined`` (empty ones included)."""
    global _last_ascii_form  # a one-entry memo of a pure function
    form = joined.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE)
    _last_ascii_form = (joined, form)
    return form.split(b"\n")


def _digest_ascii(forms: list[bytes]) -> str | None:
    forms.sort()  # byte order is code-point order: the same order as sorting the str forms
    # Empty forms sort first: hash past their separators instead of filtering the list.
    payload = b"\n".join(forms)
    empty = bisect_right(forms, b"")  # how many forms are empty
    # The key form's length: the payload less one separator between each two forms.
    if len(payload) - empty - (len(forms) - empty - 1) < MIN_CONTENT_CHARS:
        return None
    digest = hashlib.sha256(memoryview(payload)[empty:] if empty else payload)
    return f"{CONTENT_KEY_VERSION}:{digest.hexdigest()[:32]}"


def _digest(forms: Iterable[str]) -> str | None:
    kept = sorted(form for form in forms if form)
    if sum(map(len, kept)) < MIN_CONTENT_CHARS:
        return None
    payload = _SEPARATOR.join(kept).encode("utf-8")
    return f"{CONTENT_KEY_VERSION}:{hashlib.sha256(payload).hexdigest()[:32]}"


def content_key(body: Iterable[str]) -> str | None:
    """Return the versioned content key of a body, or ``None`` when it cannot identify a story.

    A body whose key form is under :data:`MIN_CONTENT_CHARS` characters has no key
    (see :func:`withheld_reason`).

    Each segment is reduced to its key form (invisible characters and all whitespace
    deleted, NFC, case folded; see the module docstring); empty forms are ignored; the
    rest are sorted, joined with a newline and hashed once with SHA-256, truncated to
    128 bits. A segment holding a line break keys like the same segment without it.

    Args:
        body: the article's segments (``Article.body``), in any order.

    Returns:
        ``"c3:"`` followed by 32 lowercase hex digits, or ``None`` for a body under
        the minimum.
    """
    segments = body if isinstance(body, (list, tuple)) else list(body)
    joined = _SEPARATOR.join(segments)
    if joined.isascii():
        forms = _ascii_key_forms(joined)
        # One form per segment unless a segment held a newline itself; that (rare) body
        # must not be split there, so it takes the per-segment path.
        if len(forms) == len(segments):
            return _digest_ascii(forms)
    return _unicode_key(segments, joined)


def withheld_reason(body: Sequence[str]) -> str | None:
    """Why a body has no content key: ``None`` when it has one, or is empty."""
    if not body or content_key(body) is not None:
        return None
    size = sum(len(_key_form(segment)) for segment in body)
    if size == 0:
        return None
    return f"short_body: {size} characters of text, under {MIN_CONTENT_CHARS}"


def boilerplate_keys(content: str, title: str, scope: str) -> tuple[str, str]:
    """The two keys that tell a shared body from a shared story within one source.

    ``(body in scope, story in scope)``: the first says this body was seen in this
    source (a feed, a host), the second that it was seen there under this title. A
    body seen again in its source under another title is the source's boilerplate
    (a consent wall, a paywall stub, a teaser), not a copy of the story; the
    :class:`~newsingest.dedup.Deduplicator` does not count such a content match.
    """
    body_key = hashlib.blake2b(f"{scope}{_SEPARATOR}{content}".encode(), digest_size=16)
    story_key = hashlib.blake2b(
        f"{scope}{_SEPARATOR}{content}{_SEPARATOR}{normalize_text(title)}".encode(),
        digest_size=16,
    )
    version = BOILERPLATE_KEY_VERSION
    return f"{version}:{body_key.hexdigest()}", f"{version}s:{story_key.hexdigest()}"


def entry_key(entry_id: str | None, feed: str) -> str | None:
    """The versioned key of a feed's own id for an item (RSS ``guid``, Atom ``id``).

    Scoped to the feed (its URL, else where it was read from): ids are only unique
    within one feed. ``None`` when the item has no id.
    """
    if not entry_id or not entry_id.strip():
        return None
    payload = f"{feed}{_SEPARATOR}{entry_id.strip()}".encode()
    return f"{ENTRY_KEY_VERSION}:{hashlib.blake2b(payload, digest_size=16).hexdigest()}"


def version_key(identity: str, location: str) -> str:
    """The key under which the store remembers the latest version of a story as read
    from one source (``identity`` is its entry or URL key)."""
    payload = f"{location}{_SEPARATOR}{identity}".encode()
    digest = hashlib.blake2b(payload, digest_size=16).hexdigest()
    return f"{VERSION_KEY_VERSION}:{digest}"


# What the loose form deletes: ASCII punctuation and whitespace, and the Unicode
# punctuation and spaces editors swap in (curly quotes, dashes, no-break and
# ideographic spaces). A simple class, so the search stays a C-level scan.
_LOOSE_DELETE: Final = re.compile("[\\s!-/:-@\\[-`{-~\u00a0-\u00bf\u2000-\u206f\u3000-\u303f]+")
_ASCII_LOOSE_DELETE: Final = bytes(code for code in range(128) if not chr(code).isalnum())


def loose_key(body: Sequence[str]) -> str:
    """A hash of the body without whitespace and punctuation, case folded: equal for
    two bodies that differ in those alone (a trivial edit, not an update)."""
    joined = _SEPARATOR.join(body)
    if joined.isascii():
        text, form = _last_ascii_form
        if joined == text:  # already lowercased, whitespace gone (see _ascii_key_forms)
            data = form.translate(None, _ASCII_LOOSE_DELETE)
        else:
            data = joined.encode("ascii").translate(None, _ASCII_LOOSE_DELETE).lower()
    else:
        data = _LOOSE_DELETE.sub("", joined).casefold().encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def title_scope(article: Article) -> str:
    """Return the source a title key is scoped to.

    The feed's URL when the article came from a feed; otherwise the host of the
    article's (canonical) URL; otherwise the location it was read from. Headlines are
    only compared within one scope: two outlets may well print the same headline.
    """
    source = article.source
    return scope_of(source.feed_url, article.canonical_url or article.url, source.location)


def scope_of(feed_url: str | None, url: str | None, location: str) -> str:
    """:func:`title_scope` from the fields it reads (of an Article or of its record)."""
    if feed_url:
        return f"feed:{feed_url}"
    if url:
        host = _hostname(url)
        if host:
            return f"host:{host.removeprefix('www.')}"
    return f"location:{location}"


# The host of an absolute URL, as urlsplit(url).hostname gives it, for the common
# shape (scheme://[userinfo@]host[:port]...) in one match; others go to urlsplit.
_HOST: Final = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@\[\]]*@)?([^:/?#@%\[\]]+)(?=[:/?#]|$)"
)


def _hostname(url: str) -> str | None:
    match = _HOST.match(url)
    if match is not None:
        return match.group(1).lower()
    return urlsplit(url).hostname


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
