"""Deduplication: keep one copy of every story and report every other one.

An article is a duplicate when any of its chosen keys (URL, content, title; see
:mod:`newsingest.dedup.keys`) was already seen, or, with ``near_threshold``, when its body
is nearly the same as a kept one (:mod:`newsingest.dedup.near`). Nothing is dropped
silently: every duplicate becomes a :class:`Duplicate` record naming the kept article.

Two modes:

* **stream** (:meth:`Deduplicator.check`): the first article seen is kept.
* **batch** (:meth:`Deduplicator.batch`): a whole input set at once; the survivor of each
  group is chosen by a fixed rule (earliest ``published``, then the longest body, then the
  shortest canonical URL, then the keys), so the kept set does not depend on input order.

Memory is explicit: a seen-store (:mod:`newsingest.dedup.store`), in memory by default or
a SQLite file across runs, that ``newsingest state info`` shows and ``state prune`` trims.

The at-least-once contract:
    The keys of a kept article are *staged* when :meth:`Deduplicator.check` keeps it and
    written to the store only by :meth:`Deduplicator.flush`. Hand the kept articles
    downstream (write and flush your output) first, then call ``flush()``. A crash
    anywhere in between leaves those keys unwritten, so the re-run emits the articles
    again: an article may be emitted twice, never zero times. ``close()`` never flushes.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import attrs

from newsingest.dedup.keys import (
    DEFAULT_TITLE_WINDOW,
    KEY_TYPES,
    content_key,
    title_key,
    title_scope,
)
from newsingest.dedup.store import (
    MemoryStore,
    NearSignature,
    SeenEntry,
    SeenStore,
    SQLiteStore,
    StoreError,
    claim_keys,
    open_store,
    prune,
    state_info,
)
from newsingest.model import Article, Provenance, format_utc

if TYPE_CHECKING:
    from newsingest.dedup.near import NearIndex

__all__ = [
    "DEFAULT_TITLE_WINDOW",
    "KEY_TYPES",
    "MODES",
    "Deduplicator",
    "Duplicate",
    "MemoryStore",
    "SQLiteStore",
    "SeenEntry",
    "SeenStore",
    "StoreError",
    "content_key",
    "open_store",
    "prune",
    "state_info",
    "title_key",
]

#: The two ways a :class:`Deduplicator` is used (see the module docstring).
MODES: Final = ("stream", "batch")


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


@attrs.frozen(kw_only=True)
class Duplicate:
    """One article that was not emitted because an earlier (or better) copy was kept.

    Attributes:
        source: provenance of the duplicate itself.
        url: the duplicate's URL as read.
        title: the duplicate's title as read.
        key_type: what matched: ``"url"``, ``"content"``, ``"title"`` or ``"near"``.
            When several keys matched, the first in the Deduplicator's key order.
        key: the key value that matched (for ``"near"``, the kept article's key).
        matched: every key type that matched, in key order.
        kept_key: the identity key of the kept article (its first key).
        kept_source: where the kept article came from (``Provenance.where()``).
        kept_first_seen: when the kept article's key was first recorded (UTC).
        similarity: the estimated similarity, for ``"near"`` duplicates only.
    """

    source: Provenance
    url: str | None
    title: str
    key_type: str
    key: str
    matched: tuple[str, ...]
    kept_key: str
    kept_source: str
    kept_first_seen: datetime
    similarity: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (for ``--duplicates FILE``, one per line)."""
        return {
            "source": self.source.to_dict(),
            "url": self.url,
            "title": self.title,
            "key_type": self.key_type,
            "key": self.key,
            "matched": list(self.matched),
            "kept_key": self.kept_key,
            "kept_source": self.kept_source,
            "kept_first_seen": format_utc(self.kept_first_seen),
            "similarity": self.similarity,
        }


_new_tuple = tuple.__new__

#: What a :class:`Duplicate` says of the duplicate itself: its provenance, URL and title.
Described = tuple[Provenance, str | None, str]


def _default_clock() -> datetime:
    return datetime.now(timezone.utc)


_FAR: Final = float("inf")


class Deduplicator:
    """Decide, article by article or for a whole set, what is kept and what is a duplicate.

    Args:
        keys: key types to use, from :data:`KEY_TYPES`; their order is the order in
            which matches are reported. ``"url"`` reads ``Article.url_key`` (set by
            ``ingest()``); ``"content"`` uses ``Article.content_key`` or computes
            :func:`content_key` of the body; ``"title"`` is scoped to one source and only
            matches within ``title_window``.
        store: the seen-store; a fresh :class:`MemoryStore` when ``None``. The
            Deduplicator owns it from now on: :meth:`close` closes it.
        near_threshold: enable near-duplicate detection at this estimated similarity
            (needs ``newsingest[near]``); ``None`` disables it.
        mode: ``"stream"`` or ``"batch"``: which of :meth:`check` / :meth:`batch` the
            caller means to drive. Recorded as ``self.mode`` for the caller's own
            use; both methods work whatever it says.
        title_window: how far apart two equal title keys may be to count as duplicates.
        clock: returns the current aware time; used for first-seen stamps and for the
            title window of articles without ``published``.

    Raises:
        ValueError: unknown key types or mode, or an empty key list.
        MissingExtraError: ``near_threshold`` given without ``datasketch`` installed.
    """

    def __init__(
        self,
        keys: Sequence[str] = ("url", "content"),
        store: SeenStore | None = None,
        near_threshold: float | None = None,
        mode: str = "stream",
        *,
        title_window: timedelta = DEFAULT_TITLE_WINDOW,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if isinstance(keys, str):
            raise ValueError(f"keys must be a sequence of key types, not the string {keys!r}")
        keys = tuple(keys)
        if not keys:
            raise ValueError("keys must name at least one key type")
        unknown = [key for key in keys if key not in KEY_TYPES]
        if unknown:
            raise ValueError(f"unknown key types {unknown}; choose from {KEY_TYPES}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"key types must not repeat: {keys}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if title_window < timedelta(0):
            raise ValueError(f"title_window must not be negative, got {title_window}")
        self.keys: tuple[str, ...] = keys
        self.mode = mode
        self.near_threshold = near_threshold
        self.title_window = title_window
        self._window_s = title_window.total_seconds()
        self._clock = clock or _default_clock
        self._store: SeenStore = MemoryStore() if store is None else store
        # A store may offer claim(): lookup and staging of a new record's keys in one
        # call (MemoryStore does); others are asked lookup() and then add().
        self._claim: Callable[[list[tuple[str, str]], str, str, int], dict[str, SeenEntry]] = (
            getattr(self._store, "claim", None) or partial(claim_keys, self._store)
        )
        self._near: NearIndex | None = None
        # For check_keys: each key type and where its value is in (url_key, content_key);
        # None when a key type needs the whole Article (title) or near matching is on.
        self._exact_slots: tuple[tuple[str, int], ...] | None = (
            tuple((kind, 0 if kind == "url" else 1) for kind in keys)
            if near_threshold is None and "title" not in keys
            else None
        )
        if near_threshold is not None:
            from newsingest.dedup.near import NearIndex  # noqa: PLC0415 - optional extra

            self._near = NearIndex(near_threshold)
            for signature in self._store.signatures(self._near.version):
                self._near.load(
                    signature.key, signature.signature, signature.source, signature.first_seen
                )
        self.kept = 0
        self.duplicates: Counter[str] = Counter()

    @property
    def store(self) -> SeenStore:
        """The seen-store in use."""
        return self._store

    def report(self) -> dict[str, Any]:
        """Counts for the run report: kept articles and duplicates by key type."""
        return {
            "kept": self.kept,
            "duplicates": sum(self.duplicates.values()),
            "duplicates_by_key": dict(sorted(self.duplicates.items())),
        }

    def keys_of(self, article: Article) -> list[tuple[str, str]]:
        """Return ``(key type, key)`` pairs of an article, in this Deduplicator's key order."""
        found: list[tuple[str, str]] = []
        for kind in self.keys:
            if kind == "url":
                key = article.url_key
            elif kind == "content":
                key = article.content_key
                if key is None:
                    key = content_key(article.body)
            else:
                key = title_key(article.title, title_scope(article))
            if key is not None:
                found.append((kind, key))
        return found

    def check(self, article: Article) -> Duplicate | None:
        """Return a :class:`Duplicate` if the article was seen, else ``None`` and keep it.

        Keeping stages the article's keys (visible to later checks at once); they reach
        the store at :meth:`flush`, which the caller calls after writing the article.
        """
        return self._check(article, self.keys_of(article))

    def check_keys(
        self,
        url_key: str | None,
        content_key: str | None,
        *,
        at: int | None,
        where: str,
        describe: Callable[[], Described],
    ) -> Duplicate | None:
        """:meth:`check` for a record known by its keys alone, without an Article.

        For pipelines that carry records as plain values (``ingest()`` does for seed
        files): only URL and content keys, and no near-duplicate detection.

        Args:
            url_key: the record's URL key, or ``None``.
            content_key: the record's content key, or ``None``.
            at: the record's ``published`` in unix seconds, or ``None``.
            where: its ``Provenance.where()``, remembered for the kept record.
            describe: gives the record's provenance, URL and title (what a
                :class:`Duplicate` names); called only for a duplicate, to report it.

        Raises:
            ValueError: this Deduplicator uses title keys or near-duplicate detection,
                which need the Article.
        """
        slots = self._exact_slots
        if slots is None:
            raise ValueError("check_keys handles URL and content keys only; use check()")
        # Loops rather than comprehensions: this runs once per record, with two keys.
        values = (url_key, content_key)
        keys: list[tuple[str, str]] = []
        for kind, index in slots:
            value = values[index]
            if value is not None:
                keys.append((kind, value))
        found: dict[str, SeenEntry] = {}
        if keys:
            # The common case, kept without the general rule's steps: _stage's entries
            # (no title key here, so no time to keep), staged if no key is known yet.
            found = self._claim(keys, keys[0][1], where, self._now())
            if not found:
                self.kept += 1
                return None
        return self._decide(
            keys, at, where, (), describe=describe, fallback_identity=content_key, found=found
        )

    def _check(self, article: Article, keys: list[tuple[str, str]]) -> Duplicate | None:
        published = article.published
        return self._decide(
            keys,
            None if published is None else int(published.timestamp()),
            article.source.where(),
            article.body,
            describe=lambda: (article.source, article.url, article.title),
            fallback_identity=None if keys else (article.content_key or content_key(article.body)),
        )

    def _decide(
        self,
        keys: list[tuple[str, str]],
        at: int | None,
        where: str,
        body: Sequence[str],
        *,
        describe: Callable[[], Described],
        fallback_identity: str | None,
        found: dict[str, SeenEntry] | None = None,
    ) -> Duplicate | None:
        """The survivor rule: report a duplicate, or keep the record and stage its keys.

        ``found``: the store's entries for ``keys``, when the caller looked them up.
        """
        now = self._now()
        if at is None:
            at = now
        store = self._store
        if found is None:
            found = store.lookup([key for _, key in keys]) if keys else {}
        matched: list[tuple[str, str, SeenEntry]] = []
        if found:
            for kind, key in keys:
                entry = found.get(key)
                if entry is None:
                    continue
                if kind == "title" and entry.at is not None and abs(at - entry.at) > self._window_s:
                    continue
                matched.append((kind, key, entry))
        if matched:
            kind, key, entry = matched[0]
            self._remember_copy(keys, found, entry.kept, entry.source, now)
            self.duplicates[kind] += 1
            source, url, title = describe()
            return Duplicate(
                source=source,
                url=url,
                title=title,
                key_type=kind,
                key=key,
                matched=tuple(kind for kind, _, _ in matched),
                kept_key=entry.kept,
                kept_source=entry.source,
                kept_first_seen=_utc(entry.first_seen),
            )
        near = self._near
        sketch = None if near is None else near.sketch(body)
        if near is not None and sketch is not None:
            match = near.best_match(sketch)
            if match is not None:
                self._remember_copy(keys, found, match.key, match.source, now)
                self.duplicates["near"] += 1
                source, url, title = describe()
                return Duplicate(
                    source=source,
                    url=url,
                    title=title,
                    key_type="near",
                    key=match.key,
                    matched=("near",),
                    kept_key=match.key,
                    kept_source=match.source,
                    kept_first_seen=_utc(match.first_seen),
                    similarity=match.similarity,
                )
        self.kept += 1
        identity = keys[0][1] if keys else fallback_identity
        if identity is None:
            return None  # nothing to remember it by: no URL key, empty body
        self._stage(keys, identity, where, now, at)
        if near is not None and sketch is not None and near.add(identity, sketch, where, now):
            store.add_signatures([NearSignature(identity, near.version, sketch.data, where, now)])
        return None

    def _now(self) -> int:
        """The clock in unix seconds (the default clock without building a datetime)."""
        clock = self._clock
        return int(time.time() if clock is _default_clock else clock().timestamp())

    def _stage(
        self, keys: list[tuple[str, str]], identity: str, where: str, now: int, at: int | None
    ) -> None:
        """Stage a kept article's keys; title keys remember its time for their window."""
        # tuple.__new__ builds the NamedTuple without its Python-level constructor.
        self._store.add(
            [
                _new_tuple(
                    SeenEntry, (key, kind, identity, where, now, at if kind == "title" else None)
                )
                for kind, key in keys
            ]
        )

    def _remember_copy(
        self,
        keys: list[tuple[str, str]],
        found: dict[str, SeenEntry],
        kept: str,
        source: str,
        now: int,
    ) -> None:
        """Point a duplicate's unseen exact keys at the kept article.

        A copy found by its URL may carry a revised body; remembering that body's key
        catches the next copy of the revision too. Title keys are not propagated: their
        window stays anchored on articles that were actually kept.
        """
        extra = [
            _new_tuple(SeenEntry, (key, kind, kept, source, now, None))
            for kind, key in keys
            if kind != "title" and key not in found
        ]
        if extra:
            self._store.add(extra)

    def _rank(self, article: Article, keys: list[tuple[str, str]]) -> tuple[Any, ...]:
        """Sort key of the batch survivor rule; smaller survives. Total on distinct articles."""
        published = article.published
        canonical = article.canonical_url
        return (
            published is None,
            0.0 if published is None else published.timestamp(),
            -sum(map(len, article.body)),
            _FAR if canonical is None else len(canonical),
            sorted(key for _, key in keys),
            canonical or "",
            article.source.where(),
            article.url or "",
            article.title,
            article.body,
        )

    def batch(self, articles: Iterable[Article]) -> tuple[list[Article], list[Duplicate]]:
        """Deduplicate a whole set at once, independently of its order.

        Articles are considered best first (earliest ``published``, then the longest
        body, then the shortest canonical URL, then the keys), so each group keeps its
        best member whatever the input order. Keys already in the store still count.

        Returns:
            The kept articles and the duplicates, both in input order.
        """
        items = list(articles)
        keyed = [self.keys_of(article) for article in items]
        order = sorted(range(len(items)), key=lambda i: self._rank(items[i], keyed[i]))
        results: list[Duplicate | None] = [None] * len(items)
        for index in order:
            results[index] = self._check(items[index], keyed[index])
        kept = [article for article, result in zip(items, results, strict=True) if result is None]
        duplicates = [result for result in results if result is not None]
        return kept, duplicates

    def flush(self) -> None:
        """Commit staged keys to the store. Call only after the kept articles are written."""
        self._store.commit()

    def close(self) -> None:
        """Close the store without flushing: uncommitted keys are forgotten on purpose."""
        self._store.close()

    def __enter__(self) -> Deduplicator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
