"""JSON Feed 1.0 and 1.1: reader ``jsonfeed``.

A JSON Feed (https://jsonfeed.org/version/1.1) is an object with ``version``,
``title`` and ``items``. Files are recognised by content (an object naming a
``https://jsonfeed.org/version/`` version near its start); feed URLs are polled by
the ``feed`` reader, which hands a JSON Feed body here, so conditional GET, the
address policy and the limits are the same as for XML feeds.

Each item becomes an :class:`~newsingest.model.Article`: ``title``; ``url`` (else
``external_url``) when absolute http(s); ``published`` from ``date_published``,
else ``date_modified`` (RFC 3339, through
:func:`newsingest.normalize.dates.parse_date`; an unusable one is a ``bad_date``
warning); ``body`` from ``content_html`` (rendered), else ``content_text``, else
``summary``; ``summary`` when there is content too; ``authors`` (1.1, else the 1.0
``author``, else the feed's); ``tags``; ``language`` (1.1, item else feed); the
item's ``id`` as the entry id; ``image``, ``banner_image`` and ``attachments`` in
``extra``. An item that cannot be read is a :class:`ParseError` with its index and
the others still come; a document that is not a JSON Feed raises one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from functools import cache
from types import ModuleType
from typing import Any, Final

import orjson

from newsingest._html import html_to_segments, text_to_segments
from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.model import Article, Provenance
from newsingest.readers import (
    SNIFF_BYTES,
    ReaderItem,
    ReaderRegistry,
    SourceLike,
    open_binary,
)

__all__ = ["JSON_FEED_VERSIONS", "JsonFeedReader", "is_json_feed", "parse_json_feed", "register"]

#: The version URLs this reader reads.
JSON_FEED_VERSIONS: Final = frozenset(
    {"https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"}
)

_VERSION_MARK: Final = b"jsonfeed.org/version/"
_VERSION_PREFIX: Final = "https://jsonfeed.org/version/"
_UTF8_BOM: Final = b"\xef\xbb\xbf"


def is_json_feed(head: bytes) -> bool:
    """True when ``head`` starts a JSON object that names a JSON Feed version."""
    text = head.removeprefix(_UTF8_BOM).lstrip()
    return text.startswith(b"{") and _VERSION_MARK in text[:SNIFF_BYTES]


@cache
def _feed() -> ModuleType:
    """The XML feed reader's module: its limits and date rule are this reader's too
    (imported on first use, since it imports this module)."""
    from newsingest.readers import feed  # noqa: PLC0415

    return feed


def _limits() -> Mapping[str, int]:
    limits: Mapping[str, int] = _feed().LIMITS
    return limits


def parse_json_feed(
    data: bytes, *, location: str, feed_url: str | None = None
) -> Iterator[ReaderItem]:
    """The items of a JSON Feed document.

    Raises:
        ParseError: not JSON (``unparseable``), not a JSON Feed (``not_a_feed``), or
            over the document size limit (``too_large``).
    """
    limits = _limits()
    if len(data) > limits["document_bytes"]:
        raise ParseError(
            f"document is over the {limits['document_bytes']}-byte limit",
            source=location,
            reason="too_large",
        )
    try:
        document = orjson.loads(data.removeprefix(_UTF8_BOM))
    except orjson.JSONDecodeError as error:
        raise ParseError(
            f"not valid JSON: {error}", source=location, reason="unparseable"
        ) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not (isinstance(version, str) and version.startswith(_VERSION_PREFIX)):
        raise ParseError(
            f"JSON without a JSON Feed version (got {str(version)[:80]!r})",
            source=location,
            reason="not_a_feed",
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise ParseError("a JSON Feed without an items list", source=location, reason="not_a_feed")
    if version not in JSON_FEED_VERSIONS:
        yield NewsIngestWarning(
            f"JSON Feed version {version[:80]!r} is newer than 1.1; read as 1.1",
            source=location,
            reason="unknown_version",
        )
    feed = _Feed(document, location, feed_url)
    for index, item in enumerate(items):
        if index >= limits["entries"]:
            yield ParseError(
                f"feed has {len(items)} entries; only the first {limits['entries']} are read",
                source=location,
                item=index,
                reason="too_many_entries",
            )
            return
        yield from feed.item(item, index)


class _Feed:
    """What every item of one JSON Feed shares."""

    def __init__(self, document: Mapping[str, Any], location: str, feed_url: str | None) -> None:
        self.location = location
        title = document.get("title")
        self.title = _text(title)[: _limits()["title_chars"]] or None
        self.feed_url = feed_url or _http(document.get("feed_url"))
        self.language = _language(document.get("language"))
        self.authors = _authors(document)

    def item(self, item: object, index: int) -> Iterator[ReaderItem]:
        warnings: list[NewsIngestWarning] = []
        try:
            article = self._article(item, index, warnings)
        except ParseError as error:
            yield ParseError(error.message, source=self.location, item=index, reason=error.reason)
            return
        yield article
        yield from warnings

    def _article(self, item: object, index: int, warnings: list[NewsIngestWarning]) -> Article:
        if not isinstance(item, Mapping):
            raise ParseError(
                f"item is a {type(item).__name__}, not an object", reason="invalid_entry"
            )
        limits = _limits()
        title = " ".join(text_to_segments(_text(item.get("title"))))
        if len(title) > limits["title_chars"]:
            raise ParseError(
                f"title is {len(title)} characters, over {limits['title_chars']}",
                reason="too_large",
            )
        body, summary = _body(item, limits)
        entry_id = _text(item.get("id"))[: limits["id_chars"]] or None
        url = _http(item.get("url")) or _http(item.get("external_url"))
        if not (title or url or body or entry_id):
            raise ParseError("item has no title, url, id or text", reason="empty_entry")
        published, precision, raw = self._date(item, index, warnings)
        return Article(
            title=title,
            url=url,
            published=published,
            published_precision=precision,
            published_raw=raw,
            body=tuple(body),
            summary=summary,
            authors=_authors(item) or self.authors,
            tags=tuple(_text(tag) for tag in item.get("tags") or () if _text(tag))[
                : limits["names"]
            ],
            language=_language(item.get("language")) or self.language,
            extra=_extra(item),
            source=Provenance(
                reader="jsonfeed",
                location=self.location,
                item=index,
                feed_title=self.title,
                feed_url=self.feed_url,
                entry_id=entry_id,
            ),
        )

    def _date(
        self, item: Mapping[str, Any], index: int, warnings: list[NewsIngestWarning]
    ) -> tuple[Any, str | None, str | None]:
        def warn(message: str, reason: str) -> None:
            warnings.append(
                NewsIngestWarning(message, source=self.location, item=index, reason=reason)
            )

        for key in ("date_published", "date_modified"):
            raw = item.get(key)
            if isinstance(raw, str) and raw.strip():
                dated: tuple[Any, str | None, str | None] = _feed().entry_date(raw, warn)
                return dated
        return None, None, None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _http(value: object) -> str | None:
    text = _text(value)
    if text.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in text):
        return text if len(text) <= _limits()["url_chars"] else None
    return None


def _language(value: object) -> str | None:
    text = _text(value)
    return text if text and len(text) <= 64 else None


def _authors(holder: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the 1.1 ``authors`` list, else of the 1.0 ``author`` object."""
    people = holder.get("authors")
    if not isinstance(people, list):
        single = holder.get("author")
        people = [single] if isinstance(single, Mapping) else []
    names = [_text(p.get("name")) or _text(p.get("url")) for p in people if isinstance(p, Mapping)]
    return tuple(name[: _limits()["name_chars"]] for name in names if name)[: _limits()["names"]]


def _body(item: Mapping[str, Any], limits: Mapping[str, int]) -> tuple[list[str], str | None]:
    html, text, summary = (_text(item.get(k)) for k in ("content_html", "content_text", "summary"))
    for field, value in (("content_html", html), ("content_text", text), ("summary", summary)):
        if len(value) > limits["html_chars"]:
            raise ParseError(
                f"{field} is {len(value)} characters, over {limits['html_chars']}",
                reason="too_large",
            )
    body = html_to_segments(html) if html else text_to_segments(text or summary)
    if len(body) > limits["segments"]:
        raise ParseError(
            f"body has {len(body)} segments, over {limits['segments']}", reason="too_large"
        )
    return body, (summary or None) if (html or text) else None


def _extra(item: Mapping[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in ("image", "banner_image"):
        value = _http(item.get(key))
        if value:
            extra[key] = value
    attachments = [
        {k: v for k, v in attachment.items() if isinstance(v, (str, int, float))}
        for attachment in item.get("attachments") or ()
        if isinstance(attachment, Mapping) and _http(attachment.get("url"))
    ]
    if attachments:
        extra["attachments"] = attachments
    return extra


class JsonFeedReader:
    """Reads JSON Feed 1.0 and 1.1 documents from paths, bytes and streams."""

    name = "jsonfeed"
    suffixes = (".json",)
    url_prefixes = ()

    def sniff(self, head: bytes) -> bool:
        """True for a JSON object naming a JSON Feed version."""
        return is_json_feed(head)

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        """Yield the Articles of a JSON Feed (and a ParseError for each bad item)."""
        name, data = open_binary(source, max_bytes=_limits()["document_bytes"])
        yield from self.read_data(data, name)

    def read_data(self, data: bytes, name: str) -> Iterator[ReaderItem]:
        """Read a document already in memory (``name``: where it came from)."""
        yield from parse_json_feed(data, location=os.fspath(name))


def register(registry: ReaderRegistry) -> None:
    """Register the ``jsonfeed`` reader."""
    registry.register(JsonFeedReader())
