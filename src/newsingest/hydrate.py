"""Hydration: turn URL stubs into full articles by fetching and extracting their pages.

:func:`hydrate` takes Articles that have a ``url`` (typically the stubs the
``urls`` reader yields), downloads each page through :class:`newsingest.fetch.Fetcher`
(bounded concurrency, a politeness delay per host, timeouts, a size limit,
redirects followed and recorded) and extracts with :func:`extract_page`:

* title, authors and the main text, as segments, by trafilatura (the field's
  reference extractor, installed with ``pip install 'newsingest[extract]'``);
* the publication date: the page's statement of it (JSON-LD ``datePublished``,
  ``article:published_time`` and similar ``<meta>``, ``<time itemprop>``), else
  htmldate's original publication date (see :func:`extract_page`), weighed against
  the date a feed item came with by one rule (same day: finer precision, then a
  stated zone, then the page; different days: the page's own statement, never
  htmldate's guess). ``published``, its precision and ``published_raw`` come from
  the one winner; ``extra["date"]`` says which and what was passed over;
* the language the page declares (``<html lang>``, ``Content-Language``,
  ``og:locale``, JSON-LD ``inLanguage``);
* the canonical URL the page declares (``<link rel="canonical">``, then
  ``og:url``). It becomes the article's ``canonical_url`` (and feeds its
  ``url_key``) when it is on the same site as the page that was fetched;
  otherwise, for example for a syndicated copy pointing at the original
  publisher, the fetched URL's canonical form is used and the declaration is
  kept in ``extra["declared_canonical"]``.

A page that cannot become an article (HTTP error, transfer failure, not HTML,
no text) becomes a :class:`HydrationError` with a reason code (``http_404``,
``read_timeout``, ``too_large``, ``not_html``, ``no_text``…) naming the list
file and line the URL came from; hydration never stops on one bad page. A feed
item (one with a title, body or summary of its own) whose page fails is kept as
its source gave it instead, with ``extra["hydration"]`` saying why
(``on_page_error``), and with :class:`SeenPages` a page fetched before is not
fetched again (``seen``).

What one page may cost is bounded by the fetcher's ``max_bytes`` and timeouts;
extraction works on that many bytes at most.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal, NamedTuple, Protocol, TypeAlias
from urllib.parse import urlsplit

import attrs

from newsingest.exceptions import (
    FetchError,
    HydrationError,
    InvalidDateError,
    InvalidURLError,
    NewsIngestWarning,
    ParseError,
)
from newsingest.extract import (
    WALL_REASONS,
    ExtractedPage,
    RepeatedText,
    _local_day,
    _require_trafilatura,
    extract_page,
    sniff_payload,
)
from newsingest.fetch import DEFAULT_MAX_BYTES, Fetcher, FetchResult
from newsingest.model import PRECISIONS, Article, Provenance
from newsingest.normalize.dates import parse_date
from newsingest.normalize.urls import (
    canonical_url,
    canonical_url_and_key,
    canonical_url_key,
    url_key,
)
from newsingest.robots import RobotsRules
from newsingest.state import SeenEntry

__all__ = [
    "DEFAULT_MIN_TEXT_CHARS",
    "ON_PAGE_ERROR",
    "PAGE_KEY_VERSION",
    "ExtractedPage",
    "HydrationError",
    "OnPageError",
    "PageStore",
    "SeenPages",
    "extract_page",
    "hydrate",
    "listed_url_key",
    "same_site",
]

#: What becomes of a feed item whose page fails (see :func:`hydrate`).
OnPageError: TypeAlias = Literal["keep", "drop"]
ON_PAGE_ERROR: Final = ("keep", "drop")

#: A page whose extracted main text is shorter than this has ``no_text``.
DEFAULT_MIN_TEXT_CHARS: Final = 80

#: What hydration asks servers for.
_ACCEPT: Final = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"

# --- sites and dates ----------------------------------------------------------------------


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(first: str, second: str) -> bool:
    """True when the hosts are equal or one is a subdomain of the other, ``www.`` aside.

    Without a public-suffix list we cannot tell ``news.example.com`` and
    ``blog.example.com`` are siblings, so they count as different sites: a
    declared canonical across them is not trusted (a duplicate is then missed,
    never invented).
    """
    a, b = _site(first), _site(second)
    if not a or not b:
        return False
    return a == b or a.endswith("." + b) or b.endswith("." + a)


# --- fetching with politeness ---------------------------------------------------------------


def _fail(article: Article, message: str, reason: str, **details: Any) -> HydrationError:
    source = article.source
    return HydrationError(
        message,
        source=source.location,
        line=source.line,
        item=source.item,
        reason=reason,
        url=article.url,
        **details,
    )


def _warning(source: Provenance, message: str, reason: str) -> NewsIngestWarning:
    """A warning about the list entry an article came from."""
    return NewsIngestWarning(
        message, source=source.location, line=source.line, item=source.item, reason=reason
    )


#: HTTP statuses that say the page exists but is not open to us, with the kind of wall.
_ACCESS_STATUSES: Final = {401: "login", 402: "paywall", 451: "legal"}
#: Date sources that are the page's own statement (JSON-LD, ``<meta>``, ``<time>``).
_STATED: Final = frozenset({"jsonld", "meta", "time"})


def _listed_date(article: Article) -> tuple[str, bool] | None:
    """The day (as its source wrote it) of the date ``article`` came with, and
    whether its zone was assumed; ``None`` when it has no date."""
    if article.published is None:
        return None
    if article.published_raw is not None:
        with contextlib.suppress(InvalidDateError):  # unreadable raw: the parsed instant's day
            parsed = parse_date(article.published_raw)
            return _local_day(parsed).isoformat(), parsed.zone == "assumed"
    return article.published.date().isoformat(), False


def _page_date_wins(article: Article, page: ExtractedPage) -> bool:
    """The documented rule between the item's own date and the page's (both present).

    Same day: the finer precision wins, then a stated zone over an assumed one,
    then the page. Different days: the page's own statement (JSON-LD, ``<meta>``,
    ``<time>``) wins; htmldate's search loses to the item's date.
    """
    listed = _listed_date(article)
    assert listed is not None and page.published_precision is not None
    day, listed_assumed = listed
    if day != page.extra.get("date_local_day"):
        return page.date_source in _STATED
    rank = PRECISIONS.index
    mine = rank(article.published_precision or "day")
    theirs = rank(page.published_precision)
    if mine != theirs:
        return theirs > mine
    return not (page.date_zone_assumed is not None and not listed_assumed)


def _dated(article: Article, page: ExtractedPage) -> dict[str, Any]:
    """``published``, ``published_precision``, ``published_raw`` and ``extra["date"]``,
    all from the one source that wins (see :func:`_page_date_wins`)."""
    listed: dict[str, Any] = {"source": "listed", "raw": article.published_raw}
    if page.published is None:
        if article.published is None:
            # no usable date anywhere: the page's unusable string is kept as stated
            return {} if page.published_raw is None else {"published_raw": page.published_raw}
        rejected = (
            [] if page.published_raw is None else [{"source": "page", "raw": page.published_raw}]
        )
        return {"date": {**listed, "rejected": rejected} if rejected else listed}
    date: dict[str, Any] = {"source": page.date_source, "raw": page.published_raw}
    if page.date_zone_assumed is not None:
        date["zone_assumed"] = page.date_zone_assumed
    if page.extra.get("date_local_day"):
        date["local_day"] = page.extra["date_local_day"]
    rejected = [page.extra["date_rejected"]] if page.extra.get("date_rejected") else []
    if article.published is not None and not _page_date_wins(article, page):
        lost = {"source": page.date_source, "raw": page.published_raw}
        return {"date": {**listed, "rejected": [lost]}}
    if article.published is not None:
        rejected.append(listed)
    if rejected:
        date["rejected"] = rejected
    return {
        "published": page.published,
        "published_precision": page.published_precision,
        "published_raw": page.published_raw,
        "date": date,
    }


def _build(
    article: Article,
    result: FetchResult,
    *,
    min_text_chars: int,
    extensive_dates: bool = True,
    repeated: RepeatedText | None = None,
) -> Iterator[Article | HydrationError | NewsIngestWarning]:
    """Turn one fetched page into the hydrated article, or the error saying why not."""
    kind = sniff_payload(result.content, result.content_type)
    if kind is not None:
        yield _fail(
            article,
            f"{result.final_url} is not an HTML page ({kind})",
            "not_html",
            final_url=result.final_url,
            status=result.status,
        )
        return
    try:
        page = extract_page(
            result.content,
            url=result.final_url,
            charset=result.charset,
            extensive_dates=extensive_dates,
        )
    except Exception as error:  # third-party extraction must never end a run
        failure = _fail(
            article,
            f"{result.final_url}: extraction failed ({type(error).__name__}: {error})",
            "extraction_failed",
            final_url=result.final_url,
            status=result.status,
        )
        failure.__cause__ = error
        yield failure
        return
    source = article.source
    for reason, message in page.warnings:
        yield _warning(source, message, reason)
    repeats = repeated is not None and repeated.check(result.final_url, page.body)
    if page.refused is None and repeats:
        page = attrs.evolve(
            page,
            body=(),
            refused="repeated_text",
            refused_message=f"{result.final_url} shows the text other pages of its host show",
        )
    if page.refused is not None:
        yield _fail(
            article,
            page.refused_message or f"{result.final_url} is no article page",
            page.refused,
            final_url=result.final_url,
            status=result.status,
        )
        return
    text_chars = sum(len(segment) for segment in page.body)
    if text_chars < min_text_chars:
        yield _fail(
            article,
            f"{result.final_url} has no article text ({text_chars} characters extracted, "
            f"{min_text_chars} needed)",
            "no_text",
            final_url=result.final_url,
            status=result.status,
        )
        return
    extra = dict(article.extra)
    extra["final_url"] = result.final_url
    extra["redirects"] = list(result.redirects)
    if page.declared_canonical is not None:
        extra["declared_canonical"] = page.declared_canonical
    if page.access:
        extra["access"] = dict(page.access)

    canonical = canonical_url(result.final_url)
    if page.declared_canonical is not None and same_site(page.declared_canonical, result.final_url):
        try:
            canonical = canonical_url(page.declared_canonical)
        except InvalidURLError as error:
            yield _warning(
                source,
                f"declared canonical URL {page.declared_canonical!r} is unusable "
                f"({error.reason}); using the fetched URL",
                "invalid_canonical",
            )
    changes: dict[str, Any] = {
        "title": page.title or article.title,
        "body": page.body,
        "authors": page.authors or article.authors,
        "language": page.language or article.language,
        "canonical_url": canonical,
        "url_key": canonical_url_key(canonical),
    }
    dated = _dated(article, page)
    if "date" in dated:
        extra["date"] = dated.pop("date")
    changes.update(dated)
    changes["extra"] = extra
    yield article.evolve(**changes)


def _has_own_text(article: Article) -> bool:
    """True when the item says something of its own: a title, a body or a summary
    (a feed item), unlike a bare URL of a list."""
    return bool(article.title.strip() or article.body or (article.summary or "").strip())


def _page_failed(
    article: Article, error: HydrationError, keep: bool
) -> Iterator[Article | HydrationError | NewsIngestWarning]:
    """What becomes of an item whose page failed: the error, or (``keep``, and the
    item has text of its own) a warning and the item as its source gave it."""
    if not (keep and _has_own_text(article)):
        yield error
        return
    yield _warning(
        article.source,
        f"the page could not be used ({error.reason}): {error.message}; "
        "the item is kept as its source gave it",
        "page_failed",
    )
    hydration: dict[str, Any] = {"status": "failed", "reason": error.reason}
    hydration["message"] = error.message
    if error.status is not None:
        hydration["http_status"] = error.status
    extra = {**article.extra, "hydration": hydration}
    wall = WALL_REASONS.get(error.reason) or _ACCESS_STATUSES.get(error.status or 0)
    if wall is not None:
        access: dict[str, Any] = {"wall": wall, "reason": error.reason}
        if error.status in _ACCESS_STATUSES:
            access["http_status"] = error.status
        extra["access"] = access
    yield article.evolve(extra=extra)


def listed_url_key(article: Article) -> str | None:
    """The URL key ``ingest()`` gives an item as listed (before its page is fetched):
    its ``url_key``, else the key of its ``canonical_url``, else of its ``url``;
    ``None`` when the URL cannot be normalised."""
    if article.url_key is not None:
        return article.url_key
    try:
        if article.canonical_url is not None:
            return url_key(article.canonical_url)
        return None if article.url is None else canonical_url_and_key(article.url)[1]
    except InvalidURLError:
        return None


class PageStore(Protocol):
    """What :class:`SeenPages` needs of a seen-store (every
    :class:`~newsingest.state.SeenStore` is one)."""

    def lookup(self, keys: Sequence[str]) -> Mapping[str, SeenEntry]:
        """The entries of those ``keys`` that are known."""
        ...  # abstract

    def add(self, entries: Iterable[SeenEntry]) -> None:
        """Stage entries (durable at the store's commit)."""
        ...  # abstract


#: Prefix of the key recording which URL key a listed URL's page was kept under,
#: when they differ (a redirect, a declared canonical): ``"p1:" + the listed URL key``.
PAGE_KEY_VERSION: Final = "p1"


class SeenPages:
    """Which listed pages need no fetching: fetched earlier in this run, or kept in
    an earlier run whose seen keys are in ``store``.

    An item's identity is the URL key its listed URL gets (``identity``, by default
    :func:`listed_url_key`; ``ingest()`` passes the one its dedup computes). A page
    is fetched at most once per identity: in this run the outcome is remembered, and
    across runs the seen-store is asked for the identity, or for the key the page was
    kept under when that differs (recorded here as a ``"page"`` entry, staged with
    the run's other keys). A page whose item was not kept is fetched again.

    Args:
        store: the seen-store of the run (``None``: this run only).
        identity: an item's identity, or ``None`` for an item that has none (it is
            always fetched).
    """

    def __init__(
        self,
        store: PageStore | None = None,
        identity: Callable[[Article], str | None] = listed_url_key,
    ) -> None:
        self._store = store
        self._identity = identity
        self._run: dict[str, str | HydrationError] = {}

    def identity(self, article: Article) -> str | None:
        """The identity of ``article`` as listed."""
        return self._identity(article)

    def known(self, identity: str) -> str | HydrationError | None:
        """The URL key the article of ``identity`` was kept under, the error its page
        gave earlier in this run, or ``None``: its page was never fetched."""
        earlier = self._run.get(identity)
        if earlier is not None or self._store is None:
            return earlier
        alias = f"{PAGE_KEY_VERSION}:{identity}"
        found = self._store.lookup([identity, alias])
        if identity in found:
            return identity
        entry = found.get(alias)
        if entry is not None and entry.kept in self._store.lookup([entry.kept]):
            return entry.kept
        return None

    def fetched(self, identity: str, listed: Article, hydrated: Article) -> None:
        """Remember that the page of ``identity`` became ``hydrated``."""
        key = hydrated.url_key or identity
        self._run[identity] = key
        if key != identity and self._store is not None:
            entry = (f"{PAGE_KEY_VERSION}:{identity}", "page", key, listed.source.where())
            self._store.add([SeenEntry(*entry, first_seen=int(time.time()))])

    def failed(self, identity: str, error: HydrationError, kept: bool) -> None:
        """Remember that the page of ``identity`` failed (``kept``: its item was kept)."""
        self._run[identity] = identity if kept else error


def hydrate(
    items: Iterable[Article | ParseError | NewsIngestWarning],
    *,
    fetcher: Fetcher | None = None,
    concurrency: int = 4,
    per_host: int = 1,
    per_host_delay: float = 1.0,
    timeout: float = 30.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    min_text_chars: int = DEFAULT_MIN_TEXT_CHARS,
    allow_private: bool = False,
    robots: bool = True,
    user_agent: str | None = None,
    on_page_error: OnPageError = "keep",
    retry: bool = True,
    seen: SeenPages | None = None,
    extensive_dates: bool = True,
    repeated_text: RepeatedText | None = None,
) -> Iterator[Article | ParseError | NewsIngestWarning]:
    """Fetch and extract each article's page; yield results in input order.

    Args:
        items: Articles with a ``url`` (reader output may be passed as is:
            errors, warnings and Articles without a URL pass through unchanged).
        fetcher: the :class:`~newsingest.fetch.Fetcher` to use (it is not closed).
            By default one is made with ``timeout`` and ``max_bytes`` and closed
            at the end.
        concurrency: pages fetched at once, at most (hosts run concurrently
            whatever the order of ``items``).
        per_host: pages of one host fetched at once, at most.
        per_host_delay: seconds between the end of one request to a host and
            the start of the next.
        timeout: connect and read timeout in seconds (default fetcher only).
        max_bytes: largest page accepted (default fetcher only).
        min_text_chars: main text shorter than this is ``no_text``.
        allow_private: let the default fetcher connect to loopback, private and
            other non-public addresses (a given ``fetcher`` has its own policy).
        robots: honour each site's robots.txt (:mod:`newsingest.robots`): a page
            it disallows is not fetched and is a ``robots_disallowed`` error.
        user_agent: the default fetcher's ``User-Agent`` (a given ``fetcher`` has its own).
        on_page_error: what becomes of an item with text of its own (a title, body
            or summary: a feed item) whose page fails: ``"keep"`` it as its source
            gave it, with ``extra["hydration"]`` (``status``, ``reason``,
            ``message``, ``http_status``) and a ``page_failed`` warning before it;
            or ``"drop"`` it for the :class:`HydrationError`. A bare listed URL
            whose page fails is always the error.
        retry: ask once more after a ``429`` or ``503``, honouring ``Retry-After``
            within the fetcher's deadline (:meth:`~newsingest.fetch.Fetcher.fetch`).
        seen: which pages need no fetching (:class:`SeenPages`). The item of a page
            fetched before is not fetched again: it is yielded without its body,
            with ``extra["hydration"] = {"status": "skipped", "reason": "seen"}``
            and the URL key its page was kept under, so that the dedup reports it
            as the duplicate it is. ``None``: every page is fetched.
        extensive_dates: let htmldate search a page's text for its date when the
            markup states none (see :func:`~newsingest.extract.extract_page`).
        repeated_text: what tells a text one host serves on many pages (a wall
            without a known marker); by default a fresh
            :class:`~newsingest.extract.RepeatedText` per call. Such a page is a
            ``repeated_text`` failure, never a body.

    Yields:
        The hydrated Article for each good page (``url`` as listed; title, body,
        date, authors, language, ``canonical_url`` and ``url_key`` from the page;
        ``extra`` gains ``final_url``, ``redirects`` and ``declared_canonical``),
        a :class:`HydrationError` for each page that failed (or the kept item, see
        ``on_page_error``), and :class:`~newsingest.exceptions.NewsIngestWarning`
        objects for oddities (an unusable date or canonical link) just before the
        article they concern.

    Raises:
        MissingExtraError: trafilatura is not installed; raised at the call, before
            anything is fetched.
        ValueError: ``concurrency`` or ``per_host`` below 1, a negative
            ``per_host_delay`` or an unknown ``on_page_error``.
    """
    _require_trafilatura()
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if per_host < 1:
        raise ValueError("per_host must be at least 1")
    if per_host_delay < 0:
        raise ValueError("per_host_delay must not be negative")
    if on_page_error not in ON_PAGE_ERROR:
        raise ValueError(f"on_page_error must be one of {ON_PAGE_ERROR}, not {on_page_error!r}")
    return _hydrate(
        items,
        fetcher=fetcher,
        options=_Options(
            concurrency=concurrency,
            per_host=per_host,
            per_host_delay=per_host_delay,
            timeout=timeout,
            max_bytes=max_bytes,
            min_text_chars=min_text_chars,
            allow_private=allow_private,
            robots=robots,
            user_agent=user_agent,
            keep=on_page_error == "keep",
            retry=retry,
            extensive_dates=extensive_dates,
        ),
        seen=seen,
        repeated=RepeatedText() if repeated_text is None else repeated_text,
    )


_DISALLOWED: Final = "{}: the site's robots.txt disallows fetching this page (--ignore-robots)"


@attrs.frozen(kw_only=True)
class _Options:
    concurrency: int
    per_host: int
    per_host_delay: float
    timeout: float
    max_bytes: int
    min_text_chars: int
    allow_private: bool
    robots: bool
    user_agent: str | None
    keep: bool
    retry: bool
    extensive_dates: bool


class _Pending(NamedTuple):
    """An item waiting in order: ``fetch`` (its page is being fetched), ``follow``
    (the page of an earlier item of the same identity is) or ``out`` (ready)."""

    kind: str
    item: Article | ParseError | NewsIngestWarning
    identity: str | None = None


def _skipped(article: Article, identity: str, kept_as: str) -> Article:
    """``article`` without fetching its page: no body, the URL key its page was kept under."""
    extra = {**article.extra, "hydration": {"status": "skipped", "reason": "seen"}}
    key = article.url_key if kept_as == identity else kept_as
    return article.evolve(body=(), url_key=key, extra=extra)


def _again(article: Article, error: HydrationError) -> HydrationError:
    """``error`` of an earlier item of the same page, said of ``article``."""
    return _fail(
        article,
        f"{error.message} (the same page as {error.where}, not fetched again)",
        error.reason,
        final_url=error.final_url,
        status=error.status,
    )


class _Queue:
    """Every input item of one :func:`hydrate` call, waiting in order.

    Articles with a URL are also fetched (``fetch_many`` reads ahead, bounded) and
    their results come back in the same order; an article whose page needs no
    fetching (see :class:`SeenPages`) is settled when its turn comes, after every
    earlier item, so an earlier item of the same page is done by then.
    """

    def __init__(self, rules: RobotsRules | None, seen: SeenPages | None, keep: bool) -> None:
        self._rules = rules
        self._seen = seen
        self._keep = keep
        self.waiting: deque[_Pending] = deque()
        self._started: set[str] = set()  # identities whose page this call fetches

    def urls(self, items: Iterable[Article | ParseError | NewsIngestWarning]) -> Iterator[str]:
        """The URLs to fetch, queueing every item."""
        for item in items:
            if not (isinstance(item, Article) and item.url is not None):
                self.waiting.append(_Pending("out", item))
                continue
            seen = self._seen
            identity = None if seen is None else seen.identity(item)
            if (
                identity is not None
                and seen is not None
                and (identity in self._started or seen.known(identity) is not None)
            ):
                self.waiting.append(_Pending("follow", item, identity))
                continue
            if self._rules is not None and not self._rules.allowed(item.url):
                refused = _fail(item, _DISALLOWED.format(item.url), "robots_disallowed")
                for result in self.settled(item, identity, [refused]):
                    self.waiting.append(_Pending("out", result))
                continue
            if identity is not None:
                self._started.add(identity)
            self.waiting.append(_Pending("fetch", item, identity))
            yield item.url

    def settled(
        self, article: Article, identity: str | None, outcome: Iterable[Any]
    ) -> Iterator[Article | ParseError | NewsIngestWarning]:
        """``outcome`` of ``article``'s page, a failure as ``on_page_error`` says."""
        seen = self._seen if identity is not None else None
        for result in outcome:
            if isinstance(result, HydrationError):
                if seen is not None and identity is not None:
                    seen.failed(identity, result, self._keep and _has_own_text(article))
                yield from _page_failed(article, result, self._keep)
                continue
            if isinstance(result, Article) and seen is not None and identity is not None:
                seen.fetched(identity, article, result)
            yield result

    def ready(self) -> Iterator[Article | ParseError | NewsIngestWarning]:
        """The items before the next page being fetched."""
        while self.waiting and self.waiting[0].kind != "fetch":
            pending = self.waiting.popleft()
            if pending.kind == "out":
                yield pending.item
                continue
            article, identity, seen = pending.item, pending.identity, self._seen
            assert isinstance(article, Article) and identity is not None and seen is not None
            known = seen.known(identity)
            if isinstance(known, HydrationError):
                yield from self.settled(article, identity, [_again(article, known)])
            else:
                yield _skipped(article, identity, known or identity)


def _hydrate(
    items: Iterable[Article | ParseError | NewsIngestWarning],
    *,
    fetcher: Fetcher | None,
    options: _Options,
    seen: SeenPages | None,
    repeated: RepeatedText,
) -> Iterator[Article | ParseError | NewsIngestWarning]:
    owned = fetcher is None
    agent: dict[str, Any] = {} if options.user_agent is None else {"user_agent": options.user_agent}
    client = (
        Fetcher(
            connect_timeout=options.timeout,
            read_timeout=options.timeout,
            max_bytes=options.max_bytes,
            allow_private=options.allow_private,
            **agent,
        )
        if fetcher is None
        else fetcher
    )
    queue = _Queue(RobotsRules(client) if options.robots else None, seen, options.keep)
    try:
        for outcome in client.fetch_many(
            queue.urls(items),
            concurrency=options.concurrency,
            headers={"Accept": _ACCEPT},
            conditional=False,
            update_validators=False,
            per_host=options.per_host,
            per_host_delay=options.per_host_delay,
            retry=options.retry,
        ):
            yield from queue.ready()
            pending = queue.waiting.popleft()
            article = pending.item
            assert isinstance(article, Article)
            if isinstance(outcome, FetchError):
                error = _fail(
                    article,
                    f"{article.url}: {outcome.message}",
                    outcome.reason,
                    status=outcome.status,
                )
                error.__cause__ = outcome
                yield from queue.settled(article, pending.identity, [error])
                continue
            built = _build(
                article,
                outcome,
                min_text_chars=options.min_text_chars,
                extensive_dates=options.extensive_dates,
                repeated=repeated,
            )
            yield from queue.settled(article, pending.identity, built)
        yield from queue.ready()
    finally:
        if owned:
            client.close()
