"""The feed reader's fast path: well-formed RSS 2.0, RSS 1.0 and Atom 1.0 read with lxml.

:func:`parse_fast` turns a document into the same mappings ``feedparser.parse``
would give the feed reader (the ``feed`` mapping and one mapping per entry, with
only the keys the reader looks at), or returns ``None`` and the reader hands the
document to feedparser as before. It answers only for what it is sure of:

* UTF-8 (declared or not, no other charset from HTTP), no DOCTYPE, well-formed
  XML by lxml's strict parser (no recovery, no entities resolved, no DTD, no
  network, no huge trees): everything else is feedparser's;
* a root ``rss`` (no namespace), ``rdf:RDF`` with the RSS 1.0 namespace, or an
  Atom 1.0 ``feed``;
* in an entry, the elements whose meaning feedparser gives it are emulated one by
  one (title, link, guid/id, the dates, description/summary/content, categories,
  authors, ``feedburner:origLink``); any other element is skipped only when
  feedparser has no handler for it (nor for anything inside it) and the key it
  would store under is one the reader never reads, or it is on a short list of
  handlers checked to touch nothing the reader reads (enclosures, media
  thumbnails...). A repeated single-valued element, markup inside a text
  field, base64 or XHTML content, an ``<source>``: feedparser's.

The emulation follows feedparser 6's rules where they shape what the reader sees:
whitespace stripped, ``xml:base`` scoping (including its habit of keeping the last
base when a parent had none), links and permalink guids resolved against it,
RSS plain text that looks like HTML typed ``text/html``, the Latin-1/UTF-8 double
decoding and the Windows-1252 remapping of C1 characters, the way an RSS author
string splits into name and email. Its helpers for URLs and the HTML guess are
feedparser's own, imported here, so the two paths cannot drift on them; the
differential test (``tests/test_feed_fastpath.py``) holds the rest.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any, Final

__all__ = ["ENABLED", "FastFeed", "parse_fast"]

#: Switch for tests: False sends every document to feedparser.
ENABLED: bool = True

_ATOM: Final = "http://www.w3.org/2005/Atom"
_RSS10: Final = "http://purl.org/rss/1.0/"
_RDF: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RSS090: Final = "http://my.netscape.com/rdf/simple/0.9/"

_BOM: Final = b"\xef\xbb\xbf"
_DECLARED_ENCODING: Final = re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES: Final = frozenset({"utf-8", "utf8"})
#: Declared encodings lxml and feedparser decode alike (single-byte tables); the
#: differential test holds them to it. Any other declaration is feedparser's.
_ENCODINGS: Final = _UTF8_NAMES | {
    "iso-8859-1",
    "latin-1",
    "latin1",
    "iso-8859-15",
    "iso-8859-2",
    "iso-8859-7",
    "windows-1251",
    "windows-1252",
    "us-ascii",
    "koi8-r",
}
_DOCTYPE: Final = re.compile(rb"<!DOCTYPE", re.IGNORECASE)

#: What the fast path borrows from feedparser (its URL joining, its HTML guess, its
#: tables), loaded with feedparser on the first document: the two paths cannot
#: drift on these. ``None`` until then.
_CP1252: Any = None
_urljoin: Any = None
make_safe_absolute_uri: Any = None
etree: Any = None
_looks_like_html: Any = None
#: feedparser's known namespaces (lower-cased URI -> the prefix it uses).
_PREFIXES: dict[str, str] = {}
#: Element names feedparser has a start or end handler for (``dc_creator``...).
_HANDLED: frozenset[str] = frozenset()
_RELATIVE: frozenset[str] = frozenset()
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})


def _load() -> bool:
    """Import feedparser's helpers and lxml (once); False when they cannot be had."""
    global _CP1252, _urljoin, make_safe_absolute_uri, etree, _looks_like_html
    global _PREFIXES, _HANDLED, _RELATIVE, ENABLED
    if etree is not None:
        return True
    try:
        from feedparser.html import _cp1252  # noqa: PLC0415 - heavy, deferred to first read
        from feedparser.mixin import _FeedParserMixin  # noqa: PLC0415
        from feedparser.urls import _urljoin as urljoin  # noqa: PLC0415
        from feedparser.urls import make_safe_absolute_uri as safe_uri  # noqa: PLC0415
        from lxml import etree as lxml_etree  # noqa: PLC0415
    except ImportError:  # pragma: no cover - an incompatible feedparser or no lxml
        ENABLED = False
        return False
    _CP1252, _urljoin, make_safe_absolute_uri = _cp1252, urljoin, safe_uri
    _looks_like_html = _FeedParserMixin.looks_like_html
    _PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
    _HANDLED = frozenset(
        name.split("_", 2)[2] if name.startswith("_start_") else name[len("_end_") :]
        for name in dir(_FeedParserMixin)
        if name.startswith(("_start_", "_end_"))
    )
    _RELATIVE = frozenset(_FeedParserMixin.can_be_relative_uri)
    etree = lxml_etree
    return True


#: Keys of an entry mapping the reader reads; an unhandled element stored under one
#: of these names would change an Article, so it is never skipped.
_ENTRY_KEYS: Final = frozenset(
    {
        "title", "title_detail", "link", "links", "id", "guidislink", "published",
        "updated", "created", "content", "summary", "summary_detail", "authors",
        "author", "tags", "feedburner_origlink", "pheedo_origlink",
    }
)  # fmt: skip
#: Keys of the feed mapping the reader reads.
_FEED_KEYS: Final = frozenset(
    {"title", "title_detail", "language", "authors", "links", "ttl", "sy_updateperiod",
     "sy_updatefrequency", "entries"}
)  # fmt: skip

#: Handlers checked to store nothing under the keys above, in an entry.
_ENTRY_HARMLESS: Final = frozenset(
    {
        "enclosure", "comments", "media_content", "media_thumbnail", "media_player",
        "media_credit", "media_rating", "media_restriction", "media_license",
        "itunes_image", "itunes_explicit", "itunes_block", "itunes_subtitle",
        "wfw_commentrss", "wfw_comment", "rights", "copyright", "dc_rights",
        "dcterms_valid", "expirationdate", "language", "dc_language",
    }
)  # fmt: skip
#: Handlers checked to store nothing under the feed keys above, at feed level.
_FEED_HARMLESS: Final = frozenset(
    {
        "description", "subtitle", "tagline", "rights", "copyright", "dc_rights",
        "generator", "docs", "pubdate", "published", "issued", "lastbuilddate", "updated",
        "modified", "dc_date", "dcterms_modified", "dcterms_issued", "category",
        "dc_subject", "cloud", "webmaster", "dc_publisher", "id", "icon", "logo",
        "itunes_image", "itunes_explicit", "itunes_block", "itunes_subtitle",
        "itunes_category", "itunes_keywords", "itunes_summary", "media_thumbnail",
        "media_content", "media_rating", "media_credit", "media_category",
        "media_keywords", "media_restriction", "media_license", "info",
        "feedburner_browserfriendly", "expirationdate", "guid",
    }
)  # fmt: skip
#: Feed-level handlers harmless in RSS only (they fill the feed's authors, which the
#: reader uses for Atom feeds alone).
_RSS_FEED_HARMLESS: Final = frozenset(
    {
        "managingeditor",
        "author",
        "dc_creator",
        "dc_author",
        "itunes_author",
        "itunes_owner",
        "itunes_name",
        "itunes_email",
    }
)
#: What ``<image>`` and ``<textinput>`` may hold at feed level (their handlers keep
#: it in their own mapping).
_BOX_CHILDREN: Final = frozenset({"title", "url", "link", "width", "height", "description", "name"})

_PUBLISHED: Final = frozenset({"pubdate", "published", "issued", "dcterms_issued"})
_UPDATED: Final = frozenset({"updated", "modified", "dc_date", "dcterms_modified", "lastbuilddate"})
_CREATED: Final = frozenset({"created", "dcterms_created"})
#: Date elements and the key feedparser keeps each under.
_DATE_KEYS: Final = {
    **dict.fromkeys(_PUBLISHED, "published"),
    **dict.fromkeys(_UPDATED, "updated"),
    **dict.fromkeys(_CREATED, "created"),
}
_AUTHOR: Final = frozenset({"author", "dc_creator", "dc_author", "itunes_author"})
_CATEGORY: Final = frozenset({"category", "dc_subject"})

# An RSS author string's email, as feedparser finds it.
_EMAIL: Final = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
_CHARREF_LIKE: Final = re.compile(r"&([A-Za-z0-9_]+);")
#: The C1 control characters (U+0080-U+009F), the only ones feedparser's cp1252 table maps.
_C1: Final = re.compile("[\x80-\x9f]")


# Raised when a document is feedparser's: it then goes to the feedparser path. A
# built-in class, since every exception class of ours lives in exceptions.py; any
# other ValueError inside the fast path falls back to feedparser too, the safe way.
_Fallback = ValueError


class FastFeed:
    """What :func:`parse_fast` read: feedparser-shaped mappings for the reader."""

    __slots__ = ("entries", "feed", "version")

    def __init__(self, version: str, feed: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        self.version = version
        self.feed = feed
        self.entries = entries

    def get(self, key: str, default: Any = None) -> Any:
        """The ``feedparser.parse`` result's keys the reader reads."""
        if key == "version":
            return self.version
        if key == "feed":
            return self.feed
        if key == "entries":
            return self.entries
        return default


def parse_fast(data: bytes, charset: str | None) -> FastFeed | None:
    """The document read by the fast path, or ``None``: hand it to feedparser."""
    if not ENABLED or not _load():
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return None
    declared = _DECLARED_ENCODING.match(data[3:] if data.startswith(_BOM) else data)
    encoding = "utf-8" if declared is None else declared.group(1).decode("latin-1").lower()
    if encoding not in _ENCODINGS or (data.startswith(_BOM) and encoding not in _UTF8_NAMES):
        return None
    if charset is not None and charset.strip().lower() != encoding:
        return None  # feedparser goes by the HTTP charset, lxml by the declaration
    if _DOCTYPE.search(data):
        return None
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        recover=False,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    try:
        return _Walker().document(root)
    except (_Fallback, RecursionError):
        return None


def _fix(text: str) -> str:
    """feedparser's last touches on a text value: undo Latin-1 read UTF-8, map C1 to cp1252."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    # str.translate with a mapping visits every character in Python's slow path; the
    # table maps only C1 characters, so a text without one is returned as it is.
    return text.translate(_CP1252) if _C1.search(text) else text


def _attributes(element: Any) -> dict[str, str]:
    """An element's attributes keyed and cased as feedparser's strict parser keys them."""
    result: dict[str, str] = {}
    for key, value in element.attrib.items():
        if key.startswith("{"):
            uri, _, local = key[1:].partition("}")
            prefix = _PREFIXES.get(uri.lower(), "")
            if not prefix:
                # feedparser keys it by its local name (and by its qname, never read).
                if local.lower() in _READ_ATTRIBUTES:
                    raise _Fallback
                name = local.lower()
            else:
                name = f"{prefix}:{local}".lower()
        else:
            name = key.lower()
        result[name] = value.lower() if name in ("rel", "type") else value
    return result


class _Walker:
    """One document's walk, with feedparser's base-URI and language bookkeeping."""

    def __init__(self) -> None:
        self.base = ""
        self.lang: str | None = None
        self.bases: list[str] = []
        self.langs: list[str | None] = []
        self.atom = False
        self.media_title = False
        self.has_content = False  # feedparser's hasContent: decides a second summary's role

    # -- names and scopes ------------------------------------------------------------

    def name(self, element: Any) -> str | None:
        """feedparser's name for an element (``title``, ``dc_creator``), None for a comment."""
        tag = element.tag
        if not isinstance(tag, str):
            return None
        if not tag.startswith("{"):
            return tag.lower()
        uri, _, local = tag[1:].partition("}")
        lowered = uri.lower()
        if "backend.userland.com/rss" in lowered:
            return local.lower()
        prefix = _PREFIXES.get(lowered)
        if prefix is None:
            prefix = element.prefix  # feedparser goes by the document's prefix
            if not prefix:
                raise _Fallback  # an unknown default namespace
        return f"{prefix}_{local}".lower() if prefix else local.lower()

    def enter(self, attrs: dict[str, str], tag: str = "") -> None:
        given = attrs.get("xml:base", attrs.get("base")) or self.base
        if not given:
            pass  # no base anywhere yet: joining "" onto "" leaves ""
        elif self.base:
            self.base = make_safe_absolute_uri(self.base, given) or self.base
        else:
            self.base = _urljoin(self.base, given)
        lang = attrs.get("xml:lang", attrs.get("lang"))
        if lang == "":
            lang = None
        elif lang is None:
            lang = self.lang
        self.lang = lang
        self.bases.append(self.base)
        self.langs.append(lang)

    def leave(self) -> None:
        self.bases.pop()
        if self.bases and self.bases[-1]:
            self.base = self.bases[-1]
        self.langs.pop()
        if self.langs:
            self.lang = self.langs[-1]

    def skip(self, element: Any, allowed: Callable[[str], bool]) -> None:
        """Walk an element feedparser stores nothing from that we read (or fall back)."""
        name = self.name(element)
        if name is None:
            return
        if not allowed(name):
            raise _Fallback
        self.enter(_attributes(element))
        for child in element:
            self.skip(child, allowed)
        self.leave()

    def skip_box(self, element: Any) -> None:
        """Walk an ``<image>`` or ``<textinput>``: their handlers keep what is inside."""
        self.enter(_attributes(element))
        for child in element:
            self.skip(child, _BOX_CHILDREN.__contains__)
        self.leave()

    # -- the document ----------------------------------------------------------------

    def document(self, root: Any) -> FastFeed:
        tag = root.tag
        feed: dict[str, Any] = {}
        entries: list[dict[str, Any]] = []
        attrs = _attributes(root)
        self.enter(attrs)
        if tag == "rss":
            version = attrs.get("version", "")
            version = _RSS_VERSIONS.get(version) or ("rss20" if version.startswith("2.") else "rss")
            self.rss(root, feed, entries)
        elif tag == f"{{{_RDF}}}RDF":
            version = "rss10"
            self.rdf(root, feed, entries)
        elif tag == f"{{{_ATOM}}}feed":
            version = "atom10"
            self.atom_feed(root, feed, entries)
        else:
            raise _Fallback
        return FastFeed(version, feed, entries)

    def channel(self, channel: Any) -> None:
        attrs = _attributes(channel)
        if "lastmod" in attrs or "href" in attrs:
            raise _Fallback  # feedparser's CDF attributes
        self.enter(attrs)

    def rss(self, root: Any, feed: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        if self.lang:
            feed["language"] = self.lang.replace("_", "-")
        channels = [child for child in root if self.name(child) is not None]
        if len(channels) != 1 or self.name(channels[0]) != "channel":
            raise _Fallback
        self.channel(channels[0])
        for child in channels[0]:
            self.feed_child(child, feed, entries)
        self.leave()

    def rdf(self, root: Any, feed: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        uris = {uri.lower() for uri in root.nsmap.values()}
        # feedparser names the version after the first of these namespaces it meets.
        if _ATOM.lower() in uris or _RSS090 in uris or _RSS10 not in uris:
            raise _Fallback
        for child in root:
            name = self.name(child)
            if name == "channel":
                self.channel(child)
                for grandchild in child:
                    if self.name(grandchild) == "items":
                        self.skip(grandchild, _rdf_items)
                    else:
                        self.feed_child(grandchild, feed, entries)
                self.leave()
            elif name == "item":
                entries.append(self.entry(child))
            elif name in ("image", "textinput"):
                self.skip_box(child)
            elif name is not None:
                raise _Fallback

    def atom_feed(self, root: Any, feed: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        uris = {uri.lower() for uri in root.nsmap.values()}
        if _RSS10 in uris or _RSS090 in uris:
            raise _Fallback
        self.atom = True
        if self.lang:
            feed["language"] = self.lang.replace("_", "-")
        for child in root:
            self.feed_child(child, feed, entries)

    def feed_child(self, element: Any, feed: dict[str, Any], entries: list[dict[str, Any]]) -> None:
        name = self.name(element)
        if name is None:
            return
        if name in ("item", "entry"):
            if (name == "entry") != self.atom:
                raise _Fallback
            entries.append(self.entry(element))
            return
        if name in ("title", "dc_title"):
            _once(feed, "title!")
            self.text_field(element, feed, "title", "text/plain")
            return
        if name in ("language", "dc_language"):
            attrs = _attributes(element)
            self.enter(attrs)
            feed["language"] = _fix(self.plain(element).strip())
            self.leave()
            return
        if name == "link":
            self.link(element, feed, in_entry=False)
            return
        if name in ("ttl", "sy_updateperiod", "sy_updatefrequency"):
            self.generic(element, feed, name)
            return
        if name in ("image", "textinput"):
            self.skip_box(element)
            return
        if self.atom and name == "author":
            self.author(element, feed)
            return
        if name in ("description", "itunes_summary") and "summary!" in feed:
            # feedparser takes it for the feed's content and remembers it had content,
            # which changes how the next entry's summaries are read.
            self.has_content = True
        if name == "itunes_summary":
            feed["summary!"] = True
        self.skip(element, self.feed_allowed)

    def feed_allowed(self, name: str) -> bool:
        if name in _FEED_HARMLESS or (not self.atom and name in _RSS_FEED_HARMLESS):
            return True
        if name in ("name", "email", "uri", "url", "homepage"):
            return True  # inside an author, owner or publisher: kept in their own mapping
        return name not in _HANDLED and name not in _FEED_KEYS

    def entry_allowed(self, name: str) -> bool:
        if name in _ENTRY_HARMLESS:
            return True
        if name == "media_title":
            # Never the entry's title while the entry has a non-empty one of its own
            # (feedparser keeps the shallowest title); checked when the entry ends.
            self.media_title = True
            return True
        return name not in _HANDLED and name not in _ENTRY_KEYS

    # -- one entry -------------------------------------------------------------------

    def entry(self, element: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        attrs = _attributes(element)
        if "lastmod" in attrs or "href" in attrs:
            raise _Fallback
        about = attrs.get("rdf:about")
        if about:
            entry["id"] = about
        self.enter(attrs)
        self.media_title = False
        for child in element:
            self.entry_child(child, entry)
        self.leave()
        if self.media_title and not entry.get("title"):
            raise _Fallback
        self.has_content = False  # feedparser forgets it at the end of an entry
        return entry

    def entry_child(self, element: Any, entry: dict[str, Any]) -> None:
        name = self.name(element)
        if name is None:
            return
        if name in ("title", "dc_title"):
            _once(entry, "title!")
            self.text_field(element, entry, "title", "text/plain")
        elif name == "link":
            self.link(element, entry, in_entry=True)
        elif name in ("guid", "id"):
            _once(entry, "id!")
            self.guid(element, entry)
        elif name in ("description", "summary", "itunes_summary"):
            if "summary" in entry and not self.has_content:
                # feedparser: a second summary, before any content, is the content.
                self.content(element, entry, "text/plain")
            else:
                default = "text/html" if name == "description" else "text/plain"
                self.text_field(element, entry, "summary", default)
        elif name in ("content_encoded", "content"):
            if name == "content" and not self.atom:
                raise _Fallback
            self.content(element, entry, "text/html" if name == "content_encoded" else "text/plain")
        elif name in _DATE_KEYS:
            self.date(element, entry, _DATE_KEYS[name])
        elif name in _CATEGORY:
            self.category(element, entry)
        elif name == "itunes_keywords":
            self.keywords(element, entry)
        elif name in _AUTHOR:
            self.author(element, entry)
        elif name in ("feedburner_origlink", "pheedo_origlink"):
            _once(entry, name + "!")
            self.generic(element, entry, name)
        else:
            self.skip(element, self.entry_allowed)

    # -- fields ----------------------------------------------------------------------

    @staticmethod
    def plain(element: Any) -> str:
        """An element's text; markup, comments or PIs inside it are feedparser's."""
        if len(element):
            raise _Fallback
        return element.text or ""

    def text_field(self, element: Any, context: dict[str, Any], key: str, default: str) -> None:
        """A text construct (title, description, summary) as feedparser stores it."""
        attrs = _attributes(element)
        self.enter(attrs)
        detail = self.detail(attrs, default)
        value = _fix(self.typed(self.plain(element).strip(), detail))
        context[key] = value
        detail["value"] = value
        context[key + "_detail"] = detail
        self.leave()

    def detail(self, attrs: dict[str, str], default: str) -> dict[str, Any]:
        content_type = _content_type(attrs.get("type", default))
        if attrs.get("mode") == "base64" or content_type == "application/xhtml+xml":
            raise _Fallback
        if not (content_type.startswith("text/") or content_type.endswith(("+xml", "/xml"))):
            raise _Fallback  # base64 content
        if "src" in attrs:
            raise _Fallback
        lang = self.lang.replace("_", "-") if self.lang else self.lang
        return {"type": content_type, "language": lang, "base": self.base}

    def typed(self, value: str, detail: dict[str, Any]) -> str:
        if not self.atom and detail["type"] == "text/plain" and _looks_like_html(value):
            detail["type"] = "text/html"
        return value

    def content(self, element: Any, entry: dict[str, Any], default: str) -> None:
        attrs = _attributes(element)
        self.enter(attrs)
        detail = self.detail(attrs, default)
        value = _fix(self.typed(self.plain(element).strip(), detail))
        detail["value"] = value
        self.has_content = True
        entry.setdefault("content", []).append(detail)
        if detail["type"] in _HTML_TYPES or detail["type"] == "text/plain":
            entry.setdefault("summary", value)
        self.leave()

    def link(self, element: Any, context: dict[str, Any], *, in_entry: bool) -> None:
        attrs = _attributes(element)
        self.enter(attrs)
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs.pop("url", None)
            attrs.pop("uri", None)
            attrs["href"] = href
        if "href" in attrs:
            attrs["href"] = _urljoin(self.base or "", attrs["href"])
        links = context.setdefault("links", [])
        links.append(attrs)
        if "href" in attrs:
            if len(element):
                raise _Fallback
            if attrs["rel"] == "alternate" and _content_type(attrs["type"]) in _HTML_TYPES:
                context["link"] = attrs["href"]
        else:
            text = self.plain(element).strip()
            if text:
                text = _urljoin(self.base or "", text)
            text = _fix(text)
            if in_entry:
                text = _CHARREF_LIKE.sub(r"&\g<1>", text.replace("&amp;", "&"))
                context["link"] = text
                if text:
                    links[-1]["href"] = text
            else:
                text = _CHARREF_LIKE.sub(r"&\g<1>", text)
                context["link"] = text
                links[-1]["href"] = text
        self.leave()

    def guid(self, element: Any, entry: dict[str, Any]) -> None:
        attrs = _attributes(element)
        self.enter(attrs)
        permalink = attrs.get("ispermalink", "true") == "true"
        value = self.plain(element).strip()
        if value and permalink:
            value = _urljoin(self.base or "", value)
        value = _fix(value)
        entry["id"] = value
        entry.setdefault("guidislink", permalink and "link" not in entry)
        if permalink:
            entry.setdefault("link", value)
        self.leave()

    def date(self, element: Any, entry: dict[str, Any], key: str) -> None:
        _once(entry, key + "!")
        self.generic(element, entry, key, handled=True)

    def generic(
        self, element: Any, context: dict[str, Any], key: str, *, handled: bool = False
    ) -> None:
        """An element feedparser pops as text and stores under ``key`` (``handled``: by a
        handler of its own; else by its default, which keeps attributes instead)."""
        attrs = _attributes(element)
        if attrs and not handled:
            raise _Fallback
        self.enter(attrs)
        value = self.plain(element).strip()
        if key in _RELATIVE and value:
            value = _urljoin(self.base or "", value)
        context[key] = _fix(value)
        self.leave()

    def category(self, element: Any, entry: dict[str, Any]) -> None:
        attrs = _attributes(element)
        self.enter(attrs)
        tags = entry.setdefault("tags", [])
        _add_tag(
            tags, attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label")
        )
        value = _fix(self.plain(element).strip())
        if value:
            if tags and not tags[-1]["term"]:
                tags[-1]["term"] = value
            else:
                _add_tag(tags, value, None, None)
        self.leave()

    def keywords(self, element: Any, entry: dict[str, Any]) -> None:
        """``itunes:keywords``: comma-separated tags, as feedparser adds them."""
        attrs = _attributes(element)
        if attrs:
            raise _Fallback  # feedparser keeps the attributes and fails on the text
        self.enter(attrs)
        tags = entry.setdefault("tags", [])
        for term in _fix(self.plain(element).strip()).split(","):
            if term.strip():
                _add_tag(tags, term.strip(), "http://www.itunes.com/", None)
        self.leave()

    def author(self, element: Any, context: dict[str, Any]) -> None:
        attrs = _attributes(element)
        self.enter(attrs)
        authors = context.setdefault("authors", [])
        detail: dict[str, str] = {}
        authors.append(detail)
        children = [child for child in element if self.name(child) is not None]
        if len(children) != len(element):
            raise _Fallback  # a comment or PI among the parts
        if children:
            if (element.text or "").strip() or any((c.tail or "").strip() for c in children):
                raise _Fallback
            seen: set[str] = set()
            for child in children:
                part = self.name(child) or ""
                if part not in ("name", "email", "uri", "url", "homepage") or part in seen:
                    raise _Fallback
                seen.add(part)
                self.enter(_attributes(child))
                text = self.plain(child).strip()
                if part in ("name", "email"):
                    detail[part] = text  # an address (uri) is not read
                self.leave()
            if not detail.get("name"):
                raise _Fallback  # feedparser would fill it from the previous author
            name, email = detail.get("name"), detail.get("email")
            context["author"] = f"{name} ({email})" if email else name
        else:
            text = _fix(self.plain(element).strip())
            context["author"] = text
            _split_author(text, detail)
        self.leave()


_RSS_VERSIONS: Final = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}


#: Attribute names the fast path reads (an unknown namespace's ``x:type`` would be one).
_READ_ATTRIBUTES: Final = frozenset(
    {
        "type", "rel", "href", "url", "uri", "term", "scheme", "domain", "label",
        "ispermalink", "mode", "src", "base", "lang", "version", "lastmod",
    }
)  # fmt: skip


def _rdf_items(name: str) -> bool:
    return name in ("items", "rdf_seq", "rdf_li", "rdf_bag")


def _once(context: dict[str, Any], marker: str) -> None:
    """A single-valued element seen twice in one mapping: feedparser's order rules apply."""
    if marker in context:
        raise _Fallback
    context[marker] = True


def _content_type(value: str) -> str:
    value = value.lower()
    if value in ("text", "plain"):
        return "text/plain"
    if value == "html":
        return "text/html"
    if value == "xhtml":
        return "application/xhtml+xml"
    return value


def _add_tag(tags: list[dict[str, Any]], term: Any, scheme: Any, label: Any) -> None:
    if not (term or scheme or label):
        return
    tag = {"term": term, "scheme": scheme, "label": label}
    if tag not in tags:
        tags.append(tag)


def _split_author(text: str, detail: dict[str, str]) -> None:
    """An RSS author string into name and email, as feedparser splits it."""
    if not text:
        return
    author, email = text, None
    match = _EMAIL.search(author)
    if match:
        email = match.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "")
        author = author.replace("&lt;&gt;", "").strip()
        if author.startswith("("):
            author = author[1:]
        if author.endswith(")"):
            author = author[:-1]
        author = author.strip()
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email
