"""Readers and the registry that picks one for a source.

A *reader* turns one source (a file, a stream, a URL) into a stream of items:
:class:`~newsingest.model.Article` records as the source states them, plus
:class:`~newsingest.exceptions.ParseError` objects for records it had to reject
and :class:`~newsingest.exceptions.NewsIngestWarning` objects for oddities, so
one bad record never hides the good ones after it. Readers never normalise or
deduplicate; :func:`newsingest.ingest` does that afterwards.

A :class:`ReaderRegistry` is a plain object: register readers by name with
their file suffixes, URL prefixes and a content sniffer, then ``resolve(source)``.
Third-party readers register explicitly or through the ``newsingest.readers``
entry-point group, loaded when :meth:`ReaderRegistry.load_entry_points` is called.
"""

from __future__ import annotations

import glob
import io
import os
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from operator import attrgetter
from pathlib import Path
from stat import S_ISREG
from typing import (
    IO,
    TYPE_CHECKING,
    Any,
    Final,
    NamedTuple,
    Protocol,
    TypeAlias,
    TypeVar,
    runtime_checkable,
)

import attrs

from newsingest.exceptions import (
    NewsIngestWarning,
    ParseError,
    RegistryError,
    SourceError,
    SourceNotFoundError,
    UnsupportedSourceError,
)
from newsingest.model import Article, ArticleRecord

if TYPE_CHECKING:
    from newsingest.state import ValidatorStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "MAX_WALK_DEPTH",
    "SNIFF_BYTES",
    "STREAM_BYTES",
    "BytesReader",
    "Capabilities",
    "FileRange",
    "ManyURLReader",
    "Reader",
    "ReaderItem",
    "ReaderRegistry",
    "RecordItem",
    "RecordReader",
    "Registration",
    "SourceLike",
    "SplitReader",
    "StatefulReader",
    "WalkedPath",
    "as_source_list",
    "buffer_stream",
    "capabilities",
    "default_registry",
    "expand_sources",
    "group_sources",
    "is_url",
    "open_binary",
    "read_file",
    "read_or_reject",
    "read_whole",
    "source_name",
    "split_source",
]

#: Entry-point group third-party packages use to offer readers.
ENTRY_POINT_GROUP = "newsingest.readers"

#: How many leading bytes a sniffer sees.
SNIFF_BYTES = 8192

#: What a reader accepts: a path (str or PathLike), an http(s) URL string, raw
#: bytes, or an open binary or text stream.
SourceLike: TypeAlias = "str | os.PathLike[str] | bytes | IO[bytes] | IO[str]"

#: What a reader yields.
ReaderItem: TypeAlias = "Article | ParseError | NewsIngestWarning"

#: What a :class:`RecordReader` yields: records in :meth:`Article.to_dict` layout
#: instead of Articles.
RecordItem: TypeAlias = "ArticleRecord | ParseError | NewsIngestWarning"


@runtime_checkable
class Reader(Protocol):
    """What every reader provides.

    Attributes:
        name: unique registry name, also recorded in each Article's provenance.

    Optional attributes a registry reads when none are passed to ``register``:
    ``suffixes`` (tuple of lower-case file suffixes such as ``".txt"``),
    ``url_prefixes`` (tuple such as ``("http://", "https://")``) and
    ``sniff(head: bytes) -> bool``.

    Optional capabilities are the Protocols below (:class:`BytesReader`,
    :class:`RecordReader`, :class:`ManyURLReader`, :class:`StatefulReader`);
    ``ingest()`` checks them with ``isinstance`` and uses what a reader offers.
    """

    name: str

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        """Yield the source's records (Articles), rejects (ParseError) and warnings.

        Raise a ``SourceError`` only when the source as a whole cannot be read.
        """
        ...  # abstract


@runtime_checkable
class BytesReader(Reader, Protocol):
    """A reader that parses a whole file from bytes already in memory.

    ``ingest()`` reads a small file once, sniffs it and hands the bytes and the path
    over, instead of the path alone (which the reader would open again).
    """

    def read_data(self, data: bytes, name: str) -> Iterable[ReaderItem]:
        """Yield the items of one file's ``data`` (``name``: its path, for provenance)."""
        ...  # abstract


@runtime_checkable
class RecordReader(Reader, Protocol):
    """A reader whose fast path yields records rather than Articles.

    ``read_records(data, name)`` must yield exactly what ``read`` would, each Article
    as its :meth:`Article.to_dict` record: the pipeline passes records between its
    stages, so such a reader skips building objects nobody asked for. Records must
    hold the same invariants as Articles (the pipeline does not re-validate them).
    """

    def read_records(self, data: bytes, name: str) -> Iterable[RecordItem]:
        """Yield one file's records, rejects and warnings (``name``: its path)."""
        ...  # abstract


@runtime_checkable
class ManyURLReader(Reader, Protocol):
    """A reader that polls several URLs at once, items still in URL order.

    A URL that fails as a whole is yielded as its ``SourceError`` (and polling goes
    on), as ``read`` of that URL alone would raise it.
    """

    def read_many(
        self, urls: Iterable[str], *, concurrency: int
    ) -> Iterable[ReaderItem | SourceError]:
        """Yield the items of every URL, fetching up to ``concurrency`` at once."""
        ...  # abstract


@runtime_checkable
class StatefulReader(Reader, Protocol):
    """A reader that remembers per-source state (feed validators) in the state file.

    ``ingest(state=…)`` reads through ``reader.with_state(store)``, so re-polls send
    ``If-None-Match`` / ``If-Modified-Since`` from Python as from the command line.
    """

    def with_state(self, state: ValidatorStore) -> Reader:
        """A reader like this one that keeps its per-source state in ``state``."""
        ...  # abstract


@attrs.frozen
class FileRange:
    """The records of a file that start in the bytes ``[start, end)`` (``end=None``:
    to the end): one part of a large file a :class:`SplitReader` reads in parts.

    A path-like object (``os.fspath`` gives the file's path), so it travels where a
    path does: to a worker process, into provenance, to the reader that made it.
    """

    path: str
    start: int = 0
    end: int | None = None

    def __fspath__(self) -> str:
        return self.path


@runtime_checkable
class SplitReader(Reader, Protocol):
    """A reader that reads one large file in parts (each a ``-j`` chunk, a Dask
    partition), such as a WARC read in byte ranges at record boundaries.

    ``split(path)`` returns the parts, each a :class:`FileRange` its ``read``
    takes; reading them all, in order, yields what reading the path would.
    """

    def split(self, path: str) -> list[FileRange]:
        """The parts of the file at ``path``, in file order."""
        ...  # abstract


class Capabilities(NamedTuple):
    """Which optional Protocols a reader implements (see :func:`capabilities`)."""

    data: bool
    records: bool
    many: bool
    stateful: bool
    parts: bool = False


_CAPABILITIES: dict[int, tuple[object, Capabilities]] = {}


def capabilities(reader: Reader) -> Capabilities:
    """The optional Protocols ``reader`` implements, checked once per reader object.

    ``isinstance`` against a runtime Protocol costs microseconds per check, more than
    parsing a small file; the answer is cached by identity (the reader is kept alive
    alongside, so an id is never reused for another reader while cached).
    """
    cached = _CAPABILITIES.get(id(reader))
    if cached is not None and cached[0] is reader:
        return cached[1]
    found = Capabilities(
        data=isinstance(reader, BytesReader),
        records=isinstance(reader, RecordReader),
        many=isinstance(reader, ManyURLReader),
        stateful=isinstance(reader, StatefulReader),
        parts=isinstance(reader, SplitReader),
    )
    if len(_CAPABILITIES) >= 1024:
        _CAPABILITIES.clear()
    _CAPABILITIES[id(reader)] = (reader, found)
    return found


Sniffer: TypeAlias = Callable[[bytes], bool]
_Item = TypeVar("_Item")


@attrs.frozen(kw_only=True)
class Registration:
    """A reader and how the registry routes sources to it."""

    reader: Reader
    suffixes: tuple[str, ...] = ()
    url_prefixes: tuple[str, ...] = ()
    sniff: Sniffer | None = None

    @property
    def name(self) -> str:
        return self.reader.name


_H = frozenset("hH")


def is_url(source: object) -> bool:
    """True for an ``http://`` or ``https://`` string."""
    # The first letter turns paths away before the slice and lowercasing.
    return (
        isinstance(source, str)
        and source[:1] in _H
        and source[:8].lower().startswith(("http://", "https://"))
    )


def source_name(source: object) -> str:
    """The name to show for a source in provenance and errors."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray)):
        return "<bytes>"
    name = getattr(source, "name", None)
    if isinstance(name, str) and name:
        return name
    return "<stream>"


def _has_glob(text: str) -> bool:
    return any(char in text for char in "*?[")


def as_source_list(sources: Iterable[SourceLike] | SourceLike) -> Iterator[SourceLike]:
    """Treat one source (path, URL, bytes, stream) as a list of one; iterate others."""
    if isinstance(sources, (str, bytes, bytearray, os.PathLike)) or hasattr(sources, "read"):
        yield sources  # type: ignore[misc]
    else:
        yield from sources


class WalkedPath(str):
    """A file found by walking a folder or expanding a glob, not named by the user.

    A plain ``str`` everywhere; the pipeline skips (and counts) such a file when no
    reader claims it, where a file named on purpose is an error.
    """

    __slots__ = ()


def expand_sources(
    sources: Iterable[SourceLike] | SourceLike,
    *,
    on_warning: Callable[[NewsIngestWarning], None] | None = None,
    on_skip: Callable[[str, str], None] | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[SourceLike]:
    """Flatten sources: directories recurse (sorted, deterministic), globs expand.

    URLs, bytes and streams pass through unchanged; files found by a walk or a glob
    come as :class:`WalkedPath`. A path that does not exist and matches no glob
    raises :class:`SourceNotFoundError`. What a walk cannot enter and why (a
    symlink loop, a folder that cannot be listed, one nested deeper than
    :data:`MAX_WALK_DEPTH`, a folder with no file at all) goes to ``on_warning`` as
    a :class:`NewsIngestWarning` (reason ``symlink_loop``, ``unreadable``,
    ``too_deep``, ``empty_folder``); each file it passes over goes to
    ``on_skip(path, reason)``: ``hidden`` (a name starting with ``.``),
    ``broken_link``, or ``own_output`` (a path in ``exclude``: a run's own output
    and state files, never read back as input).
    """
    warn = on_warning or _ignore
    walk = _Walk(warn, on_skip or _ignore_skip, exclude)
    for source in as_source_list(sources):
        if isinstance(source, (bytes, bytearray)) or hasattr(source, "read") or is_url(source):
            yield source
            continue
        path = Path(os.fspath(source))
        if path.is_dir():
            yield from walk.folder(str(path))
        elif path.is_file():
            yield source
        elif _has_glob(str(path)):
            yield from walk.glob(str(path))
        else:
            raise SourceNotFoundError("no such file or directory", source=str(path))


def _ignore(warning: NewsIngestWarning) -> None:
    return


def _ignore_skip(path: str, reason: str) -> None:
    return


_ENTRY_NAME = attrgetter("name")  # a C-level sort key: the walk sorts every entry

#: Folders nested deeper than this below a walked directory are not entered (a
#: ``too_deep`` warning names the first one): no archive of news is laid out that
#: deep, and a tree that is (a generated trap, a mount loop) is not walked forever.
MAX_WALK_DEPTH: Final = 1_000


class _Walk:
    """The folders and globs of one :func:`expand_sources` call.

    Each folder (by device and inode) is walked once per call: one reached again,
    through a symlinked root, a mount loop or a glob's ``**`` following a link
    back up, is skipped with a ``symlink_loop`` warning, and so is a file a glob
    reaches again by another path.
    """

    def __init__(
        self,
        warn: Callable[[NewsIngestWarning], None],
        skip: Callable[[str, str], None],
        exclude: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        self.warn = warn
        self.skip = skip
        self.exclude = frozenset(os.path.realpath(path) for path in exclude)
        self.seen: set[tuple[int, int]] = set()

    def _wanted(self, path: str) -> bool:
        """False (and the skip said) for a run's own output file."""
        if self.exclude and os.path.realpath(path) in self.exclude:
            self.skip(path, "own_output")
            return False
        return True

    def glob(self, pattern: str) -> Iterator[str]:
        try:
            matches = sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207 - absolute patterns
        except OSError as error:
            raise SourceNotFoundError(f"glob cannot be expanded: {error}", source=pattern) from None
        if not matches:
            raise SourceNotFoundError("glob matched no file", source=pattern)
        files: set[tuple[int, int]] = set()
        again = 0
        for match in matches:
            if os.path.isdir(match):  # noqa: PTH112 - a str path from glob
                yield from self.folder(match)
            elif os.path.isfile(match):  # noqa: PTH113
                if _identity(match) in files:
                    again += 1
                    continue
                files.add(_identity(match))
                if self._wanted(match):
                    yield WalkedPath(match)
        if again:
            self.warn(
                NewsIngestWarning(
                    f"{again} matches are files already matched by another path "
                    "(a symlink loop); each file is read once",
                    source=pattern,
                    reason="symlink_loop",
                )
            )

    def folder(self, root: str) -> Iterator[str]:
        """Every regular file below root in sorted path order (names compared per level).

        Depth-first with an explicit stack (no recursion limit). Hidden entries
        (names starting with ``.``) are skipped; symlinked directories below the
        root are not followed.
        """
        # (path, depth) of a folder to list, or (path, -1) of a file to yield:
        # popping the children in sorted order gives the order a recursive walk would.
        stack: list[tuple[str, int]] = [(root, 0)]
        found = 0
        while stack:
            path, depth = stack.pop()
            if depth < 0:
                if self._wanted(path):
                    found += 1
                    yield WalkedPath(path)
                continue
            entries = self._listing(path)
            if entries is None:
                if depth == 0:
                    return  # the root itself was not walked, and the warning says why
                continue
            children = [child for child in map(self._child(depth + 1), entries) if child]
            stack.extend(reversed(children))
        if not found:
            self.warn(
                NewsIngestWarning(
                    "no file to read in this folder", source=root, reason="empty_folder"
                )
            )

    def _child(self, depth: int) -> Callable[[os.DirEntry[str]], tuple[str, int] | None]:
        """What to do with one entry of a folder at ``depth - 1``: walk it, yield it, or skip."""

        def child(entry: os.DirEntry[str]) -> tuple[str, int] | None:
            if entry.name.startswith("."):
                self.skip(entry.path, "hidden")
                return None
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth > MAX_WALK_DEPTH:
                        self.warn(
                            NewsIngestWarning(
                                f"folder nested over {MAX_WALK_DEPTH} levels deep; not entered",
                                source=entry.path,
                                reason="too_deep",
                            )
                        )
                        return None
                    return (entry.path, depth)
                if entry.is_file():
                    return (entry.path, -1)
                if entry.is_symlink():
                    self.skip(entry.path, "broken_link")
                return None
            except OSError:
                return None

        return child

    def _listing(self, folder: str) -> list[os.DirEntry[str]] | None:
        """The sorted entries of ``folder``; ``None`` (with a warning) when it is not walked."""
        try:
            identity = _identity(folder)
            if identity in self.seen:
                self.warn(
                    NewsIngestWarning(
                        "folder already walked (a symlink or mount loop); not entered again",
                        source=folder,
                        reason="symlink_loop",
                    )
                )
                return None
            self.seen.add(identity)
            with os.scandir(folder) as scan:
                return sorted(scan, key=_ENTRY_NAME)
        except OSError as error:
            self.warn(
                NewsIngestWarning(
                    f"cannot list the folder: {error.strerror or error}",
                    source=folder,
                    reason="unreadable",
                )
            )
            return None


def _identity(path: str) -> tuple[int, int]:
    status = os.stat(path)  # noqa: PTH116 - a str path, no Path object per folder
    return status.st_dev, status.st_ino


#: Most of a stream (stdin) read into memory to be sniffed and parsed: the largest
#: document a built-in reader takes whole (a feed). A larger stream is refused
#: after this many bytes, without reading the rest.
STREAM_BYTES: Final = 16 * 1024 * 1024


def buffer_stream(source: SourceLike, max_bytes: int = STREAM_BYTES) -> SourceLike:
    """Make an open stream re-readable so it can be sniffed, keeping its name.

    Paths, URLs and bytes come back unchanged; a stream is read into memory, at
    most ``max_bytes`` of it.

    Raises:
        ParseError: the stream holds more than ``max_bytes`` (``too_large``).
    """
    if isinstance(source, (str, bytes, bytearray, os.PathLike)) or not hasattr(source, "read"):
        return source
    name, data = open_binary(source, max_bytes=max_bytes)
    buffered = io.BytesIO(data)
    buffered.name = name
    return buffered


def read_head(source: SourceLike, size: int = SNIFF_BYTES) -> bytes:
    """The first ``size`` bytes of a path, bytes or seekable stream (rewound after)."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:size])
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as handle:  # noqa: PTH123 - hot path, no Path object
                return handle.read(size)
        except OSError:
            return b""
    if isinstance(source, io.BytesIO):
        return source.getvalue()[:size]
    return b""


_WINDOWS = os.altsep is not None


def _suffix_of(source: SourceLike) -> str:
    """The lowercased suffix of a path's last component, as ``os.path.splitext`` has it
    (leading dots are not a suffix: ``.txt`` has none), without its Python-level cost."""
    if not isinstance(source, (str, os.PathLike)):
        return ""
    text = os.fspath(source)
    dot = text.rfind(".")
    if dot <= 0:
        return ""
    start = text.rfind("/") + 1  # where the last component starts
    if _WINDOWS:  # either separator ends a folder
        start = max(start, text.rfind("\\") + 1)
    if dot <= start or (text[start] == "." and not text[start:dot].strip(".")):
        return ""  # no dot in the last component, or only leading dots before it
    return text[dot:].lower()


class ReaderRegistry:
    """Readers by name, routed by URL prefix, content sniffing and file suffix.

    Resolution order for a source: a URL goes to the first reader registered for
    its prefix; otherwise readers whose sniffer accepts the leading bytes win
    (preferring one whose suffix also matches), then readers registered for the
    file's suffix; otherwise :class:`UnsupportedSourceError`.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, Registration] = {}
        # Per suffix: (readers claiming it, sniffers in asking order); reset on change.
        self._sniff_order: dict[str, tuple[tuple[Registration, ...], tuple[Registration, ...]]] = {}
        self._split_suffixes: frozenset[str] | None = None  # reset on change

    def register(
        self,
        reader: Reader,
        *,
        suffixes: Iterable[str] | None = None,
        url_prefixes: Iterable[str] | None = None,
        sniff: Sniffer | None = None,
        replace: bool = False,
    ) -> Registration:
        """Add a reader. Options default to the reader's own attributes.

        Raises:
            RegistryError: the reader lacks a name or ``read``, or the name is taken
                and ``replace`` is false.
        """
        name = getattr(reader, "name", None)
        if not isinstance(name, str) or not name:
            raise RegistryError(f"reader {reader!r} has no non-empty str 'name'")
        if not callable(getattr(reader, "read", None)):
            raise RegistryError(f"reader {name!r} has no callable 'read'")
        if name in self._by_name and not replace:
            raise RegistryError(
                f"a reader named {name!r} is already registered; pass replace=True to swap it"
            )
        if suffixes is None:
            suffixes = getattr(reader, "suffixes", ())
        if url_prefixes is None:
            url_prefixes = getattr(reader, "url_prefixes", ())
        if sniff is None:
            candidate = getattr(reader, "sniff", None)
            sniff = candidate if callable(candidate) else None
        normalised = []
        for suffix in suffixes:
            if not isinstance(suffix, str) or not suffix.startswith("."):
                raise RegistryError(f"reader {name!r}: suffix {suffix!r} must start with '.'")
            normalised.append(suffix.lower())
        registration = Registration(
            reader=reader,
            suffixes=tuple(normalised),
            url_prefixes=tuple(prefix.lower() for prefix in url_prefixes),
            sniff=sniff,
        )
        self._by_name[name] = registration
        self._sniff_order.clear()
        self._split_suffixes = None
        return registration

    def unregister(self, name: str) -> None:
        """Remove a reader; unknown names raise :class:`RegistryError`."""
        if self._by_name.pop(name, None) is None:
            raise RegistryError(f"no reader named {name!r} is registered")
        self._sniff_order.clear()
        self._split_suffixes = None

    def _order_for(self, suffix: str) -> tuple[tuple[Registration, ...], tuple[Registration, ...]]:
        """Readers claiming ``suffix``, and every sniffing reader in the order asked."""
        registrations = list(self._by_name.values())
        by_suffix = tuple(r for r in registrations if suffix and suffix in r.suffixes)
        others = [r for r in registrations if r not in by_suffix]
        sniffers = tuple(r for r in (*by_suffix, *others) if r.sniff is not None)
        return by_suffix, sniffers

    def split_suffixes(self) -> frozenset[str]:
        """The file suffixes claimed by readers that read large files in parts."""
        if self._split_suffixes is None:
            self._split_suffixes = frozenset(
                suffix
                for registration in self._by_name.values()
                if capabilities(registration.reader).parts
                for suffix in registration.suffixes
            )
        return self._split_suffixes

    def copy(self) -> ReaderRegistry:
        """A new registry with the same readers, routes and order; each changes alone.

        For a run that needs one reader more (or one replaced) without touching the
        process-wide :func:`default_registry`.
        """
        copied = ReaderRegistry()
        copied._by_name = dict(self._by_name)  # registrations are frozen: safe to share
        return copied

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Registration]:
        return iter(list(self._by_name.values()))

    def names(self) -> list[str]:
        """Registered reader names, in registration order."""
        return list(self._by_name)

    def get(self, name: str) -> Reader:
        """The reader registered under ``name``.

        Raises:
            RegistryError: no such reader.
        """
        try:
            return self._by_name[name].reader
        except KeyError:
            known = ", ".join(self._by_name) or "none"
            raise RegistryError(f"no reader named {name!r} (registered: {known})") from None

    def load_entry_points(self, *, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register readers advertised by installed packages; return their names.

        Each entry point may name a reader instance, a reader class, or a
        zero-argument factory returning a reader. Readers already registered under
        the same name are left alone (explicit registration wins).

        Raises:
            RegistryError: an entry point fails to load or is not a reader.
        """
        loaded = []
        for entry_point in metadata.entry_points(group=group):
            try:
                target: Any = entry_point.load()
            except Exception as error:
                raise RegistryError(
                    f"entry point {entry_point.name!r} ({entry_point.value}) failed to load: "
                    f"{error}"
                ) from error
            reader = target() if callable(target) and not hasattr(target, "read") else target
            if isinstance(reader, type):
                reader = reader()
            if not isinstance(reader, Reader):
                raise RegistryError(
                    f"entry point {entry_point.name!r} ({entry_point.value}) gave "
                    f"{reader!r}, which is not a reader (needs 'name' and 'read')"
                )
            if reader.name in self._by_name:
                continue
            self.register(reader)
            loaded.append(reader.name)
        return loaded

    def resolve(self, source: SourceLike, *, head: bytes | None = None) -> Reader:
        """Pick the reader for ``source``.

        Raises:
            UnsupportedSourceError: no registered reader accepts it.
        """
        if is_url(source):
            lowered = str(source).lower()
            for registration in self._by_name.values():
                if any(lowered.startswith(prefix) for prefix in registration.url_prefixes):
                    return registration.reader
            raise UnsupportedSourceError(
                "no reader is registered for URLs", source=source_name(source)
            )
        if head is None:
            head = read_head(source)
        suffix = _suffix_of(source)
        order = self._sniff_order.get(suffix)
        if order is None:
            order = self._sniff_order[suffix] = self._order_for(suffix)
        by_suffix, sniffers = order
        # Content decides; readers claiming the suffix are asked first, in registration
        # order, and asking stops at the first yes (sniffers can be costly).
        if head:
            for registration in sniffers:
                try:
                    if registration.sniff(head):  # type: ignore[misc]
                        return registration.reader
                except Exception:  # a failing sniffer just says no
                    continue
        if by_suffix:
            return by_suffix[0].reader
        known = ", ".join(self._by_name) or "none"
        raise UnsupportedSourceError(
            f"no reader recognises this source (suffix {suffix or 'none'!r}; readers: {known})",
            source=source_name(source),
        )


def split_source(
    registry: ReaderRegistry, source: SourceLike, forced: Reader | None = None
) -> list[FileRange] | None:
    """The parts a :class:`SplitReader` reads the local file ``source`` in, each one
    unit of work (a ``-j`` chunk, a Dask partition); ``None`` when it is read as usual.

    Only a file whose suffix a splitting reader claims is resolved here (for every
    other file this costs a set lookup), and only ``forced`` is asked when given. A
    file that cannot be resolved or split is left to the read, which reports it.
    """
    if isinstance(source, FileRange) or not isinstance(source, (str, os.PathLike)):
        return None
    if is_url(source):
        return None
    reader = forced
    if reader is None:
        if _suffix_of(source) not in registry.split_suffixes():
            return None
        try:
            reader = registry.resolve(source)
        except SourceError:
            return None
    if not capabilities(reader).parts:
        return None
    try:
        return reader.split(os.fspath(source))  # type: ignore[attr-defined, no-any-return]
    except OSError:
        return None


def group_sources(
    sources: Iterable[SourceLike],
    size: int,
    registry: ReaderRegistry | None = None,
    forced: Reader | None = None,
) -> list[list[SourceLike]]:
    """Sources in runs of up to ``size``, in order, except that each part of a file a
    :class:`SplitReader` reads in parts (see :func:`split_source`) is a group alone:
    the units of work of a distributed read (``registry``: the default one if not given).
    """
    registry = default_registry() if registry is None else registry
    groups: list[list[SourceLike]] = []
    run: list[SourceLike] = []
    for source in sources:
        parts = split_source(registry, source, forced)
        if parts is None:
            run.append(source)
            if len(run) >= size:
                groups.append(run)
                run = []
            continue
        if run:
            groups.append(run)
            run = []
        groups.extend([part] for part in parts)
    if run:
        groups.append(run)
    return groups


def open_binary(source: SourceLike, *, max_bytes: int | None = None) -> tuple[str, bytes]:
    """Read a whole path, bytes or stream as bytes; return ``(name, data)``.

    Text streams are encoded back to UTF-8 so every reader decodes one way.
    With ``max_bytes``, a larger source is refused before it is read in full
    (a path by its size, a stream after ``max_bytes + 1`` bytes).

    Raises:
        SourceNotFoundError: the path does not exist.
        ParseError: the source is over ``max_bytes`` (reason ``too_large``).
    """
    name = source_name(source)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            read = read_file(source, max_bytes)
        except FileNotFoundError:
            raise SourceNotFoundError("no such file", source=name) from None
        except IsADirectoryError:
            raise SourceNotFoundError("is a directory, not a file", source=name) from None
        if read is None:
            raise _too_large(name, max_bytes)  # type: ignore[arg-type]
        data = read
    else:
        chunk = source.read() if max_bytes is None else source.read(max_bytes + 1)
        data = chunk.encode("utf-8", "surrogatepass") if isinstance(chunk, str) else bytes(chunk)
    if max_bytes is not None and len(data) > max_bytes:
        raise _too_large(name, max_bytes)
    return name, data


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
#: The first read's size. Each read allocates its whole size up front: 1 MiB for a
#: 4 KB article costs more than opening and reading it (glibc serves it by mmap).
#: Reads double after a full read, so a large file still takes few reads; the read
#: that finds the end of a small file stays at this size.
FIRST_READ_BYTES = 64 << 10


def read_file(path: str | os.PathLike[str], limit: int | None = None) -> bytes | None:
    """The whole content of the file at ``path``; ``None`` when it is over ``limit`` bytes.

    Plain ``os.open``/``os.read``: for a 4 KB article the buffered file object costs
    more than the read itself. A regular file is read in one ``os.read`` of its size
    (from ``fstat``) plus one byte: fewer bytes back is its end, and a file over
    ``limit`` is not read at all. Anything else, or a file that grew since ``fstat``
    (or claims size 0, as ``/proc`` files do), is read until an empty read, since a
    short read is not the end of a pipe (``/dev/stdin``), and never more than
    ``limit + 1`` bytes.

    Raises:
        OSError: as ``os.open``, ``os.fstat`` and ``os.read`` raise it
            (``FileNotFoundError``, ``IsADirectoryError``…).
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        parts = []
        size = 0
        want = FIRST_READ_BYTES
        info = os.fstat(fd)
        if S_ISREG(info.st_mode):
            if limit is not None and info.st_size > limit:
                return None
            first = os.read(fd, info.st_size + 1)
            if len(first) <= info.st_size:
                return first  # the whole file, in one read
            parts.append(first)  # it grew: read on
            size = len(first)
        while limit is None or size <= limit:
            part = os.read(fd, want if limit is None else min(want, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
            if len(part) == want:  # a full read: the file may be large, read more at once
                want = min(want * 2, 16 << 20)
    finally:
        os.close(fd)
    if limit is not None and size > limit:
        return None
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _too_large(name: str, limit: int) -> ParseError:
    return ParseError(f"document is over the {limit}-byte limit", source=name, reason="too_large")


def read_or_reject(
    source: SourceLike, max_bytes: int | None = None
) -> tuple[str, bytes] | ParseError:
    """:func:`open_binary`, with failure returned as a ParseError a reader can yield.

    For file-per-record readers, a missing or unreadable file is one rejected
    record of the run, not the end of it.
    """
    try:
        return open_binary(source, max_bytes=max_bytes)
    except SourceError as error:
        return ParseError(error.message, source=error.source, reason=error.reason)
    except OSError as error:
        return ParseError(
            f"cannot read: {error.strerror or error}",
            source=source_name(source),
            reason="unreadable",
        )


def read_whole(
    read_data: Callable[[bytes, str], Iterable[_Item]],
    source: SourceLike,
    max_bytes: int | None = None,
) -> Iterator[_Item | ParseError]:
    """Read ``source`` whole and parse it with ``read_data(data, name)``.

    The ``read`` of a reader that parses bytes in memory: a source that cannot be
    read, or is over ``max_bytes`` (checked while reading, so a huge file costs no
    more than the limit), is yielded as its ParseError (see :func:`read_or_reject`).
    """
    loaded = read_or_reject(source, max_bytes)
    if isinstance(loaded, ParseError):
        yield loaded
        return
    name, data = loaded
    yield from read_data(data, name)


_default: ReaderRegistry | None = None


def default_registry() -> ReaderRegistry:
    """The process-wide registry with the built-in readers, built on first use.

    Built-ins: ``feed`` (RSS and Atom), ``jsonfeed``, ``sitemap``, ``warc`` (web
    archives), ``textfile`` (the seed text format) and ``urls`` (lists of URLs).
    Plugins are added by :meth:`ReaderRegistry.load_entry_points`.
    """
    global _default
    if _default is None:
        registry = ReaderRegistry()
        for register in _builtin_hooks():
            register(registry)
        _default = registry
    return _default


def _builtin_hooks() -> list[Callable[[ReaderRegistry], None]]:
    """The ``register`` hooks of the built-in reader modules, in priority order."""
    # Imported on first use; none of these import feedparser or httpx at module level.
    from newsingest.readers import (  # noqa: PLC0415
        feed,
        jsonfeed,
        sitemap,
        textfile,
        urllist,
        warc,
    )

    # Order matters where readers overlap: feeds claim http(s) URLs before URL lists,
    # and the seed format comes before URL lists for .txt (sniffing keeps them apart).
    hooks: list[Callable[[ReaderRegistry], None]] = [
        feed.register,
        jsonfeed.register,
        sitemap.register,
        warc.register,
        textfile.register,
        urllist.register,
    ]
    return hooks
