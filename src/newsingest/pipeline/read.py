"""The read stage: sources -> readers -> normalised records, errors and warnings.

:meth:`ReadStage.plan` groups sources into :class:`~newsingest.pipeline.items.Chunk`
units of work (runs of local files, runs of URLs, single streams); calling the stage
on a chunk yields its :data:`~newsingest.pipeline.items.StageItem` in source order.
The stage is a plain picklable value, so :func:`~newsingest.pipeline.workers.ordered_map`
may run file chunks in worker processes. It knows no concrete reader: what a reader
offers beyond ``read`` is asked of its declared Protocols
(:func:`~newsingest.readers.capabilities`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from newsingest.exceptions import (
    NewsIngestError,
    NewsIngestWarning,
    ParseError,
    SourceError,
    SourceNotFoundError,
    UnsupportedSourceError,
)
from newsingest.model import Article, ArticleRecord
from newsingest.pipeline.items import (
    Accepted,
    Chunk,
    Emitted,
    Rejected,
    Skipped,
    SourceDone,
    StageItem,
    Warned,
)
from newsingest.pipeline.normalise import normalise_record
from newsingest.readers import (
    SNIFF_BYTES,
    Capabilities,
    Reader,
    ReaderItem,
    ReaderRegistry,
    SourceLike,
    WalkedPath,
    buffer_stream,
    capabilities,
    is_url,
    read_file,
    source_name,
    split_source,
)
from newsingest.state import SeenStore

if TYPE_CHECKING:
    from newsingest.dedup import Candidate
    from newsingest.hydrate import SeenPages
    from newsingest.state import ValidatorStore

__all__ = ["CHUNK_FILES", "CHUNK_PATH_BYTES", "READ_ONCE_BYTES", "ReadStage"]

#: Files up to this size are read once, then sniffed and parsed from memory.
READ_ONCE_BYTES = 1 << 20
#: Local files per chunk: coarse units keep inter-process traffic low.
CHUNK_FILES = 64
#: Largest total path length of one chunk (what is sent to a worker stays small).
CHUNK_PATH_BYTES = 16 << 10


class _Opened(NamedTuple):
    """A source with its reader chosen."""

    reader: Reader
    #: the source (a stream buffered so it could be sniffed)
    source: SourceLike
    #: the bytes of a small file, read once
    data: bytes | None
    #: the reader's records are taken directly (RecordReader, nothing to hydrate)
    records: bool


@attrs.frozen(kw_only=True)
class ReadStage:
    """Read, parse and normalise sources; prepare each record's dedup candidate.

    Attributes:
        registry: where readers are resolved per source.
        forced: one reader for every source instead of resolving.
        normalize: add canonical URL and keys (off: records pass as read).
        prepare: builds a record's dedup :class:`~newsingest.dedup.Candidate`
            (``None``: no dedup).
        fetch: options for :func:`newsingest.hydrate.hydrate`, or ``None``.
        concurrency: URLs polled at once by a reader that can poll many.
        state: the state store readers with per-source state keep it in; it stays
            in this process (worker processes read local files only).
    """

    registry: ReaderRegistry
    forced: Reader | None = None
    normalize: bool = True
    prepare: Callable[[ArticleRecord], Candidate] | None = None
    fetch: Mapping[str, Any] | None = None
    concurrency: int = 4
    state: ValidatorStore | None = attrs.field(default=None, eq=False)
    #: mark the end of each source's items with a :class:`SourceDone`
    per_source: bool = False
    #: which pages ``fetch`` need not fetch again: this run's, and those of earlier
    #: runs the ``state`` store remembers (``None`` without ``fetch`` or dedup)
    pages: SeenPages | None = attrs.field(init=False, eq=False, repr=False)

    @pages.default
    def _pages(self) -> SeenPages | None:
        if self.fetch is None or self.prepare is None or "seen" in self.fetch:
            return None  # without a dedup nothing would report a page passed over
        from newsingest.hydrate import SeenPages  # noqa: PLC0415 - needs httpx

        store = self.state if isinstance(self.state, SeenStore) else None
        return SeenPages(store, partial(_page_identity, self.prepare))

    def __reduce__(self) -> tuple[Any, ...]:
        fields = attrs.asdict(self, recurse=False)
        fields["state"] = None  # the store is this process's: never sent to a worker
        del fields["pages"]
        return (_rebuild, (fields,))

    def plan(self, sources: Iterable[SourceLike]) -> Iterator[Chunk]:
        """Group sources, in order: runs of local files, runs of URLs, single others.

        A file whose reader reads it in parts (a :class:`~newsingest.readers.SplitReader`,
        such as a WARC) is a chunk per part.

        With ``fetch``, no chunk goes to a worker process: pages are fetched here,
        where the state store and the run's record of fetched pages are.
        """
        local = self.fetch is None  # files a worker process may read
        run: list[SourceLike] = []
        run_urls = False
        path_bytes = 0
        for source in sources:
            url = is_url(source)
            file = not url and isinstance(source, (str, os.PathLike))
            parts = split_source(self.registry, source, self.forced) if file else None
            if parts is not None:  # a large file its reader reads in parts: a chunk each
                if run:
                    yield Chunk(run, portable=local and not run_urls, urls=run_urls)
                    run, path_bytes = [], 0
                yield from (Chunk([part], portable=local, urls=False) for part in parts)
                continue
            if run and (url != run_urls or not (file or url)):
                yield Chunk(run, portable=local and not run_urls, urls=run_urls)
                run, path_bytes = [], 0
            if not (file or url):
                yield Chunk([source], portable=False, urls=False)
                continue
            run.append(source)
            run_urls = url
            if file:
                path_bytes += len(source) if isinstance(source, str) else len(os.fspath(source))  # type: ignore[arg-type]
                if len(run) >= CHUNK_FILES or path_bytes >= CHUNK_PATH_BYTES:
                    yield Chunk(run, portable=local, urls=False)
                    run, path_bytes = [], 0
        if run:
            yield Chunk(run, portable=local and not run_urls, urls=run_urls)

    def __call__(self, chunk: Chunk) -> Iterator[StageItem]:
        """The items of every source of ``chunk``, in order."""
        poller = self._poller() if chunk.urls and len(chunk.sources) > 1 else None
        if poller is not None:
            yield from self._many(poller, [str(url) for url in chunk.sources])
            return
        files = chunk.portable  # local files only
        forced = None if self.forced is None else self.forced.name
        for source in chunk.sources:
            name = forced
            started = time.monotonic() if self.per_source else 0.0
            try:  # one loop, no generator per source: a seed file is one record
                opened = self._open(source, files)
                name = opened.reader.name
                if opened.records:
                    reader: Any = opened.reader
                    for record in reader.read_records(opened.data, os.fspath(source)):  # type: ignore[arg-type]
                        yield self._item(record, name, records=True)
                else:
                    for item in self._items(opened.reader, opened.source, opened.data):
                        yield self._item(item, name)
            except UnsupportedSourceError as error:
                if isinstance(source, WalkedPath):  # found by a walk, not named: passed over
                    yield Skipped(str(source), "unsupported")
                else:
                    yield Rejected(error, name, counts_as_read=False)
            except SourceError as error:
                yield Rejected(error, name, counts_as_read=False)
            if self.per_source:
                yield SourceDone(source_name(source), name, time.monotonic() - started)

    def _open(self, source: SourceLike, file: bool) -> _Opened:
        """Choose the reader for ``source`` (reading a small file once, for both)."""
        data = _read_small_file(source) if file else None
        if data is None and self.forced is None:
            source = buffer_stream(source)
        reader = self.forced or self.registry.resolve(
            source, head=None if data is None else data[:SNIFF_BYTES]
        )
        able = capabilities(reader)
        reader = self._bound(reader, able)
        records = data is not None and self.fetch is None and able.records
        return _new_tuple(_Opened, (reader, source, data, records))

    def _poller(self) -> Reader | None:
        """The URL reader, when it polls many URLs at once and nothing forbids it."""
        if self.forced is not None or self.fetch is not None or self.concurrency < 2:
            return None
        try:
            reader = self.registry.resolve("https://")
        except NewsIngestError:
            return None
        able = capabilities(reader)
        return self._bound(reader, able) if able.many else None

    def _bound(self, reader: Reader, able: Capabilities) -> Reader:
        """``reader`` keeping its per-source state in the run's state store."""
        if self.state is not None and able.stateful:
            return reader.with_state(self.state)  # type: ignore[attr-defined, no-any-return]
        return reader

    def _many(self, reader: Reader, urls: list[str]) -> Iterator[StageItem]:
        bounds = _Boundaries(urls, reader.name) if self.per_source else None
        for item in reader.read_many(urls, concurrency=self.concurrency):  # type: ignore[attr-defined]
            if bounds is not None:
                yield from bounds.before(item)
            if isinstance(item, SourceError) and getattr(item, "item", None) is None:
                yield Rejected(item, reader.name, counts_as_read=False)  # a whole URL failed
            else:
                yield self._item(item, reader.name)
        if bounds is not None:
            yield from bounds.rest()

    def _items(
        self, reader: Reader, source: SourceLike, data: bytes | None
    ) -> Iterable[ReaderItem]:
        """What ``reader`` makes of ``source`` as Articles (``data``: its bytes, when read)."""
        items: Iterable[ReaderItem]
        if data is not None and capabilities(reader).data:
            items = reader.read_data(data, os.fspath(source))  # type: ignore[attr-defined, arg-type]
        else:
            items = reader.read(source)
        if self.fetch is not None:
            from newsingest.hydrate import hydrate  # noqa: PLC0415 - needs httpx

            options = dict(self.fetch)
            if self.pages is not None:
                options["seen"] = self.pages  # shared by every source of the run
            items = hydrate(items, **options)
        return items

    def _item(self, item: object, reader: str, *, records: bool = False) -> StageItem:
        """One reader item as a stage item: an accepted record, a warning or a reject.

        ``records``: the item comes from a :class:`~newsingest.readers.RecordReader`'s
        ``read_records``, where a dict is a record (anywhere else it is a reader bug).
        """
        if records and isinstance(item, dict):
            record: ArticleRecord = item  # type: ignore[assignment]
        elif isinstance(item, Article):
            record = item.to_dict()
        elif isinstance(item, NewsIngestWarning):
            return Warned(item)
        elif isinstance(item, NewsIngestError):
            return Rejected(item, reader, counts_as_read=isinstance(item, ParseError))
        else:
            raise TypeError(
                f"reader {reader!r} yielded {type(item).__name__}; readers yield "
                "Article, ParseError (or another NewsIngestError) or NewsIngestWarning"
            )
        if self.normalize:
            normalised = normalise_record(record)
            if isinstance(normalised, ParseError):
                return Rejected(normalised, reader, counts_as_read=True)
        prepare = self.prepare
        # tuple.__new__: the NamedTuple without its Python-level constructor (per record)
        return _new_tuple(Accepted, (Emitted(record), None if prepare is None else prepare(record)))


_new_tuple = tuple.__new__


def _page_identity(prepare: Callable[[ArticleRecord], Candidate], article: Article) -> str | None:
    """The URL key the dedup gives ``article`` as listed, before its page is fetched
    (``None``: it has none, or the dedup uses no URL keys)."""
    record = article.to_dict()
    record["body"] = []
    normalised = normalise_record(record)
    if isinstance(normalised, ParseError):
        return None
    return next((key for kind, key in prepare(normalised).keys if kind == "url"), None)


def _rebuild(fields: dict[str, Any]) -> ReadStage:
    return ReadStage(**fields)


def _read_small_file(source: SourceLike) -> bytes | None:
    """The whole content of a small file at path ``source``; ``None`` when larger.

    Raises:
        SourceNotFoundError: the path does not exist.
    """
    try:
        return read_file(source, READ_ONCE_BYTES)  # type: ignore[arg-type]
    except FileNotFoundError:
        raise SourceNotFoundError("no such file", source=os.fspath(source)) from None  # type: ignore[arg-type]
    except OSError:
        return None  # a directory, no permission…: let the reader say what it makes of it


def _location(item: object) -> str | None:
    """Which source a reader item belongs to (``None`` when it does not say)."""
    if isinstance(item, Article):
        return item.source.location
    return getattr(item, "source", None)


class _Boundaries:
    """Where one feed's items end in a concurrent poll (feeds come in input order)."""

    def __init__(self, urls: list[str], reader: str) -> None:
        self._waiting = list(reversed(urls))  # the next URL last
        self._left = set(urls)
        self._reader = reader
        self._current: str | None = None

    def before(self, item: object) -> Iterator[SourceDone]:
        """:class:`SourceDone` for the feeds that end before ``item``."""
        location = _location(item)
        if location is None or location == self._current or location not in self._left:
            return
        if self._current is not None:
            yield SourceDone(self._current, self._reader, None)
        while self._waiting[-1] != location:  # feeds with no item at all (304, empty)
            self._left.discard(self._waiting[-1])
            yield SourceDone(self._waiting.pop(), self._reader, None)
        self._current = self._waiting.pop()
        self._left.discard(self._current)

    def rest(self) -> Iterator[SourceDone]:
        if self._current is not None:
            yield SourceDone(self._current, self._reader, None)
        while self._waiting:
            yield SourceDone(self._waiting.pop(), self._reader, None)
