"""The seed text format: reader ``textfile`` and its writer.

One article per file::

    line 1   title
    line 2   date, YYYYMMDD (no time, no zone)
    line 3   absolute http(s) URL
    line 4…  body, one segment (paragraph) per line

Reading is strict about the header and faithful about the body: UTF-8 with or
without BOM, LF or CRLF; segments keep their text as read (surrounding
whitespace aside, blank lines dropped, order kept). Every violation is a
:class:`~newsingest.exceptions.ParseError` naming the file and line.

File names of the form ``NNN_<16 hex>.txt`` put the ordinal and the opaque id
into provenance; they are never used as dedup keys. Any other name parses too.

What the format cannot carry (the writer refuses, or drops with ``lossy=True``):
a missing title, URL or date; a time of day or any precision finer than a day;
a title or segment containing a line break, or with surrounding whitespace; an
empty segment; and every field beyond title, date, URL and body (canonical URL,
keys, summary, authors, tags, language, extra, provenance).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import IO, Final, NamedTuple

from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.model import (
    SCHEMA_VERSION,
    Article,
    ArticleRecord,
    format_utc,
    unchecked_from_dict,
)
from newsingest.readers import (
    ReaderItem,
    ReaderRegistry,
    RecordItem,
    SourceLike,
    expand_sources,
    is_url,
    read_whole,
)

__all__ = [
    "LIMITS",
    "SeedFields",
    "SeedTextReader",
    "dumps",
    "empty_body_warning",
    "parse",
    "parse_fields",
    "register",
    "write",
]

#: What one file may cost. Exceeding any is a ParseError naming the limit.
LIMITS = {
    "file_bytes": 4 * 1024 * 1024,
    "title_chars": 2_000,
    "url_chars": 8_192,
    "segment_chars": 100_000,
    "segments": 10_000,
}

_NAME_RE = re.compile(r"^(\d+)_([0-9a-fA-F]{16})\.txt$")
_URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"
# What sniff() accepts, in one C-level match: an optional BOM (taken whole: a blank
# title after it must not pass as a title starting with the BOM's bytes), a line 1
# that is not blank, a line 2 of eight ASCII digits, and a line 3 starting with
# http:// or https://, each with surrounding ASCII whitespace allowed (as strip()).
_SNIFF = re.compile(
    rb"(?:\xef\xbb\xbf)?+[^\n]*\S[^\n]*\n[ \t\r\f\v]*[0-9]{8}[ \t\r\f\v]*\n"
    rb"[ \t\r\f\v]*(?i:https?://)"
)


@lru_cache(maxsize=1 << 16)
def _day(raw: str) -> str:
    """Midnight UTC of an 8-digit date, in the record form (cached: a corpus has few
    distinct days).

    Raises:
        ValueError: not a calendar date.
    """
    return format_utc(datetime(int(raw[:4]), int(raw[4:6]), int(raw[6:]), tzinfo=timezone.utc))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


class SeedTextReader:
    """Reader for the seed text format (see the module docstring).

    ``read`` accepts a file, a directory (recursive, sorted), a glob, raw bytes,
    or an open text or binary stream, and yields one Article per file, a
    ParseError per malformed file, and a NewsIngestWarning for an empty body.

    Its one parse yields records (:meth:`read_records`, what ``ingest()`` uses);
    the Articles of :meth:`read` and :meth:`read_data` are built from those records.
    """

    name = "textfile"
    suffixes = (".txt",)
    url_prefixes: tuple[str, ...] = ()

    def sniff(self, head: bytes) -> bool:
        """True when line 2 is eight digits and line 3 an http(s) URL."""
        return _SNIFF.match(head) is not None

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        if isinstance(source, (str, os.PathLike)) and not is_url(source):
            text = os.fspath(source)
            if os.path.isdir(text) or any(char in text for char in "*?["):  # noqa: PTH112
                for path in expand_sources(source):
                    yield from read_whole(self.read_data, path, LIMITS["file_bytes"])
                return
        yield from read_whole(self.read_data, source, LIMITS["file_bytes"])

    def read_data(self, data: bytes, name: str) -> Iterator[ReaderItem]:
        """Parse one file's bytes already in memory (``name`` is its path, for provenance)."""
        for item in self.read_records(data, name):
            yield unchecked_from_dict(item) if isinstance(item, dict) else item

    def read_records(self, data: bytes, name: str) -> list[RecordItem]:
        """Parse one file's bytes into its record (``Article.to_dict()`` layout), or its
        ParseError; an empty body's warning comes first."""
        fields = parse_fields(data, name)
        if isinstance(fields, ParseError):
            return [fields]
        if not fields.body:
            return [empty_body_warning(name), _record(fields, name)]
        return [_record(fields, name)]


def parse(data: bytes, name: str) -> Article | ParseError:
    """Parse one seed file's bytes; return the Article or the ParseError (not raised)."""
    fields = parse_fields(data, name)
    if isinstance(fields, ParseError):
        return fields
    return unchecked_from_dict(_record(fields, name))


def _record(fields: SeedFields, name: str) -> ArticleRecord:
    """The record of a parsed file."""
    # Every field was checked by parse_fields (str title, http(s) URL, a calendar
    # day, str segments): the record holds the invariants an Article checks.
    return {
        "schema_version": SCHEMA_VERSION,
        "title": fields.title,
        "url": fields.url,
        "canonical_url": None,
        "url_key": None,
        "content_key": None,
        "published": fields.published,
        "published_precision": "day",
        "published_raw": fields.raw_date,
        "body": fields.body,
        "summary": None,
        "authors": [],
        "tags": [],
        "language": None,
        "source": {
            "reader": "textfile",
            "location": name,
            "line": 1,
            "item": None,
            "feed_title": None,
            "feed_url": None,
            "entry_id": None,
            "ordinal": fields.ordinal,
            "file_id": fields.file_id,
        },
        "extra": {},
    }


def empty_body_warning(name: str) -> NewsIngestWarning:
    """The warning for a file with a header and no body (the article is still kept)."""
    return NewsIngestWarning(
        "empty body: the article has a header but no body segments",
        source=name,
        line=4,
        reason="empty_body",
    )


class SeedFields(NamedTuple):
    """What :func:`parse_fields` returns for a good file."""

    title: str
    #: line 2 as read (``YYYYMMDD``)
    raw_date: str
    #: midnight UTC of that day, in the record form (``YYYY-MM-DDT00:00:00Z``)
    published: str
    url: str
    #: the body segments, stripped, blank lines dropped, order kept
    body: list[str]
    #: the ``NNN`` and ``<16 hex>`` parts of a ``NNN_<16 hex>.txt`` file name
    ordinal: str | None
    file_id: str | None


def _fail(name: str, message: str, line: int | None, reason: str) -> ParseError:
    return ParseError(message, source=name, line=line, reason=reason)


def _too_long(name: str, label: str, length: int, limit: str, line: int) -> ParseError:
    """The error for a field over its length limit (``LIMITS[limit]``)."""
    message = f"{label} is {length} characters, over the {LIMITS[limit]} limit"
    return _fail(name, message, line, "field_too_long")


def parse_fields(data: bytes, name: str) -> SeedFields | ParseError:
    """Parse and check one seed file's bytes (see :class:`SeedFields`).

    Every violation is returned (not raised) as a ParseError naming the file and line.
    """
    text = _decoded(data, name)
    if isinstance(text, ParseError):
        return text
    lines = text.split("\n")  # one split for header and body: no copy of the body between
    header = _header(lines, name)
    if isinstance(header, ParseError):
        return header
    title, raw_date, published, url = header
    joined = _another_header(text, _third_line_end(text))
    if joined is not None:
        line = text.count("\n", 0, joined) + 1
        return _fail(
            name,
            f"line {line} starts another seed document (a title, a YYYYMMDD date, a URL): "
            "several seed files were joined into one (e.g. cat a.txt b.txt | newsingest "
            "ingest -); give each file on its own",
            line,
            "several_documents",
        )
    del lines[:3]  # the body's lines, as read
    body = _body(lines, len(text), name)
    if isinstance(body, ParseError):
        return body
    ordinal = file_id = None
    match = _NAME_RE.match(name[max(name.rfind("/"), name.rfind(os.sep)) + 1 :])
    if match:
        ordinal, file_id = match.group(1), match.group(2)
    # tuple.__new__: the NamedTuple without its Python-level constructor (per file)
    return tuple.__new__(SeedFields, (title, raw_date, published, url, body, ordinal, file_id))


# A body line followed by a YYYYMMDD line and a URL line: the header of another seed
# document. Two files run together (``cat a.txt b.txt``) would otherwise be one
# article with the second one's header in its body.
_ANOTHER_HEADER: Final = re.compile(r"\n[ \t]*(?:19|20)[0-9]{6}[ \t]*\r?\n[ \t]*(?i:https?://)")


def _another_header(text: str, start: int) -> int | None:
    """Where a line that starts another seed document begins (its title line), or
    ``None``: a date line and a URL line after a non-blank line, past ``start``."""
    for match in _ANOTHER_HEADER.finditer(text, start):
        title_end = match.start()
        title_start = text.rfind("\n", start, title_end) + 1
        if title_start > start and text[title_start:title_end].strip():
            return title_start
    return None


def _third_line_end(text: str) -> int:
    """Where the header (three lines) ends; the body is searched from there."""
    end = -1
    for _ in range(3):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end


def _decoded(data: bytes, name: str) -> str | ParseError:
    """The file's text: size, NUL bytes, BOM, UTF-8 and emptiness checked."""
    if len(data) > LIMITS["file_bytes"]:
        return _fail(
            name,
            f"file is {len(data)} bytes, over the {LIMITS['file_bytes']}-byte limit",
            None,
            "too_large",
        )
    nul = data.find(b"\x00")
    if nul != -1:
        return _fail(name, "binary data (NUL byte): not a text file", _line_of(data, nul), "binary")
    if data.startswith(_BOM):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _fail(
            name,
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})",
            _line_of(data, error.start),
            "undecodable",
        )
    if not text or text.isspace():  # not text.strip(): that copies the whole text
        return _fail(name, "empty file: expected title, date, URL and body", 1, "empty")
    return text


def _header(lines: list[str], name: str) -> tuple[str, str, str, str] | ParseError:
    """Title, raw date, its record form and URL from lines 1-3, each checked."""
    count = len(lines)
    title = lines[0].strip()
    if not title:
        return _fail(name, "line 1 must be the title, found a blank line", 1, "missing_title")
    if len(title) > LIMITS["title_chars"]:
        return _too_long(name, "title", len(title), "title_chars", 1)
    raw_date = lines[1].strip() if count > 1 else ""
    published = _date(raw_date, name)
    if isinstance(published, ParseError):
        return published
    url = lines[2].strip() if count > 2 else ""
    if not url:
        return _fail(name, "line 3 must be the article URL, found nothing", 3, "missing_url")
    if len(url) > LIMITS["url_chars"]:
        return _too_long(name, "URL", len(url), "url_chars", 3)
    if not _URL_RE.match(url):
        return _fail(
            name, f"line 3 must be an absolute http(s) URL, found {url[:80]!r}", 3, "bad_url"
        )
    return title, raw_date, published, url


def _date(raw_date: str, name: str) -> str | ParseError:
    """Line 2 checked as a calendar ``YYYYMMDD``, in the record form."""
    if not raw_date:
        return _fail(name, "line 2 must be the date as YYYYMMDD, found nothing", 2, "missing_date")
    if not (len(raw_date) == 8 and raw_date.isascii() and raw_date.isdigit()):
        return _fail(
            name,
            f"line 2 must be the date as YYYYMMDD (8 digits), found {raw_date[:40]!r}",
            2,
            "bad_date",
        )
    try:
        return _day(raw_date)
    except ValueError as error:
        return _fail(
            name, f"line 2 date {raw_date!r} is not a calendar date: {error}", 2, "bad_date"
        )


def _body(lines: list[str], text_chars: int, name: str) -> list[str] | ParseError:
    """The body segments of lines 4 on, with the segment limits checked."""
    body = list(filter(None, map(str.strip, lines)))  # no bytecode per line
    # Both limits can only be crossed by a long body: the common file skips the scans.
    if len(body) > LIMITS["segments"]:
        stripped = [line.strip() for line in lines]
        number = 4 + _index_of_nth_nonempty(stripped, LIMITS["segments"])
        return _fail(
            name, f"more than {LIMITS['segments']} body segments", number, "too_many_segments"
        )
    if (
        text_chars > LIMITS["segment_chars"]
        and body
        and max(map(len, body)) > LIMITS["segment_chars"]
    ):
        stripped = [line.strip() for line in lines]
        index = next(i for i, seg in enumerate(stripped) if len(seg) > LIMITS["segment_chars"])
        return _too_long(name, "segment", len(stripped[index]), "segment_chars", 4 + index)
    return body


def _index_of_nth_nonempty(items: list[str], n: int) -> int:
    """Index of the ``n``-th (0-based) non-empty item: where a count limit was crossed."""
    seen = -1
    for index, item in enumerate(items):
        if item:
            seen += 1
            if seen == n:
                return index
    return len(items) - 1


def _check_line(field: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError(f"{field} contains a line break, which the seed format cannot carry")
    if value != value.strip():
        raise ValueError(f"{field} has surrounding whitespace, which the seed format does not keep")
    if not value:
        raise ValueError(f"{field} is empty, which the seed format cannot carry")


def dumps(article: Article, *, lossy: bool = False) -> str:
    """Render an Article in the seed text format.

    Args:
        article: the article to write.
        lossy: drop what the format cannot carry instead of raising.

    Raises:
        ValueError: naming the field the format cannot carry (unless ``lossy``).
    """
    if article.url is None:
        raise ValueError("url is missing; the seed format requires one on line 3")
    if article.published is None:
        raise ValueError("published is missing; the seed format requires a date on line 2")
    date = article.published.strftime("%Y%m%d")
    if not lossy:
        _check_line("title", article.title)
        _check_line("url", article.url)
        if article.published != article.published.replace(
            hour=0, minute=0, second=0, microsecond=0
        ):
            raise ValueError("published has a time of day; the seed format stores days only")
        if article.published_precision != "day":
            raise ValueError(
                f"published_precision is {article.published_precision!r}; the seed format "
                "stores 'day' only"
            )
        if article.published_raw is not None and article.published_raw != date:
            raise ValueError(
                f"published_raw {article.published_raw!r} differs from the date {date!r}"
            )
        for index, segment in enumerate(article.body):
            _check_line(f"body[{index}]", segment)
        body = list(article.body)
    else:
        body = [" ".join(segment.split()) for segment in article.body]
        body = [segment for segment in body if segment]
    title = " ".join(article.title.split()) if lossy else article.title
    return "\n".join([title, date, article.url, *body]) + "\n"


def write(
    article: Article, target: str | os.PathLike[str] | IO[str], *, lossy: bool = False
) -> None:
    """Write one Article in the seed format to a path or an open text stream."""
    text = dumps(article, lossy=lossy)
    if isinstance(target, (str, os.PathLike)):
        Path(target).write_text(text, encoding="utf-8", newline="\n")
    else:
        target.write(text)


def register(registry: ReaderRegistry) -> None:
    """Register the seed text reader (the default-registry hook)."""
    registry.register(SeedTextReader())
