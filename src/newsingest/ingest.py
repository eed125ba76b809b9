"""The pipeline: sources → readers → normalise → dedup → your loop, with a report.

:func:`ingest` is lazy and streaming: it reads one source at a time and yields
each Article as soon as it is ready, so memory stays flat in the number of
articles. Problems never vanish: every rejected record is raised, skipped and
counted, or quarantined with its reason (``on_error``), every warning is
counted, and every duplicate is reported to ``on_duplicate`` and counted.
"""

from __future__ import annotations

import collections
import contextlib
import json
import mmap
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, Final, Literal

import attrs
import orjson

from newsingest.dedup import Deduplicator, Duplicate, SeenStore, open_store
from newsingest.dedup.keys import ascii_content_key_of_lines, content_key
from newsingest.exceptions import (
    InvalidURLError,
    NewsIngestError,
    NewsIngestWarning,
    ParseError,
    SourceError,
    SourceNotFoundError,
)
from newsingest.model import (
    Article,
    Provenance,
    format_utc,
    unchecked_article,
    unchecked_evolve,
    unchecked_from_dict,
)
from newsingest.normalize.urls import canonical_url, canonical_url_and_key, url_key
from newsingest.readers import (
    SNIFF_BYTES,
    Reader,
    ReaderItem,
    ReaderRegistry,
    SourceLike,
    as_source_list,
    buffer_stream,
    default_registry,
    expand_sources,
    is_url,
    read_file,
)
from newsingest.readers.textfile import SeedTextReader, empty_body_warning, parse_fields
from newsingest.sinks import JsonlWriter, dumps_line, quarantine_record

__all__ = ["IngestRun", "OnError", "RunReport", "ingest", "normalise_article"]

OnError = Literal["raise", "skip", "quarantine"]
_ON_ERROR = ("raise", "skip", "quarantine")
#: How many warning messages a report keeps verbatim (all are counted).
MAX_KEPT_MESSAGES = 100


@attrs.define
class RunReport:
    """Counts for one run. Every record read ends up in exactly one bucket.

    Attributes:
        sources: sources opened (files, URLs, streams).
        read: records the readers produced (articles plus rejected records).
        emitted: articles yielded to the caller.
        errors: rejected records and sources, by reason code.
        warnings: warnings, by reason code.
        duplicates: duplicates reported, by the key type that matched.
        quarantined: records written to the quarantine.
        messages: the first warning and error messages, verbatim.
    """

    sources: int = 0
    read: int = 0
    emitted: int = 0
    errors: Counter[str] = attrs.field(factory=Counter)
    warnings: Counter[str] = attrs.field(factory=Counter)
    duplicates: Counter[str] = attrs.field(factory=Counter)
    quarantined: int = 0
    messages: list[str] = attrs.field(factory=list)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def warning_count(self) -> int:
        return sum(self.warnings.values())

    @property
    def duplicate_count(self) -> int:
        return sum(self.duplicates.values())

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_KEPT_MESSAGES:
            self.messages.append(message)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form of the report."""
        return {
            "sources": self.sources,
            "read": self.read,
            "emitted": self.emitted,
            "errors": dict(sorted(self.errors.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "duplicates": dict(sorted(self.duplicates.items())),
            "quarantined": self.quarantined,
        }

    def summary(self) -> str:
        """One line for a terminal: what came in, what went out, what went wrong."""

        def plural(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        parts = [
            plural(self.sources, "source"),
            f"{self.read} read",
            f"{self.emitted} emitted",
            plural(self.duplicate_count, "duplicate"),
            plural(self.error_count, "error"),
            plural(self.warning_count, "warning"),
        ]
        if self.quarantined:
            parts.append(f"{self.quarantined} quarantined")
        return ", ".join(parts)


def normalise_article(article: Article) -> Article:
    """Add the canonical URL, the URL key and the content key where they can be made.

    Values already set (for example by hydration from a declared canonical link)
    are kept. Raises :class:`InvalidURLError` for a URL that cannot be normalised.
    """
    changes: dict[str, Any] = {}
    if article.url is not None:
        canonical = article.canonical_url
        if canonical is None:
            if article.url_key is None:
                changes["canonical_url"], changes["url_key"] = canonical_url_and_key(article.url)
            else:
                changes["canonical_url"] = canonical_url(article.url)
        elif article.url_key is None:
            changes["url_key"] = url_key(canonical)  # given by the caller: not yet checked
    if article.content_key is None and article.body:
        key = content_key(article.body)
        if key is not None:
            changes["content_key"] = key
    if not changes:
        return article
    return unchecked_evolve(article, changes)


QuarantineTarget = str | os.PathLike[str] | IO[str] | Callable[[dict[str, Any]], None]
StateLike = str | os.PathLike[str] | SeenStore


class _Out:
    """One emitted record: an Article, a record dict or a JSON line; the others on demand."""

    __slots__ = ("_article", "_line", "_record")

    def __init__(
        self, article: Article | None, line: str | None, record: dict[str, Any] | None = None
    ) -> None:
        self._article = article
        self._line = line
        self._record = record

    @property
    def article(self) -> Article:
        return self.get_article()

    def get_article(self) -> Article:
        if self._article is None:
            self._article = unchecked_from_dict(self.record)
        return self._article

    def described(self) -> tuple[Provenance, str | None, str]:
        """Provenance, URL and title: what a duplicate report names, without an Article."""
        if self._article is not None:
            return self._article.source, self._article.url, self._article.title
        record = self.record
        return Provenance(**record["source"]), record["url"], record["title"]

    @property
    def record(self) -> dict[str, Any]:
        if self._record is None:
            if self._article is not None:
                self._record = self._article.to_dict()
            else:
                assert self._line is not None
                self._record = _loads(self._line)
        return self._record

    @property
    def line(self) -> str:
        if self._line is None:
            record = self._record if self._record is not None else self.article.to_dict()
            self._line = dumps_line(record)
        return self._line


class IngestRun(Iterator[Article]):
    """An ingest in progress: iterate it for Articles; ``report`` fills as it goes.

    :meth:`json_lines` iterates the same records already serialised, and
    :meth:`records` as dicts: what writers want, and cheaper, since seed files and
    worker processes produce records without building Articles.
    """

    def __init__(self, outputs: Iterator[_Out], report: RunReport) -> None:
        self._outputs = outputs
        self.report = report
        self._closed = False

    def __iter__(self) -> IngestRun:
        return self

    def __next__(self) -> Article:
        try:
            return next(self._outputs).article
        except BaseException:
            self.close()
            raise

    def json_lines(self) -> Iterator[str]:
        """Iterate the remaining records as JSON lines (no trailing newline)."""
        try:
            for out in self._outputs:
                yield out.line
        finally:
            self.close()

    def records(self) -> Iterator[dict[str, Any]]:
        """Iterate the remaining records as dicts, in :meth:`Article.to_dict` form.

        What a writer of another format or a dataframe wants: seed files and worker
        processes produce records without building Articles at all.
        """
        try:
            for out in self._outputs:
                yield out.record
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading and release files and stores (idempotent)."""
        if not self._closed:
            self._closed = True
            close = getattr(self._outputs, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> IngestRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ingest(
    sources: Iterable[SourceLike] | SourceLike,
    *,
    reader: str | Reader | None = None,
    registry: ReaderRegistry | None = None,
    on_error: OnError = "raise",
    quarantine: QuarantineTarget | None = None,
    on_warning: Callable[[NewsIngestWarning], None] | None = None,
    on_reject: Callable[[NewsIngestError], None] | None = None,
    normalize: bool = True,
    dedup: bool | Deduplicator | None = None,
    keys: Sequence[str] = ("url", "content"),
    state: StateLike | None = None,
    near: float | None = None,
    on_duplicate: Callable[[Duplicate], None] | None = None,
    before_commit: Callable[[], None] | None = None,
    commit_every: int = 5000,
    fetch: bool | Mapping[str, Any] = False,
    concurrency: int = 4,
    workers: int = 1,
    report: RunReport | None = None,
) -> IngestRun:
    """Read sources and yield clean, deduplicated Articles.

    Args:
        sources: paths, directories (recursive, sorted), globs, http(s) URLs,
            bytes or open streams; one source or an iterable of them.
        reader: force a reader (a registered name or a reader object) instead of
            resolving one per source.
        registry: where to resolve readers; the default registry otherwise.
        on_error: ``"raise"`` the first rejected record or source (default);
            ``"skip"`` it (counted in the report); ``"quarantine"`` it (also
            written to ``quarantine``).
        quarantine: with ``on_error="quarantine"``: a path, ``"-"``, an open text
            stream or a callable receiving each quarantine record.
        on_warning: called with every :class:`NewsIngestWarning` (they are always
            counted in the report).
        on_reject: called with every rejected record or source, whatever the
            ``on_error`` policy (e.g. to show errors while skipping them).
        normalize: add canonical URL, URL key and content key (on by default).
        dedup: drop duplicates (on whenever ``normalize`` is, which makes the
            keys), or a configured :class:`~newsingest.dedup.Deduplicator` to use.
        keys: key types for the default Deduplicator (``"url"``, ``"content"``,
            ``"title"``).
        state: a seen-store, or a path to a SQLite file, remembered across runs
            (seen keys, and the validators of polled feeds, even with dedup off).
            In memory for this run only when ``None``. Closed when the run ends.
        near: near-duplicate threshold (0-1) for the default Deduplicator
            (needs ``newsingest[near]``).
        on_duplicate: called with every :class:`~newsingest.dedup.Duplicate`.
        before_commit: called before seen keys are committed to the store; a
            writer passes its ``flush`` so that keys are only recorded for articles
            already written (at-least-once: a crash repeats, never loses).
        commit_every: commit seen keys after this many kept articles.
        fetch: hydrate each article by fetching its page (URL lists); ``True`` or
            a mapping of options for :func:`newsingest.hydrate.hydrate`.
        concurrency: feeds polled at once when several feed URLs follow each other
            (their items still come out in source order).
        workers: processes that read, parse and normalise local files: this one
            and ``workers - 1`` worker processes (use the number of cores). Dedup
            stays in this process, so output and order equal ``workers=1``.
        report: a :class:`RunReport` to fill (a new one otherwise).

    Returns:
        An :class:`IngestRun`: an iterator of Articles with a ``report``.

    Raises:
        ValueError: an unknown ``on_error``, a quarantine without a target, or
            ``workers`` below 1.
        NewsIngestError: with ``on_error="raise"``, the first rejected record.
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}, got {on_error!r}")
    if on_error == "quarantine" and quarantine is None:
        raise ValueError("on_error='quarantine' needs a quarantine target")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if dedup is None:
        dedup = normalize
    if dedup is not False and not normalize:
        raise ValueError("dedup needs normalize=True (keys come from the normalisers)")
    run_report = report if report is not None else RunReport()
    registry = registry if registry is not None else default_registry()
    forced = registry.get(reader) if isinstance(reader, str) else reader

    store: SeenStore | None = None
    if state is not None and not isinstance(dedup, Deduplicator):
        store = state if isinstance(state, SeenStore) else open_store(state)
    deduplicator: Deduplicator | None = None
    if isinstance(dedup, Deduplicator):
        deduplicator = dedup
    elif dedup:
        deduplicator = Deduplicator(keys=keys, store=store, near_threshold=near)

    writer: JsonlWriter | None = None
    sink: Callable[[dict[str, Any]], None] | None = None
    if on_error == "quarantine":
        if callable(quarantine) and not hasattr(quarantine, "write"):
            sink = quarantine
        else:
            writer = JsonlWriter(quarantine)  # type: ignore[arg-type]
            sink = writer.write

    def reject(error: NewsIngestError, reader_name: str | None) -> None:
        reason = getattr(error, "reason", type(error).__name__)
        run_report.errors[reason] += 1
        run_report.note(f"error: {error}")
        if on_reject is not None:
            on_reject(error)
        if on_error == "raise":
            raise error
        if sink is not None:
            sink(quarantine_record(error, reader=reader_name))
            run_report.quarantined += 1

    def warn(warning: NewsIngestWarning) -> None:
        run_report.warnings[warning.reason] += 1
        run_report.note(f"warning: {warning}")
        if on_warning is not None:
            on_warning(warning)

    fetch_options: dict[str, Any] | None = None
    if fetch:
        fetch_options = dict(fetch) if isinstance(fetch, Mapping) else {}

    stage = _Stage(
        registry=registry,
        forced=forced,
        normalize=normalize,
        fetch=fetch_options,
        concurrency=concurrency,
        stubs=deduplicator is not None,
        stub_body=deduplicator is not None and deduplicator.near_threshold is not None,
        records=normalize
        and fetch_options is None
        and (
            deduplicator is None
            or (deduplicator.near_threshold is None and "title" not in deduplicator.keys)
        ),
    )

    def duplicate_found(duplicate: Duplicate) -> None:
        run_report.duplicates[duplicate.key_type] += 1
        if on_duplicate is not None:
            on_duplicate(duplicate)

    def handle(result: _Result) -> _Out | None:
        """Turn one stage result into output, applying the error policy and dedup."""
        kind = result[0]
        if kind == "r":  # a seed-file record, as plain values (see _Stage._seed)
            run_report.read += 1
            out = _Out(None, result[2], result[1])
            if deduplicator is not None:
                duplicate = deduplicator.check_keys(
                    result[3],
                    result[4],
                    at=result[5],
                    where=result[6],
                    describe=out.described,
                )
                if duplicate is not None:
                    duplicate_found(duplicate)
                    return None
            run_report.emitted += 1
            return out
        if kind == "w":
            warn(result[1])
            return None
        if kind == "e":
            if result[3]:
                run_report.read += 1
            reject(result[1], result[2])
            return None
        run_report.read += 1
        out = _Out(result[1], result[2])
        if deduplicator is not None:
            duplicate = deduplicator.check(
                out.article if result[3] is None else _from_stub(result[3])
            )
            if duplicate is not None:
                duplicate_found(duplicate)
                return None
        run_report.emitted += 1
        return out

    def outputs() -> Iterator[_Out]:
        kept_since_commit = 0

        def commit() -> None:
            # The store holds seen keys and feed validators: both are recorded only
            # for what the consumer has written (before_commit flushes it).
            if deduplicator is None and store is None:
                return
            if before_commit is not None:
                before_commit()
            if deduplicator is not None:
                deduplicator.flush()
            elif store is not None:
                store.commit()

        try:
            results = (
                stage.run(_expanded(sources, reject), run_report)
                if workers == 1
                else _parallel(stage, _expanded(sources, reject), run_report, workers)
            )
            for result in results:
                out = handle(result)
                if out is None:
                    continue
                yield out
                kept_since_commit += 1
                if kept_since_commit >= commit_every:
                    commit()
                    kept_since_commit = 0
            commit()
        finally:
            if writer is not None:
                writer.close()
            # After an early stop nothing more is committed: the consumer may not have
            # written what it was handed (at-least-once). The state store is closed.
            if deduplicator is not None and deduplicator is not dedup:
                deduplicator.close()  # closes the store too
            elif store is not None:
                store.close()

    return IngestRun(outputs(), run_report)


# A reader result after the stage: ("a", Article | None, line | None, stub | None)
# for an article, ("e", error, reader name, counts_as_read) for a rejected record or
# source, ("w", warning) for a warning.
_Result = tuple[Any, ...]


@attrs.frozen
class _Stage:
    """Reading, parsing and normalising: the part that may run in worker processes."""

    registry: ReaderRegistry
    forced: Reader | None
    normalize: bool
    fetch: dict[str, Any] | None
    stubs: bool = True
    stub_body: bool = False
    concurrency: int = 4
    #: Seed files skip Article objects: parsed values go straight to a record (the
    #: dedup in use needs only URL and content keys; nothing is fetched).
    records: bool = False

    def run(self, sources: Iterable[SourceLike], report: RunReport) -> Iterator[_Result]:
        """Read sources in order; consecutive feed URLs are fetched concurrently."""
        poller = self._url_poller()
        urls: list[str] = []
        for source in sources:
            report.sources += 1
            if poller is not None and is_url(source):
                urls.append(str(source))
                continue
            if urls:
                yield from self.many(poller, urls)
                urls = []
            yield from self.one(source, serialise=False)
        if urls:
            yield from self.many(poller, urls)

    def _url_poller(self) -> Reader | None:
        """The URL reader when it can poll several URLs at once (``read_many``)."""
        if self.forced is not None or self.fetch is not None or self.concurrency < 2:
            return None
        try:
            reader = self.registry.resolve("https://")
        except NewsIngestError:
            return None
        return reader if callable(getattr(reader, "read_many", None)) else None

    def many(self, reader: Reader | None, urls: list[str]) -> Iterator[_Result]:
        """Poll several URLs at once through ``reader.read_many``; same items as one()."""
        if reader is None or len(urls) == 1:
            for url in urls:
                yield from self.one(url, serialise=False)
            return
        for item in reader.read_many(urls, concurrency=self.concurrency):  # type: ignore[attr-defined]
            if isinstance(item, SourceError) and getattr(item, "item", None) is None:
                # A whole feed failed (fetch error, not a feed): as one() reports it.
                yield ("e", item, reader.name, False)
            else:
                yield from self._emit(item, reader.name, serialise=False)

    def one(self, source: SourceLike, *, serialise: bool) -> Iterable[_Result]:
        """The results of one source, as a list for a small seed file, else a generator."""
        try:
            data = _read_small_file(source)
            if data is None:
                return self._items(source, None, None, serialise=serialise)
            chosen = self.forced or self.registry.resolve(source, head=data[:SNIFF_BYTES])
        except SourceError as error:
            return [("e", error, self.forced.name if self.forced is not None else None, False)]
        if self.records and type(chosen) is SeedTextReader:
            return self._seed(data, os.fspath(source), serialise=serialise)  # type: ignore[arg-type]
        return self._items(source, data, chosen, serialise=serialise)

    def _items(
        self, source: SourceLike, data: bytes | None, chosen: Reader | None, *, serialise: bool
    ) -> Iterator[_Result]:
        """Read a source through its reader's items (``data``: its bytes, already read)."""
        chosen_name = chosen.name if chosen is not None else None
        if chosen_name is None and self.forced is not None:
            chosen_name = self.forced.name
        try:
            items: Iterable[ReaderItem]
            if data is not None and chosen is not None:
                read_data = getattr(chosen, "read_data", None)
                if read_data is not None:
                    items = read_data(data, os.fspath(source))  # type: ignore[arg-type]
                else:
                    items = chosen.read(source)
            else:
                if self.forced is None:
                    source = buffer_stream(source)
                chosen = self.forced or self.registry.resolve(source)
                chosen_name = chosen.name
                items = chosen.read(source)
            if self.fetch is not None:
                from newsingest.hydrate import hydrate  # noqa: PLC0415 - needs httpx

                items = hydrate(items, **self.fetch)
            for item in items:
                yield from self._emit(item, chosen_name, serialise=serialise)
        except SourceError as error:
            yield ("e", error, chosen_name, False)

    def _seed(self, data: bytes, name: str, *, serialise: bool) -> list[_Result]:
        """A seed file straight to a normalised record: what reading, then
        :func:`normalise_article`, then ``to_dict()`` give, without the objects between.
        """
        fields = parse_fields(data, name)
        if isinstance(fields, ParseError):
            return [("e", fields, "textfile", True)]
        title, raw_date, published, url, body, ordinal, file_id = fields
        published_text, at = _day_values(raw_date, published)
        results: list[_Result] = [] if body else [("w", empty_body_warning(name))]
        try:
            canonical, url_key_ = canonical_url_and_key(url)
        except InvalidURLError as error:
            results.append(("e", _url_error(url, name, 1, None, error), "textfile", True))
            return results
        if not body:
            key = None
        elif data.isascii():  # the body's key from the raw lines, in a few C-level passes
            key = ascii_content_key_of_lines(data, skip=3)
        else:
            key = content_key(body)
        # Article.to_dict()'s own layout, filled in (the lists and dict are new per record).
        record = {
            **_SEED_RECORD,
            "title": title,
            "url": url,
            "canonical_url": canonical,
            "url_key": url_key_,
            "content_key": key,
            "published": published_text,
            "published_raw": raw_date,
            "body": body,
            "authors": [],
            "tags": [],
            "source": {**_SEED_SOURCE, "location": name, "ordinal": ordinal, "file_id": file_id},
            "extra": {},
        }
        where = f"{name}:1"
        if serialise:
            results.append(("r", None, dumps_line(record), url_key_, key, at, where))
        else:
            results.append(("r", record, None, url_key_, key, at, where))
        return results

    def _emit(self, item: object, reader_name: str | None, *, serialise: bool) -> Iterator[_Result]:
        """One reader item as a stage result: normalised article, warning or reject."""
        if isinstance(item, Article):
            article = item
            if self.normalize:
                try:
                    article = normalise_article(item)
                except InvalidURLError as error:
                    source = item.source
                    yield (
                        "e",
                        _url_error(item.url, source.location, source.line, source.item, error),
                        reader_name,
                        True,
                    )
                    return
            if serialise:
                line = dumps_line(article.to_dict())
                yield ("a", None, line, _stub(article, self.stub_body) if self.stubs else None)
            else:
                yield ("a", article, None, None)
        elif isinstance(item, NewsIngestWarning):
            yield ("w", item)
        elif isinstance(item, NewsIngestError):
            # A rejected record counts as read; a whole source that failed does not.
            yield ("e", item, reader_name, isinstance(item, ParseError))
        else:
            raise TypeError(
                f"reader {reader_name!r} yielded {type(item).__name__}; readers yield "
                "Article, ParseError (or another NewsIngestError) or NewsIngestWarning"
            )


_PROVENANCE_FIELDS = tuple(field.name for field in attrs.fields(Provenance))
_STUB_FIELDS = (
    "title",
    "url",
    "canonical_url",
    "url_key",
    "content_key",
    "published",
    "published_precision",
    "published_raw",
)


#: Files up to this size are read once, then sniffed and parsed from memory.
READ_ONCE_BYTES = 1 << 20


def _read_small_file(source: SourceLike) -> bytes | None:
    """The whole content of a small file given by path; ``None`` otherwise.

    Raises:
        SourceNotFoundError: the path does not exist.
    """
    if not isinstance(source, (str, os.PathLike)) or is_url(source):
        return None
    try:
        return read_file(source, READ_ONCE_BYTES)
    except FileNotFoundError:
        raise SourceNotFoundError("no such file", source=os.fspath(source)) from None
    except OSError:
        return None  # a directory, no permission…: let the reader say what it makes of it


def _stub(article: Article, with_body: bool) -> tuple[Any, ...]:
    """What the parent needs to deduplicate and report, as plain values.

    Keys, date, title and provenance (and the body only when near-duplicate
    detection needs it). Plain tuples pickle far cheaper than attrs instances.
    """
    source = article.source
    return (
        tuple(getattr(article, name) for name in _STUB_FIELDS),
        tuple(getattr(source, name) for name in _PROVENANCE_FIELDS),
        article.body if with_body else (),
    )


def _from_stub(stub: tuple[Any, ...]) -> Article:
    """Rebuild the stub Article in the parent without re-validating (the worker did)."""
    fields, provenance_values, body = stub
    source = object.__new__(Provenance)
    for name, value in zip(_PROVENANCE_FIELDS, provenance_values, strict=True):
        object.__setattr__(source, name, value)
    values = dict(zip(_STUB_FIELDS, fields, strict=True))
    values.update(body=body, source=source)
    return unchecked_article(values)


# Worker processes get the stage (and the shared arena) once, at start-up.
_WORKER_STAGE: _Stage | None = None
_WORKER_ARENA: mmap.mmap | None = None

#: Files per task sent to a worker: coarse tasks keep inter-process traffic low.
CHUNK_FILES = 64
#: Bytes of the shared arena a task may fill with its JSON lines; a task that
#: produces more sends the rest through the result pipe instead.
SLOT_BYTES = 4 << 20


def _init_worker(stage: _Stage, arena: mmap.mmap | None) -> None:
    global _WORKER_STAGE, _WORKER_ARENA
    _WORKER_STAGE = stage
    _WORKER_ARENA = arena


def _work(chunk: list[SourceLike], slot: int | None) -> list[_Result]:
    """Run the stage over a chunk of files in a worker; one compact result per chunk.

    Records are serialised here. Their JSON lines go into the chunk's slot of the
    shared arena, and the result holds only where each line lies: moving ~4 KB per
    record through the result pipe (pickle, pipe, unpickle) cost the parent more
    than deduplicating it. What does not fit the slot travels in the result itself.
    """
    stage = _WORKER_STAGE
    assert stage is not None
    arena = _WORKER_ARENA if slot is not None else None
    base = 0 if slot is None else slot * SLOT_BYTES
    offset = base
    limit = base + SLOT_BYTES
    results: list[_Result] = []
    for source in chunk:
        for result in stage.one(source, serialise=True):
            kind = result[0]
            if arena is not None and kind in _SERIALISED:
                line = result[2]
                data = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
                end = offset + len(data)
                if end <= limit:
                    arena[offset:end] = data
                    results.append((_SERIALISED[kind], offset, end, *result[3:]))
                    offset = end
                    continue
            results.append(result)
    return results


def _from_arena(result: _Result, view: memoryview) -> _Result:
    """A worker's record whose line is in the arena, as the stage gives it in-process."""
    data = view[result[1] : result[2]]
    try:
        line = str(data, "utf-8")
    except UnicodeDecodeError:  # a lone surrogate the json fallback wrote
        line = str(data, "utf-8", "surrogatepass")
    return ("r" if result[0] == "R" else "a", None, line, *result[3:])


def _worker_main(conn: Any, stage: _Stage, arena: mmap.mmap | None) -> None:
    """A worker process: run chunks from ``conn`` in order and send each one's results."""
    _init_worker(stage, arena)
    try:
        while (task := conn.recv()) is not None:
            chunk, slot = task
            try:
                reply: tuple[bool, Any] = (True, _work(chunk, slot))
            except Exception as error:
                reply = (False, error)
            try:
                conn.send(reply)
            except Exception as error:
                conn.send((False, RuntimeError(f"worker failed: {error!r}")))
    except (EOFError, KeyboardInterrupt):
        pass  # the parent went away or the user interrupted: just stop


#: Largest total path length of one chunk, so the tasks queued for a worker stay
#: well inside a pipe's buffer and a task can never block on a busy worker.
CHUNK_PATH_BYTES = 16 << 10


def _parallel(
    stage: _Stage, sources: Iterable[SourceLike], report: RunReport, workers: int
) -> Iterator[_Result]:
    """Run the stage in ``workers`` processes over local files, in input order.

    ``workers - 1`` worker processes get paths in chunks, round-robin, and results
    are read back in the order the chunks were sent; this process reads a chunk
    itself whenever the workers are busy (see ``place``). Anything else (URLs,
    streams, bytes) is read here, after the chunks before it, so the order equals
    a one-process run.
    Each worker has its own pipe and the parent no helper threads: with
    ``multiprocessing.Pool`` the parent's result and task threads fought its main
    thread for the GIL and cost more than the deduplication it exists to do.
    With the ``fork`` start method, workers write JSON lines into a shared memory
    arena of one slot per chunk in flight; a slot is reused once the chunk's lines
    have been copied out.
    """
    import multiprocessing  # noqa: PLC0415 - only for workers > 1

    forking = "fork" in multiprocessing.get_all_start_methods()
    context: Any = multiprocessing.get_context("fork" if forking else "spawn")
    helpers = workers - 1  # worker processes; this process reads chunks too (below)
    window = helpers * 3  # chunks in flight per worker: enough to keep them busy
    slots = window + 1  # those, plus the one being drained
    # An anonymous shared mapping is inherited by forked workers (never pickled).
    arena = mmap.mmap(-1, slots * SLOT_BYTES) if forking else None
    free = collections.deque(range(slots))
    # In chunk order: (worker, slot, files, None) for a chunk sent to a worker, or
    # (-1, None, files, results) for one this process read itself.
    pending: collections.deque[tuple[int, int | None, int, list[_Result] | None]] = (
        collections.deque()
    )
    conns: list[Any] = []
    processes: list[Any] = []
    sent = 0
    remote = 0  # chunks at the workers

    def submit(chunk: list[SourceLike]) -> None:
        nonlocal sent, remote
        slot = free.popleft() if arena is not None else None
        worker = sent % helpers
        sent += 1
        remote += 1
        try:
            conns[worker].send((chunk, slot))
        except OSError:
            raise died(worker) from None
        pending.append((worker, slot, len(chunk), None))

    def died(worker: int) -> RuntimeError:
        process = processes[worker]
        process.join(timeout=5)  # reap it, for its exit code
        return RuntimeError(
            f"ingest worker process {process.pid} died (exit code {process.exitcode})"
        )

    def head_ready() -> bool:
        worker = pending[0][0]
        try:
            return worker < 0 or bool(conns[worker].poll())
        except OSError:
            return True  # the worker is gone: receiving says so

    def drain_one() -> list[_Result]:
        nonlocal remote
        worker, slot, files, local = pending.popleft()
        report.sources += files
        if local is not None:
            return local
        remote -= 1
        try:
            ok, results = conns[worker].recv()
        except (EOFError, OSError):
            raise died(worker) from None
        if not ok:
            raise results
        if slot is None or arena is None:
            return results  # type: ignore[no-any-return]
        with memoryview(arena) as view:
            lines = [
                _from_arena(result, view) if result[0] in _IN_ARENA else result
                for result in results
            ]
        free.append(slot)  # every line is copied out: the slot may be refilled
        return lines

    def drain(limit: int) -> Iterator[_Result]:
        while len(pending) > limit:
            yield from drain_one()

    def place(chunk: list[SourceLike]) -> Iterator[_Result]:
        """Send a chunk to the workers, or read it here rather than wait for them.

        The workers get chunks while they have fewer than ``window``; when they are
        all busy and the oldest chunk is not back, this process reads the chunk
        itself instead of waiting: with one worker per core but one, the work
        balances itself between the workers and this process's deduplication.
        """
        while True:
            if remote < window:
                submit(chunk)
                break
            if len(pending) < 2 * window and not head_ready():
                local: list[_Result] = []
                for source in chunk:
                    local.extend(stage.one(source, serialise=False))
                pending.append((-1, None, len(chunk), local))
                break
            yield from drain_one()
        while pending and head_ready():  # hand on what is done, in order
            yield from drain_one()

    try:
        for _ in range(helpers):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_worker_main, args=(child_end, stage, arena), daemon=True
            )
            process.start()
            child_end.close()
            conns.append(parent_end)
            processes.append(process)
        chunk: list[SourceLike] = []
        chunk_bytes = 0
        inline: list[SourceLike] = []  # consecutive non-file sources, read here
        for source in sources:
            if isinstance(source, (str, os.PathLike)) and not is_url(source):
                if inline:
                    yield from drain(0)
                    yield from stage.run(inline, report)
                    inline = []
                chunk.append(source)
                chunk_bytes += len(os.fspath(source))
                if len(chunk) >= CHUNK_FILES or chunk_bytes >= CHUNK_PATH_BYTES:
                    yield from place(chunk)
                    chunk = []
                    chunk_bytes = 0
                continue
            if chunk:
                yield from place(chunk)
                chunk = []
                chunk_bytes = 0
            inline.append(source)
        if chunk:
            yield from place(chunk)
        yield from drain(0)
        yield from stage.run(inline, report)
    finally:
        for conn in conns:
            with contextlib.suppress(OSError):  # that worker is gone already
                conn.send(None)
        for process in processes:
            process.join(timeout=1)
            if process.is_alive():  # stopped early with work queued: do not wait for it
                process.terminate()
                process.join()
        for conn in conns:
            conn.close()
        if arena is not None:
            arena.close()


# Result kinds whose line a worker moves into the arena, and what they become there.
_SERIALISED = {"r": "R", "a": "A"}
_IN_ARENA = frozenset(_SERIALISED.values())


def _expanded(
    sources: Iterable[SourceLike] | SourceLike,
    reject: Callable[[NewsIngestError, str | None], None],
) -> Iterator[SourceLike]:
    """Expand each given source in turn; one that cannot be expanded is rejected alone."""
    for given in as_source_list(sources):
        try:
            yield from expand_sources(given)
        except SourceError as error:
            reject(error, None)


def _url_error(
    url: str | None, location: str, line: int | None, item: int | None, error: InvalidURLError
) -> ParseError:
    parse_error = ParseError(
        f"URL {url!r} cannot be normalised: {error.message}",
        source=location,
        line=line,
        item=item,
        reason=f"invalid_url:{error.reason}",
    )
    parse_error.__cause__ = error
    return parse_error


# The record of a seed file: Article.to_dict() of what the seed reader gives, whose
# fields _Stage._seed fills in. Taking the layout from to_dict() keeps the record path
# from drifting from it (and a property test holds the two paths equal).
_SEED_RECORD: Final = unchecked_article(
    {
        "published_precision": "day",
        "source": Provenance(reader="textfile", location="", line=1),
    }
).to_dict()
_SEED_SOURCE: Final = _SEED_RECORD["source"]


#: A seed date's record form and unix seconds, by its raw ``YYYYMMDD`` string: a corpus
#: has few distinct days, and a str key hashes far cheaper than an aware datetime.
_DAY_VALUES: dict[str, tuple[str, int]] = {}


def _day_values(raw: str, published: datetime) -> tuple[str, int]:
    """``published`` (the checked date of ``raw``) as its record form and unix seconds."""
    values = _DAY_VALUES.get(raw)
    if values is None:
        if len(_DAY_VALUES) >= 1 << 16:
            _DAY_VALUES.clear()
        values = _DAY_VALUES[raw] = (format_utc(published), int(published.timestamp()))
    return values


def _loads(line: str) -> dict[str, Any]:
    """A JSON line this pipeline wrote, back as its record."""
    try:
        return orjson.loads(line)  # type: ignore[no-any-return]
    except orjson.JSONDecodeError:  # a lone surrogate: only the json module reads it back
        return json.loads(line)  # type: ignore[no-any-return]
