"""WARC files: the records of a file (or of a byte range of one), and random access back.

The WARC reader (:mod:`newsingest.readers.warc`) streams records with :func:`scan`;
an Article it made says where its record is (``extra["warc"]``: path, offset,
length, ``WARC-Record-ID``, ``WARC-Date``, target URI), and :func:`read_record`
reads that record again from the offset alone::

    record = read_record(article.extra["warc"]["path"], article.extra["warc"]["offset"])

Records are parsed by warcio (``pip install 'newsingest[warc]'``), imported on use.
A gzipped WARC must be compressed a record per gzip member, as WARC writers do (the
offsets of such a file are the offsets of its members).

A file is read in **parts** (:func:`split_points`): byte ranges, each holding the
records that *start* in it. In an uncompressed WARC the part starts are exact
record starts, found by hopping from one record header to the next; in a gzipped
one they are even cuts, and the reader of a part moves forward to the first
gzip member that decompresses to a WARC header (:func:`find_record`): the reader
of the part before stops at that same record, so every record is read once.
The same search steps over a corrupt or truncated record to the next good one.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import IO, Any, Final

import attrs

from newsingest.exceptions import MissingExtraError, ParseError, SourceNotFoundError

__all__ = [
    "DEFAULT_PART_BYTES",
    "MAX_RECORD_BYTES",
    "Damaged",
    "Found",
    "WarcRecord",
    "find_record",
    "is_warc",
    "parse_warc_date",
    "read_payload",
    "read_record",
    "scan",
    "split_points",
]

#: Most payload bytes read of one record (a larger one is rejected, ``too_large``).
MAX_RECORD_BYTES: Final = 16 << 20
#: Size of one part of a large WARC: what one ``-j`` chunk or Dask partition reads.
DEFAULT_PART_BYTES: Final = 64 << 20

_GZIP: Final = b"\x1f\x8b"
_GZIP_MEMBER: Final = b"\x1f\x8b\x08"
_PLAIN_RECORD: Final = b"WARC/1."
#: Bytes read at once while searching for the next record.
_SEARCH_BYTES: Final = 1 << 20
#: Longest WARC header block looked at when checking or hopping over a record.
_HEADER_BYTES: Final = 64 << 10
_CONTENT_LENGTH: Final = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")
_WARC_DATE: Final = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?(Z|[+-]00:?00)?"
)


def archive_iterator() -> Any:
    """warcio's ``ArchiveIterator`` class.

    Raises:
        MissingExtraError: warcio is not installed (``newsingest[warc]``).
    """
    try:
        from warcio.archiveiterator import ArchiveIterator  # noqa: PLC0415 - optional extra
    except ImportError as error:
        raise MissingExtraError.for_extra("reading WARC files", "warc", "warcio") from error
    return ArchiveIterator


def is_warc(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) starts a WARC, gzipped or not."""
    if head.startswith(_GZIP):
        try:
            head = zlib.decompressobj(31).decompress(head, 64)
        except zlib.error:
            return False
    return head.startswith(_PLAIN_RECORD)


def parse_warc_date(text: str | None) -> datetime | None:
    """A ``WARC-Date`` (or a ``YYYY-MM-DD[THH:MM[:SS]]`` filter bound) as an aware UTC
    datetime; ``None`` when it is not one. A value without a zone is taken as UTC,
    as WARC dates are."""
    if not text:
        return None
    match = _WARC_DATE.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None


def _looks_like_record(handle: IO[bytes], at: int, gzipped: bool) -> bool:
    """True when a WARC record starts at byte ``at``."""
    if not gzipped and at > 0:
        handle.seek(at - 1)
        if handle.read(1) != b"\n":
            return False  # a record starts a line
    handle.seek(at)
    head = handle.read(_HEADER_BYTES)
    if gzipped:
        try:
            head = zlib.decompressobj(31).decompress(head, 4096)
        except zlib.error:
            return False
        return head.startswith(_PLAIN_RECORD)
    if not head.startswith((b"WARC/1.0\r\n", b"WARC/1.1\r\n")):
        return False
    end = head.find(b"\r\n\r\n")
    return end > 0 and _CONTENT_LENGTH.search(head, 0, end + 2) is not None


def find_record(handle: IO[bytes], start: int, gzipped: bool) -> int | None:
    """The offset of the first record that starts at or after ``start``; ``None`` when
    the rest of the file holds none. A candidate (a gzip member header, or a
    ``WARC/1.x`` line) counts only when a WARC header really starts there."""
    marker = _GZIP_MEMBER if gzipped else _PLAIN_RECORD
    keep = len(marker) - 1
    base = start  # the file offset of data[0]
    handle.seek(start)
    data = handle.read(_SEARCH_BYTES)
    while data:
        at = data.find(marker)
        while at >= 0:
            if _looks_like_record(handle, base + at, gzipped):
                return base + at
            at = data.find(marker, at + 1)
        if len(data) <= keep:
            return None
        handle.seek(base + len(data))
        more = handle.read(_SEARCH_BYTES)
        if not more:
            return None
        base += len(data) - keep
        data = data[-keep:] + more
    return None


def split_points(path: str | os.PathLike[str], part_bytes: int) -> list[int]:
    """Where the parts of the WARC at ``path`` start (the first is 0); one part for a
    file of up to ``part_bytes``. Exact record starts in an uncompressed WARC; even
    cuts in a gzipped one (its readers move to the next record, see the module)."""
    size = os.stat(path).st_size  # noqa: PTH116 - a str or PathLike path
    if size <= part_bytes:
        return [0]
    with open(path, "rb") as handle:  # noqa: PTH123 - a str or PathLike path
        if handle.read(2) == _GZIP:
            return list(range(0, size, part_bytes))
        return _hop(handle, size, part_bytes)


def _hop(handle: IO[bytes], size: int, part_bytes: int) -> list[int]:
    """Record starts about ``part_bytes`` apart in an uncompressed WARC, found by
    reading each header's ``Content-Length``; a header that cannot be read ends the
    splitting (the rest is one part, read record by record)."""
    starts = [0]
    position = 0
    cut = part_bytes
    while position < size:
        handle.seek(position)
        head = handle.read(_HEADER_BYTES)
        end = head.find(b"\r\n\r\n")
        length = _CONTENT_LENGTH.search(head, 0, end + 2) if end > 0 else None
        if not head.startswith(_PLAIN_RECORD) or length is None:
            break
        position += end + 4 + int(length[1])
        handle.seek(position)
        gap = handle.read(8)
        position += len(gap) - len(gap.lstrip(b"\r\n"))
        if cut <= position < size:
            starts.append(position)
            cut = position + part_bytes
    return starts


@attrs.define(slots=True)
class Found:
    """One record met by :func:`scan`; the caller may read its payload, then
    :meth:`finish` it (the scan does, when the caller did not)."""

    offset: int
    #: warcio's record (``rec_type``, ``rec_headers``, ``http_headers``, streams)
    record: Any
    iterator: Any = attrs.field(repr=False)
    #: the record's length in the file, known once it is finished
    length: int | None = None
    #: the file ended inside the record
    truncated: bool = False
    #: the caller already reported what is wrong with it
    reported: bool = False
    #: what went wrong while the caller read it (the scan then moves on past it)
    error: BaseException | None = None

    def finish(self) -> None:
        """Read the rest of the record: its length and whether it is whole are known."""
        if self.length is None:
            self.iterator.read_to_end()
            self.length = int(self.iterator.get_record_length())
            # What of the record's Content-Length was never there to read.
            self.truncated = getattr(self.record.raw_stream, "limit", 0) > 0


@attrs.frozen
class Damaged:
    """A record :func:`scan` could not read: where it starts and why."""

    offset: int
    #: ``warc_truncated`` (the file ends inside it) or ``warc_corrupt``
    reason: str
    message: str


def scan(handle: IO[bytes], *, start: int = 0, end: int | None = None) -> Iterator[Found | Damaged]:
    """The records that start in ``[start, end)`` of an open WARC, in file order.

    A record that cannot be read is a :class:`Damaged` and the scan goes on at the
    next record after it; memory stays flat (one record at a time).

    Raises:
        MissingExtraError: warcio is not installed.
    """
    iterator_class = archive_iterator()
    handle.seek(0)
    gzipped = handle.read(2) == _GZIP
    position = find_record(handle, start, gzipped) if start > 0 else start
    while position is not None and (end is None or position < end):
        handle.seek(position)
        iterator = iterator_class(handle)
        found: Found | None = None
        try:
            for record in iterator:
                offset = int(iterator.offset)
                if end is not None and offset >= end:
                    return
                found = Found(offset, record, iterator)
                _check_header(record)
                yield found
                if found.error is not None:
                    raise found.error
                found.finish()
                if found.truncated and not found.reported:
                    yield Damaged(offset, "warc_truncated", _truncated(found))
                found = None
            tail = int(iterator.offset)  # where reading stopped: the end, or a cut-off header
            handle.seek(tail)
            if (end is None or tail < end) and handle.read(1):
                yield Damaged(tail, "warc_truncated", "the file ends inside the record's header")
            return
        except Exception as error:
            failed = found.offset if found is not None else int(iterator.offset)
            problem = error
        yield Damaged(failed, "warc_corrupt", f"unreadable record: {_describe(problem)}")
        position = find_record(handle, failed + 1, gzipped)


def _check_header(record: Any) -> None:
    """Refuse a record whose header gives no usable ``Content-Length``."""
    length = record.rec_headers.get_header("Content-Length")
    if length is None or not length.strip().isdigit():
        raise ValueError(f"no valid Content-Length (got {length!r})")


def _describe(error: BaseException) -> str:
    """The error in one short printable line (warcio quotes the bytes it met)."""
    text = "".join(char if char.isprintable() else "?" for char in " ".join(str(error).split()))
    text = text[:120]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _truncated(found: Found) -> str:
    declared = found.record.rec_headers.get_header("Content-Length")
    return f"the file ends inside the record (Content-Length {declared})"


def read_payload(found: Found, max_bytes: int) -> bytes | None:
    """The record's payload (an HTTP record's body, decoded of its transfer and
    content codings; any other record's block); ``None`` when over ``max_bytes``."""
    stream = found.record.content_stream()
    parts = []
    size = 0
    while True:
        part = stream.read(min(1 << 20, max_bytes + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
        if size > max_bytes:
            return None
    return b"".join(parts)


@attrs.frozen(kw_only=True)
class WarcRecord:
    """One WARC record as :func:`read_record` read it back.

    Attributes:
        path: the WARC file.
        offset: where the record starts in it (a gzip member's start).
        length: its length in the file.
        type: ``WARC-Type`` (``response``, ``request``, ``conversion``…).
        record_id: ``WARC-Record-ID``.
        date: ``WARC-Date``, as written.
        target_uri: ``WARC-Target-URI``.
        headers: the WARC header fields, in order.
        http_status: an HTTP response record's status code.
        http_headers: an HTTP record's header fields, in order.
        payload: the body of an HTTP record (transfer and content codings removed),
            the block of any other record.
    """

    path: str
    offset: int
    length: int
    type: str
    record_id: str | None
    date: str | None
    target_uri: str | None
    headers: tuple[tuple[str, str], ...]
    http_status: int | None
    http_headers: tuple[tuple[str, str], ...]
    payload: bytes

    def header(self, name: str) -> str | None:
        """The first WARC header field called ``name`` (any case), or ``None``."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


def read_record(
    path: str | os.PathLike[str], offset: int, *, max_bytes: int = MAX_RECORD_BYTES
) -> WarcRecord:
    """The record that starts at ``offset`` of the WARC at ``path``.

    Args:
        path: the WARC file (``extra["warc"]["path"]`` of an Article the reader made).
        offset: the record's offset (``extra["warc"]["offset"]``).
        max_bytes: most payload bytes read.

    Raises:
        SourceNotFoundError: no such file.
        ParseError: no whole record starts there (``warc_corrupt``,
            ``warc_truncated``) or its payload is over ``max_bytes`` (``too_large``);
            the message names the file and the offset.
        MissingExtraError: warcio is not installed (``newsingest[warc]``).
    """
    name = os.fspath(path)
    iterator_class = archive_iterator()
    try:
        handle = open(name, "rb")  # noqa: PTH123, SIM115 - closed below
    except FileNotFoundError:
        raise SourceNotFoundError("no such file", source=name) from None
    with handle:
        handle.seek(offset)
        iterator = iterator_class(handle)
        try:
            record = next(iter(iterator))
            _check_header(record)
            found = Found(offset, record, iterator)
            payload = read_payload(found, max_bytes)
            found.finish()
        except StopIteration:
            handle.seek(offset)
            if handle.read(1):
                message = "the file ends inside the record's header"
                raise _at(name, offset, message, "warc_truncated") from None
            raise _at(name, offset, "no record starts here (end of file)", "warc_corrupt") from None
        except Exception as error:
            raise _at(
                name, offset, f"no record starts here: {_describe(error)}", "warc_corrupt"
            ) from error
        if found.truncated:
            raise _at(name, offset, _truncated(found), "warc_truncated")
        if payload is None:
            raise _at(name, offset, f"payload over {max_bytes} bytes", "too_large")
    http = record.http_headers
    status = None
    if http is not None and record.rec_type == "response":
        code = http.get_statuscode()
        status = int(code) if code and code.isdigit() else None
    headers = record.rec_headers
    return WarcRecord(
        path=name,
        offset=offset,
        length=found.length or 0,
        type=str(record.rec_type),
        record_id=headers.get_header("WARC-Record-ID"),
        date=headers.get_header("WARC-Date"),
        target_uri=headers.get_header("WARC-Target-URI"),
        headers=tuple((str(k), str(v)) for k, v in headers.headers),
        http_status=status,
        http_headers=() if http is None else tuple((str(k), str(v)) for k, v in http.headers),
        payload=payload,
    )


def _at(path: str, offset: int, message: str, reason: str) -> ParseError:
    return ParseError(f"WARC record at offset {offset}: {message}", source=path, reason=reason)
