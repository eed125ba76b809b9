"""XML sitemaps and Google News sitemaps: reader ``sitemap``.

A sitemap (https://www.sitemaps.org/protocol.html) is a ``urlset`` of ``url``
elements, each with a ``loc`` and optionally ``lastmod``, ``changefreq`` and
``priority``; a Google News sitemap adds a ``news:news`` element per URL with the
story's ``news:title``, ``news:publication_date``, ``news:publication``
(``news:name``, ``news:language``), ``news:keywords``, ``news:genres`` and
``news:access``. A ``sitemapindex`` lists other sitemaps. Documents are
recognised by content (root ``urlset`` or ``sitemapindex``), gzip-compressed ones
too (``sitemap.xml.gz``, or a body served as ``application/x-gzip``).

Each URL becomes an :class:`~newsingest.model.Article` stub for ``--fetch`` to
hydrate: ``url`` from ``loc``; ``title`` from ``news:title`` (else empty);
``published`` from ``news:publication_date`` with its precision and raw string
(``lastmod`` says when the page last changed, not when the story was published,
so it is kept in ``extra`` only); ``language`` from ``news:language``; ``tags``
from ``news:keywords``; provenance names the publication as the feed title. The
rest is kept in ``extra["sitemap"]``. A ``url`` without a usable ``loc`` is a
:class:`ParseError` with its index and the others still come.

An index is followed when the reader has a way to fetch (URLs through
:class:`~newsingest.fetch.Fetcher` under its address policy): at most
:data:`LIMITS` ``["depth"]`` levels of indexes and ``["sitemaps"]`` sitemaps in
all, each document at most ``["bytes"]`` once decompressed (the protocol's
50 MB) and ``["urls"]`` URLs (the protocol's 50,000). A child that cannot be
fetched or read is one :class:`ParseError` naming it (``sitemap_failed``) and
the rest of the index is still read.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Final
from xml.etree import ElementTree

import attrs

from newsingest.exceptions import (
    FetchError,
    NewsIngestError,
    NewsIngestWarning,
    ParseError,
)
from newsingest.model import Article, Provenance
from newsingest.readers import (
    SNIFF_BYTES,
    ReaderItem,
    ReaderRegistry,
    SourceLike,
    is_url,
    open_binary,
)

if TYPE_CHECKING:
    from newsingest.fetch import Fetcher

__all__ = ["LIMITS", "SitemapReader", "is_sitemap", "parse_sitemap", "register"]

#: What one sitemap, and one index with what it lists, may cost.
LIMITS: Final[Mapping[str, int]] = {
    "bytes": 50 * 1024 * 1024,  # one document, decompressed (the protocol's cap)
    "compressed_bytes": 16 * 1024 * 1024,  # one document as read or fetched
    "urls": 50_000,  # URLs of one sitemap (the protocol's cap); the rest is one ParseError
    "depth": 2,  # indexes of indexes followed (the protocol allows 1; real sites nest)
    "sitemaps": 1_000,  # sitemaps fetched for one index, in all
}

_ROOTS: Final = frozenset({"urlset", "sitemapindex"})
_GZIP_MAGIC: Final = b"\x1f\x8b"
_SITEMAP_NS: Final = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS_NS: Final = "http://www.google.com/schemas/sitemap-news/0.9"

#: Fetch a sitemap URL: its body (any content coding undone) or a NewsIngestError.
Follow = Callable[[str], bytes]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _gunzip(data: bytes, limit: int, location: str) -> bytes:
    """Decompress a gzip document, refusing it once the output passes ``limit``."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise ParseError(
            f"corrupt gzip data: {error}", source=location, reason="undecodable"
        ) from None
    if len(out) > limit:
        raise ParseError(
            f"the sitemap decompresses to over {limit} bytes (the protocol's cap); refused",
            source=location,
            reason="too_large",
        )
    return out


def _head(data: bytes) -> bytes:
    if data.startswith(_GZIP_MAGIC):
        try:
            return zlib.decompressobj(wbits=31).decompress(data, SNIFF_BYTES)
        except zlib.error:
            return b""
    return data[:SNIFF_BYTES]


def is_sitemap(head: bytes) -> bool:
    """True when ``head`` starts a sitemap or sitemap index (gzipped or not)."""
    from newsingest.readers._xmlscan import decode_for_scan  # noqa: PLC0415
    from newsingest.readers.feed import _scan_prolog  # noqa: PLC0415

    root = _scan_prolog(decode_for_scan(_head(head))[0]).root
    return root is not None and root.split(":")[-1].lower() in _ROOTS


def parse_sitemap(
    data: bytes,
    *,
    location: str,
    follow: Follow | None = None,
    sitemap_url: str | None = None,
) -> Iterator[ReaderItem]:
    """The URLs of a sitemap, or of the sitemaps an index lists (followed with ``follow``).

    Args:
        data: the document, gzip-compressed or not.
        location: what provenance and errors call it.
        follow: fetches a listed sitemap; ``None`` reads an index without following
            it (one ``sitemap_index_not_followed`` warning).
        sitemap_url: the URL the document came from.

    Raises:
        ParseError: not a sitemap (``not_a_feed``), entity declarations
            (``entity_declaration``), malformed XML before the first URL
            (``unparseable``), or over a size limit (``too_large``).
    """
    budget = _Budget(LIMITS["sitemaps"])
    yield from _parse(data, location, sitemap_url, follow, depth=0, budget=budget)


class _Budget:
    """How many more sitemaps one index may fetch."""

    def __init__(self, left: int) -> None:
        self.left = left


def _parse(
    data: bytes,
    location: str,
    sitemap_url: str | None,
    follow: Follow | None,
    *,
    depth: int,
    budget: _Budget,
) -> Iterator[ReaderItem]:
    from newsingest.readers._xmlscan import decode_for_scan  # noqa: PLC0415
    from newsingest.readers.feed import _scan_prolog  # noqa: PLC0415

    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, LIMITS["bytes"], location)
    elif len(data) > LIMITS["bytes"]:
        raise ParseError(
            f"the sitemap is over {LIMITS['bytes']} bytes", source=location, reason="too_large"
        )
    prolog = _scan_prolog(decode_for_scan(data[:SNIFF_BYTES])[0])
    if prolog.declares_entities:
        raise ParseError(
            "the sitemap declares XML entities; refused",
            source=location,
            reason="entity_declaration",
        )
    root = (prolog.root or "").split(":")[-1].lower()
    if root not in _ROOTS:
        raise ParseError(
            f"XML with root element <{prolog.root}> is not a sitemap"
            if prolog.root
            else "not an XML sitemap",
            source=location,
            reason="not_a_feed",
        )
    entries = _entries(data, location)
    if root == "urlset":
        yield from _urlset(entries, location, sitemap_url)
    else:
        yield from _index(entries, location, follow, depth=depth, budget=budget)


def _entries(data: bytes, location: str) -> Iterator[ElementTree.Element | ParseError]:
    """Each ``url``/``sitemap`` element, cleared once used; a parse error ends the walk."""
    events = ElementTree.iterparse(io.BytesIO(data), events=("start", "end"))
    level = 0
    seen = 0
    root: ElementTree.Element | None = None
    try:
        for event, element in events:
            if event == "start":
                level += 1
                if level == 1:
                    root = element
                continue
            level -= 1
            if level == 1 and _local(element.tag) in ("url", "sitemap"):
                seen += 1
                yield element
                element.clear()
                if root is not None:
                    root.remove(element)
    except ElementTree.ParseError as error:
        line = error.position[0] if error.position else None
        failure = ParseError(
            f"malformed sitemap after {seen} entries: {error}",
            source=location,
            line=line,
            reason="unparseable",
        )
        if seen == 0:
            raise failure from None
        yield failure


def _child(element: ElementTree.Element, name: str, namespace: str | None = None) -> str:
    for child in element:
        if _local(child.tag) == name and (namespace is None or _namespace(child.tag) == namespace):
            return " ".join((child.text or "").split())
    return ""


def _find(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _urlset(
    entries: Iterator[ElementTree.Element | ParseError], location: str, sitemap_url: str | None
) -> Iterator[ReaderItem]:
    for index, element in enumerate(entries):
        if isinstance(element, ParseError):
            yield element
            return
        if index >= LIMITS["urls"]:
            yield ParseError(
                f"more than {LIMITS['urls']} URLs in one sitemap; the rest are not read",
                source=location,
                item=index,
                reason="too_many_entries",
            )
            return
        yield from _url_item(element, index, location, sitemap_url)


def _url_item(
    element: ElementTree.Element, index: int, location: str, sitemap_url: str | None
) -> Iterator[ReaderItem]:
    from newsingest.readers.feed import LIMITS as FEED_LIMITS  # noqa: PLC0415
    from newsingest.readers.feed import _http_url  # noqa: PLC0415

    warnings: list[NewsIngestWarning] = []

    def warn(message: str, reason: str) -> None:
        warnings.append(NewsIngestWarning(message, source=location, item=index, reason=reason))

    loc = _child(element, "loc")
    if not loc or len(loc) > FEED_LIMITS["url_chars"] or not _http_url(loc):
        yield ParseError(
            f"<loc> {loc[:200]!r} is not an absolute http(s) URL"
            if loc
            else "a <url> without a <loc>",
            source=location,
            item=index,
            reason="invalid_url",
        )
        return
    news = _find(element, "news")
    extra = _sitemap_extra(element, news)
    story = _News.of(news, warn)
    yield Article(
        title=story.title,
        url=loc,
        published=story.published,
        published_precision=story.precision,
        published_raw=story.raw,
        language=story.language,
        tags=story.tags,
        extra={"sitemap": extra} if extra else {},
        source=Provenance(
            reader="sitemap",
            location=location,
            item=index,
            feed_title=story.publication,
            feed_url=sitemap_url,
        ),
    )
    yield from warnings


@attrs.frozen
class _News:
    """What a ``news:news`` element says of its story."""

    title: str = ""
    published: datetime | None = None
    precision: str | None = None
    raw: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    publication: str | None = None

    @classmethod
    def of(cls, news: ElementTree.Element | None, warn: Callable[[str, str], None]) -> _News:
        from newsingest.readers.feed import LIMITS as FEED_LIMITS  # noqa: PLC0415
        from newsingest.readers.feed import entry_date  # noqa: PLC0415

        if news is None:
            return cls()
        date = _child(news, "publication_date")
        published, precision, raw = entry_date(date, warn) if date else (None, None, None)
        keywords = (k.strip() for k in _child(news, "keywords").split(","))
        source = _find(news, "publication")
        return cls(
            title=_child(news, "title")[: FEED_LIMITS["title_chars"]],
            published=published,
            precision=precision,
            raw=raw,
            language=(_child(source, "language").lower() or None) if source is not None else None,
            tags=tuple(dict.fromkeys(k for k in keywords if k))[: FEED_LIMITS["names"]],
            publication=(_child(source, "name") or None) if source is not None else None,
        )


def _sitemap_extra(
    element: ElementTree.Element, news: ElementTree.Element | None
) -> dict[str, str]:
    extra = {
        name: value
        for name in ("lastmod", "changefreq", "priority")
        if (value := _child(element, name, _SITEMAP_NS) or _child(element, name))
    }
    if news is not None:
        for name in ("access", "genres", "stock_tickers"):
            value = _child(news, name)
            if value:
                extra[name] = value
    return extra


def _index(
    entries: Iterator[ElementTree.Element | ParseError],
    location: str,
    follow: Follow | None,
    *,
    depth: int,
    budget: _Budget,
) -> Iterator[ReaderItem]:
    from newsingest.readers.feed import _http_url  # noqa: PLC0415

    listed: list[str] = []
    for element in entries:
        if isinstance(element, ParseError):
            yield element
            break
        loc = _child(element, "loc")
        if _http_url(loc):
            listed.append(loc)
        else:
            yield ParseError(
                f"index lists {loc[:200]!r}, not an absolute http(s) URL",
                source=location,
                item=len(listed),
                reason="invalid_url",
            )
    if follow is None:
        yield NewsIngestWarning(
            f"a sitemap index of {len(listed)} sitemaps; read it by URL (or with a fetcher) "
            "to have them followed",
            source=location,
            reason="sitemap_index_not_followed",
        )
        return
    if depth >= LIMITS["depth"]:
        yield ParseError(
            f"an index nested {depth + 1} levels deep, over the limit of {LIMITS['depth']}; "
            f"its {len(listed)} sitemaps are not followed",
            source=location,
            reason="too_deep",
        )
        return
    for url in dict.fromkeys(listed):
        if budget.left <= 0:
            yield ParseError(
                f"more than {LIMITS['sitemaps']} sitemaps listed; the rest are not followed",
                source=location,
                reason="too_many_entries",
            )
            return
        budget.left -= 1
        yield from _followed(url, follow, depth=depth + 1, budget=budget)


def _followed(url: str, follow: Follow, *, depth: int, budget: _Budget) -> Iterator[ReaderItem]:
    try:
        data = follow(url)
        yield from _parse(data, url, url, follow, depth=depth, budget=budget)
    except (FetchError, ParseError) as error:
        reason = error.reason or "failed"
        yield ParseError(
            f"listed sitemap could not be read ({reason}): {error.message}",
            source=url,
            reason="sitemap_failed",
        )
    except NewsIngestError as error:
        yield ParseError(
            f"listed sitemap could not be read: {error}", source=url, reason="sitemap_failed"
        )


class SitemapReader:
    """Reader ``sitemap``: sitemaps and Google News sitemaps as URL stubs (module docstring).

    Args:
        allow_private: let the fetches that follow an index connect to loopback,
            private and other non-public addresses.
        follow: how a listed sitemap is fetched; default: a
            :class:`~newsingest.fetch.Fetcher` under the address policy.
    """

    name = "sitemap"
    suffixes = (".gz",)
    url_prefixes = ()

    def __init__(self, *, allow_private: bool = False, follow: Follow | None = None) -> None:
        self.allow_private = allow_private
        self._follow = follow

    def sniff(self, head: bytes) -> bool:
        """True for a sitemap or sitemap index, gzipped or not."""
        return is_sitemap(head)

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        """Yield the URL stubs of one sitemap (an index's sitemaps followed).

        Raises:
            ParseError: not a sitemap, entities, malformed, or over a limit.
            SourceNotFoundError: no such file.
        """
        if is_url(source):
            url = str(source)
            yield from self._with_follow(
                lambda follow: parse_sitemap(
                    follow(url), location=url, follow=follow, sitemap_url=url
                )
            )
            return
        name, data = open_binary(source, max_bytes=LIMITS["compressed_bytes"])
        yield from self._with_follow(
            lambda follow: parse_sitemap(data, location=os.fspath(name), follow=follow)
        )

    def _with_follow(self, parse: Callable[[Follow], Iterator[ReaderItem]]) -> Iterator[ReaderItem]:
        if self._follow is not None:
            yield from parse(self._follow)
            return
        from newsingest.fetch import Fetcher  # noqa: PLC0415

        with Fetcher(allow_private=self.allow_private) as fetcher:
            yield from parse(fetcher_follow(fetcher))


def fetcher_follow(fetcher: Fetcher) -> Follow:
    """A :data:`Follow` over a :class:`~newsingest.fetch.Fetcher` (no conditional GET:
    a listed sitemap is read whole each time its index is)."""

    def follow(url: str) -> bytes:
        result = fetcher.fetch(
            url, headers={"Accept": _SITEMAP_ACCEPT}, conditional=False, update_validators=False
        )
        return result.content

    return follow


_SITEMAP_ACCEPT: Final = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.8, */*;q=0.5"


def register(registry: ReaderRegistry) -> None:
    """Register a default :class:`SitemapReader` (the built-in registry's hook)."""
    registry.register(SitemapReader())
