"""Find the feeds of a site: ``newsingest discover URL...``.

For each page asked about, in this order and within :data:`MAX_REQUESTS` requests
per site (all through :class:`~newsingest.fetch.Fetcher`, so the address policy,
deadlines and size limits of the HTTP room hold):

1. the page itself, when it is a feed (RSS, Atom, JSON Feed) or a sitemap;
2. the feeds it declares: ``<link rel="alternate">`` elements whose ``type`` is a
   feed type (resolved against ``<base href>`` and the address that answered),
   and HTTP ``Link`` headers with ``rel="alternate"`` and a feed type;
3. the site's ``robots.txt`` ``Sitemap:`` lines (sitemaps, for ``--fetch``);
4. only when nothing was declared: the usual places (``/feed``, ``/rss.xml``,
   ``/atom.xml`` ...), each fetched and kept only when its content is a feed.

Declared feeds are not fetched: the site says where they are. What is found is a
list of :class:`~newsingest.readers.opml.Subscription` (title from the link's
``title``, site from the page), ready for :func:`~newsingest.readers.opml.write_opml`
or a plain ``--feeds`` file.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

import attrs

from newsingest.exceptions import FetchError
from newsingest.fetch import Fetcher, FetchResult
from newsingest.readers.opml import Subscription

__all__ = ["COMMON_PATHS", "FEED_TYPES", "MAX_REQUESTS", "Discovery", "discover"]

#: Requests one site may be sent (page, robots.txt and the usual places together).
MAX_REQUESTS: Final = 10

#: Where feeds usually are, tried in this order when a page declares none.
COMMON_PATHS: Final = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/feeds/posts/default",
)

#: ``type`` values of ``<link rel="alternate">`` that name a feed.
FEED_TYPES: Final = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",  # JSON Feed 1.0 sites declare this
        "application/x.atom+xml",
        "text/xml",
        "application/xml",
    }
)

_PAGE_ACCEPT: Final = "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.5"
_LINK_HEADER_RE: Final = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_PARAM_RE: Final = re.compile(r';\s*([A-Za-z*-]+)\s*=\s*(?:"([^"]*)"|([^;,\s]*))')


@attrs.frozen
class Discovery:
    """What was found for one page.

    Attributes:
        page: the address asked about.
        feeds: the feeds found, declared ones first, each once.
        sitemaps: the sitemaps robots.txt lists (or the page, when it is one).
        requests: how many requests were sent.
        problems: why a request failed (the page's own failure first), as sentences.
    """

    page: str
    feeds: tuple[Subscription, ...] = ()
    sitemaps: tuple[str, ...] = ()
    requests: int = 0
    problems: tuple[str, ...] = ()


class _Links(HTMLParser):
    """The ``<base href>`` and feed ``<link rel="alternate">`` elements of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.title: str | None = None
        self.links: list[tuple[str, str | None]] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        named = {name.lower(): (value or "") for name, value in attrs_}
        if tag == "base" and self.base is None and named.get("href"):
            self.base = named["href"].strip()
        elif tag == "link":
            rels = named.get("rel", "").lower().split()
            kind = named.get("type", "").split(";")[0].strip().lower()
            href = named.get("href", "").strip()
            if "alternate" in rels and kind in FEED_TYPES and href:
                self.links.append((href, " ".join(named.get("title", "").split()) or None))
        elif tag == "title" and self.title is None:
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = ((self.title or "") + data).strip() or None


def _link_header(value: str, base: str) -> list[str]:
    """The feed URLs a ``Link`` header declares (``rel=alternate`` with a feed type)."""
    found = []
    for match in _LINK_HEADER_RE.finditer(value):
        params = {
            name.lower(): (quoted if quoted is not None else bare).strip()
            for name, quoted, bare in _PARAM_RE.findall(match.group(2))
        }
        if "alternate" in params.get("rel", "").lower().split() and (
            params.get("type", "").lower() in FEED_TYPES
        ):
            found.append(urljoin(base, match.group(1).strip()))
    return found


def _sitemap_lines(robots: bytes) -> list[str]:
    found = []
    for line in robots.decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            found.append(value.strip())
    return found


def _kind(content: bytes) -> str | None:
    """``"feed"`` or ``"sitemap"`` when the bytes are one, else ``None``."""
    from newsingest.readers import SNIFF_BYTES  # noqa: PLC0415
    from newsingest.readers.feed import sniff_feed  # noqa: PLC0415
    from newsingest.readers.jsonfeed import is_json_feed  # noqa: PLC0415
    from newsingest.readers.sitemap import is_sitemap  # noqa: PLC0415

    head = content[:SNIFF_BYTES]
    if sniff_feed(head) or is_json_feed(head):
        return "feed"
    return "sitemap" if is_sitemap(head) else None


def _http(url: str) -> bool:
    from newsingest.readers.feed import _http_url  # noqa: PLC0415 - the readers' one rule

    return _http_url(url)


class _Site:
    """One page's discovery: the request budget and what was found."""

    def __init__(self, page: str, fetcher: Fetcher, max_requests: int) -> None:
        self.page = page
        self.fetcher = fetcher
        self.left = max_requests
        self.sent = 0
        self.feeds: dict[str, Subscription] = {}
        self.sitemaps: list[str] = []
        self.problems: list[str] = []

    def get(self, url: str, accept: str, *, probing: bool = False) -> FetchResult | None:
        """The answer, or ``None`` (the failure noted, unless it is a probe's 404)."""
        if self.left <= 0:
            return None
        self.left -= 1
        self.sent += 1
        try:
            return self.fetcher.fetch(
                url, headers={"Accept": accept}, conditional=False, update_validators=False
            )
        except FetchError as error:
            if not (probing and error.reason in ("http_404", "http_410")):
                self.problems.append(f"{url}: {error.message}")
            return None

    def add(self, url: str, title: str | None = None, site: str | None = None) -> None:
        if _http(url):
            self.feeds.setdefault(url, Subscription(url, title, site))

    def result(self) -> Discovery:
        return Discovery(
            self.page,
            tuple(self.feeds.values()),
            tuple(dict.fromkeys(self.sitemaps)),
            self.sent,
            tuple(self.problems),
        )


def discover(
    pages: Iterable[str],
    *,
    fetcher: Fetcher | None = None,
    allow_private: bool = False,
    max_requests: int = MAX_REQUESTS,
    paths: Iterable[str] = COMMON_PATHS,
) -> list[Discovery]:
    """Find the feeds of each page (see the module docstring).

    Args:
        pages: http(s) addresses of pages (a site's home page, an article...).
        fetcher: the fetcher to use; by default a new one under the address policy.
        allow_private: for that default fetcher: let it reach loopback and private
            addresses.
        max_requests: requests per page asked about, all steps together.
        paths: the usual places tried when a page declares no feed.

    Raises:
        ValueError: a page is not an absolute http(s) URL, or ``max_requests`` < 1.
    """
    pages = list(pages)
    for page in pages:
        if not _http(page):
            raise ValueError(f"{page!r} is not an absolute http(s) URL")
    if max_requests < 1:
        raise ValueError("max_requests must be at least 1")
    owned = fetcher is None
    active = fetcher or Fetcher(allow_private=allow_private)
    try:
        return [_discover_one(page, active, max_requests, tuple(paths)) for page in pages]
    finally:
        if owned:
            active.close()


def _discover_one(
    page: str, fetcher: Fetcher, max_requests: int, paths: tuple[str, ...]
) -> Discovery:
    site = _Site(page, fetcher, max_requests)
    answer = site.get(page, _PAGE_ACCEPT)
    if answer is None:
        return site.result()
    where = answer.final_url
    kind = _kind(answer.content)
    if kind == "feed":
        site.add(where)
    elif kind == "sitemap":
        site.sitemaps.append(where)
    else:
        _declared(site, answer)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(where))
    robots = site.get(f"{origin}/robots.txt", "text/plain", probing=True)
    if robots is not None:
        site.sitemaps += [url for url in _sitemap_lines(robots.content) if _http(url)]
    if not site.feeds:
        _probe(site, origin, paths, lambda url: site.add(url, None, origin + "/"))
    return site.result()


def _declared(site: _Site, answer: FetchResult) -> None:
    """The feeds a page's HTML and Link headers declare."""
    where = answer.final_url
    links = _Links()
    # html.parser gives up on some broken markup: what it found until then is kept.
    with contextlib.suppress(AssertionError, ValueError):
        links.feed(answer.content.decode("utf-8", "replace"))
        links.close()
    base = urljoin(where, links.base) if links.base else where
    for href, title in links.links:
        site.add(urljoin(base, href), title or links.title, where)
    for url in _link_header(answer.headers.get("link", ""), where):
        site.add(url, links.title, where)


def _probe(site: _Site, origin: str, paths: tuple[str, ...], found: Callable[[str], None]) -> None:
    """Try the usual places; keep the first that holds a feed."""
    from newsingest.readers.feed import FEED_ACCEPT  # noqa: PLC0415

    for path in paths:
        answer = site.get(origin + path, FEED_ACCEPT, probing=True)
        if answer is not None and _kind(answer.content) == "feed":
            found(answer.final_url)
            return
