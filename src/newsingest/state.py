"""The state room: what one ``--state`` file remembers between runs.

A monitor polls the same feeds and reads the same dumps run after run; everything it
must carry from one run to the next lives in one store, and this module owns it:

* **seen keys**: which versioned dedup keys (``"u1:…"``, ``"c1:…"``, ``"t1:…"``) were
  already kept, each as a :class:`SeenEntry` saying which kept article owns the key,
  where it came from and when it was first seen (what the
  :class:`~newsingest.dedup.Deduplicator` asks);
* **near-duplicate signatures** of kept articles (:class:`NearSignature`);
* **feed validators** (ETag / Last-Modified) that :mod:`newsingest.fetch` sends back
  for conditional GET (the :class:`ValidatorStore` part of a store).

Two implementations share the :class:`SeenStore` protocol (a :class:`ValidatorStore`
too):

* :class:`MemoryStore`: a dict, for one run (the default).
* :class:`SQLiteStore`: a real SQLite file in WAL mode with a versioned layout
  (:data:`STORE_SCHEMA_VERSION`), for use across runs and by several processes at
  once; :func:`state_info` and :func:`prune` serve ``newsingest state info`` and
  ``newsingest state prune``.

The commit contract (at-least-once):
    ``add()``, ``add_signatures()`` and ``set_validators()`` only *stage* their data; it is
    visible to this process's ``lookup()`` / ``get_validators()`` at once, but it reaches
    the file only at ``commit()``. Call ``commit()`` only after the articles whose keys
    were staged have been handed downstream (written and flushed). A crash before the
    commit then forgets those keys, and the re-run emits the articles again: an article
    may be emitted twice, never zero times. Validators follow the same rule, because a
    committed ETag makes the next poll answer ``304`` and skip the feed's items.

Two processes sharing one SQLite file never corrupt it (every commit is one short
``BEGIN IMMEDIATE`` transaction with a busy timeout), but they may both keep an article
neither had seen yet; that again errs on the side of emitting twice.

The state room sits below the readers and the fetcher: it imports neither
:mod:`newsingest.fetch` nor httpx or feedparser, so anything may hold a store.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, runtime_checkable

from newsingest.exceptions import SourceNotFoundError, StoreError
from newsingest.model import format_utc

if TYPE_CHECKING:
    from newsingest.schedule import FeedStatus

__all__ = [
    "STORE_SCHEMA_VERSION",
    "FeedRow",
    "FeedStatusStore",
    "MemoryStore",
    "NearSignature",
    "SQLiteStore",
    "SeenEntry",
    "SeenStore",
    "ValidatorStore",
    "also_seen",
    "claim_keys",
    "feed_statuses",
    "open_store",
    "prune",
    "state_info",
    "subscribed_feeds",
]

#: Layout version of the SQLite file; a file of a newer version is refused.
STORE_SCHEMA_VERSION: Final = 3
# Layouts an older newsingest wrote that this one upgrades in place, in one transaction:
# 1 lacked the feed tables; 1 and 2 kept seen keys in a B-tree ordered by the key text.
_UPGRADABLE: Final = frozenset({"1", "2"})

# SQLite accepts 32766 host parameters since 3.32; stay far below for older builds.
_LOOKUP_CHUNK: Final = 500
_BUSY_TIMEOUT_S: Final = 60.0
# How often (seconds) a store asks whether another connection committed to its file.
_FRESH_S: Final = 0.1
# Keys looked up in SQL per page of the file before the key filter is built: scanning a
# page of keys into the filter costs about what a handful of single-key SELECTs do.
_LOOKUPS_PER_PAGE: Final = 4

_META: Final = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID
"""

# Layout 3 appends seen keys in the order they are committed (a rowid table: a commit
# writes its rows into the last pages only) and finds them through a small index of an
# 8-byte hash of the key. Layout 2 kept the rows in a B-tree ordered by the key text;
# random keys landed all over it, so every commit rewrote pages spread over the whole
# file and its cost grew with the store. The full key is kept and always compared: two
# keys with the same hash are two rows, never one story.
_SEEN: Final = """
CREATE TABLE IF NOT EXISTS seen (
    id         INTEGER PRIMARY KEY, -- commit order
    h          INTEGER NOT NULL,    -- first 8 bytes of blake2b(key), signed (_key_hash)
    key        TEXT NOT NULL,       -- versioned dedup key: u1:…, c1:…, t1:…
    kind       TEXT NOT NULL,       -- url | content | title
    kept       TEXT,                -- identity key of the kept article (NULL: the key itself)
    source     TEXT NOT NULL,       -- where the kept article came from (path:line, url item N)
    first_seen INTEGER NOT NULL,    -- unix seconds, UTC
    at         INTEGER              -- the kept article's time, for windowed (title) keys
);
CREATE INDEX IF NOT EXISTS seen_h ON seen (h);
"""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS near (
    key        TEXT PRIMARY KEY,   -- identity key of the kept article
    version    TEXT NOT NULL,      -- signature algorithm and parameters
    signature  BLOB NOT NULL,
    source     TEXT NOT NULL,
    first_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS validators (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    updated       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feeds (
    url        TEXT PRIMARY KEY,   -- a feed polled from a feed list or the command line
    title      TEXT,
    html_url   TEXT,
    folders    TEXT NOT NULL,      -- JSON list: the feed list's folders, outermost first
    categories TEXT NOT NULL,      -- JSON list
    position   INTEGER NOT NULL,   -- first-seen order
    added      INTEGER NOT NULL    -- unix seconds, UTC
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_status (
    url        TEXT PRIMARY KEY,
    next_poll  INTEGER,            -- unix seconds, UTC (NULL: due now)
    disabled   TEXT,               -- why the feed is no longer polled (NULL: enabled)
    status     TEXT NOT NULL,      -- JSON: newsingest.schedule.FeedStatus.to_json()
    recent     TEXT NOT NULL       -- JSON list: identities of the last poll's items
) WITHOUT ROWID;
"""

#: A feed as :meth:`SQLiteStore.remember_feeds` takes it and :func:`subscribed_feeds`
#: gives it back: url, title, html_url, folders, categories.
FeedRow = tuple[str, str | None, str | None, Sequence[str], Sequence[str]]

_UPSERT_FEED: Final = (
    "INSERT INTO feeds (url, title, html_url, folders, categories, position, added) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET title = excluded.title, "
    "html_url = excluded.html_url, folders = excluded.folders, categories = excluded.categories"
)

_INSERT_SEEN: Final = (
    "INSERT INTO seen (h, key, kind, kept, source, first_seen, at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_SEEN: Final = (
    "SELECT key, kind, coalesce(kept, key), source, first_seen, at, id FROM seen WHERE h IN "
)


def _key_hash(key: str) -> int:
    """The seen table's index value of ``key``: stable across processes and versions."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SeenEntry(NamedTuple):
    """One remembered key.

    Attributes:
        key: the versioned key (``"c1:…"``).
        kind: which key type it is: ``"url"``, ``"entry"``, ``"content"`` or ``"title"``;
            ``"scope"`` and ``"story"`` for boilerplate keys, ``"version"`` for a
            story's latest version.
        kept: the identity key of the article that was kept for it (for a version
            record: that version's content key and loose key).
        source: where that kept article came from (``Provenance.where()``).
        first_seen: when the key was first recorded, in unix seconds (UTC).
        at: the kept article's own time in unix seconds, for windowed keys; the version
            number for a version record; else ``None``.
    """

    key: str
    kind: str
    kept: str
    source: str
    first_seen: int
    at: int | None = None


class NearSignature(NamedTuple):
    """A kept article's near-duplicate signature.

    Attributes:
        key: the identity key of the kept article.
        version: the algorithm and parameters that produced ``signature``.
        signature: the raw signature bytes (see :mod:`newsingest.dedup.near`).
        source: where the kept article came from.
        first_seen: when it was recorded, in unix seconds (UTC).
    """

    key: str
    version: str
    signature: bytes
    source: str
    first_seen: int


@runtime_checkable
class ValidatorStore(Protocol):
    """Where the validators (ETag / Last-Modified) of each feed URL live between polls.

    :class:`~newsingest.fetch.Fetcher` sends them back as ``If-None-Match`` /
    ``If-Modified-Since``. Every :class:`SeenStore` is one, so the ``--state`` file
    keeps them beside the seen keys. Implementations must be safe to call from
    several threads.
    """

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Return ``(etag, last_modified)`` remembered for ``url``, or ``None``."""
        ...  # abstract

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember (a :class:`SeenStore`: stage) the validators of ``url``; both ``None``
        forgets them."""
        ...  # abstract


@runtime_checkable
class FeedStatusStore(Protocol):
    """Where each polled feed's health and schedule live between polls
    (:class:`~newsingest.schedule.FeedStatus`). Safe to call from several threads."""

    def feed_status(self, url: str) -> FeedStatus | None:
        """The status of ``url``, staged one included; ``None`` for a feed never polled."""
        ...  # abstract

    def set_feed_status(self, status: FeedStatus) -> None:
        """Remember (a :class:`SeenStore`: stage) a feed's status."""
        ...  # abstract


@runtime_checkable
class SeenStore(ValidatorStore, Protocol):
    """What the :class:`~newsingest.dedup.Deduplicator` needs from a memory of seen keys.

    Staged data (``add``, ``add_signatures``, ``set_validators``) is visible to this
    process immediately and becomes durable only at :meth:`commit`; see the module
    docstring for why that ordering gives at-least-once delivery.
    """

    def lookup(self, keys: Sequence[str]) -> dict[str, SeenEntry]:
        """Return the entries of those ``keys`` that are known, staged ones included."""
        ...  # abstract

    def add(self, entries: Iterable[SeenEntry]) -> None:
        """Stage entries; a key already known keeps its first owner (title keys excepted)."""
        ...  # abstract

    def add_signatures(self, signatures: Iterable[NearSignature]) -> None:
        """Stage near-duplicate signatures of kept articles."""
        ...  # abstract

    def signatures(self, version: str) -> Iterator[NearSignature]:
        """Yield every known signature made by algorithm ``version``."""
        ...  # abstract

    def commit(self) -> None:
        """Make everything staged durable. Call only after the output is written."""
        ...  # abstract

    def close(self) -> None:
        """Release resources; anything staged and not committed is dropped."""
        ...  # abstract


_new_tuple = tuple.__new__


def _now_s() -> int:
    return int(time.time())


def _merge(current: SeenEntry | None, new: SeenEntry) -> SeenEntry:
    """Return the entry a store should hold after ``new`` is added over ``current``."""
    if current is None:
        return new
    if (
        current.kind in ("title", "version")
        and new.at is not None
        and (current.at is None or new.at > current.at)
    ):
        return current._replace(kept=new.kept, source=new.source, at=new.at)
    return current


def claim_keys(
    store: SeenStore, keys: Sequence[tuple[str, str]], kept: str, source: str, now: int
) -> dict[str, SeenEntry]:
    """What ``MemoryStore.claim`` does, for any store: :meth:`~SeenStore.lookup` the
    ``(kind, key)`` pairs, and :meth:`~SeenStore.add` them all if none is known."""
    found = store.lookup([key for _, key in keys])
    if not found:
        store.add(
            [_new_tuple(SeenEntry, (key, kind, kept, source, now, None)) for kind, key in keys]
        )
    return found


#: What MemoryStore keeps per key: a SeenEntry's fields as a plain tuple.
_Row = tuple[str, str, str, str, int, int | None]


class MemoryStore:
    """A seen-store held in a dict; it lives and dies with the process.

    ``commit()`` has nothing to make durable, so staged entries count as stored at once.
    Entries are kept as plain tuples and handed out as :class:`SeenEntry`: CPython's
    garbage collector stops tracking a plain tuple of strings and numbers, but keeps
    tracking (and re-scanning, run after run of a long ingest) every named tuple.
    """

    def __init__(self) -> None:
        self._seen: dict[str, _Row] = {}
        self._near: dict[str, NearSignature] = {}
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        self._feeds: dict[str, FeedStatus] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def feed_status(self, url: str) -> FeedStatus | None:
        with self._lock:
            return self._feeds.get(url)

    def set_feed_status(self, status: FeedStatus) -> None:
        with self._lock:
            self._feeds[status.url] = status

    def feed_statuses(self) -> dict[str, FeedStatus]:
        """Every feed's status, by URL."""
        with self._lock:
            return dict(self._feeds)

    def lookup(self, keys: Sequence[str]) -> dict[str, SeenEntry]:
        seen = self._seen
        found: dict[str, SeenEntry] = {}
        for key in keys:
            row = seen.get(key)
            if row is not None:
                found[key] = _new_tuple(SeenEntry, row)
        return found

    def claim(
        self, keys: Sequence[tuple[str, str]], kept: str, source: str, now: int
    ) -> dict[str, SeenEntry]:
        """Stage ``(kind, key)`` pairs as owned by ``kept`` unless one is known already.

        Returns the known entries (nothing staged) or ``{}`` (all staged): a lookup,
        then an :meth:`add` of new entries, in one pass over the dict. What the
        :class:`~newsingest.dedup.Deduplicator` does for every kept record; not for
        title keys, whose entries keep a time.
        """
        found = self.lookup([key for _, key in keys])
        if not found:
            seen = self._seen
            for kind, key in keys:
                seen[key] = (key, kind, kept, source, now, None)
        return found

    def add(self, entries: Iterable[SeenEntry]) -> None:
        seen = self._seen
        for entry in entries:
            key = entry[0]
            row = seen.get(key)
            merged = entry if row is None else _merge(_new_tuple(SeenEntry, row), entry)
            seen[key] = tuple(merged)  # type: ignore[assignment]

    def add_signatures(self, signatures: Iterable[NearSignature]) -> None:
        for signature in signatures:
            self._near.setdefault(signature.key, signature)

    def signatures(self, version: str) -> Iterator[NearSignature]:
        return (sig for sig in list(self._near.values()) if sig.version == version)

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        with self._lock:
            return self._validators.get(url)

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock:
            if etag is None and last_modified is None:
                self._validators.pop(url, None)
            else:
                self._validators[url] = (etag, last_modified)

    def commit(self) -> None:
        """Nothing to do: a memory store has no durability to give."""

    def close(self) -> None:
        """Nothing to release."""


class _KeyFilter:
    """Which keys are certainly *not* in a store's file: a Bloom filter of its keys.

    Three bits per key out of at least 16 per key (about 0.5 % false positives when
    full, fewer before); a key whose bits are not all set was never added. Positions
    come from Python's string hash, so a filter is only good in the process that built
    it (it is never stored). ``capacity`` keys fit in a layer before it must grow to
    keep its false positives rare. It is made with room for four times the keys it
    starts with, so it takes 2 to 8 bytes a key (at least 2 MiB).

    A full filter is not rebuilt from the file (a scan of every key, whose cost grows
    with the store): :meth:`grown` puts a new, larger layer in front of it, which takes
    the keys from then on, while the full layers keep answering for the keys they hold.
    Layers grow fourfold, so a store of n keys has about log4(n) of them and the false
    positives stay under the sum of their rates (about 1 %).
    """

    #: Bits at least: 16 Mi (a 2 MiB filter, 1 Mi keys), so most stores never grow it.
    MIN_BITS: Final = 1 << 24

    def __init__(self, keys: int) -> None:
        bits = self.MIN_BITS
        while bits < keys * 64:  # room to grow 4x before the next layer
            bits <<= 1
        self.mask = bits - 1
        self.bits = bytearray(bits >> 3)
        self.capacity = bits >> 4
        self.count = 0
        self.older: list[_KeyFilter] = []  # full layers, each answering for its own keys

    def add_all(self, keys: Iterable[str]) -> None:
        bits, mask = self.bits, self.mask
        count = 0
        for key in keys:
            value = hash(key)
            step = (value >> 32) | 1
            at = value & mask
            bits[at >> 3] |= 1 << (at & 7)
            at = (at + step) & mask
            bits[at >> 3] |= 1 << (at & 7)
            at = (at + step) & mask
            bits[at >> 3] |= 1 << (at & 7)
            count += 1
        self.count += count

    def grown(self) -> _KeyFilter:
        """A new front layer with room for four times this filter's keys, holding this
        filter (and its older layers) behind it."""
        front = _KeyFilter(self.keys)
        front.older, self.older = [*self.older, self], []
        return front

    @property
    def keys(self) -> int:
        """Keys added to every layer."""
        return self.count + sum(layer.count for layer in self.older)

    def __contains__(self, key: str) -> bool:
        if self._holds(key):
            return True
        return bool(self.older) and any(layer._holds(key) for layer in self.older)

    def _holds(self, key: str) -> bool:
        """Whether this layer's bits say ``key`` may have been added to it."""
        bits, mask = self.bits, self.mask
        value = hash(key)
        at = value & mask
        if not bits[at >> 3] & (1 << (at & 7)):
            return False
        step = (value >> 32) | 1
        at = (at + step) & mask
        if not bits[at >> 3] & (1 << (at & 7)):
            return False
        at = (at + step) & mask
        return bool(bits[at >> 3] & (1 << (at & 7)))


class SQLiteStore:
    """A seen-store in a SQLite file, shared across runs and processes.

    The file runs in WAL mode with ``synchronous=NORMAL``: a killed process loses at
    most what it had not committed, and readers never block the writer. Seen keys are
    appended in commit order and found through an index of an 8-byte hash of each key
    (the full key is compared too), so a commit writes the table's last pages and a
    small index, whatever the file's size. Staged data lives in this process (and
    answers lookups) until :meth:`commit` writes it in one transaction.

    Lookups stay flat as the file grows: a Bloom filter of the file's keys
    (:class:`_KeyFilter`, 2 to 8 bytes a key, at least 2 MiB) answers "not seen" for a
    new key without asking SQLite, so only seen keys and the filter's rare false
    positives cost a ``SELECT``. The filter is built from the file by one scan of its
    keys, not at open but once this store has looked up about as many keys in SQL as
    the scan would cost (at once for an empty file; a short poll of a big file never
    pays for it), and is kept up to date by :meth:`commit`. When another connection
    commits to the file (checked every tenth of a second, ``PRAGMA data_version``) the
    filter no longer knows every key: lookups ask SQLite again until the filter is
    rebuilt, by the same rule. A key another process committed within that tenth of a
    second may look unseen here, which, like a key it has staged but not yet committed,
    errs on the side of emitting an article twice.

    Args:
        path: the database file; created (with its directory entry) when missing.
        cache_mib: page cache size for this connection. It bounds what the store
            adds to the process's memory: past it, pages come from the operating
            system's file cache. The default 16 MiB keeps a long ingest's memory flat;
            a larger cache makes lookups in a store of millions of keys about 15 %
            faster (``benchmarks/dedup.py``).
    """

    def __init__(self, path: str | os.PathLike[str], *, cache_mib: int = 16) -> None:
        self.path = Path(path)
        if self.path.is_file() and self.path.stat().st_size == 0:
            # SQLite would take an empty file for a new store and every article would be
            # emitted again: an empty file is a state lost, not a state never made.
            raise StoreError(
                f"{self.path}: the state file is empty (0 bytes), so what it remembered "
                "is lost; delete it to start a new state, or restore it from a backup"
            )
        try:
            self._db = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(
                f"{self.path}: cannot open the state file ({error}); does its folder exist, "
                "and may this user write there?"
            ) from None
        self._build_after = 0  # SQL key lookups before building the filter pays off
        try:
            self._setup(cache_mib)
        except BaseException:
            self._db.close()
            raise
        self._staged: dict[str, SeenEntry] = {}
        self._filter: _KeyFilter | None = None  # None: ask SQLite (see the class docstring)
        self._sql_keys = 0  # keys looked up in SQL since the filter was last (re)built
        self._data_version: int | None = None  # the file's, when the filter was right
        self._next_check = 0.0  # monotonic time of the next data_version check
        self._staged_near: dict[str, NearSignature] = {}
        self._staged_validators: dict[str, tuple[str | None, str | None, int]] = {}
        self._staged_feeds: dict[str, FeedStatus] = {}
        # Fetchers may poll feeds from several threads; validators are guarded by this lock.
        self._lock = threading.Lock()

    def _setup(self, cache_mib: int) -> None:
        db = self._db
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA cache_size={-1024 * int(cache_mib)}")
            # Random keys dirty one page each; checkpointing less often writes each page once
            # per many commits instead of once per commit (the WAL stays under ~40 MiB).
            db.execute("PRAGMA wal_autocheckpoint=10000")
            db.execute("PRAGMA temp_store=MEMORY")
            self._write(self._create_schema)
            if db.execute("SELECT 1 FROM seen LIMIT 1").fetchone() is not None:
                (pages,) = db.execute("PRAGMA page_count").fetchone()
                self._build_after = int(pages) * _LOOKUPS_PER_PAGE
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: not a usable newsingest state file: {error}") from error

    def _create_schema(self, db: sqlite3.Connection) -> None:
        # One statement at a time: executescript() would commit our transaction first.
        db.execute(_META)
        row = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if row is not None and row[0] not in _UPGRADABLE and row[0] != str(STORE_SCHEMA_VERSION):
            raise StoreError(
                f"{self.path}: state file has layout version {row[0]}, this newsingest "
                f"reads version {STORE_SCHEMA_VERSION} and upgrades older ones; a newer "
                "newsingest wrote it, so open it with that one (it is left unchanged)"
            )
        if row is not None and row[0] in _UPGRADABLE:
            _upgrade_seen(db)
        for statement in (_SEEN + _SCHEMA).split(";"):
            if statement.strip():
                db.execute(statement)
        if row is None:
            db.execute(
                "INSERT INTO meta (name, value) VALUES ('schema_version', ?), ('created', ?)",
                (str(STORE_SCHEMA_VERSION), str(_now_s())),
            )
        elif row[0] in _UPGRADABLE:  # the tables it lacked were created above
            db.execute(
                "UPDATE meta SET value = ? WHERE name = 'schema_version'",
                (str(STORE_SCHEMA_VERSION),),
            )

    def _write(self, work: Any) -> None:
        """Run ``work(db)`` inside one ``BEGIN IMMEDIATE`` transaction."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot write the state file: {error}") from error

    @property
    def staged(self) -> int:
        """How many keys wait for :meth:`commit`."""
        return len(self._staged)

    def lookup(self, keys: Sequence[str]) -> dict[str, SeenEntry]:
        found: dict[str, SeenEntry] = {}
        staged = self._staged
        missing: list[str] = []
        known = self._fresh_filter()
        for key in keys:
            entry = staged.get(key)
            if entry is not None:
                found[key] = entry
            elif known is None or key in known:
                missing.append(key)
        if not missing:
            return found
        if known is None:
            self._sql_keys += len(missing)
            if self._sql_keys >= self._build_after:
                with self._lock:  # not while another thread commits
                    self._build_filter()
        try:
            for key, row in _select_seen(self._db, missing).items():
                found[key] = _new_tuple(SeenEntry, row[:6])
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read the state file: {error}") from error
        return found

    def claim(
        self, keys: Sequence[tuple[str, str]], kept: str, source: str, now: int
    ) -> dict[str, SeenEntry]:
        """Stage ``(kind, key)`` pairs as owned by ``kept`` unless one is known already
        (what :meth:`MemoryStore.claim` does): the known entries, or ``{}``."""
        found = self.lookup([key for _, key in keys])
        if not found:  # none is staged either: nothing to merge
            staged = self._staged
            for kind, key in keys:
                staged[key] = _new_tuple(SeenEntry, (key, kind, kept, source, now, None))
        return found

    def _fresh_filter(self) -> _KeyFilter | None:
        """The key filter, when it knows every key in the file (else ``None``)."""
        known = self._filter
        if (
            known is not None
            and time.monotonic() >= self._next_check
            and self._read_data_version() != self._data_version
        ):
            # Another connection committed keys the filter does not know.
            self._filter = known = None
            self._sql_keys = 0
        return known

    def _read_data_version(self) -> int:
        self._next_check = time.monotonic() + _FRESH_S
        try:
            return _data_version(self._db)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read the state file: {error}") from error

    def _build_filter(self) -> None:
        """Build the key filter from the file's keys (one read transaction)."""
        db = self._db
        try:
            db.execute("BEGIN")
            try:
                version = self._read_data_version()
                (count,) = db.execute("SELECT count(*) FROM seen").fetchone()
                known = _KeyFilter(count)
                known.add_all(row[0] for row in db.execute("SELECT key FROM seen"))
            finally:
                db.execute("COMMIT")
            (pages,) = db.execute("PRAGMA page_count").fetchone()
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: cannot read the state file: {error}") from error
        self._filter, self._data_version = known, version
        self._sql_keys, self._build_after = 0, int(pages) * _LOOKUPS_PER_PAGE

    def _filter_committed(self, keys: Iterable[str], before: int | None) -> None:
        """After a commit (``before``: the file's data version just before it): add its
        keys to the filter, growing it a layer when full; a filter that may have missed
        another connection's commit is dropped instead (rebuilt later by the rule)."""
        known = self._filter
        if known is None:
            return
        if before != self._data_version or self._read_data_version() != before:
            self._filter = None
            self._sql_keys = 0
            return
        known.add_all(keys)
        if known.count > known.capacity:
            self._filter = known.grown()

    def add(self, entries: Iterable[SeenEntry]) -> None:
        staged = self._staged
        for entry in entries:
            current = staged.get(entry.key)
            if current is None:
                staged[entry.key] = entry
            else:
                staged[entry.key] = _merge(current, entry)

    def add_signatures(self, signatures: Iterable[NearSignature]) -> None:
        for signature in signatures:
            self._staged_near.setdefault(signature.key, signature)

    def signatures(self, version: str) -> Iterator[NearSignature]:
        rows = self._db.execute(
            "SELECT key, version, signature, source, first_seen FROM near WHERE version = ?",
            (version,),
        ).fetchall()
        for row in rows:
            if row[0] not in self._staged_near:
                yield NearSignature(row[0], row[1], bytes(row[2]), row[3], row[4])
        yield from (sig for sig in list(self._staged_near.values()) if sig.version == version)

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        with self._lock:
            staged = self._staged_validators.get(url)
            if staged is not None:
                etag, modified, _ = staged
                return None if etag is None and modified is None else (etag, modified)
            row = self._db.execute(
                "SELECT etag, last_modified FROM validators WHERE url = ?", (url,)
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Stage validators for ``url``; both ``None`` stages forgetting them."""
        with self._lock:
            self._staged_validators[url] = (etag, last_modified, _now_s())

    def feed_status(self, url: str) -> FeedStatus | None:
        with self._lock:
            staged = self._staged_feeds.get(url)
            if staged is not None:
                return staged
            row = self._db.execute(
                "SELECT status, recent FROM feed_status WHERE url = ?", (url,)
            ).fetchone()
        return None if row is None else _feed_status(row[0], row[1])

    def set_feed_status(self, status: FeedStatus) -> None:
        """Stage a feed's status (written at the next :meth:`commit`)."""
        with self._lock:
            self._staged_feeds[status.url] = status

    def feed_statuses(self) -> dict[str, FeedStatus]:
        """Every feed's status, by URL (staged ones included)."""
        with self._lock:
            rows = self._db.execute("SELECT url, status, recent FROM feed_status").fetchall()
            staged = dict(self._staged_feeds)
        found = {url: _feed_status(status, recent) for url, status, recent in rows}
        return {**found, **staged}

    def remember_feeds(self, feeds: Iterable[FeedRow]) -> None:
        """Record the feeds a run polls (at once, in their own transaction): what
        ``newsingest feeds export`` writes back out. A feed already known keeps its
        place in the order and takes the new title, site and folders."""
        now = _now_s()

        def work(db: sqlite3.Connection) -> None:
            (last,) = db.execute("SELECT coalesce(max(position), -1) FROM feeds").fetchone()
            db.executemany(
                _UPSERT_FEED,
                [
                    (url, title, html, json.dumps(list(folders)), json.dumps(list(cats)), pos, now)
                    for pos, (url, title, html, folders, cats) in enumerate(feeds, start=last + 1)
                ],
            )

        self._write(work)

    def commit(self) -> None:
        """Write everything staged in one transaction; on failure nothing is lost from staging."""
        with self._lock:
            staged_validators = dict(self._staged_validators)
            staged_feeds = dict(self._staged_feeds)
        if not (self._staged or self._staged_near or staged_validators or staged_feeds):
            return
        feeds = sorted(_feed_row(status) for status in staged_feeds.values())
        # Sorted by hash, new keys reach the index pages in order, each page touched once.
        # A kept article's own key points at itself; storing NULL there keeps rows small.
        seen = sorted(
            (_key_hash(key), key, kind, None if kept == key else kept, source, first_seen, at)
            for key, kind, kept, source, first_seen, at in self._staged.values()
        )
        known = self._filter
        known_version = self._data_version
        near = sorted(self._staged_near.values())
        validators = sorted(
            (url, etag, modified, updated)
            for url, (etag, modified, updated) in staged_validators.items()
            if etag is not None or modified is not None
        )
        forgotten = sorted(
            (url,)
            for url, (etag, modified, _) in staged_validators.items()
            if etag is None and modified is None
        )

        def work(db: sqlite3.Connection) -> None:
            # Only keys the file may hold already are looked up in it: with a filter that
            # knows every key of the file (nobody committed since), that is its few
            # positives; without one, every staged key.
            trusted = known is not None and _data_version(db) == known_version
            maybe = [row[1] for row in seen if not trusted or row[1] in known]  # type: ignore[operator]
            stored = _select_seen(db, maybe) if maybe else {}
            db.executemany(_INSERT_SEEN, [row for row in seen if row[1] not in stored])
            db.executemany(
                "UPDATE seen SET kept = ?, source = ?, at = ? WHERE id = ?",
                [
                    (row[3], row[4], row[6], stored[row[1]][6])
                    for row in seen
                    if row[1] in stored and _moves(stored[row[1]], row[6])
                ],
            )
            db.executemany(
                "INSERT OR IGNORE INTO near (key, version, signature, source, first_seen) "
                "VALUES (?, ?, ?, ?, ?)",
                near,
            )
            db.executemany(
                "INSERT OR REPLACE INTO validators (url, etag, last_modified, updated) "
                "VALUES (?, ?, ?, ?)",
                validators,
            )
            db.executemany("DELETE FROM validators WHERE url = ?", forgotten)
            db.executemany(
                "INSERT OR REPLACE INTO feed_status (url, next_poll, disabled, status, recent) "
                "VALUES (?, ?, ?, ?, ?)",
                feeds,
            )

        with self._lock:
            before = None if self._filter is None else self._read_data_version()
            self._write(work)
            # Before the staged keys are dropped: a lookup never misses a key between.
            self._filter_committed([row[1] for row in seen], before)
            for url, value in staged_validators.items():
                if self._staged_validators.get(url) == value:
                    del self._staged_validators[url]
            for url, status in staged_feeds.items():
                if self._staged_feeds.get(url) is status:
                    del self._staged_feeds[url]
        self._staged.clear()
        self._staged_near.clear()

    def close(self) -> None:
        """Close the connection; staged, uncommitted data is dropped on purpose."""
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _data_version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("PRAGMA data_version").fetchone()
    return int(version)


def _moves(stored: tuple[Any, ...], at: int | None) -> bool:
    """Whether a stored row takes a new owner: a title key keeps pointing at the newest
    kept article that owns it (the window slides with the source's own re-posts), a
    story's version record at its newest version; every other key keeps its first."""
    return (
        stored[1] in ("title", "version")
        and at is not None
        and at > (-1 if stored[5] is None else stored[5])
    )


def _select_seen(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """The stored rows of ``keys`` (key, kind, kept, source, first_seen, at, id), by key.

    Found through the hash index; a row whose hash matches but whose key differs is
    another key and is left out."""
    wanted = set(keys)
    found: dict[str, tuple[Any, ...]] = {}
    hashes = sorted({_key_hash(key) for key in wanted})
    for start in range(0, len(hashes), _LOOKUP_CHUNK):
        chunk = hashes[start : start + _LOOKUP_CHUNK]
        for row in db.execute(_SELECT_SEEN + f"({','.join('?' * len(chunk))})", chunk):
            if row[0] in wanted:
                found[row[0]] = row
    return found


def _upgrade_seen(db: sqlite3.Connection) -> None:
    """Move the seen keys of a layout 1 or 2 file into layout 3's table, every row kept
    (inside the caller's transaction: a failure leaves the old layout as it was)."""
    db.execute("ALTER TABLE seen RENAME TO seen_v2")
    for statement in _SEEN.split(";"):
        if statement.strip() and "INDEX" not in statement:
            db.execute(statement)
    insert = db.cursor()
    rows = db.execute("SELECT key, kind, kept, source, first_seen, at FROM seen_v2")
    while batch := rows.fetchmany(10_000):
        insert.executemany(_INSERT_SEEN, [(_key_hash(row[0]), *row) for row in batch])
    db.execute("DROP TABLE seen_v2")


def _feed_status(status: str, recent: str) -> FeedStatus:
    from newsingest.schedule import FeedStatus  # noqa: PLC0415 - keeps import newsingest light

    return FeedStatus.from_json(json.loads(status), json.loads(recent))


def _feed_row(status: FeedStatus) -> tuple[str, int | None, str | None, str, str]:
    next_poll = None if status.next_poll is None else int(status.next_poll.timestamp())
    return (
        status.url,
        next_poll,
        status.disabled,
        json.dumps(status.to_json(), sort_keys=True),
        json.dumps(list(status.recent)),
    )


def feed_statuses(path: str | os.PathLike[str]) -> list[FeedStatus]:
    """Every polled feed's status in a state file, by URL.

    Raises:
        SourceNotFoundError: no file at ``path``.
        StoreError: the file is not a newsingest state file of a known layout.
    """
    with _existing(path) as store:
        found = store.feed_statuses()
    return [found[url] for url in sorted(found)]


def open_store(path: str | os.PathLike[str] | None) -> MemoryStore | SQLiteStore:
    """Open the SQLite store at ``path``, or a fresh :class:`MemoryStore` for ``None``."""
    if path is None:
        return MemoryStore()
    return SQLiteStore(path)


def _existing(path: str | os.PathLike[str]) -> SQLiteStore:
    if not Path(path).is_file():
        raise SourceNotFoundError("no state file here", source=os.fspath(path))
    return SQLiteStore(path)


def _iso(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return format_utc(datetime.fromtimestamp(seconds, tz=timezone.utc))


def _file_size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.is_file():
            total += part.stat().st_size
    return total


def state_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe a state file for ``newsingest state info``; JSON-safe.

    Returns:
        ``path``, ``size_bytes`` (database plus WAL), ``schema_version``, ``keys`` (total),
        ``keys_by_kind``, ``key_versions`` (count per prefix such as ``"c1"``),
        ``near_signatures`` (count per algorithm version), ``validators`` (feeds with
        remembered validators), ``feeds`` (feeds recorded from feed lists),
        ``oldest_first_seen`` and ``newest_first_seen`` (ISO UTC).

    Raises:
        SourceNotFoundError: no file at ``path`` (it is never created here).
        StoreError: the file is not a newsingest state file of a known layout.
    """
    with _existing(path) as store:
        db = store._db
        keys, oldest, newest = db.execute(
            "SELECT count(*), min(first_seen), max(first_seen) FROM seen"
        ).fetchone()
        by_kind = dict(db.execute("SELECT kind, count(*) FROM seen GROUP BY kind ORDER BY kind"))
        versions = dict(
            db.execute(
                "SELECT substr(key, 1, instr(key, ':') - 1) AS v, count(*) FROM seen "
                "GROUP BY v ORDER BY v"
            )
        )
        near = dict(
            db.execute("SELECT version, count(*) FROM near GROUP BY version ORDER BY version")
        )
        (validators,) = db.execute("SELECT count(*) FROM validators").fetchone()
        (feeds,) = db.execute("SELECT count(*) FROM feeds").fetchone()
        return {
            "path": os.fspath(path),
            "size_bytes": _file_size(store.path),
            "schema_version": STORE_SCHEMA_VERSION,
            "keys": keys,
            "keys_by_kind": by_kind,
            "key_versions": versions,
            "near_signatures": near,
            "validators": validators,
            "feeds": feeds,
            "oldest_first_seen": _iso(oldest),
            "newest_first_seen": _iso(newest),
        }


def also_seen(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Each kept story whose duplicates came from other sources, and those sources.

    Recorded by a :class:`~newsingest.dedup.Deduplicator` made with
    ``also_seen=True`` (CLI ``ingest --also-seen``), one entry per other source.

    Yields:
        ``{"kept": key, "kept_source": where, "also_seen": [where, ...]}`` dicts,
        in key order; ``also_seen`` names where each copy was first read, sorted.

    Raises:
        SourceNotFoundError: no file at ``path``.
        StoreError: the file is not a newsingest state file of a known layout.
    """
    with _existing(path) as store:
        rows = store._db.execute(
            "SELECT kept, source FROM seen WHERE kind = 'copy' ORDER BY kept, source"
        ).fetchall()
        owners = _select_seen(store._db, sorted({kept for kept, _ in rows}))
    current: dict[str, Any] | None = None
    for kept, source in rows:
        if current is None or current["kept"] != kept:
            if current is not None:
                yield current
            owner = owners.get(kept)
            current = {
                "kept": kept,
                "kept_source": None if owner is None else owner[3],
                "also_seen": [],
            }
        current["also_seen"].append(source)
    if current is not None:
        yield current


def subscribed_feeds(path: str | os.PathLike[str]) -> list[FeedRow]:
    """The feeds recorded in a state file (:meth:`SQLiteStore.remember_feeds`), in
    first-seen order.

    Raises:
        SourceNotFoundError: no file at ``path``.
        StoreError: the file is not a newsingest state file of a known layout.
    """
    with _existing(path) as store:
        rows = store._db.execute(
            "SELECT url, title, html_url, folders, categories FROM feeds ORDER BY position"
        ).fetchall()
    return [
        (url, title, html, tuple(json.loads(folders)), tuple(json.loads(cats)))
        for url, title, html, folders, cats in rows
    ]


def prune(path: str | os.PathLike[str], older_than: timedelta, now: datetime | None = None) -> int:
    """Forget keys and signatures first seen more than ``older_than`` before ``now``.

    Feed validators are kept: forgetting them only costs a full re-download, and a
    pruned key can only make an article be emitted again, never lost.

    Args:
        path: an existing state file.
        older_than: the age limit, e.g. ``timedelta(days=90)``.
        now: the reference instant (aware); defaults to the current time.

    Returns:
        How many rows (keys plus signatures) were removed.

    Raises:
        SourceNotFoundError: no file at ``path``.
        ValueError: ``older_than`` is negative or ``now`` is naive.
    """
    if older_than < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {older_than}")
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    cutoff = int((now - older_than).timestamp())
    removed = 0

    def work(db: sqlite3.Connection) -> None:
        nonlocal removed
        removed += db.execute("DELETE FROM seen WHERE first_seen < ?", (cutoff,)).rowcount
        removed += db.execute("DELETE FROM near WHERE first_seen < ?", (cutoff,)).rowcount

    with _existing(path) as store:
        store._write(work)
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return removed
