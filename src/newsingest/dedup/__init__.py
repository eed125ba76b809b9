"""Deduplication: keep one copy of every story and report every other one.

An article is a duplicate when any of its chosen keys (URL, content, title; see
:mod:`newsingest.dedup.keys`) was already seen, or, with ``near_threshold``, when its body
is nearly the same as a kept one (:mod:`newsingest.dedup.near`). Nothing is dropped
silently: every duplicate becomes a :class:`Duplicate` record naming the kept article.

One decision, two ways to drive it:

* **stream** (:meth:`Deduplicator.check`, or :meth:`Deduplicator.decide` of a record's
  :class:`Candidate`, which is what ``ingest()`` does): the first article seen is kept.
* **batch** (:meth:`Deduplicator.batch`): a whole input set at once; the survivor of each
  group is chosen by a fixed rule (earliest ``published``, then the longest body, then the
  shortest canonical URL, then the keys), so the kept set does not depend on input order.

Memory is explicit: a seen-store (:mod:`newsingest.state`), in memory by default or
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
from hashlib import blake2b
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from newsingest.dedup.keys import (
    DEFAULT_TITLE_WINDOW,
    KEY_TYPES,
    WITHHELD,
    boilerplate_keys,
    content_key,
    entry_key,
    loose_key,
    scope_of,
    title_key,
    version_key,
)
from newsingest.exceptions import StoreError as StoreError  # still importable from here
from newsingest.exceptions import _where
from newsingest.model import Article, ArticleRecord, Provenance, format_utc
from newsingest.state import (
    MemoryStore,
    NearSignature,
    SeenEntry,
    SeenStore,
    SQLiteStore,
    also_seen,
    claim_keys,
    open_store,
    prune,
    state_info,
)

if TYPE_CHECKING:
    from newsingest.dedup.near import NearIndex

__all__ = [
    "DEFAULT_TITLE_WINDOW",
    "KEY_TYPES",
    "Candidate",
    "Deduplicator",
    "Duplicate",
    "MemoryStore",
    "SQLiteStore",
    "SeenEntry",
    "SeenStore",
    "also_seen",
    "content_key",
    "open_store",
    "prune",
    "state_info",
    "title_key",
]


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


class Candidate(NamedTuple):
    """What the dedup decision needs of one record (see :func:`candidate_of`).

    Attributes:
        keys: ``(key type, key)`` pairs, in the Deduplicator's key order.
        where: the record's ``Provenance.where()``, remembered for the kept record.
        at: its ``published`` in unix seconds (title keys only, else ``None``).
        body: its segments, when near-duplicate detection needs them (else empty).
        identity: what a record with no key is remembered by (its content key).
        story: ``(version key, "content key loose key")`` of a record with an
            identity (entry or URL key) and a content key: how its latest version is
            remembered, so a changed text is told from a copy (see ``Deduplicator``).

    Only what the decision reads: what a :class:`Duplicate` reports of the record
    (provenance, URL, title) is asked of the record itself, for duplicates only, so
    a candidate stays small on its way from a worker process.
    """

    keys: list[tuple[str, str]]
    where: str
    at: int | None
    body: Sequence[str]
    identity: str | None
    story: tuple[str, str] | None = None


def candidate_of(
    record: ArticleRecord, keys: Sequence[str], *, with_body: bool = False
) -> Candidate:
    """The :class:`Candidate` of a normalised record for a Deduplicator using ``keys``.

    A plain function of the record (picklable with :func:`functools.partial`), so
    worker processes can prepare candidates and the parent only decides.
    """
    found: list[tuple[str, str]] = []
    body = record["body"]
    source = record["source"]
    scoped: tuple[str, str] | None = None
    for kind in keys:
        if kind == "url":
            key = record["url_key"]
        elif kind == "entry":
            key = entry_key(source["entry_id"], source["feed_url"] or source["location"])
        elif kind == "content":
            key = record["content_key"]
            if key is None and body:
                key = content_key(body)
            if key is not None:
                url = record["canonical_url"] or record["url"]
                scope = scope_of(source["feed_url"], url, source["location"])
                scoped = boilerplate_keys(key, record["title"], scope)
        else:
            url = record["canonical_url"] or record["url"]
            key = title_key(record["title"], scope_of(source["feed_url"], url, source["location"]))
        if key is not None:
            found.append((kind, key))
    story = None
    if scoped is not None:
        # The feed's own id names the story best; its URL next.
        identity_keys = [key for kind, key in found if kind == "entry"]
        identity_keys += [key for kind, key in found if kind == "url"]
        if identity_keys:
            content = next(key for kind, key in found if kind == "content")
            # Versions are told apart within one source (a feed polled again, a file
            # read again): the same URL with another text elsewhere (a feed's summary
            # of a page) is a copy, not an update.
            version_at = version_key(identity_keys[0], source["location"])
            story = (version_at, f"{content} {loose_key(body)}")
        found.append(("scope", scoped[0]))
        found.append(("story", scoped[1]))
    at = None
    if "title" in keys and record["published"] is not None:
        at = _seconds(record["published"])
    identity = None
    if not found and body:
        identity = record["content_key"] or content_key(body)
    where = _where(source["location"], source["line"], source["item"])
    # tuple.__new__ builds the NamedTuple without its Python-level constructor.
    return _new_tuple(
        Candidate,
        (found, where, at, body if with_body else (), identity, story),
    )


def _update_record(number: int, previous: SeenEntry) -> dict[str, Any]:
    """What ``extra["update"]`` of a new version says of the story's previous one."""
    return {
        "version": number,
        "previous_content_key": previous.kept.partition(" ")[0],
        "previous_source": previous.source,
        "first_seen": format_utc(_utc(previous.first_seen)),
    }


def _with_also_seen(kept: list[Article], duplicates: list[Duplicate]) -> list[Article]:
    """``kept``, each carrying where its duplicates were read (when it has any)."""
    copies: dict[str, list[str]] = {}
    for duplicate in duplicates:
        copies.setdefault(duplicate.kept_source, []).append(duplicate.source.where())
    out = []
    for article in kept:
        seen = copies.get(article.source.where())
        out.append(
            article.evolve(extra={**article.extra, "also_seen": sorted(seen)}) if seen else article
        )
    return out


def _amend(record: Callable[[], ArticleRecord], notes: dict[str, Any]) -> None:
    """Add ``notes`` to the ``extra`` of the record ``record()`` gives."""
    copy = record()
    copy["extra"] = {**copy["extra"], **notes}


def _given(record: ArticleRecord) -> ArticleRecord:
    return record


def _seconds(published: str) -> int:
    """A record's ``published`` (ISO 8601 with ``Z``) as unix seconds."""
    return int(datetime.fromisoformat(published[:-1]).replace(tzinfo=timezone.utc).timestamp())


def _default_clock() -> datetime:
    return datetime.now(timezone.utc)


_FAR: Final = float("inf")

#: Why a record's content key was not matched, in ``extra[WITHHELD]``.
_BOILERPLATE: Final = "boilerplate: this body was seen in the same source under another title"

#: Prefix of the keys recording a source a kept story was also seen in.
COPY_KEY_VERSION: Final = "a1"

#: Kinds of the internal keys that qualify a content match (never a match alone).
_SCOPE_KINDS: Final = frozenset({"scope", "story"})


class Deduplicator:
    """Decide, article by article or for a whole set, what is kept and what is a duplicate.

    Three rules keep what a plain "any key seen" rule would lose:

    * **Updates**: a record whose identity (its feed entry id, else its URL key) is
      known from the same source (the feed or file it was read from) but whose text
      changed (beyond whitespace, case and punctuation, and to no text seen before)
      since the version remembered is a new version of the story, not a duplicate: it is
      kept, with ``extra["update"]`` saying its version number, the previous
      version's content key, where the story was first kept and when.
    * **Boilerplate**: a content match on a body seen in the record's own source
      under another title is not counted (see
      :func:`~newsingest.dedup.keys.boilerplate_keys`).
    * Bodies too short to identify a story have no content key at all.

    Args:
        keys: key types to use, from :data:`KEY_TYPES`; their order is the order in
            which matches are reported. ``"url"`` reads ``Article.url_key`` (set by
            ``ingest()``); ``"entry"`` is the feed's id for the item, scoped to the
            feed; ``"content"`` uses ``Article.content_key`` or computes
            :func:`content_key` of the body; ``"title"`` is scoped to one source and only
            matches within ``title_window``.
        store: the seen-store; a fresh :class:`MemoryStore` when ``None``. The
            Deduplicator owns it from now on: :meth:`close` closes it.
        near_threshold: enable near-duplicate detection at this estimated similarity
            (needs ``newsingest[near]``); ``None`` disables it.
        title_window: how far apart two equal title keys may be to count as duplicates.
        clock: returns the current aware time; used for first-seen stamps and for the
            title window of articles without ``published``.
        also_seen: remember in the store, for each kept article, the other sources
            (files, feeds) its duplicates came from, once per source; with a
            :class:`SQLiteStore`, :func:`~newsingest.state.also_seen` lists them.

    Raises:
        ValueError: unknown key types, or an empty key list.
        MissingExtraError: ``near_threshold`` given without ``rensa`` installed.
    """

    def __init__(
        self,
        keys: Sequence[str] = ("url", "entry", "content"),
        store: SeenStore | None = None,
        near_threshold: float | None = None,
        *,
        title_window: timedelta = DEFAULT_TITLE_WINDOW,
        clock: Callable[[], datetime] | None = None,
        also_seen: bool = False,
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
        if title_window < timedelta(0):
            raise ValueError(f"title_window must not be negative, got {title_window}")
        self.keys: tuple[str, ...] = keys
        self.also_seen = also_seen
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
        # Without title keys (whose match depends on time) and near matching (which
        # must look before keeping), a record none of whose keys is known is kept in
        # one claim of the store.
        self._claims = near_threshold is None and "title" not in keys
        self._near: NearIndex | None = None
        if near_threshold is not None:
            from newsingest.dedup.near import NearIndex  # noqa: PLC0415 - optional extra

            self._near = NearIndex(near_threshold)
            for signature in self._store.signatures(self._near.version):
                self._near.load(
                    signature.key, signature.signature, signature.source, signature.first_seen
                )
        self.kept = 0
        self.duplicates: Counter[str] = Counter()
        self.boilerplate = 0  # content matches not counted: a body shared within a source
        self.updates = 0  # known stories kept again because their text changed

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
            "boilerplate": self.boilerplate,
            "updates": self.updates,
        }

    def preparer(self) -> Callable[[ArticleRecord], Candidate]:
        """:func:`candidate_of` with this Deduplicator's options, as a picklable callable."""
        return partial(candidate_of, keys=self.keys, with_body=self._near is not None)

    def candidate(self, record: ArticleRecord) -> Candidate:
        """The :class:`Candidate` of a normalised record (see :func:`candidate_of`)."""
        return candidate_of(record, self.keys, with_body=self._near is not None)

    def keys_of(self, article: Article) -> list[tuple[str, str]]:
        """Return ``(key type, key)`` pairs of an article, in this Deduplicator's key order."""
        return [pair for pair in self.candidate(article.to_dict()).keys if pair[0] in self.keys]

    def check(self, article: Article) -> Duplicate | None:
        """Return a :class:`Duplicate` if the article was seen, else ``None`` and keep it.

        Keeping stages the article's keys (visible to later checks at once); they reach
        the store at :meth:`flush`, which the caller calls after writing the article.
        """
        record = article.to_dict()
        return self.decide(self.candidate(record), partial(_given, record))

    def decide(
        self,
        candidate: Candidate,
        record: Callable[[], ArticleRecord],
        amend: Callable[[dict[str, Any]], None] | None = None,
    ) -> Duplicate | None:
        """The one decision: report a duplicate, or keep the record and stage its keys.

        Args:
            candidate: what the decision needs (see :func:`candidate_of`).
            record: gives the record, for the :class:`Duplicate` report (called for
                duplicates only).
            amend: called, for a kept record only, with entries to add to its
                ``extra`` (``"update"`` for a new version, ``content_key_withheld``
                for boilerplate); by default they are added to ``record()`` itself.
        """
        keys = candidate.keys
        now = self._now()
        if self._claims:
            if not keys:
                self._keep(candidate, now)
                return None
            found = self._claim(keys, keys[0][1], candidate.where, now)
            if not found:
                self.kept += 1
                self._stage_version(candidate, now, 1)
                return None
        else:
            found = self._store.lookup([key for _, key in keys]) if keys else {}
        at = now if candidate.at is None else candidate.at
        notes: dict[str, Any] = {}
        matched = self._matched(candidate, found, at, notes)
        if matched:
            version = self._new_version(candidate, found, now)
            if version is None:
                return self._exact_duplicate(candidate, record(), found, matched, now)
            self._keep(candidate, now, at, version=version[0])
            notes["update"] = _update_record(*version)
            self.updates += 1
        else:
            duplicate = self._near_duplicate(candidate, record, found, now, at)
            if duplicate is not None:
                return duplicate
        if notes:
            (amend or partial(_amend, record))(notes)
        return None

    def _matched(
        self, candidate: Candidate, found: dict[str, SeenEntry], at: int, notes: dict[str, Any]
    ) -> list[tuple[str, str, SeenEntry]]:
        """The candidate's keys that match, in key order (boilerplate noted in ``notes``)."""
        keys = candidate.keys
        matched = [
            (kind, key, entry)
            for kind, key in keys
            if (entry := found.get(key)) is not None
            and kind not in _SCOPE_KINDS
            and not (
                kind == "title" and entry.at is not None and abs(at - entry.at) > self._window_s
            )
        ]
        if matched and keys[-1][0] == "story":
            count = len(matched)
            matched = self._not_boilerplate(keys, found, matched)
            if len(matched) < count:
                notes[WITHHELD] = _BOILERPLATE
        return matched

    def _near_duplicate(
        self,
        candidate: Candidate,
        record: Callable[[], ArticleRecord],
        found: dict[str, SeenEntry],
        now: int,
        at: int,
    ) -> Duplicate | None:
        """A near-duplicate report, or ``None`` after keeping the record."""
        keys = candidate.keys
        near = self._near
        sketch = None if near is None else near.sketch(candidate.body)
        if near is not None and sketch is not None:
            match = near.best_match(sketch)
            if match is not None:
                self._remember_copy(keys, found, match.key, match.source, now)
                self.duplicates["near"] += 1
                copy = record()
                return Duplicate(
                    source=Provenance(**copy["source"]),
                    url=copy["url"],
                    title=copy["title"],
                    key_type="near",
                    key=match.key,
                    matched=("near",),
                    kept_key=match.key,
                    kept_source=match.source,
                    kept_first_seen=_utc(match.first_seen),
                    similarity=match.similarity,
                )
        identity = self._keep(candidate, now, at)
        if (
            near is not None
            and sketch is not None
            and identity is not None
            and near.add(identity, sketch, candidate.where, now)
        ):
            self._store.add_signatures(
                [NearSignature(identity, near.version, sketch.data, candidate.where, now)]
            )
        return None

    def _not_boilerplate(
        self,
        keys: list[tuple[str, str]],
        found: dict[str, SeenEntry],
        matched: list[tuple[str, str, SeenEntry]],
    ) -> list[tuple[str, str, SeenEntry]]:
        """``matched`` without a content match on the source's boilerplate.

        The last two keys are the candidate's scope keys (see
        :func:`~newsingest.dedup.keys.boilerplate_keys`): its body seen in its own
        source but never under its title means the body is shared by distinct
        stories there, and matching it would lose one of them.
        """
        in_scope, story = keys[-2][1], keys[-1][1]
        if in_scope not in found or story in found:
            return matched
        kept = [match for match in matched if match[0] != "content"]
        if len(kept) < len(matched):
            self.boilerplate += 1
        return kept

    def _exact_duplicate(
        self,
        candidate: Candidate,
        copy: ArticleRecord,
        found: dict[str, SeenEntry],
        matched: list[tuple[str, str, SeenEntry]],
        now: int,
    ) -> Duplicate:
        """Report a record some of whose keys are known; remember its other keys."""
        kind, key, entry = matched[0]
        self._remember_copy(candidate.keys, found, entry.kept, entry.source, now)
        if self.also_seen:
            self._stage_copy(entry.kept, entry.source, copy["source"]["location"], candidate, now)
        self.duplicates[kind] += 1
        return Duplicate(
            source=Provenance(**copy["source"]),
            url=copy["url"],
            title=copy["title"],
            key_type=kind,
            key=key,
            matched=tuple(kind for kind, _, _ in matched),
            kept_key=entry.kept,
            kept_source=entry.source,
            kept_first_seen=_utc(entry.first_seen),
        )

    def _new_version(
        self, candidate: Candidate, found: dict[str, SeenEntry], now: int
    ) -> tuple[int, SeenEntry] | None:
        """Whether a record whose identity is known is a new version of its story.

        Returns ``(version number, the previous version's entry)`` when its text
        changed beyond whitespace, case and punctuation since the version remembered
        and is no text seen before; ``None`` when it did not (a duplicate), or the
        record has no identity and content key, or its story has no remembered
        version (state from before versions were kept: the duplicate then starts the
        record of versions).
        """
        story = candidate.story
        if story is None:
            return None
        version_at, text = story
        content, _, loose = text.partition(" ")
        if content in found:  # a text already seen (another story's, or boilerplate)
            return None
        previous = self._store.lookup([version_at]).get(version_at)
        if previous is None:
            self._stage_version(candidate, now, 1)
            return None
        old_content, _, old_loose = previous.kept.partition(" ")
        if content == old_content or loose == old_loose:
            return None
        return (previous.at or 1) + 1, previous

    def _stage_copy(
        self, kept: str, kept_source: str, location: str, candidate: Candidate, now: int
    ) -> None:
        """Remember that the story kept as ``kept`` was also seen in ``location``
        (once per source; not for a source's own re-reads)."""
        if kept_source == location or kept_source.startswith((f"{location}:", f"{location} item ")):
            return
        digest = blake2b(f"{kept}\n{location}".encode(), digest_size=16).hexdigest()
        key = f"{COPY_KEY_VERSION}:{digest}"
        self._store.add([_new_tuple(SeenEntry, (key, "copy", kept, candidate.where, now, None))])

    def _stage_version(self, candidate: Candidate, now: int, number: int) -> None:
        """Remember the record's text as version ``number`` of its story."""
        if candidate.story is not None:
            version_at, text = candidate.story
            self._store.add(
                [_new_tuple(SeenEntry, (version_at, "version", text, candidate.where, now, number))]
            )

    def _keep(
        self, candidate: Candidate, now: int, at: int | None = None, *, version: int = 1
    ) -> str | None:
        """Keep a record: stage its keys (title keys with their time) and its story's
        version; return its identity."""
        self.kept += 1
        keys = candidate.keys
        identity = keys[0][1] if keys else candidate.identity
        if identity is None:
            return None  # nothing to remember it by: no key, empty body
        self._stage_version(candidate, now, version)
        # tuple.__new__ builds the NamedTuple without its Python-level constructor.
        self._store.add(
            [
                _new_tuple(
                    SeenEntry,
                    (key, kind, identity, candidate.where, now, at if kind == "title" else None),
                )
                for kind, key in keys
            ]
        )
        return identity

    def _now(self) -> int:
        """The clock in unix seconds (the default clock without building a datetime)."""
        clock = self._clock
        return int(time.time() if clock is _default_clock else clock().timestamp())

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

    def batch(
        self, articles: Iterable[Article], *, also_seen: bool = False
    ) -> tuple[list[Article], list[Duplicate]]:
        """Deduplicate a whole set at once, independently of its order.

        Articles are considered best first (earliest ``published``, then the longest
        body, then the shortest canonical URL, then the keys), so each group keeps its
        best member whatever the input order. Keys already in the store still count.

        Args:
            articles: the set.
            also_seen: give each kept article ``extra["also_seen"]``: where its
                duplicates in this set were read (``Provenance.where()``, sorted),
                for a kept article that has any.

        Returns:
            The kept articles and the duplicates, both in input order.
        """
        items = list(articles)
        records = [article.to_dict() for article in items]
        candidates = [self.candidate(record) for record in records]
        order = sorted(range(len(items)), key=lambda i: self._rank(items[i], candidates[i].keys))
        results: list[Duplicate | None] = [None] * len(items)
        notes: dict[int, dict[str, Any]] = {}
        for index in order:
            results[index] = self.decide(
                candidates[index],
                partial(_given, records[index]),
                partial(notes.__setitem__, index),
            )
        kept = [
            article.evolve(extra={**article.extra, **notes[index]}) if index in notes else article
            for index, (article, result) in enumerate(zip(items, results, strict=True))
            if result is None
        ]
        duplicates = [result for result in results if result is not None]
        if also_seen:
            kept = _with_also_seen(kept, duplicates)
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
