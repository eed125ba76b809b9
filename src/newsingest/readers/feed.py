"""RSS and Atom feeds: reader ``feed``.

Everything feedparser reads (RSS 0.9x, 1.0, 2.0, Atom 0.3 and 1.0) from a path,
bytes, a stream or an http(s) URL (fetched through :mod:`newsingest.fetch`, with
conditional GET when the reader has a validator store). Feeds are recognised by
content: the root element after the BOM, XML declaration, comments and DOCTYPE
is ``rss``, ``rdf:RDF`` or ``feed``; an HTML page is not a feed.

Each entry becomes an :class:`~newsingest.model.Article`:

* ``title``: tags stripped, entities decoded, whitespace collapsed;
* ``url``: the entry's link resolved against ``xml:base`` and the feed URL, else
  the guid when it is a permalink URL; ``None`` unless absolute http(s);
* ``published``: the first raw string of published, updated, created, through
  :func:`newsingest.normalize.dates.parse_date` (feedparser's ``*_parsed`` tuples
  drop the offset and fill gaps from the clock, so they are never used); an
  unparseable date keeps ``published_raw`` and yields a ``bad_date`` warning;
* ``body``: the entry content, else its description/summary, as plain-text
  segments (:func:`newsingest._html.html_to_segments`); ``summary``: the
  description as text when the entry also has separate content;
* ``authors``, ``tags``, ``language`` (entry, else feed), and provenance with the
  entry index, entry id, feed title and feed URL (after redirects).

Faults stay local: an entry that cannot be turned into an Article is yielded as a
:class:`~newsingest.exceptions.ParseError` with its index and the others still
come (an entry feedparser recovered with nothing in it is ``empty_entry``);
a malformed ("bozo") feed yields what feedparser recovered plus one
``bozo`` :class:`~newsingest.exceptions.NewsIngestWarning`. A document that is
not a feed at all (HTML, JSON, empty) raises :class:`ParseError`
(``reason="not_a_feed"``), and so does one declaring XML entities
(``entity_declaration``): nested entities are how a 600-byte feed grows a
300,000-character title.

What one feed or entry may cost is capped by :data:`LIMITS`; an entry over a cap
is a ParseError naming it (``too_large``), never a silently truncated record.
feedparser is imported on first read, with HTML sanitising and relative-URI
rewriting turned off per call: only plain text leaves this reader.

Known limit, inherited from feedparser and not switchable: in a UTF-8 feed, a
value made only of Latin-1 characters whose Latin-1 bytes are themselves valid
UTF-8 (``"Â¡"``) is taken for double-encoded text and decoded again (``"¡"``).
Real text almost never has that shape; double-encoded feeds often do.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import attrs

from newsingest._html import html_to_segments, text_to_segments
from newsingest.exceptions import (
    FetchError,
    InvalidDateError,
    InvalidURLError,
    NewsIngestWarning,
    ParseError,
    SourceNotFoundError,
)
from newsingest.fetch import Fetcher, FetchResult
from newsingest.model import Article, Provenance
from newsingest.normalize.dates import parse_date
from newsingest.normalize.urls import canonical_url
from newsingest.readers import (
    SNIFF_BYTES,
    ReaderItem,
    ReaderRegistry,
    SourceLike,
    is_url,
    open_binary,
)
from newsingest.readers._feedfast import parse_fast
from newsingest.readers._xmlscan import decode_for_scan, deepest_nesting, entries_past
from newsingest.readers.jsonfeed import is_json_feed, parse_json_feed
from newsingest.readers.opml import Subscription, is_opml, parse_subscriptions
from newsingest.readers.sitemap import fetcher_follow, is_sitemap, parse_sitemap
from newsingest.readers.urllist import clean_line
from newsingest.schedule import PollOutcome, PollPolicy, after_poll, feed_hint
from newsingest.state import FeedStatusStore, ValidatorStore

__all__ = [
    "FEED_ACCEPT",
    "LIMITS",
    "FeedReader",
    "read_feed_list",
    "read_feed_subscriptions",
    "register",
    "sniff_feed",
]

#: The ``Accept`` header sent when fetching a feed.
FEED_ACCEPT: Final = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)

#: What one feed and one entry may cost.
LIMITS: Final[Mapping[str, int]] = {
    "document_bytes": 16 * 1024 * 1024,  # a file or stream read whole
    "entries": 5_000,  # entries read from one document; the rest is one ParseError
    "title_chars": 2_000,  # rendered title (entry or feed)
    "url_chars": 8_192,  # entry link; longer ones are dropped with a bad_url warning
    "id_chars": 8_192,  # entry id kept in provenance
    "html_chars": 4_000_000,  # one raw HTML field (title, summary, one content block)
    "summary_chars": 100_000,  # rendered summary
    "segments": 5_000,  # body segments of one entry
    "segment_chars": 100_000,  # one body segment
    "names": 200,  # authors, and tags, of one entry
    "name_chars": 1_000,  # one author or tag
    "depth": 1_000,  # elements nested in one document, checked before parsing
}

_FEED_ROOTS: Final = frozenset({"rss", "rdf", "feed"})
_NAME_RE: Final = re.compile(r"[A-Za-z_][\w.:-]*")
_SPACE_RE: Final = re.compile(r"[ \t\n\r\f\v]+")
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


@attrs.frozen
class _Prolog:
    """What precedes the root element of a document."""

    root: str | None  # local name of the root element, as written
    declares_entities: bool
    first_char: str  # first non-blank character, "" for a blank document


_FIRST_CHARACTER = re.compile(r"\s*(\S?)")


#: A DOCTYPE anywhere, and an entity declaration anywhere (spaced, any case): the
#: safety net under the prolog walk, which no spelling of the subset gets around.
_DOCTYPE_RE: Final = re.compile(r"<!\s*doctype", re.IGNORECASE)
_ENTITY_RE: Final = re.compile(r"<!\s*entity", re.IGNORECASE)


def _scan_prolog(text: str) -> _Prolog:
    """Walk the BOM, XML declaration, PIs, comments and DOCTYPE up to the root."""
    prolog = _walk_prolog(text)
    if not prolog.declares_entities and _DOCTYPE_RE.search(text) and _ENTITY_RE.search(text):
        return attrs.evolve(prolog, declares_entities=True)
    return prolog


def _walk_prolog(text: str) -> _Prolog:
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("ï»¿"):  # a UTF-8 BOM seen through latin-1
        text = text[3:]
    position, size = 0, len(text)
    first = _FIRST_CHARACTER.match(text).group(1)  # type: ignore[union-attr]
    entities = False
    while True:
        while position < size and text[position] in " \t\r\n":
            position += 1
        if position >= size or text[position] != "<":
            return _Prolog(None, entities, first)
        if text.startswith(("<?", "<!--"), position) or (
            text[position : position + 9].upper() == "<!DOCTYPE"
        ):
            position, declares = _past_declaration(text, position)
            entities = entities or declares
            if position < 0:
                return _Prolog(None, entities, first)
            continue
        match = _NAME_RE.match(text, position + 1)
        if match is None:
            return _Prolog(None, entities, first)
        return _Prolog(match.group().rpartition(":")[2], entities, first)


def _past_declaration(text: str, position: int) -> tuple[int, bool]:
    """Where the PI, comment or DOCTYPE at ``position`` ends (-1: it does not), and
    whether it declares entities."""
    if text.startswith("<?", position):
        end = text.find("?>", position + 2)
        return (-1 if end < 0 else end + 2), False
    if text.startswith("<!--", position):
        end = text.find("-->", position + 4)
        return (-1 if end < 0 else end + 3), False
    bracket = text.find("[", position)
    close = text.find(">", position)
    if close < 0:
        return -1, False
    entities = False
    if 0 <= bracket < close:
        subset_end = text.find("]", bracket)
        if subset_end < 0:
            subset_end = len(text)
        entities = "<!ENTITY" in text[bracket:subset_end].upper()
        close = text.find(">", subset_end)
        if close < 0:
            return -1, entities
    return close + 1, entities


#: The byte-order mark that makes a UTF-16 document without one say what it is.
_BOMLESS: Final = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


@attrs.frozen
class _Checked:
    """A document that passed the checks before parsing, and what they found."""

    data: bytes  # what feedparser is handed
    prolog: _Prolog
    entry_count: int | None  # entries in the document, when it was cut after the limit
    truncated: bool = False  # a feed root that never closes: the download was cut off


def _parseable(data: bytes, location: str) -> _Checked:
    """Check a document before feedparser spends on it: what it may be handed.

    The document is cut before its first entry past ``LIMITS["entries"]`` when it
    has more (feedparser builds every entry it sees, wanted or not).

    Raises:
        ParseError: entity declarations (``entity_declaration``), not a feed
            (``not_a_feed``), or elements nested over ``LIMITS["depth"]`` deep
            (``too_deep``).
    """
    text, codec = decode_for_scan(data)
    prolog = _scan_prolog(text)
    if prolog.declares_entities:
        raise ParseError(
            "the document declares XML entities in its DOCTYPE; refused, because "
            "nested entities can expand a few bytes into megabytes",
            source=location,
            reason="entity_declaration",
        )
    root = (prolog.root or "").lower()
    if not prolog.first_char or prolog.first_char in "{[" or root in {"html", "head"}:
        raise ParseError(_describe_non_feed(prolog), source=location, reason="not_a_feed")
    depth = deepest_nesting(text, LIMITS["depth"])
    if depth > LIMITS["depth"]:
        raise ParseError(
            f"elements nest {depth} levels deep, over the limit of {LIMITS['depth']}",
            source=location,
            reason="too_deep",
        )
    if codec in _BOMLESS:
        # UTF-16 without a byte-order mark: feedparser would take it for 8-bit text.
        data = _BOMLESS[codec] + data
    truncated = root in _FEED_ROOTS and not _closes(text, prolog.root or "")
    past = entries_past(text, LIMITS["entries"])
    if past is None:
        return _Checked(data, prolog, None, truncated)
    count, cut = past
    kept = data[:cut] if codec == "latin-1" else text[:cut].encode(codec)
    return _Checked(kept, prolog, count, truncated)


def _closes(text: str, root: str) -> bool:
    """True when the document's last tag closes its root element (``</rss>``, ``</rdf:RDF>``)."""
    tail = text[-(len(root) + 512) :].rstrip("\x00 \t\r\n").lower()
    end = tail.rfind("</")
    return end >= 0 and tail[end + 2 :].rstrip("> \t\r\n").split(":")[-1] == root.lower()


def sniff_feed(head: bytes) -> bool:
    """True when ``head`` starts an RSS, RDF or Atom document (root ``rss``/``RDF``/``feed``)."""
    root = _scan_prolog(decode_for_scan(head)[0]).root
    return root is not None and root.lower() in _FEED_ROOTS


_CUT_OFF: Final = "the document ends before its <{}> element closes: a truncated download?"


def _describe_non_feed(prolog: _Prolog) -> str:
    if not prolog.first_char:
        return "an empty document is not a feed"
    if prolog.first_char in "{[":
        return "this looks like JSON, not an RSS or Atom feed"
    if prolog.root is None:
        return "this is not XML (no root element), so not an RSS or Atom feed"
    if prolog.root.lower() in {"html", "head", "body"}:
        return "this is an HTML page, not an RSS or Atom feed"
    if prolog.root.lower() == "opml":
        return "this is an OPML list of feeds, not a feed: poll its feeds with --feeds FILE"
    return f"XML with root element <{prolog.root}> is not an RSS or Atom feed"


def _collapse(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _is_html(detail: Mapping[str, Any] | None) -> bool:
    return detail is not None and str(detail.get("type") or "").lower() in _HTML_TYPES


def _render_text(value: str, detail: Mapping[str, Any] | None, field: str) -> str:
    if len(value) > LIMITS["html_chars"]:
        raise ParseError(
            f"{field} is {len(value)} characters, over {LIMITS['html_chars']}", reason="too_large"
        )
    if _is_html(detail):
        return " ".join(html_to_segments(value))
    return _collapse(value)


def _segments(value: str, detail: Mapping[str, Any] | None, field: str) -> list[str]:
    if len(value) > LIMITS["html_chars"]:
        raise ParseError(
            f"{field} is {len(value)} characters, over {LIMITS['html_chars']}", reason="too_large"
        )
    if _is_html(detail):
        return html_to_segments(value)
    return text_to_segments(value)


#: Any whitespace (``\s`` is exactly ``str.isspace``): a URL holding some is refused.
_WHITESPACE: Final = re.compile(r"\s")


def _http_url(value: str) -> bool:
    if _WHITESPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


class FeedReader:
    """Reader ``feed``: RSS/RDF/Atom documents to Articles (see the module docstring).

    Args:
        fetcher: the :class:`~newsingest.fetch.Fetcher` used for http(s) URLs
            (its validator store gives conditional GET). When ``None``, each URL
            read uses a fresh Fetcher with ``validators``.
        validators: a validator store for that fresh Fetcher; give a
            ``fetcher`` or ``validators``, not both.
        now: the present, for rejecting dates too far in the future; ``None``
            reads the clock once per document.
        max_future: how far past ``now`` a date may lie; ``None`` checks nothing.
        allow_private: let the fresh Fetchers connect to loopback, private and
            other non-public addresses (a given ``fetcher`` has its own policy).
    """

    name = "feed"
    suffixes = (".xml", ".rss", ".atom", ".rdf")
    url_prefixes = ("http://", "https://")

    def __init__(
        self,
        *,
        fetcher: Fetcher | None = None,
        validators: ValidatorStore | None = None,
        now: datetime | None = None,
        max_future: timedelta | None = timedelta(hours=48),
        allow_private: bool = False,
        per_host: int | None = 1,
        per_host_delay: float = 0.0,
        user_agent: str | None = None,
        clock: Callable[[], datetime] | None = None,
        policy: PollPolicy | None = None,
    ) -> None:
        if fetcher is not None and validators is not None:
            raise ValueError("give a fetcher (with its own validators) or validators, not both")
        if now is not None and now.utcoffset() is None:
            raise TypeError("now must be a timezone-aware datetime")
        self.fetcher = fetcher
        self.validators = validators
        self.now = now
        self.max_future = max_future
        self.allow_private = allow_private
        self.per_host = per_host
        self.per_host_delay = per_host_delay
        self.user_agent = user_agent
        self.clock = clock
        self.policy = policy

    def with_state(self, state: ValidatorStore) -> FeedReader:
        """A reader like this one whose fetches send and remember ``state``'s validators.

        Each read fetches with a new :class:`~newsingest.fetch.Fetcher` over ``state``
        (a fetcher given to this reader is not shared: it has validators of its own).
        """
        return FeedReader(
            validators=state,
            now=self.now,
            max_future=self.max_future,
            allow_private=self.allow_private,
            per_host=self.per_host,
            per_host_delay=self.per_host_delay,
            user_agent=self.user_agent,
            clock=self.clock,
            policy=self.policy,
        )

    def sniff(self, head: bytes) -> bool:
        """True for an RSS, RDF or Atom document; False for HTML and anything else."""
        return sniff_feed(head)

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        """Yield the Articles, rejected entries and warnings of one feed.

        Raises:
            ParseError: the document is not a feed, declares entities, or is over
                ``LIMITS["document_bytes"]``.
            FetchError: fetching a URL failed (HTTP error, timeout, too large…).
            SourceNotFoundError: no such file.
        """
        if is_url(source):
            yield from self._read_url(str(source))
            return
        name, data = open_binary(source, max_bytes=LIMITS["document_bytes"])
        yield from self.parse(data, location=name)

    def read_data(self, data: bytes, name: str) -> Iterator[ReaderItem]:
        """Parse a feed file already read into memory (``name`` is its path)."""
        if len(data) > LIMITS["document_bytes"]:
            raise ParseError(
                f"document is over the {LIMITS['document_bytes']}-byte limit",
                source=name,
                reason="too_large",
            )
        yield from self.parse(data, location=name)

    def _new_fetcher(self) -> Fetcher:
        options: dict[str, Any] = {} if self.user_agent is None else {"user_agent": self.user_agent}
        return Fetcher(validators=self.validators, allow_private=self.allow_private, **options)

    def _poll_log(self) -> _PollLog | None:
        """Where each poll's outcome goes: the validator store, when it keeps feed status."""
        store = self.validators
        if self.fetcher is not None:
            store = self.fetcher.validators
        if not isinstance(store, FeedStatusStore):
            return None
        return _PollLog(store, self.clock or _utc_now, self.policy)

    def _read_url(self, url: str) -> Iterator[ReaderItem]:
        fetcher = self.fetcher
        owned = fetcher is None
        if fetcher is None:
            fetcher = self._new_fetcher()
        log = self._poll_log()
        try:
            try:
                result = fetcher.fetch(
                    url, headers={"Accept": FEED_ACCEPT}, update_validators=False
                )
            except FetchError as error:
                if log is not None:
                    log.failed(url, error)
                raise
            yield from self._polled(fetcher, result, log)
        finally:
            if owned:
                fetcher.close()

    def _polled(
        self, fetcher: Fetcher, result: FetchResult, log: _PollLog | None
    ) -> Iterator[ReaderItem]:
        """The items of one fetched feed; validators and the poll recorded once all
        were handed over (a consumer that stops early gets the feed again next poll)."""
        if result.not_modified:
            if log is not None:
                log.unchanged(result)
            return
        notes = _Notes()
        try:
            items = self._parse(
                result.content,
                location=result.url,
                feed_url=result.final_url,
                charset=result.charset,
                notes=notes,
            )
            for item in items:
                if log is not None and isinstance(item, Article):
                    notes.items.append(_identity(item))
                yield item
        except ParseError as error:
            if log is not None:
                log.unusable(result, error)
            raise
        fetcher.remember(result)
        if log is not None:
            gap = log.read(result, notes)
            if gap is not None:
                yield gap

    def read_many(
        self, urls: Iterable[str], *, concurrency: int = 8
    ) -> Iterator[ReaderItem | FetchError]:
        """Poll several feed URLs, fetching up to ``concurrency`` at once.

        Yields each feed's items in input order, as :meth:`read` would; a feed
        that cannot be fetched is yielded as its :class:`FetchError` and one that
        is not a feed as its :class:`ParseError`, and polling goes on. Unchanged
        feeds (``304``) yield nothing. Each feed's validators are stored once its
        items have all been taken.
        """
        fetcher = self.fetcher
        owned = fetcher is None
        if fetcher is None:
            fetcher = self._new_fetcher()
        log = self._poll_log()
        outcomes: Iterator[FetchResult | FetchError] = iter(())
        try:
            urls = list(urls)
            outcomes = fetcher.fetch_many(
                urls,
                concurrency=concurrency,
                headers={"Accept": FEED_ACCEPT},
                update_validators=False,
                per_host=self.per_host,
                per_host_delay=self.per_host_delay,
            )
            for url, outcome in zip(urls, outcomes, strict=True):  # one per URL, in order
                if isinstance(outcome, FetchError):
                    if log is not None:
                        log.failed(url, outcome)
                    yield outcome
                    continue
                try:
                    yield from self._polled(fetcher, outcome, log)
                except ParseError as error:
                    yield error
        finally:
            # Stop queued fetches now rather than when the generator is collected.
            closer = getattr(outcomes, "close", None)
            if closer is not None:
                closer()
            if owned:
                fetcher.close()

    def _sitemap(self, data: bytes, location: str, url: str | None) -> Iterator[ReaderItem]:
        """A sitemap's URL stubs, an index's sitemaps fetched like this reader's feeds."""
        if self.fetcher is not None:
            yield from parse_sitemap(
                data, location=location, follow=fetcher_follow(self.fetcher), sitemap_url=url
            )
            return
        with Fetcher(allow_private=self.allow_private) as fetcher:
            yield from parse_sitemap(
                data, location=location, follow=fetcher_follow(fetcher), sitemap_url=url
            )

    def parse(
        self,
        data: bytes,
        *,
        location: str,
        feed_url: str | None = None,
        charset: str | None = None,
    ) -> Iterator[ReaderItem]:
        """Parse feed bytes already in hand (a fetched body, a file's content).

        Args:
            data: the document.
            location: what provenance and errors call the source.
            feed_url: the URL the document came from (base for relative links).
            charset: the charset an HTTP response declared, if any.

        Raises:
            ParseError: the document is not a feed or declares entities.
        """
        return self._parse(data, location=location, feed_url=feed_url, charset=charset)

    def _parse(
        self,
        data: bytes,
        *,
        location: str,
        feed_url: str | None = None,
        charset: str | None = None,
        notes: _Notes | None = None,
    ) -> Iterator[ReaderItem]:
        if is_json_feed(data[:SNIFF_BYTES]):  # a polled URL serving JSON Feed
            yield from parse_json_feed(data, location=location, feed_url=feed_url)
            return
        if is_sitemap(data[:SNIFF_BYTES]):  # a polled URL serving a (news) sitemap
            yield from self._sitemap(data, location, feed_url)
            return
        checked = _parseable(data, location)
        entry_count = checked.entry_count
        result: Any = None
        if entry_count is None and not checked.truncated:
            result = parse_fast(checked.data, charset)  # None: feedparser's to read
        if result is None:
            result = _feedparser_parse(checked.data, location, charset)
        entries = result.get("entries") or []
        if not result.get("version") and not entries:
            if checked.truncated:
                cut_off = _CUT_OFF.format(checked.prolog.root)
                raise ParseError(cut_off, source=location, reason="truncated")
            raise ParseError(
                _describe_non_feed(checked.prolog), source=location, reason="not_a_feed"
            )
        if result.get("bozo") and entry_count is None:
            problem = result.get("bozo_exception")
            cut = f"; {_CUT_OFF.format(checked.prolog.root)}" if checked.truncated else ""
            yield NewsIngestWarning(
                f"malformed feed ({type(problem).__name__}: {problem}){cut}; "
                f"{len(entries)} entries recovered",
                source=location,
                reason="bozo",
            )
        feed = result.get("feed") or {}
        if notes is not None:
            notes.hint = feed_hint(feed)
        feed_title, problem = _feed_title(feed, location)
        if problem is not None:
            yield problem
        context = _FeedContext(
            location=location,
            feed_url=feed_url or _self_link(feed),
            feed_title=feed_title or None,
            language=_clean_language(feed.get("language")),
            authors=_names(feed.get("authors"))
            if str(result.get("version", "")).startswith("atom")
            else (),
            now=self._now(),
            max_future=self.max_future,
        )
        for index, entry in enumerate(entries):
            if index >= LIMITS["entries"]:
                entry_count = len(entries)
                break
            yield from _entry_items(entry, index, context)
        if entry_count is not None:
            yield ParseError(
                f"feed has {entry_count} entries; only the first {LIMITS['entries']} are read",
                source=location,
                item=LIMITS["entries"],
                reason="too_many_entries",
            )

    def _now(self) -> datetime | None:
        if self.max_future is None:
            return None
        return self.now if self.now is not None else datetime.now(timezone.utc)


def _feedparser_parse(data: bytes, location: str, charset: str | None) -> Any:
    """The document as feedparser reads it (the path for whatever the fast path declines)."""
    import feedparser  # noqa: PLC0415 - heavy import, deferred to first read

    headers = {
        "content-type": f"application/xml; charset={charset}" if charset else "application/xml"
    }
    # No Content-Location: feedparser would resolve a guid that is not a URL
    # against the feed's address and call the result a link (an invented page).
    # Relative links are resolved here (_entry_url), xml:base by feedparser.
    try:
        return feedparser.parse(
            data,
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=headers,
        )
    except Exception as error:  # feedparser promises not to raise; keep the promise
        failure = ParseError(
            f"feedparser failed: {type(error).__name__}: {error}",
            source=location,
            reason="unparseable",
        )
        raise failure from error


@attrs.frozen
class _FeedContext:
    location: str
    feed_url: str | None
    feed_title: str | None
    language: str | None
    authors: tuple[str, ...]
    now: datetime | None
    max_future: timedelta | None


def _feed_title(
    feed: Mapping[str, Any], location: str
) -> tuple[str, ParseError | NewsIngestWarning | None]:
    """The feed's rendered title ("" when none or unusable), and what was wrong with it.

    The title only labels provenance, so one too long is left out and the entries
    are still read: over ``title_chars`` it is a warning; over ``html_chars`` raw
    (a hostile size, not an odd feed) a ``too_large`` error, a quarantine record.
    """
    raw_title = str(feed.get("title") or "")
    if len(raw_title) > LIMITS["html_chars"]:
        return "", ParseError(
            f"feed title is {len(raw_title)} characters, over {LIMITS['html_chars']}; "
            "left out of provenance, the entries are read",
            source=location,
            reason="too_large",
        )
    feed_title = _render_text(raw_title, feed.get("title_detail"), "feed title")
    if len(feed_title) > LIMITS["title_chars"]:
        return "", NewsIngestWarning(
            f"feed title is {len(feed_title)} characters, over {LIMITS['title_chars']}; "
            "left out of provenance",
            source=location,
            reason="too_large",
        )
    return feed_title, None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _identity(article: Article) -> str:
    """What tells one item of a feed from another across polls (id, else link, else title)."""
    marker = article.source.entry_id or article.url or f"title:{article.title}"
    return hashlib.blake2b(marker.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class _Notes:
    """What parsing one polled feed tells its schedule."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.hint: timedelta | None = None


class _PollLog:
    """Each poll's outcome, turned into the feed's new status in the store."""

    def __init__(
        self, store: FeedStatusStore, clock: Callable[[], datetime], policy: PollPolicy | None
    ) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy

    def _record(self, url: str, outcome: PollOutcome) -> bool:
        previous = self._store.feed_status(url)
        status, gap = after_poll(previous, url, outcome, self._clock(), self._policy)
        self._store.set_feed_status(status)
        return gap

    def failed(self, url: str, error: FetchError) -> None:
        self._record(
            url, PollOutcome(error.status, error.reason or "fetch_failed", (), error.headers)
        )

    def unusable(self, result: FetchResult, error: ParseError) -> None:
        self._record(result.url, PollOutcome(result.status, error.reason or "parse_error"))

    def unchanged(self, result: FetchResult) -> None:
        self._record(result.url, PollOutcome(result.status, "not_modified", (), result.headers))

    def read(self, result: FetchResult, notes: _Notes) -> NewsIngestWarning | None:
        outcome = PollOutcome(result.status, "ok", tuple(notes.items), result.headers, notes.hint)
        if not self._record(result.url, outcome):
            return None
        return NewsIngestWarning(
            f"this poll shares no item with the previous one and the feed is full "
            f"({len(notes.items)} items): stories published in between may have been missed; "
            "the feed will be polled more often",
            source=result.url,
            reason="possible_gap",
        )


def _self_link(feed: Mapping[str, Any]) -> str | None:
    for link in feed.get("links") or ():
        href = link.get("href")
        if link.get("rel") == "self" and isinstance(href, str) and _http_url(href):
            return href if len(href) <= LIMITS["url_chars"] else None
    return None


def _clean_language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and len(value) <= 64 else None


def _names(items: object) -> tuple[str, ...]:
    names: list[str] = []
    if not isinstance(items, list):
        return ()
    for item in items:
        if not isinstance(item, Mapping):
            continue
        name = _collapse(str(item.get("name") or item.get("email") or ""))
        if name:
            names.append(name)
    return tuple(names)


def _entry_items(
    entry: Mapping[str, Any], index: int, context: _FeedContext
) -> Iterator[ReaderItem]:
    warnings: list[NewsIngestWarning] = []
    try:
        article = _entry_article(entry, index, context, warnings)
    except ParseError as rejected:  # a field over a limit, an empty entry
        yield ParseError(
            rejected.message, source=context.location, item=index, reason=rejected.reason
        )
        return
    except Exception as error:  # one odd entry must not stop the feed
        failure = ParseError(
            f"entry cannot be read: {type(error).__name__}: {error}",
            source=context.location,
            item=index,
            reason="invalid_entry",
        )
        failure.__cause__ = error
        yield failure
        return
    yield from warnings
    yield article


def _entry_article(
    entry: Mapping[str, Any],
    index: int,
    context: _FeedContext,
    warnings: list[NewsIngestWarning],
) -> Article:
    def warn(message: str, reason: str) -> None:
        warnings.append(
            NewsIngestWarning(message, source=context.location, item=index, reason=reason)
        )

    title = _render_text(str(entry.get("title") or ""), entry.get("title_detail"), "title")
    if len(title) > LIMITS["title_chars"]:
        raise ParseError(
            f"title is {len(title)} characters, over {LIMITS['title_chars']}", reason="too_large"
        )
    url = _entry_url(entry, context, warn)
    original = _original_url(entry, warn) if url is not None else None
    published, precision, raw_date = _entry_date(entry, context, warn)
    body, summary_text = _entry_text(entry)
    authors, tags = _entry_names(entry, context)
    entry_id = _entry_id(entry)
    language = None
    details = (
        entry.get("title_detail"),
        entry.get("summary_detail"),
        *(entry.get("content") or []),
    )
    for detail in details:
        if isinstance(detail, Mapping):
            language = _clean_language(detail.get("language"))
            if language:
                break
    language = language or context.language

    if not (title or url or body or summary_text or entry_id):
        raise ParseError(
            "entry has no title, link, id or text (nothing left after recovery)",
            reason="empty_entry",
        )

    return Article(
        title=title,
        url=url,
        canonical_url=original,
        published=published,
        published_precision=precision,
        published_raw=raw_date,
        body=body,
        summary=summary_text,
        authors=authors,
        tags=tags,
        language=language,
        source=Provenance(
            reader="feed",
            location=context.location,
            item=index,
            feed_title=context.feed_title,
            feed_url=context.feed_url,
            entry_id=entry_id,
        ),
    )


def _entry_date(
    entry: Mapping[str, Any], context: _FeedContext, warn: Any
) -> tuple[datetime | None, str | None, str | None]:
    """The entry's date as an instant, its precision and the raw string (first found)."""
    raw_date = None
    for key in ("published", "updated", "created"):
        candidate = entry.get(key)
        if isinstance(candidate, str) and candidate.strip():
            raw_date = candidate
            break
    if raw_date is None:
        return None, None, None
    return entry_date(raw_date, warn, now=context.now, max_future=context.max_future)


def entry_date(
    raw_date: str,
    warn: Callable[[str, str], None],
    *,
    now: datetime | None = None,
    max_future: timedelta | None = None,
) -> tuple[datetime | None, str | None, str]:
    """A feed entry's raw date as ``(instant, precision, raw)``; what is wrong with it
    goes to ``warn(message, reason)`` (``bad_date``: unusable, the entry is kept
    without it; ``weekday_mismatch``: kept). Shared by the XML and JSON feed readers.
    """
    try:
        if now is not None and max_future is not None:
            parsed = parse_date(raw_date, now=now, max_future=max_future)
        else:
            parsed = parse_date(raw_date)
    except InvalidDateError as error:
        warn(f"date {raw_date!r} cannot be used: {error.message} [{error.reason}]", "bad_date")
        return None, None, raw_date
    if parsed.weekday_mismatch is not None:
        warn(
            f"date {raw_date!r}: {parsed.weekday_mismatch}; the date is kept",
            "weekday_mismatch",
        )
    return parsed.instant, parsed.precision, raw_date


def _entry_text(entry: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """The entry's body segments and separate summary, with their limits checked."""
    body: list[str] = []
    content_blocks = entry.get("content") or []
    for position, block in enumerate(content_blocks):
        body.extend(_segments(str(block.get("value") or ""), block, f"content[{position}]"))
    summary_detail = entry.get("summary_detail")
    summary_text: str | None = None
    if summary_detail is not None:  # feedparser copies content into `summary` without a detail
        summary_segments = _segments(str(entry.get("summary") or ""), summary_detail, "summary")
        if content_blocks:
            summary_text = "\n\n".join(summary_segments) or None
        else:
            body = summary_segments
    if summary_text is not None and len(summary_text) > LIMITS["summary_chars"]:
        raise ParseError(
            f"summary is {len(summary_text)} characters, over {LIMITS['summary_chars']}",
            reason="too_large",
        )
    if len(body) > LIMITS["segments"]:
        raise ParseError(
            f"body has {len(body)} segments, over {LIMITS['segments']}", reason="too_large"
        )
    for position, segment in enumerate(body):
        if len(segment) > LIMITS["segment_chars"]:
            raise ParseError(
                f"body segment {position} is {len(segment)} characters, "
                f"over {LIMITS['segment_chars']}",
                reason="too_large",
            )
    return body, summary_text


def _entry_names(
    entry: Mapping[str, Any], context: _FeedContext
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The entry's authors (else the feed's) and tags, with their limits checked."""
    authors = _names(entry.get("authors"))
    if not authors:
        author = entry.get("author")
        authors = (_collapse(author),) if isinstance(author, str) and author.strip() else ()
    if not authors:
        authors = context.authors
    tags = tuple(
        name
        for name in (
            _collapse(str(tag.get("label") or tag.get("term") or ""))
            for tag in entry.get("tags") or ()
            if isinstance(tag, Mapping)
        )
        if name
    )
    for label, names in (("authors", authors), ("tags", tags)):
        if len(names) > LIMITS["names"]:
            raise ParseError(f"{len(names)} {label}, over {LIMITS['names']}", reason="too_large")
        for name in names:
            if len(name) > LIMITS["name_chars"]:
                raise ParseError(
                    f"one of the {label} is {len(name)} characters, over {LIMITS['name_chars']}",
                    reason="too_large",
                )
    return authors, tags


def _entry_id(entry: Mapping[str, Any]) -> str | None:
    """The entry's id / guid, when it has one (a limit checked)."""
    entry_id = entry.get("id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        return None
    if len(entry_id) > LIMITS["id_chars"]:
        raise ParseError(
            f"entry id is {len(entry_id)} characters, over {LIMITS['id_chars']}", reason="too_large"
        )
    return entry_id


def _entry_url(entry: Mapping[str, Any], context: _FeedContext, warn: Any) -> str | None:
    """The entry's link: the first usable absolute http(s) alternate link (resolved
    against the feed's URL), else a guid that is itself such a URL.

    An unusable link is dropped with a ``bad_url`` warning and the entry kept; a
    guid is never joined onto anything (a guid that is not a URL is an id, and
    joining it to the feed's address would invent a page).
    """
    refused: list[str] = []
    guid = entry.get("id")
    guid = guid.strip() if isinstance(guid, str) else ""
    # feedparser makes a permalink guid the entry's link, resolved against the feed's
    # address; a guid that is not itself an absolute URL is an id, not a page.
    not_a_link = guid if entry.get("guidislink") and guid and not _http_url(guid) else None
    for candidate in entry.get("links") or ():
        href = candidate.get("href")
        if not (isinstance(href, str) and href.strip()):
            continue
        if not_a_link is not None and href.strip().endswith(not_a_link):
            continue
        if candidate.get("rel", "alternate") != "alternate":
            continue
        link = href.strip()
        if context.feed_url and not _http_url(link):
            link = urljoin(context.feed_url, link)
        problem = _link_problem(link)
        if problem is None:
            _refused_warning(refused, warn)
            return link
        refused.append(problem)
    _refused_warning(refused, warn)
    if entry.get("guidislink") and guid:
        if guid.startswith("/") and context.feed_url:  # a path on the feed's own site
            guid = urljoin(context.feed_url, guid)
        if _link_problem(guid) is None:
            return guid
    return None


def _link_problem(link: str) -> str | None:
    """Why ``link`` cannot be an entry's URL (``None``: it can)."""
    if len(link) > LIMITS["url_chars"]:
        return f"link is {len(link)} characters, over {LIMITS['url_chars']}"
    if not _http_url(link):
        return f"link {link[:200]!r} is not an absolute http(s) URL"
    try:
        canonical_url(link)
    except InvalidURLError as error:
        return f"link {link[:200]!r} cannot be used: {error.message}"
    return None


def _refused_warning(refused: list[str], warn: Any) -> None:
    if refused:
        warn("; ".join(refused) + "; dropped", "bad_url")


#: Elements (as feedparser names them) holding the publisher's own link to an item
#: that a feed proxy rewrote into a tracking link.
_ORIGINAL_LINKS: Final = ("feedburner_origlink", "pheedo_origlink")


def _original_url(entry: Mapping[str, Any], warn: Any) -> str | None:
    """The canonical form of the publisher's original link (``feedburner:origLink``),
    when a proxy rewrote the entry's link: the URL keys are made from it, so the item
    matches the publisher's own feed; ``url`` keeps the link as the feed gave it."""
    for name in _ORIGINAL_LINKS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        link = value.strip()
        if len(link) > LIMITS["url_chars"] or not _http_url(link):
            warn(f"original link {link[:200]!r} is not an absolute http(s) URL; ignored", "bad_url")
            return None
        try:
            return canonical_url(link)
        except InvalidURLError as error:
            warn(f"original link {link[:200]!r} cannot be used: {error.message}", "bad_url")
            return None
    return None


def read_feed_list(
    path: str | os.PathLike[str], *, on_skip: Callable[[str], None] | None = None
) -> list[str]:
    """The feed URLs of a feed list (see :func:`read_feed_subscriptions`)."""
    return [subscription.url for subscription in read_feed_subscriptions(path, on_skip=on_skip)]


def read_feed_subscriptions(
    path: str | os.PathLike[str], *, on_skip: Callable[[str], None] | None = None
) -> list[Subscription]:
    """Read a list of feeds: one URL a line, or an OPML subscription list.

    A plain list: blank lines and ``#`` comments ignored (a ``#`` after whitespace
    ends the line's URL), UTF-8 with or without BOM; every line must be an
    absolute http(s) URL. OPML (what feed readers export): every outline with a
    feed address, nested ones included, with its title, site and folders (see
    :func:`newsingest.readers.opml.read_subscriptions`; an outline that cannot be
    polled is named to ``on_skip``). Repeated URLs are kept once, in first-seen order.

    Raises:
        SourceNotFoundError: no such file.
        ParseError: a line is not an absolute http(s) URL (``file:line`` in the
            message, ``reason="invalid_url"``), the file is not UTF-8, or an OPML
            file is malformed, declares entities or is over the size limit.
    """
    name = os.fspath(path)
    try:
        raw = open_binary(name, max_bytes=LIMITS["document_bytes"])[1]
    except FileNotFoundError:
        raise SourceNotFoundError("no such file", source=name) from None
    if is_opml(raw[:SNIFF_BYTES]):
        return parse_subscriptions(raw, name, on_skip=on_skip)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad_line = raw.count(b"\n", 0, error.start) + 1
        raise ParseError(
            "not UTF-8 text", source=name, line=bad_line, reason="undecodable"
        ) from None
    urls: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        url = clean_line(line)
        if not url:
            continue
        if not _http_url(url):
            raise ParseError(
                f"{url[:200]!r} is not an absolute http(s) feed URL",
                source=name,
                line=number,
                reason="invalid_url",
            )
        urls.append(url)
    return [Subscription(url) for url in dict.fromkeys(urls)]  # once each, first-seen order


def register(registry: ReaderRegistry) -> None:
    """Register a default :class:`FeedReader` (the built-in registry's hook)."""
    registry.register(FeedReader())
