"""URL lists: reader ``urls``.

Monitoring systems hand each other bare URLs (GDELT exports, social-media
trackers, a colleague's spreadsheet). A URL list is a text file, one URL a line::

    # exported 2024-03-01 from the tracker
    https://example.com/news/story-1
    https://www.google.com/url?q=https://example.org/story-2   # wrapped: unwrapped offline

    https://example.net/story-3

Blank lines and ``#`` comment lines are ignored, and so is a ``#`` comment
after the URL and whitespace. Surrounding whitespace is stripped. UTF-8 with or
without BOM, LF, CRLF or CR line ends; UTF-16 with a BOM (spreadsheet "Unicode
text" exports) is decoded too.

Each usable URL yields an :class:`~newsingest.model.Article` *stub*: ``url``
and provenance (file, line, item), no title or body; :func:`newsingest.hydrate`
turns stubs into full articles. A line that is not a usable absolute http(s) URL
is a :class:`~newsingest.exceptions.ParseError` naming the file and line, with
a reason code (``unsupported_scheme``, ``relative_without_base``,
``invalid_host``, ``whitespace``, ``undecodable``, ``line_too_long``, …); the
other lines still come through.

Known redirect wrappers (Google ``/url?q=``, Facebook ``l.php?u=``, the AMP
cache, …) are unwrapped here, offline: the stub's ``url`` is the target and
``extra["wrapped_url"]`` keeps the line as written. Shorteners are left alone;
fetching follows their redirects.

Sniffing: a file in which more than half of the non-blank, non-comment lines
are absolute http(s) URLs is a URL list (a list with a few typos still is one;
a seed text file with one URL among thirty lines is not).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from newsingest._unwrap import unwrap_url
from newsingest.exceptions import InvalidURLError, NewsIngestWarning, ParseError
from newsingest.model import Article, Provenance
from newsingest.normalize.urls import canonical_url
from newsingest.readers import (
    SNIFF_BYTES,
    ReaderItem,
    ReaderRegistry,
    SourceLike,
    read_whole,
)

__all__ = ["MAX_LINE_BYTES", "MAX_LIST_BYTES", "UrlListReader", "is_list_url", "register"]

#: A line longer than this is rejected without decoding (``line_too_long``).
#: Real URLs stay far below it; the URL normaliser applies its own, stricter cap.
MAX_LINE_BYTES: Final = 65_536

#: The largest URL list read (it is read whole): about a million URLs.
MAX_LIST_BYTES: Final = 64 * 1024 * 1024

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")

# An absolute http(s) URL as the sniffer counts it: scheme, a host, no whitespace.
_URL_RE: Final = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)
# A trailing comment: whitespace, then '#'. A URL fragment has no whitespace before it.
_TRAILING_COMMENT_RE: Final = re.compile(r"\s+#.*$", re.DOTALL)


def is_list_url(text: str) -> bool:
    """True when ``text`` (already stripped) looks like an absolute http(s) URL.

    This is the sniffer's cheap test; the reader itself validates with
    :func:`newsingest.normalize.urls.canonical_url`.
    """
    return bool(_URL_RE.match(text))


def clean_line(line: str) -> str:
    """The line without surrounding whitespace, stray BOMs or a trailing comment."""
    text = line.strip().lstrip("\ufeff").strip()
    if text.startswith("#"):
        return ""
    return _TRAILING_COMMENT_RE.sub("", text)


def _split_lines(data: bytes) -> list[bytes]:
    """Split on LF, CRLF or a lone CR, keeping line numbers as an editor shows them."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def _decode_head(head: bytes) -> str:
    """Decode a sniffing window for counting lines.

    Undecodable bytes become U+FFFD rather than failing the sniff: one Latin-1
    line does not make a list stop being a list (``read`` reports that line).
    """
    if head.startswith(_UTF16_BOMS):
        codec = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        body = head[2:]
        return body[: len(body) - len(body) % 2].decode(codec, errors="replace")
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    return head.decode("utf-8", errors="replace")


class UrlListReader:
    """Reader for URL lists (see the module docstring).

    Args:
        max_line_bytes: lines longer than this are rejected as ``line_too_long``.
    """

    name = "urls"
    suffixes = (".urls", ".txt", ".lst")
    url_prefixes: tuple[str, ...] = ()

    def __init__(self, *, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes

    def sniff(self, head: bytes) -> bool:
        """True when more than half of the entries in ``head`` are absolute http(s) URLs.

        Entries are the non-blank, non-comment lines. When ``head`` is a full
        sniffing window its last line may be cut short, so it is not counted.
        """
        if b"\x00" in head and not head.startswith(_UTF16_BOMS):
            return False
        text = _decode_head(head)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if len(head) >= SNIFF_BYTES and len(lines) > 1:
            lines = lines[:-1]
        entries = [entry for entry in (clean_line(line) for line in lines) if entry]
        urls = sum(1 for entry in entries if is_list_url(entry))
        return urls > 0 and urls * 2 > len(entries)

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        """Yield one stub Article per usable URL and one ParseError per unusable line."""
        yield from read_whole(self.read_data, source, MAX_LIST_BYTES)

    def read_data(self, data: bytes, name: str) -> Iterator[ReaderItem]:
        """Read a list already in memory (``name`` is its path, for errors and provenance)."""
        if data.startswith(_UTF16_BOMS):
            try:
                data = data.decode("utf-16").encode("utf-8")
            except UnicodeDecodeError as error:
                yield ParseError(
                    f"starts with a UTF-16 byte-order mark but is not valid UTF-16: {error.reason}",
                    source=name,
                    reason="undecodable",
                )
                return
        elif data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        item = 0
        feeds = 0
        for number, raw in enumerate(_split_lines(data), start=1):
            if not raw.strip():
                continue
            if len(raw) > self.max_line_bytes:
                yield ParseError(
                    f"line is {len(raw)} bytes, over the {self.max_line_bytes}-byte limit",
                    source=name,
                    line=number,
                    item=item,
                    reason="line_too_long",
                )
                item += 1
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield ParseError(
                    f"line is not valid UTF-8 ({error.reason} at byte {error.start})",
                    source=name,
                    line=number,
                    item=item,
                    reason="undecodable",
                )
                item += 1
                continue
            text = clean_line(line)
            if not text:
                continue
            feeds += _FEED_LIKE.search(text) is not None
            yield _entry(text, name, number, item)
            item += 1
        if feeds and feeds * 2 >= item:
            yield NewsIngestWarning(
                f"{feeds} of the {item} URLs look like feeds (.rss, .xml, /feed...): this "
                "list was read as pages; to poll them as feeds, give it as --feeds FILE",
                source=name,
                reason="looks_like_feeds",
            )


# A URL whose path says it is a feed: a .rss/.xml/.atom/.rdf file, or a /feed, /rss or
# /atom segment (WordPress, Blogger, most CMSs).
_FEED_LIKE: Final = re.compile(
    r"^[^?#]*?(?:\.(?:rss|xml|atom|rdf)(?=[?#]|$)|/(?:feeds?|rss|atom)(?=[/.?#]|$))",
    re.IGNORECASE,
)


def _entry(text: str, name: str, line: int, item: int) -> Article | ParseError:
    """Turn one cleaned line into a stub Article, or the ParseError saying why not."""

    def fail(message: str, reason: str, cause: Exception | None = None) -> ParseError:
        error = ParseError(message, source=name, line=line, item=item, reason=reason)
        error.__cause__ = cause
        return error

    shown = text if len(text) <= 120 else f"{text[:117]}..."
    if any(char.isspace() for char in text):
        return fail(
            f"not a URL (contains whitespace; one URL a line): {shown!r}",
            "whitespace",
        )
    problem = _unusable(text)
    if problem is not None:
        message, reason, cause = problem
        return fail(f"not a usable URL ({message}): {shown!r}", reason, cause)
    extra: dict[str, str] = {}
    url = text
    target = unwrap_url(text)
    if target is not None:
        problem = _unusable(target)
        if problem is not None:
            message, reason, cause = problem
            return fail(
                f"redirect wrapper whose target is not a usable URL ({message}): {shown!r}",
                f"wrapped_{reason}",
                cause,
            )
        url, extra["wrapped_url"] = target, text
    return Article(
        url=url,
        source=Provenance(reader="urls", location=name, line=line, item=item),
        extra=extra,
    )


def _unusable(text: str) -> tuple[str, str, Exception | None] | None:
    """Why ``text`` cannot be used as an article URL, or ``None`` when it can."""
    try:
        canonical_url(text)
    except InvalidURLError as error:
        return error.message, error.reason, error
    if not is_list_url(text):
        # The normaliser may accept forms an Article may not hold (no scheme, say).
        return "not an absolute http(s) URL", "not_absolute_http_url", None
    return None


def register(registry: ReaderRegistry) -> None:
    """Add the ``urls`` reader to ``registry`` (suffixes ``.urls``, ``.txt``, ``.lst``)."""
    registry.register(UrlListReader())
