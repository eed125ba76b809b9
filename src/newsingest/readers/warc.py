"""Reader ``warc``: web archives (WARC, gzipped or not) as extracted articles.

Reads local ``.warc`` and ``.warc.gz`` files, such as Common Crawl's CC-NEWS or
wget and Browsertrix captures, a record at a time (memory stays flat in the file's
size). Needs ``pip install 'newsingest[warc]'`` (warcio) and, for HTML pages,
``newsingest[extract]``.

* A ``response`` record of an HTTP ``200`` HTML page is extracted by
  :func:`newsingest.hydrate.extract_page`, the extraction ``--fetch`` uses: title,
  body segments, authors, language, the publication date the page states (never
  the capture date) and its declared canonical URL (used as with ``--fetch``:
  when it is on the page's own site).
* A WET ``conversion`` record (text Common Crawl already extracted) is a body of
  its non-blank lines, without a title.
* Every other record (``request``, ``revisit``, ``metadata``, ``warcinfo``…), a
  response that is not ``200`` or not HTML, and a record the host and date
  filters turn away (checked on the WARC headers, before anything is extracted)
  is passed over and counted: one ``warc_skipped`` warning per file (or part)
  says how many of each kind.
* A truncated or corrupt record is a :class:`~newsingest.exceptions.ParseError`
  (``warc_truncated``, ``warc_corrupt``: quarantined with ``--on-error
  quarantine``) and reading goes on at the next good record; so is a page with
  no article text (``no_text``), one whose extraction failed
  (``extraction_failed``) and a payload over the limit (``too_large``).

Each Article's ``extra["warc"]`` says where its record is: ``path``, ``offset`` and
``length`` in the file, ``record_id`` (``WARC-Record-ID``), ``date``
(``WARC-Date``), ``target_uri`` and ``type``; :func:`newsingest.warc.read_record`
reads the record back from the path and offset.

A large file is read in parts (:meth:`WarcReader.split`, see :mod:`newsingest.warc`):
each part is one ``-j`` chunk and one Dask partition. With a state store
(``--state``), a record whose article was kept by an earlier run is not extracted
again: it comes as a stub without body and with the URL key its article was kept
under, so the dedup reports it as the duplicate it is.
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from newsingest.exceptions import (
    InvalidDateError,
    InvalidURLError,
    MissingExtraError,
    NewsIngestWarning,
    ParseError,
    SourceNotFoundError,
)
from newsingest.model import Article, Provenance
from newsingest.readers import FileRange, ReaderItem, SourceLike, source_name
from newsingest.state import SeenEntry, ValidatorStore
from newsingest.warc import (
    DEFAULT_PART_BYTES,
    MAX_RECORD_BYTES,
    Damaged,
    Found,
    is_warc,
    parse_warc_date,
    read_payload,
    scan,
    split_points,
)

if TYPE_CHECKING:
    from newsingest.hydrate import PageStore
    from newsingest.readers import ReaderRegistry

__all__ = ["DONE_KEY_VERSION", "WarcReader", "register"]

#: Prefix of the state entry that remembers a record as done (``w1:<WARC-Record-ID>``).
DONE_KEY_VERSION: Final = "w1"
#: Fewest characters of article text a page must give (as for ``--fetch``).
MIN_TEXT_CHARS: Final = 80
_TEXT_RECORDS: Final = frozenset({"response", "conversion"})


class WarcReader:
    """Reader ``warc`` (see the module docstring).

    Args:
        hosts: read only pages of these hosts or their subdomains (``example.com``
            takes ``www.example.com`` too); empty: every host.
        since: read only records captured (``WARC-Date``) at or after this instant.
        until: read only records captured before this instant.
        part_bytes: size of one part of a large file (:meth:`split`).
        min_text_chars: fewest characters of text an HTML page must give.
        max_record_bytes: most payload bytes read of one record.
        store: where records already done are remembered (see :meth:`with_state`).
    """

    name = "warc"
    suffixes = (".warc", ".gz")
    url_prefixes = ()

    def __init__(
        self,
        *,
        hosts: Iterable[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        part_bytes: int = DEFAULT_PART_BYTES,
        min_text_chars: int = MIN_TEXT_CHARS,
        max_record_bytes: int = MAX_RECORD_BYTES,
        store: PageStore | None = None,
    ) -> None:
        if part_bytes < 1:
            raise ValueError(f"part_bytes must be at least 1, got {part_bytes}")
        self.hosts = tuple(sorted({host.strip().lower().rstrip(".") for host in hosts} - {""}))
        self.since = since
        self.until = until
        self.part_bytes = part_bytes
        self.min_text_chars = min_text_chars
        self.max_record_bytes = max_record_bytes
        self.store = store

    def __reduce__(self) -> tuple[Any, ...]:
        # The store belongs to the process that opened it: never sent to a worker.
        options = {key: value for key, value in vars(self).items() if key != "store"}
        return (_rebuild, (options,))

    def sniff(self, head: bytes) -> bool:
        """True for a WARC, gzipped or not."""
        return is_warc(head)

    def split(self, path: str) -> list[FileRange]:
        """The parts of the WARC at ``path``, about ``part_bytes`` each."""
        starts = split_points(path, self.part_bytes)
        ends: list[int | None] = [*starts[1:], None]
        return [FileRange(path, start, end) for start, end in zip(starts, ends, strict=True)]

    def with_state(self, state: ValidatorStore) -> WarcReader:
        """A reader like this one that passes over records kept by earlier runs of
        ``state`` (a seen-store; any other store changes nothing)."""
        if not (callable(getattr(state, "lookup", None)) and callable(getattr(state, "add", None))):
            return self
        copy = _rebuild({key: value for key, value in vars(self).items() if key != "store"})
        copy.store = state  # type: ignore[assignment]
        return copy

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        """Yield the Articles, rejects and the skip summary of one WARC (or part).

        Raises:
            SourceNotFoundError: no such file.
            MissingExtraError: warcio is not installed.
        """
        start, end = 0, None
        if isinstance(source, FileRange):
            start, end = source.start, source.end
        name = source_name(source)
        handle = _open(source, name)
        try:
            yield from _Read(self, name).records(handle, start, end)
        finally:
            if isinstance(source, (str, os.PathLike)):
                handle.close()


def _rebuild(options: dict[str, Any]) -> WarcReader:
    reader = WarcReader.__new__(WarcReader)
    vars(reader).update(options)
    reader.store = None
    return reader


def _open(source: SourceLike, name: str) -> IO[bytes]:
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        try:
            return open(source, "rb")  # noqa: PTH123 - closed by the caller
        except FileNotFoundError:
            raise SourceNotFoundError("no such file", source=name) from None
        except IsADirectoryError:
            raise SourceNotFoundError("is a directory, not a file", source=name) from None
    return source  # type: ignore[return-value]  # a binary stream (buffered when stdin)


class _Read:
    """One read of a WARC: the records, what was passed over, the state lookups."""

    def __init__(self, reader: WarcReader, name: str) -> None:
        self.reader = reader
        self.name = name
        self.skipped: Counter[str] = Counter()

    def records(self, handle: IO[bytes], start: int, end: int | None) -> Iterator[ReaderItem]:
        for met in scan(handle, start=start, end=end):
            if isinstance(met, Damaged):
                yield self._damaged(met)
            else:
                yield from self._record(met)
        if self.skipped:
            counts = ", ".join(f"{kind} {count}" for kind, count in sorted(self.skipped.items()))
            total = sum(self.skipped.values())
            yield NewsIngestWarning(
                f"{total} WARC records passed over ({counts})",
                source=self.name,
                reason="warc_skipped",
            )

    def _damaged(self, damaged: Damaged) -> ParseError:
        return ParseError(
            f"WARC record at offset {damaged.offset}: {damaged.message}",
            source=self.name,
            reason=damaged.reason,
        )

    def _passed_over(self, found: Found) -> str | None:
        """Why ``found`` is not read (``None``: it is), from its headers alone."""
        record = found.record
        kind = str(record.rec_type)
        if kind not in _TEXT_RECORDS:
            return kind
        headers = record.rec_headers
        uri = headers.get_header("WARC-Target-URI") or ""
        split = urlsplit(uri)
        if split.scheme not in ("http", "https") or not split.hostname:
            return "not_http"
        reader = self.reader
        if reader.hosts and not _host_matches(split.hostname, reader.hosts):
            return "host_filter"
        if reader.since is not None or reader.until is not None:
            captured = parse_warc_date(headers.get_header("WARC-Date"))
            if (
                captured is None
                or (reader.since is not None and captured < reader.since)
                or (reader.until is not None and captured >= reader.until)
            ):
                return "date_filter"
        if kind == "response":
            http = record.http_headers
            status = None if http is None else http.get_statuscode()
            if status != "200":
                return "not_200"
            if "html" not in (http.get_header("Content-Type") or "").lower():
                return "not_html"
        return None

    def _record(self, found: Found) -> Iterator[ReaderItem]:
        why = self._passed_over(found)
        if why is not None:
            self.skipped[why] += 1
            return
        headers = found.record.rec_headers
        uri = headers.get_header("WARC-Target-URI")
        record_id = headers.get_header("WARC-Record-ID")
        kept = self._kept(record_id)
        try:  # a record done by an earlier run is only read over, never extracted
            payload = None if kept else read_payload(found, self.reader.max_record_bytes)
            found.finish()
        except Exception as error:  # bad gzip or chunked data: the scan moves on past it
            found.error = error
            return
        if found.truncated:
            found.reported = True
            yield ParseError(
                f"WARC record at offset {found.offset}: the file ends inside the record",
                source=self.name,
                reason="warc_truncated",
            )
            return
        place = self._place(found, uri, record_id)
        if kept is not None:
            yield _stub(uri, kept, place, self.name)
            return
        if payload is None:
            limit = self.reader.max_record_bytes
            yield self._reject(found, f"payload over {limit} bytes", "too_large")
            return
        if found.record.rec_type == "conversion":
            yield from self._text(found, payload, uri, place)
        else:
            yield from self._page(found, payload, uri, place)

    def _kept(self, record_id: str | None) -> str | None:
        """The key an earlier run kept this record's article under, if any."""
        store = self.reader.store
        if store is None or not record_id:
            return None
        alias = f"{DONE_KEY_VERSION}:{record_id}"
        entry = store.lookup([alias]).get(alias)
        if entry is not None and entry.kept in store.lookup([entry.kept]):
            return entry.kept
        return None

    def _done(self, article: Article, record_id: str | None) -> None:
        """Remember that ``record_id`` became ``article`` (staged with the run's keys:
        durable only once the run committed what it emitted)."""
        store = self.reader.store
        if store is None or not record_id or article.url_key is None:
            return
        alias = f"{DONE_KEY_VERSION}:{record_id}"
        store.add([SeenEntry(alias, "warc", article.url_key, self.name, int(time.time()))])

    def _place(self, found: Found, uri: str, record_id: str | None) -> dict[str, Any]:
        headers = found.record.rec_headers
        return {
            "path": self.name,
            "offset": found.offset,
            "length": found.length,
            "record_id": record_id,
            "date": headers.get_header("WARC-Date"),
            "target_uri": uri,
            "type": str(found.record.rec_type),
        }

    def _reject(self, found: Found, message: str, reason: str) -> ParseError:
        return ParseError(
            f"WARC record at offset {found.offset}: {message}", source=self.name, reason=reason
        )

    def _text(
        self, found: Found, payload: bytes, uri: str, place: dict[str, Any]
    ) -> Iterator[ReaderItem]:
        text = payload.decode("utf-8", errors="replace")
        body = tuple(line.strip() for line in text.splitlines() if line.strip())
        if not body:
            yield self._reject(found, "a conversion record with no text", "no_text")
            return
        language = found.record.rec_headers.get_header("WARC-Identified-Content-Language")
        article = Article(
            url=uri,
            body=body,
            language=(language or "").split(",")[0].strip() or None,
            source=Provenance(reader="warc", location=self.name),
            extra={"warc": place},
        )
        self._done(_with_key(article), place["record_id"])
        yield article

    def _page(
        self, found: Found, payload: bytes, uri: str, place: dict[str, Any]
    ) -> Iterator[ReaderItem]:
        from newsingest.hydrate import extract_page  # noqa: PLC0415 - needs the extract extra

        content_type = found.record.http_headers.get_header("Content-Type") or ""
        try:
            page = extract_page(payload, url=uri, charset=_charset(content_type))
        except MissingExtraError:
            raise  # trafilatura is missing: every page would fail, say so once
        except Exception as error:  # third-party extraction must never end a run
            rejected = self._reject(
                found, f"extraction failed ({type(error).__name__}: {error})", "extraction_failed"
            )
            rejected.__cause__ = error
            yield rejected
            return
        chars = sum(len(segment) for segment in page.body)
        if chars < self.reader.min_text_chars:
            yield self._reject(
                found,
                f"{uri} has no article text ({chars} characters extracted, "
                f"{self.reader.min_text_chars} needed)",
                "no_text",
            )
            return
        source = Provenance(reader="warc", location=self.name)
        extra: dict[str, Any] = {"warc": place}
        fields: dict[str, Any] = {}
        if page.declared_canonical is not None:
            extra["declared_canonical"] = page.declared_canonical
            canonical = _declared(page.declared_canonical, uri)
            if isinstance(canonical, NewsIngestWarning):
                yield canonical
            elif canonical is not None:
                fields["canonical_url"], fields["url_key"] = canonical
        if page.published_raw is not None:
            dated = _date(page.published_raw, uri, self.name)
            if isinstance(dated, NewsIngestWarning):
                yield dated
                fields["published_raw"] = page.published_raw
            else:
                fields.update(dated)
        article = Article(
            title=page.title,
            url=uri,
            body=page.body,
            authors=page.authors,
            language=page.language,
            source=source,
            extra=extra,
            **fields,
        )
        self._done(_with_key(article), place["record_id"])
        yield article


def _host_matches(host: str, hosts: tuple[str, ...]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == wanted or host.endswith("." + wanted) for wanted in hosts)


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip().strip("\"'"):
            return value.strip().strip("\"'")
    return None


def _declared(declared: str, uri: str) -> tuple[str, str] | NewsIngestWarning | None:
    """The canonical URL and key a page's declared canonical gives (``--fetch``'s rule:
    only on the page's own site), or the warning saying why it is unusable."""
    from newsingest.hydrate import same_site  # noqa: PLC0415
    from newsingest.normalize.urls import canonical_url, canonical_url_key  # noqa: PLC0415

    if not same_site(declared, uri):
        return None
    try:
        canonical = canonical_url(declared)
    except InvalidURLError as error:
        return NewsIngestWarning(
            f"declared canonical URL {declared!r} of {uri} is unusable ({error.reason}); "
            "using the target URI",
            source=uri,
            reason="invalid_canonical",
        )
    return canonical, canonical_url_key(canonical)


def _date(raw: str, uri: str, name: str) -> dict[str, Any] | NewsIngestWarning:
    from newsingest.normalize.dates import parse_date  # noqa: PLC0415

    try:
        parsed = parse_date(raw)
    except InvalidDateError as error:
        return NewsIngestWarning(
            f"publication date {raw!r} on {uri} is unusable ({error.reason}); "
            "the article keeps no date",
            source=name,
            reason="invalid_date",
        )
    return {
        "published": parsed.instant,
        "published_precision": parsed.precision,
        "published_raw": parsed.raw,
    }


def _with_key(article: Article) -> Article:
    """``article`` with the URL key the normalise stage will give it."""
    if article.url_key is not None or article.url is None:
        return article
    from newsingest.normalize.urls import canonical_url_and_key  # noqa: PLC0415

    try:
        _canonical, key = canonical_url_and_key(article.url)
    except InvalidURLError:
        return article
    return article.evolve(url_key=key)


def _stub(uri: str, kept: str, place: dict[str, Any], name: str) -> Article:
    """A record an earlier run kept: no body, the key its article was kept under."""
    return Article(
        url=uri,
        url_key=kept,
        source=Provenance(reader="warc", location=name),
        extra={"warc": place, "warc_skipped": "seen"},
    )


def register(registry: ReaderRegistry) -> None:
    """Register the ``warc`` reader (the built-in registry's hook)."""
    registry.register(WarcReader())
