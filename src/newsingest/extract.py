"""Extraction: one fetched HTML page's bytes become an article's fields, offline.

This module owns :func:`extract_page` (re-exported by :mod:`newsingest.hydrate`, which
fetches the pages) and what it needs:

* **Charset.** A byte order mark decides; then bytes that are valid UTF-8 are UTF-8,
  whatever a ``<meta>`` or the HTTP header claims (a page saved as UTF-8 under a stale
  ``<meta charset="iso-8859-1">`` is common; the reverse cannot decode); then the
  HTTP header's charset, then the ``<meta>`` one, each only when the bytes decode in
  it; then charset_normalizer's guess. Only when nothing decodes cleanly are bytes
  replaced, and the page says so (``replaced_bytes`` in :attr:`ExtractedPage.warnings`).
* **Parse.** The text is parsed the way trafilatura parses it
  (:func:`trafilatura.load_html`: comments and processing instructions dropped,
  control characters removed), so the main text equals what trafilatura gives for
  the same page.
* **Date.** See :func:`extract_page` and "Publication dates" in ``docs/concepts.md``:
  the page's machine-readable publication date (JSON-LD, ``<meta>``, ``<time>``)
  and htmldate's result (run inside trafilatura, original publication date; its
  extensive text search with ``extensive_dates=True``) are weighed by one rule; the
  result keeps its raw string, precision, source and whether its zone was assumed.
* **Access.** Consent walls, paywalls and login pages are marked in
  ``extra["access"]``; a wall's own text never becomes the body
  (:attr:`ExtractedPage.refused`). Payloads that are not HTML (JSON, PDF, images,
  feeds) are refused with a reason. :class:`RepeatedText` tells a text that one
  host serves on many pages (a wall without a known marker) across pages.
"""

from __future__ import annotations

import codecs
import contextlib
import email.utils
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, Final, TypeAlias
from urllib.parse import urljoin, urlsplit

import attrs

from newsingest.exceptions import InvalidDateError, MissingExtraError
from newsingest.normalize.dates import ParsedDate, parse_date

#: An lxml HTML tree. lxml ships no type information, so it is handled as ``Any``.
HtmlElement: TypeAlias = Any

__all__ = [
    "DATE_SOURCES",
    "HTML_TYPES",
    "WALL_REASONS",
    "ExtractedPage",
    "RepeatedText",
    "extract_page",
    "sniff_payload",
]

#: Reason codes of a page that is a wall, not the article, with the kind of wall.
WALL_REASONS: Final = {
    "consent_wall": "consent",
    "login_wall": "login",
    "paywall": "paywall",
    "repeated_text": "repeated",
}

#: Where :attr:`ExtractedPage.date_source` says a date came from.
DATE_SOURCES: Final = ("jsonld", "meta", "time", "htmldate")

#: ``<meta>`` tags that state the article's publication date, most specific first.
_DATE_META: Final = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "parsely-pub-date",
    "sailthru.date",
    "publication_date",
    "dc.date.issued",
    "dcterms.issued",
)
#: ``<meta>`` tags that may state it, or some other date: trusted only when htmldate
#: agrees on the day or finds nothing.
_WEAK_DATE_META: Final = ("pubdate", "publishdate", "publish-date", "dc.date", "date")
#: JSON-LD ``@type`` values that describe the article itself.
_ARTICLE_TYPES: Final = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "report",
        "scholarlyarticle",
        "techarticle",
    }
)
_JSONLD_MAX_CHARS: Final = 1_000_000
_JSONLD_MAX_DEPTH: Final = 12
_XML_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
#: How much of a page charset_normalizer looks at (its start and its end).
_DETECT_BYTES: Final = 8192
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: Payload signatures that are never an HTML page, with what they are.
_BINARY_SIGNATURES: Final = (
    (b"%pdf", "a PDF document"),
    (b"\x89png", "a PNG image"),
    (b"gif8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"pk\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
)
_FEED_START: Final = re.compile(
    r"^(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(rss|feed|rdf:rdf)\b", re.I | re.S
)

#: Scripts, frames and elements of consent-management platforms, by platform.
_CONSENT_MARKERS: Final = (
    ("onetrust", ("cookielaw.org", "onetrust", "optanon")),
    ("didomi", ("didomi",)),
    ("quantcast", ("quantcast.mgr.consensu.org", "cmp.quantcast", "qc-cmp2")),
    ("sourcepoint", ("sourcepoint", "sp-prod.net", "privacy-mgmt.com", "sp_message_container")),
    ("cookiebot", ("consent.cookiebot", "cookiebot.com", "cybotcookiebot")),
    ("usercentrics", ("usercentrics",)),
    ("trustarc", ("trustarc", "truste.com")),
    ("consentmanager", ("consentmanager.net", "cmpbox")),
    ("iab_tcf", ("consensu.org", "__tcfapi")),
)
#: Words of a consent, cookie, paywall or login notice.
_WALL_WORDS: Final = re.compile(
    r"\b(?:cookies?|consent|partners|privacy|accept(?:ing)?|agree|reject|personali[sz]ed"
    r"|subscribe|subscription|subscribers?|sign[ -]?in|log[ -]?in|password|register"
    r"|zustimm\w*|einwillig\w*|akzeptier\w*|datenschutz|abonn\w*|consentement|accepter)\b",
    re.I,
)
#: A wall's text is short; a real article that mentions cookies is not refused.
_WALL_MAX_CHARS: Final = 1500
#: Share of a wall's words that are notice words, at least.
_WALL_MIN_SHARE: Final = 0.06


@attrs.frozen(kw_only=True)
class ExtractedPage:
    """What :func:`extract_page` found on one HTML page.

    Attributes:
        title: the headline (``""`` when the page has none).
        body: the main text as segments (paragraphs, headings, list items), in order;
            empty when the page is refused.
        published_raw: the publication date exactly as its source states it (for
            ``date_source == "htmldate"``, htmldate's ``YYYY-MM-DD``).
        authors: author names.
        language: the language the page declares (``"en"``, ``"en-GB"``…).
        declared_canonical: the absolute canonical URL the page declares, as
            written (relative links resolved against the page URL), not normalised.
        published: ``published_raw`` parsed (aware UTC), ``None`` without a usable date.
        published_precision: how much of it the source stated (``"day"``, ``"second"``…).
        date_source: where the date came from, one of :data:`DATE_SOURCES`.
        extra: what else was found, JSON-safe: ``date_source``,
            ``date_zone_assumed`` (the zone a time without one was read in, ``"UTC"``),
            ``date_local_day`` (the day in the page's own zone), ``date_rejected``
            (a date the rule passed over, with its source), ``charset`` and
            ``charset_source``, and ``access`` (see :func:`extract_page`).
        warnings: ``(reason, message)`` pairs about the page (``replaced_bytes``,
            ``invalid_date``), for the caller to raise or report.
        refused: a reason code when the page is no article (``not_html``,
            ``consent_wall``, ``login_wall``), else ``None``.
        refused_message: what the page is instead, when ``refused``.
        date_zone_assumed: the zone a stated time without one was read in
            (``"UTC"``), ``None`` when the source gave a zone or no time.
        access: what limits access to the page (also ``extra["access"]``), or ``None``.
    """

    title: str = ""
    body: tuple[str, ...] = ()
    published_raw: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    declared_canonical: str | None = None
    published: datetime | None = None
    published_precision: str | None = None
    date_source: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    warnings: tuple[tuple[str, str], ...] = ()
    refused: str | None = None
    refused_message: str | None = None
    date_zone_assumed: str | None = None
    access: Mapping[str, Any] | None = None


def _require_trafilatura() -> Any:
    try:
        import trafilatura  # noqa: PLC0415 - optional extra, imported on use
    except ImportError as error:
        raise MissingExtraError.for_extra(
            "hydrating articles (extracting text from web pages)", "extract", "trafilatura"
        ) from error
    return trafilatura


# --- charset ------------------------------------------------------------------------------


def _lookup(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def _decodes(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _detected(content: bytes) -> str | None:
    """charset_normalizer's best guess, on the start and end of a large page."""
    from charset_normalizer import from_bytes  # noqa: PLC0415 - comes with the extract extra

    sample = content
    if len(content) > 2 * _DETECT_BYTES:
        sample = content[:_DETECT_BYTES] + content[-_DETECT_BYTES:]
    best = from_bytes(sample).best()
    return None if best is None else _lookup(best.encoding)


def _decode(content: bytes, declared: str | None) -> tuple[str, dict[str, str], list[str]]:
    """The page's text, how its encoding was known, and what was declared but not used.

    Returns ``(text, {"charset": …, "charset_source": …}, problems)``; ``problems``
    holds a message when bytes had to be replaced.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            how = {"charset": encoding, "charset_source": "bom"}
            rest = content[len(bom) :]
            clean = _decodes(rest, encoding)
            if clean is not None:
                return clean, how, []
            replaced = rest.decode(encoding, errors="replace")
            return (
                replaced,
                how,
                [f"bytes invalid in {encoding} (its byte order mark) were replaced"],
            )
    utf8 = _decodes(content, "utf-8")
    if utf8 is not None:
        return utf8, {"charset": "utf-8", "charset_source": "bytes"}, []
    match = _META_CHARSET.search(content[:4096])
    meta = match.group(1).decode("ascii") if match else None
    for source, name in (("header", declared), ("meta", meta), ("detected", None)):
        candidate = _detected(content) if source == "detected" else _lookup(name)
        if candidate is None:
            continue
        decoded = _decodes(content, candidate)
        if decoded is not None:
            return decoded, {"charset": candidate, "charset_source": source}, []
    fallback = _lookup(declared) or _lookup(meta) or "utf-8"
    text = content.decode(fallback, errors="replace")
    problem = f"bytes invalid in {fallback} (and in every other candidate) were replaced"
    return text, {"charset": fallback, "charset_source": "replaced"}, [problem]


# --- what the payload is ------------------------------------------------------------------


def _not_html(text: str, content: bytes | None) -> str | None:
    """What the payload is when it is not an HTML page (``None`` when it may be one)."""
    if content is not None:
        start = content[:16].lstrip().lower()
        for signature, kind in _BINARY_SIGNATURES:
            if start.startswith(signature):
                return kind
        if start.startswith(b"riff") and content[8:12] == b"WEBP":
            return "a WebP image"
    head = text[:2048].lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        try:
            json.loads(text)
        except ValueError:
            if "<" not in head[:200]:
                return "JSON-like text"
        else:
            return "a JSON document"
    if _FEED_START.match(head):
        return "a feed (XML)"
    if "\x00" in head:
        return "binary data"
    return None


# --- the tree -----------------------------------------------------------------------------


def _meta(tree: HtmlElement) -> dict[str, str]:
    """``<meta>`` values by lower-cased ``property``, ``name``, ``itemprop`` or ``http-equiv``.

    The first occurrence of a key wins, as browsers and crawlers do.
    """
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop", "http-equiv"):
            key = element.get(attribute)
            if key:
                found.setdefault(key.strip().lower(), content.strip())
    return found


def _jsonld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts (``@graph`` and lists flattened)."""
    objects: list[dict[str, Any]] = []
    budget = _JSONLD_MAX_CHARS

    def walk(value: Any, depth: int) -> None:
        if depth > _JSONLD_MAX_DEPTH:
            return
        if isinstance(value, list):
            for item in value:
                walk(item, depth + 1)
        elif isinstance(value, dict):
            objects.append(value)
            graph = value.get("@graph")
            if graph is not None:
                walk(graph, depth + 1)

    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text or ""
        budget -= len(text)
        if budget < 0:
            break
        try:
            walk(json.loads(text), 0)
        except ValueError:
            continue  # broken JSON-LD is common; the page's other metadata still counts
    return objects


def _types(value: dict[str, Any]) -> set[str]:
    declared = value.get("@type")
    if isinstance(declared, str):
        return {declared.lower()}
    if isinstance(declared, list):
        return {item.lower() for item in declared if isinstance(item, str)}
    return set()


def _date_candidates(
    tree: HtmlElement, meta: dict[str, str], jsonld: list[dict[str, Any]]
) -> list[tuple[str, str, bool]]:
    """Publication dates the page states, ``(source, raw, strong)``, most trustworthy first.

    ``strong``: stated as the article's own publication date (JSON-LD of the
    article, ``article:published_time`` and its kin, ``<time itemprop>``).
    """
    candidates: list[tuple[str, str, bool]] = []
    articles = [value for value in jsonld if _types(value) & _ARTICLE_TYPES]
    for value in [*articles, *(value for value in jsonld if value not in articles)]:
        published = value.get("datePublished")
        if isinstance(published, str) and published.strip():
            candidates.append(("jsonld", published.strip(), value in articles))
    candidates.extend(("meta", meta[key], True) for key in _DATE_META if key in meta)
    for element in tree.iter("time"):
        if (element.get("itemprop") or "").lower() == "datepublished" and element.get("datetime"):
            candidates.append(("time", element.get("datetime", "").strip(), True))
    candidates.extend(("meta", meta[key], False) for key in _WEAK_DATE_META if key in meta)
    return candidates


def _language(tree: HtmlElement, meta: dict[str, str], jsonld: list[dict[str, Any]]) -> str | None:
    lang: str = (tree.get("lang") or tree.get("xml:lang") or "").strip()
    if lang:
        return lang
    declared = meta.get("content-language", "").split(",")[0].strip()
    if declared:
        return declared
    for value in jsonld:
        in_language = value.get("inLanguage")
        if isinstance(in_language, str) and in_language.strip():
            return in_language.strip()
    locale = meta.get("og:locale", "").strip()
    return locale.replace("_", "-") if locale else None


def _declared_canonical(tree: HtmlElement, meta: dict[str, str], url: str) -> str | None:
    hrefs = [
        (element.get("href") or "").strip()
        for element in tree.iter("link")
        if "canonical" in (element.get("rel") or "").lower().split()
    ]
    for href in [*hrefs, meta.get("og:url", "").strip()]:
        if not href:
            continue
        try:
            joined: str = urljoin(url, href)
            urlsplit(joined).hostname  # noqa: B018 - raises ValueError for "http://[bad"
        except ValueError:
            continue  # an unusable declaration is skipped, never a crash
        return joined
    return None


def _authors(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(name.strip() for name in value.split(";") if name.strip())


# --- dates --------------------------------------------------------------------------------


def _local_day(parsed: ParsedDate) -> date:
    """The calendar day of ``parsed`` in the zone its source wrote it in."""
    raw = parsed.raw.strip()
    if parsed.zone != "assumed":
        with contextlib.suppress(ValueError):  # not ISO 8601: try the RFC 2822 form
            return datetime.fromisoformat(raw.replace("z", "Z")).date()
        with contextlib.suppress(TypeError, ValueError, IndexError):  # neither: the instant's day
            return email.utils.parsedate_to_datetime(raw).date()
    return parsed.instant.date()


class _Date:
    """One usable date: where it came from and what it parsed to."""

    def __init__(self, source: str, parsed: ParsedDate) -> None:
        self.source = source
        self.parsed = parsed
        self.day = _local_day(parsed)


def _choose_date(
    candidates: list[tuple[str, str, bool]], htmldate: str | None
) -> tuple[_Date | None, list[tuple[str, str]], dict[str, Any]]:
    """The page's date by the documented rule, the warnings, and extra fields.

    1. the first strong candidate that parses (the page states it as the
       article's publication date, with its time and zone) wins;
    2. else htmldate's day, refined by the first weak candidate on the same day;
    3. else the first weak candidate that parses.
    """
    warnings: list[tuple[str, str]] = []
    strong: list[_Date] = []
    weak: list[_Date] = []
    for source, raw, is_strong in candidates:
        try:
            parsed = parse_date(raw)
        except InvalidDateError as error:
            warnings.append(
                (
                    "invalid_date",
                    f"publication date {raw!r} ({source}) is unusable ({error.reason})",
                )
            )
            continue
        (strong if is_strong else weak).append(_Date(source, parsed))
    found: _Date | None = None
    if strong:
        found = strong[0]
    elif htmldate:
        try:
            found = _Date("htmldate", parse_date(htmldate))
        except InvalidDateError:  # pragma: no cover - htmldate writes YYYY-MM-DD
            found = None
        if found is not None:
            same_day = [value for value in weak if value.day == found.day]
            if same_day:
                found = same_day[0]
    elif weak:
        found = weak[0]
    extra: dict[str, Any] = {}
    if found is None:
        return None, warnings, extra
    extra["date_source"] = found.source
    extra["date_local_day"] = found.day.isoformat()
    if found.parsed.zone == "assumed" and found.parsed.precision not in ("year", "month", "day"):
        extra["date_zone_assumed"] = "UTC"
    if htmldate and found.source != "htmldate" and htmldate != found.day.isoformat():
        extra["date_rejected"] = {"source": "htmldate", "raw": htmldate}
    elif found.source == "htmldate" and weak and weak[0].day != found.day:
        extra["date_rejected"] = {"source": weak[0].source, "raw": weak[0].parsed.raw}
    # Warnings about candidates that lost to a usable date are noise; they are kept
    # only when the page ends up without one (above).
    return found, [], extra


# --- access -------------------------------------------------------------------------------


def _accessible_for_free(jsonld: list[dict[str, Any]]) -> bool | None:
    for value in jsonld:
        flag = value.get("isAccessibleForFree")
        if isinstance(flag, bool):
            return flag
        if isinstance(flag, str) and flag.strip().lower() in ("false", "true"):
            return flag.strip().lower() == "true"
    return None


def _consent_platforms(tree: HtmlElement) -> list[str]:
    """The consent-management platforms the page loads or shows."""
    places: list[str] = []
    for element in tree.iter("script", "iframe", "div", "link", "section", "aside"):
        for attribute in ("src", "id", "class", "href", "data-domain-script"):
            value = element.get(attribute)
            if value:
                places.append(value.lower())
    for script in tree.iter("script"):
        if not script.get("src") and script.text:
            places.append(script.text[:2000].lower())
    joined = "\n".join(places)
    return [name for name, markers in _CONSENT_MARKERS if any(m in joined for m in markers)]


def _login_form(tree: HtmlElement) -> bool:
    for form in tree.iter("form"):
        for field in form.iter("input"):
            if (field.get("type") or "").strip().lower() == "password":
                return True
    return False


def _looks_like_wall(segments: Sequence[str]) -> bool:
    """Short text made of notice words (cookies, consent, subscribe, sign in…)."""
    text = " ".join(segments)
    if len(text) > _WALL_MAX_CHARS:
        return False
    words = len(text.split())
    return words == 0 or len(_WALL_WORDS.findall(text)) / words >= _WALL_MIN_SHARE


def _access(
    tree: HtmlElement, jsonld: list[dict[str, Any]], segments: Sequence[str]
) -> tuple[dict[str, Any], str | None]:
    """``extra["access"]`` and the wall that makes the page no article, if any."""
    access: dict[str, Any] = {}
    free = _accessible_for_free(jsonld)
    if free is False:
        access["paywall"] = True
        access["paywall_source"] = "jsonld"
    platforms = _consent_platforms(tree)
    if platforms:
        access["consent_platforms"] = platforms
    login = _login_form(tree)
    if login:
        access["login_form"] = True
    wall = None
    if (platforms or login or free is False) and _looks_like_wall(segments):
        wall = "consent" if platforms and not login else "login" if login else "paywall"
        access["wall"] = wall
    return access, wall


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


class RepeatedText:
    """Which texts one host serves on many different pages (a wall, a stub, a
    notice without a known marker), across the pages of a run.

    :meth:`check` is given each extracted page in turn; it answers ``True`` once
    the same body text was seen on ``threshold`` different URLs of the page's host
    and that text reads like a notice (short, and made of words such as cookies,
    consent, subscribe, sign in): a real article served under several URLs is a
    duplicate for the dedup to report, not a wall.
    Memory is bounded: at most ``max_hosts`` hosts and ``per_host`` texts each,
    the least recently used forgotten first. Meant for :func:`newsingest.hydrate.hydrate`
    (one instance per run): a ``True`` page belongs in ``extra["access"]``
    (``{"repeated_text": True}``), not in the story stream.

    Args:
        threshold: distinct URLs of one host with the same text that make it repeated.
        max_hosts: hosts remembered.
        per_host: texts remembered per host.
    """

    def __init__(self, threshold: int = 3, max_hosts: int = 1024, per_host: int = 256) -> None:
        if threshold < 2:
            raise ValueError("threshold must be at least 2")
        self._threshold = threshold
        self._max_hosts = max_hosts
        self._per_host = per_host
        self._hosts: OrderedDict[str, OrderedDict[bytes, set[str]]] = OrderedDict()

    def check(self, url: str, body: Sequence[str]) -> bool:
        """Record ``body`` as served at ``url``; ``True`` when it is the host's repeated text."""
        text = "\n".join(segment.strip() for segment in body if segment.strip())
        if not text or not _looks_like_wall(body):
            return False
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()
        host = _host(url)
        texts = self._hosts.pop(host, None) or OrderedDict()
        self._hosts[host] = texts
        while len(self._hosts) > self._max_hosts:
            self._hosts.popitem(last=False)
        urls = texts.pop(digest, None) or set()
        texts[digest] = urls
        while len(texts) > self._per_host:
            texts.popitem(last=False)
        if len(urls) < self._threshold:
            urls.add(url)
        return len(urls) >= self._threshold


# --- the page -----------------------------------------------------------------------------


def _refused(reason: str, message: str, **fields: Any) -> ExtractedPage:
    return ExtractedPage(refused=reason, refused_message=message, **fields)


def extract_page(
    html: str | bytes,
    *,
    url: str,
    charset: str | None = None,
    extensive_dates: bool = True,
) -> ExtractedPage:
    """Extract an article's fields from one HTML page, offline.

    The date rule: a date the page states as the article's own publication date
    (JSON-LD ``datePublished`` of the article, ``article:published_time`` and
    similar ``<meta>``, ``<time itemprop="datePublished">``) wins, with its time and
    zone; otherwise htmldate's original publication date (a day), taken more
    precisely from a looser ``<meta>`` (``date``, ``dc.date``…) that names the same
    day; otherwise that looser date. ``extra`` says which (``date_source``), which
    zone a time without one was read in (``date_zone_assumed``), and a date the rule
    passed over (``date_rejected``).

    Access: ``extra["access"]`` holds ``paywall`` (JSON-LD ``isAccessibleForFree``
    false), ``consent_platforms`` (OneTrust, Didomi, Quantcast, Sourcepoint,
    Cookiebot… found on the page), ``login_form`` (a form with a password field),
    and ``wall`` when the extracted text is such a notice itself: then the body is
    empty and the page is ``refused`` (``consent_wall``, ``login_wall``,
    ``paywall``). A paywalled page's free part stays the body.

    Args:
        html: the page, as text or as the bytes the server sent.
        url: the URL the page was fetched from (resolves relative links).
        charset: the ``charset`` the server declared for ``bytes`` input.
        extensive_dates: let htmldate search the whole text for a date when the
            markup states none (trafilatura's own default; ``False`` is faster and
            finds fewer dates).

    Raises:
        MissingExtraError: trafilatura is not installed (``newsingest[extract]``).
    """
    trafilatura = _require_trafilatura()
    extra: dict[str, Any] = {}
    warnings: list[tuple[str, str]] = []
    if isinstance(html, bytes):
        text, how, problems = _decode(html, charset)
        extra.update(how)
        warnings.extend(("replaced_bytes", f"{url}: {problem}") for problem in problems)
    else:
        text = html
    kind = _not_html(text, html if isinstance(html, bytes) else None)
    if kind is not None:
        return _refused("not_html", f"{url} is {kind}, not an HTML page", extra=extra)
    # lxml refuses str input with an XML encoding declaration (XHTML pages), and
    # trafilatura then falls back to a broken parse: the declaration goes first.
    text = _XML_DECLARATION.sub("", text, count=1)
    tree = trafilatura.load_html(text) if text.strip() else None
    if tree is None:
        return ExtractedPage(extra=extra, warnings=tuple(warnings))
    meta = _meta(tree)
    jsonld = _jsonld_objects(tree)
    candidates = _date_candidates(tree, meta, jsonld)
    language = _language(tree, meta, jsonld)
    declared = _declared_canonical(tree, meta, url)
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%d")
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={
            "original_date": True,
            "extensive_search": extensive_dates,
            "max_date": tomorrow,
        },
    )
    title = ""
    segments: list[str] = []
    authors: tuple[str, ...] = ()
    htmldate: str | None = None
    if document is not None:
        title = (document.title or "").strip()
        authors = _authors(document.author)
        segments = [line.strip() for line in (document.text or "").split("\n") if line.strip()]
        htmldate = document.date or None
    if segments and title and segments[0] == title:
        segments = segments[1:]  # the headline is the title, not the first paragraph
    found, date_warnings, date_extra = _choose_date(candidates, htmldate)
    warnings.extend((reason, f"{url}: {message}") for reason, message in date_warnings)
    extra.update(date_extra)
    access, wall = _access(tree, jsonld, segments)
    if access:
        extra["access"] = access
        fields_access: dict[str, Any] | None = access
    else:
        fields_access = None
    fields: dict[str, Any] = {
        "title": title,
        "authors": authors,
        "language": language,
        "declared_canonical": declared,
        "extra": extra,
        "warnings": tuple(warnings),
        "access": fields_access,
    }
    if found is not None:
        fields["published_raw"] = found.parsed.raw
        fields["published"] = found.parsed.instant
        fields["published_precision"] = found.parsed.precision
        fields["date_source"] = found.source
        fields["date_zone_assumed"] = date_extra.get("date_zone_assumed")
    elif candidates:
        fields["published_raw"] = candidates[0][1]  # unusable, kept as stated
    if wall is not None:
        reason = {"consent": "consent_wall", "login": "login_wall"}.get(wall, "paywall")
        return _refused(reason, f"{url} shows a {wall} notice, not the article", **fields)
    return ExtractedPage(body=tuple(segments), **fields)


#: Media types :func:`sniff_payload` takes for HTML pages.
HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_HTML_START: Final = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml", b"<!--")


def sniff_payload(content: bytes, content_type: str | None) -> str | None:
    """What a fetched payload is when it is not an HTML page, else ``None``.

    The bytes are looked at first (a PDF or an image behind ``text/html`` is no
    page), then the declared media type; without one, the payload must start like
    HTML. JSON and feeds served as ``text/html`` are told by :func:`extract_page`.
    """
    start = content[:512].lstrip().lower()
    if start.startswith(codecs.BOM_UTF8):
        start = start[len(codecs.BOM_UTF8) :].lstrip()
    for signature, kind in _BINARY_SIGNATURES:
        if start.startswith(signature):
            return kind
    if start.startswith(b"riff") and content[8:12] == b"WEBP":
        return "a WebP image"
    if content_type is not None:
        return None if content_type in HTML_TYPES else f"a payload of type {content_type}"
    return None if start.startswith(_HTML_START) else "a payload of unknown type"
