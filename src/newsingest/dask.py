"""Run newsingest on Dask: read sources into a bag, deduplicate it, write JSON lines.

This module owns the Dask integration (extra ``newsingest[dask]``). It is imported only
on demand; ``import newsingest`` never imports it or Dask.

* :func:`read_bags` reads sources into a :class:`ReadBags`: a bag of articles (as
  ``Article.to_dict()`` dicts, normalised by :func:`newsingest.pipeline.normalise.normalise_article`
  and with their content key set), a bag of quarantine records for every rejected record
  or source (:func:`newsingest.sinks.quarantine_record`), and a bag of warning records.
  :func:`read_bag` is the short form that returns the articles and raises (or, if asked,
  skips) rejected records.
* :func:`dedupe` keeps exactly what one process running
  :meth:`newsingest.dedup.Deduplicator.batch` over the same articles keeps.
* :func:`to_jsonl` writes a bag as JSON lines: one file written by the client, or one file
  per partition written by the workers.

Tasks are coarse, and only keys move
------------------------------------
Reading one seed file costs well under a millisecond, so every task reads a group of
files (``files_per_partition``, 1,024 by default) and keeps its records in the worker.
A run of paths travels to its task as one string, not thousands of objects.
:func:`read_bag`'s partitions are lazy: fused with what consumes them in the same task
(``count()``, :func:`to_jsonl`'s serialiser) the records stream through without a
list of the whole partition.

How :func:`dedupe` matches the one-process batch result
--------------------------------------------------------
An article is a duplicate when *any* of its keys (URL key, content key, title key) was
seen, so duplicates chain: A shares a URL with B, B shares its body with C, and the batch
decision about C depends on A. The batch rule sorts all articles by its survivor rule
(earliest ``published``, longest body, shortest canonical URL, the keys, ...; ties in
input order) and decides each in turn. Clusters of articles linked by shared keys never
touch each other's keys, so deciding each cluster alone, in the same order, gives the
same result. The graph:

1. **Key summary, per partition.** Each partition sends 8-byte digests of its
   articles' match keys and of where each was read; records stay where they are.
2. **Plan, one task.** Keys held by one article link nothing: an article none of whose
   keys is shared is kept, as the batch keeps it. The others are joined into clusters
   by union-find over the shared keys, and each cluster is given to one of
   ``npartitions`` deciders.
3. **Stubs, per partition.** For its clustered articles only (13 % of the benchmark
   corpus, whose copies are 8 %: the copies and their originals), a partition sends
   each decider a stub: the Deduplicator's candidate (keys, where, version text key) and the
   batch's own sort key, without the body unless two members of the cluster were read
   at the same place (only then can the rule's last criterion, the body, decide).
4. **Decide, per bucket.** Each decider sorts its stubs as the batch sorts articles and
   runs :meth:`Deduplicator.decide` on each, exactly as :meth:`Deduplicator.batch`
   does. The survivor rule is never re-implemented here.
5. **Filter, per partition.** Each partition drops the positions the deciders found to
   be duplicates and adds to its kept records what the batch adds (``extra`` entries
   for updates, withheld content keys and ``also_seen``).

The plan holds every article's digests (about 8 bytes per key, plus Python's overhead
while it counts); the rest of the memory cost grows with the articles in clusters.
"""

from __future__ import annotations

import math
import os
import pickle
import warnings
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from hashlib import blake2b
from itertools import accumulate, chain, compress
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple, TypeAlias, cast

from newsingest.dedup import Candidate, Deduplicator, Duplicate, candidate_of
from newsingest.dedup.keys import content_key
from newsingest.exceptions import MissingExtraError, NewsIngestWarning, _where
from newsingest.ingest import ingest
from newsingest.model import Article, ArticleRecord, unchecked_from_dict
from newsingest.pipeline.policy import OnError
from newsingest.readers import (
    Reader,
    ReaderRegistry,
    SourceLike,
    WalkedPath,
    buffer_stream,
    expand_sources,
    group_sources,
)
from newsingest.sinks import dumps_line

try:
    import dask as _dask
    import dask.bag as _dask_bag
    from dask.bag.core import reify as _reify
    from dask.base import tokenize as _tokenize
    from dask.highlevelgraph import HighLevelGraph as _HighLevelGraph
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError.for_extra("newsingest.dask", "dask", "dask") from error

# Dask's Bag API carries no annotations (every call would be "untyped" under mypy --strict),
# so this module holds Dask objects as Any; the names say what they are.
dask: Any = _dask
db: Any = _dask_bag
reify: Any = _reify
tokenize: Any = _tokenize
HighLevelGraph: Any = _HighLevelGraph
#: A ``dask.bag.Bag``.
Bag: TypeAlias = Any

__all__ = [
    "DEFAULT_FILES_PER_PARTITION",
    "Deduped",
    "ReadBags",
    "dedupe",
    "read_bag",
    "read_bags",
    "to_jsonl",
]

#: Files read by one task. Big enough that scheduling costs vanish next to parsing.
DEFAULT_FILES_PER_PARTITION: Final = 1024

Record = dict[str, Any]


def _deduplicator(keys: Sequence[str]) -> Deduplicator:
    """A fresh one-process Deduplicator (its own in-memory store) for ``keys``."""
    return Deduplicator(keys=keys)


class ReadBags(NamedTuple):
    """What :func:`read_bags` returns; the three bags share one read of the sources.

    Compute them together (``dask.compute(r.articles, r.errors)``) to read each file once.

    Attributes:
        articles: ``Article.to_dict()`` dicts, normalised, with URL and content keys.
        errors: one :func:`~newsingest.sinks.quarantine_record` per rejected record or
            source, with the reader that rejected it.
        warnings: one record per :class:`~newsingest.exceptions.NewsIngestWarning`
            (``source``, ``line``, ``item``, ``reason``, ``message``); the article was kept.
    """

    articles: Bag
    errors: Bag
    warnings: Bag


class Deduped(NamedTuple):
    """What :func:`dedupe` returns.

    Attributes:
        kept: the surviving articles, as ``Article.to_dict()`` dicts.
        duplicates: one :meth:`newsingest.dedup.Duplicate.to_dict` dict per dropped
            article: its provenance, the key type and key that matched, and the kept
            article's identity key and source.
    """

    kept: Bag
    duplicates: Bag


# --------------------------------------------------------------------------- reading


def _plan_sources(sources: Iterable[SourceLike] | SourceLike) -> list[SourceLike]:
    """Expand sources on the client into items a worker can open.

    Paths stay strings (workers must see the same filesystem); URLs and bytes pass
    through; open streams are read here, since a stream cannot travel to a worker.
    """
    return [
        os.fspath(source) if isinstance(source, os.PathLike) else buffer_stream(source)
        for source in expand_sources(sources)
    ]


class _Paths:
    """A run of path (or URL) strings as one string: what a task carries cheaply.

    Thousands of separate strings (and :class:`~newsingest.readers.WalkedPath`
    objects, which pickle far slower than ``str``) would be pickled to the scheduler
    and again to a worker; one string per run is one copy. NUL never occurs in a path.
    Not a tuple, so that Dask never takes it for a task or a key.
    """

    __slots__ = ("text", "walked")

    def __init__(self, text: str, walked: bool) -> None:
        self.text = text
        #: found by a walk or a glob (not named by the user): a file no reader
        #: claims is passed over, not an error
        self.walked = walked

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Paths, (self.text, self.walked))

    def __dask_tokenize__(self) -> tuple[str, bool]:
        return (self.text, self.walked)


def _pack(sources: Sequence[SourceLike]) -> list[object]:
    """One group of sources, its runs of strings joined (see :class:`_Paths`)."""
    packed: list[object] = []
    run: list[str] = []
    walked = False
    for source in sources:
        if isinstance(source, str) and (not run or isinstance(source, WalkedPath) == walked):
            walked = isinstance(source, WalkedPath)
            run.append(source)
            continue
        if run:
            packed.append(_Paths("\0".join(run), walked))
            run = []
        if isinstance(source, str):
            walked = isinstance(source, WalkedPath)
            run.append(source)
        else:
            packed.append(source)
    if run:
        packed.append(_Paths("\0".join(run), walked))
    return packed


def _unpack(packed: Iterable[object]) -> list[SourceLike]:
    """The sources of a group made by :func:`_pack`, as they were."""
    sources: list[SourceLike] = []
    for item in packed:
        if isinstance(item, _Paths):
            names = item.text.split("\0")
            sources.extend(map(WalkedPath, names) if item.walked else names)
        else:
            sources.append(cast(SourceLike, item))
    return sources


def _read_partition(
    packed: Sequence[object],
    reader: str | Reader | None,
    registry: ReaderRegistry | None,
    on_error: OnError,
) -> list[tuple[str, Record]]:
    """Read one group of sources; return tagged records (``article``/``error``/``warning``)."""
    out: list[tuple[str, Record]] = []

    def keep_error(record: Record) -> None:
        out.append(("error", record))

    def keep_warning(warning: NewsIngestWarning) -> None:
        out.append(("warning", _warning_record(warning)))

    run = ingest(
        _unpack(packed),
        reader=reader,
        registry=registry,
        on_error=on_error,
        quarantine=keep_error if on_error == "quarantine" else None,
        on_warning=keep_warning,
        dedup=False,  # dedupe() judges the whole bag; a per-partition pass would be wrong
    )
    with run:
        # Normalisation already set the content key wherever the body has one.
        out.extend(("article", record) for record in run.records())
    return out


def _read_articles(
    packed: Sequence[object],
    *,
    reader: str | Reader | None,
    registry: ReaderRegistry | None,
    on_error: OnError,
) -> Iterator[Record]:
    """Read one group of sources; yield its article records as they are read."""
    run = ingest(_unpack(packed), reader=reader, registry=registry, on_error=on_error, dedup=False)
    with run:
        yield from run.records()


def _warning_record(warning: NewsIngestWarning) -> Record:
    return {
        "source": warning.source,
        "line": warning.line,
        "item": warning.item,
        "reason": warning.reason,
        "message": str(warning),
    }


def _select(tagged: list[tuple[str, Record]], kind: str) -> list[Record]:
    return [record for tag, record in tagged if tag == kind]


def read_bags(
    sources: Iterable[SourceLike] | SourceLike,
    *,
    files_per_partition: int = DEFAULT_FILES_PER_PARTITION,
    reader: str | Reader | None = None,
    registry: ReaderRegistry | None = None,
) -> ReadBags:
    """Read sources into bags of articles, quarantine records and warnings.

    Sources are expanded on the client (directories recurse in sorted order, globs
    expand), then grouped ``files_per_partition`` to a partition; each partition is one
    task that reads its files with :func:`newsingest.ingest` and returns one list.

    Args:
        sources: as for :func:`newsingest.ingest`. Paths must be readable by the workers
            under the same name (a shared filesystem); open streams are read on the client.
        files_per_partition: sources per partition; keep it large (tasks should be coarse).
        reader: force one reader (a registered name or a reader object).
        registry: where to resolve readers. It is pickled to the workers; by default each
            worker uses its own :func:`~newsingest.readers.default_registry`, so readers
            registered only in the client process need ``registry=`` here.

    Returns:
        A :class:`ReadBags`; nothing is dropped: every source record is an article or an
        error record.

    Raises:
        ValueError: ``files_per_partition`` is below 1.
        SourceNotFoundError: a path or glob matches nothing (raised on the client).
    """
    tagged = _tagged_bag(sources, files_per_partition, reader, registry, "quarantine")
    return ReadBags(
        articles=tagged.map_partitions(_select, "article"),
        errors=tagged.map_partitions(_select, "error"),
        warnings=tagged.map_partitions(_select, "warning"),
    )


def read_bag(
    sources: Iterable[SourceLike] | SourceLike,
    *,
    files_per_partition: int = DEFAULT_FILES_PER_PARTITION,
    reader: str | Reader | None = None,
    registry: ReaderRegistry | None = None,
    on_error: Literal["raise", "skip"] = "raise",
) -> Bag:
    """Read sources into a bag of article dicts (see :func:`read_bags` for the arguments).

    Args:
        sources: as for :func:`read_bags`.
        files_per_partition: sources per partition.
        reader: force one reader.
        registry: where to resolve readers.
        on_error: ``"raise"`` (the default): computing the bag raises the first rejected
            record of a partition, a :class:`~newsingest.exceptions.ParseError` naming the
            file and line. ``"skip"``: rejected records are left out of this bag; use
            :func:`read_bags` to keep them as quarantine records instead.

    Returns:
        A ``dask.bag.Bag`` of ``Article.to_dict()`` dicts.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(
            f"on_error must be 'raise' or 'skip', got {on_error!r}; "
            "read_bags() returns rejected records as a bag of quarantine records"
        )
    groups = _groups(sources, files_per_partition)
    read = partial(_read_articles, reader=reader, registry=registry, on_error=on_error)
    name = f"newsingest-read-{tokenize(groups.name, reader, registry, on_error)}"
    # reify at the task boundary, as dask.bag's own map does: a consumer fused into the
    # same task (count, to_jsonl's serialiser) takes the records as they are read,
    # without a list of the whole partition; anywhere else the partition is a list.
    layer = {(name, i): (reify, (read, (groups.name, i))) for i in range(groups.npartitions)}
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[groups])
    return db.Bag(graph, name, groups.npartitions)


def _groups(sources: Iterable[SourceLike] | SourceLike, files_per_partition: int) -> Bag:
    """A bag whose partitions are the groups of sources one task reads."""
    if files_per_partition < 1:
        raise ValueError(f"files_per_partition must be at least 1, got {files_per_partition}")
    planned = _plan_sources(sources)
    if not planned:
        return db.from_sequence([], npartitions=1)
    # a WARC (a file its reader reads in parts) is a partition per part
    groups = [_pack(group) for group in group_sources(planned, files_per_partition)]
    # One partition per group; each partition is the group's packed items.
    name = f"newsingest-sources-{tokenize(groups)}"
    graph = HighLevelGraph.from_collections(
        name, {(name, i): group for i, group in enumerate(groups)}, dependencies=[]
    )
    return db.Bag(graph, name, len(groups))


def _tagged_bag(
    sources: Iterable[SourceLike] | SourceLike,
    files_per_partition: int,
    reader: str | Reader | None,
    registry: ReaderRegistry | None,
    on_error: OnError,
) -> Bag:
    groups = _groups(sources, files_per_partition)
    return groups.map_partitions(_read_partition, reader, registry, on_error)


# --------------------------------------------------------------------------- dedupe

#: Per input partition: ``(position, bucket, ties)`` of each article in a duplicate cluster.
Plan = list[list[tuple[int, int, bool]]]
#: What a decider needs of one clustered article: ``(rank, partition, position,
#: candidate, report)``; ``report`` holds what a Duplicate says of the article.
Stub = tuple[tuple[Any, ...], int, int, Candidate, Record]


class _Verdict(NamedTuple):
    """What one decider tells the partitions (nothing else leaves it but duplicates)."""

    #: partition -> positions of its articles found to be duplicates
    dropped: dict[int, list[int]]
    #: partition -> position -> entries for the ``extra`` of a kept article
    notes: dict[int, dict[int, dict[str, Any]]]
    #: kept article's ``where`` -> where its duplicates were read (``also_seen``)
    copies: dict[str, list[str]]


def _digest(text: str) -> int:
    """A 64-bit digest of a key, equal in every process (``hash()`` is salted per process).

    Two keys with one digest only put two clusters in one bucket (decided together,
    still independently), so a collision can cost time, never a wrong answer.
    """
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "little")


def _match_keys(record: Record, keys: tuple[str, ...]) -> list[str]:
    """The keys a record can match on, as :func:`~newsingest.dedup.candidate_of` makes them.

    Without the internal scope keys and the loose form of the body, which the decision
    needs but clustering does not: a third of the cost of a whole candidate.
    """
    others = tuple(kind for kind in keys if kind != "content")
    found = [key for _, key in candidate_of(cast(ArticleRecord, record), others).keys]
    if "content" in keys:
        key = record["content_key"]  # set by normalisation; the candidate's own fallback:
        if key is None and record["body"]:
            key = content_key(record["body"])
        if key is not None:
            found.append(key)
    return found


class _Summary(NamedTuple):
    """All of a partition that leaves it for the plan: 8-byte digests in flat arrays."""

    #: the number of match keys of each article
    counts: bytes
    #: the digest of each article's ``where``
    wheres: bytes
    #: the digests of every article's match keys, one article after the other
    keys: bytes


def _key_summary(records: Sequence[Record], *, keys: tuple[str, ...]) -> _Summary:
    """The key digests of a partition (see :class:`_Summary`)."""
    counts = array("L")
    wheres = array("Q")
    digests = array("Q")
    for record in records:
        found = _match_keys(record, keys)
        source = record["source"]
        counts.append(len(found))
        wheres.append(_digest(_where(source["location"], source["line"], source["item"])))
        digests.extend([_digest(key) for key in found])
    return _Summary(counts.tobytes(), wheres.tobytes(), digests.tobytes())


def _words(data: bytes, code: str) -> array[int]:
    out = array(code)
    out.frombytes(data)
    return out


def _find(parent: dict[int, int], item: int) -> int:
    root = parent.setdefault(item, item)
    while root != parent[root]:
        root = parent[root]
    while item != root:  # path compression
        parent[item], item = root, parent[item]
    return root


def _plan(summaries: Sequence[_Summary], *, buckets: int) -> Plan:
    """Which articles are in a duplicate cluster, and which decider judges each cluster.

    A key held by one article only links nothing; an article none of whose keys is
    shared is kept by the batch rule whatever else is in the input. The others are
    joined into clusters (union-find over the shared keys); a cluster goes to one
    bucket whole. ``ties`` marks an article whose ``where`` another member of its
    cluster shares: only then can the survivor rule reach its last criterion, the body,
    so only then is the body shipped. Work in Python here grows with the articles in
    clusters; the rest is C-level passes over the digests.
    """
    flats = [_words(summary.keys, "Q") for summary in summaries]
    counted = Counter(chain.from_iterable(flats))
    shared = {digest for digest, count in counted.items() if count > 1}
    parent: dict[int, int] = {}
    members: list[tuple[int, int, int]] = []  # partition, position, a shared key
    for index, (summary, flat) in enumerate(zip(summaries, flats, strict=True)):
        if shared.isdisjoint(flat):
            continue
        starts = list(accumulate(_words(summary.counts, "L"), initial=0))
        last = -1
        first = 0
        for at in compress(range(len(flat)), map(shared.__contains__, flat)):
            position = bisect_right(starts, at) - 1
            digest = flat[at]
            if position != last:
                members.append((index, position, digest))
                first, last = _find(parent, digest), position
            else:
                root = _find(parent, digest)
                if root != first:
                    parent[root] = first
    where_of = [_words(summary.wheres, "Q") for summary in summaries]
    placed = [
        (index, position, where_of[index][position], _find(parent, key))
        for index, position, key in members
    ]
    wheres = Counter((root, where) for _, _, where, root in placed)
    plan: Plan = [[] for _ in summaries]
    for index, position, where, root in placed:
        plan[index].append((position, root % buckets, wheres[root, where] > 1))
    return plan


def _stubs(
    records: Sequence[Record], plan: Plan, *, index: int, keys: tuple[str, ...], buckets: int
) -> list[bytes]:
    """This partition's clustered articles as stubs, by bucket: keys and rank, no text.

    Each bucket is pickled here, in the task: the worker then sends bytes, which its
    communication thread moves without holding the interpreter for long.
    """
    deduplicator = _deduplicator(keys)
    out: list[list[Stub]] = [[] for _ in range(buckets)]
    for position, bucket, ties in plan[index]:
        record = records[position]
        candidate = deduplicator.candidate(cast(ArticleRecord, record))
        article = unchecked_from_dict(record)
        # The batch survivor rule's own sort key. Its last criterion is the body, which
        # only decides between articles read at the same place (see _plan): leave it
        # out otherwise, so no article text crosses processes.
        rank = deduplicator._rank(article, candidate.keys)
        if not ties and rank and rank[-1] is article.body:
            rank = rank[:-1]
        report = {"source": record["source"], "url": record["url"], "title": record["title"]}
        out[bucket].append((rank, index, position, candidate, report))
    return [pickle.dumps(stubs, protocol=pickle.HIGHEST_PROTOCOL) for stubs in out]


def _report_of(report: Record) -> ArticleRecord:
    return cast(ArticleRecord, report)


def _decide(
    stubs: Sequence[list[bytes]], *, bucket: int, keys: tuple[str, ...], also_seen: bool
) -> tuple[_Verdict, list[Record]]:
    """Run the one-process batch decision over one bucket's clustered articles.

    The batch orders articles by the survivor rule, ties by input order, and decides
    each in turn with :meth:`Deduplicator.decide`; this does the same over the stubs.
    Clusters share no key, so deciding several in one Deduplicator changes nothing.
    """
    mine: list[Stub] = [stub for part in stubs for stub in pickle.loads(part[bucket])]
    mine.sort(key=_order)
    deduplicator = _deduplicator(keys)
    notes: dict[int, dict[int, dict[str, Any]]] = {}
    found: list[tuple[int, int, Duplicate]] = []
    for _rank, index, position, candidate, report in mine:
        duplicate = deduplicator.decide(
            candidate,
            partial(_report_of, report),
            partial(notes.setdefault(index, {}).__setitem__, position),
        )
        if duplicate is not None:
            found.append((index, position, duplicate))
    found.sort(key=_input_order)
    dropped: dict[int, list[int]] = {}
    copies: dict[str, list[str]] = {}
    for index, position, duplicate in found:
        dropped.setdefault(index, []).append(position)
        if also_seen:
            copies.setdefault(duplicate.kept_source, []).append(duplicate.source.where())
    notes = {index: given for index, given in notes.items() if given}
    return _Verdict(dropped, notes, copies), [duplicate.to_dict() for _, _, duplicate in found]


def _order(stub: Stub) -> tuple[Any, ...]:
    return (stub[0], stub[1], stub[2])


def _input_order(found: tuple[int, int, Duplicate]) -> tuple[int, int]:
    return (found[0], found[1])


def _verdict(decided: tuple[_Verdict, list[Record]]) -> _Verdict:
    return decided[0]


def _duplicates(decided: tuple[_Verdict, list[Record]]) -> list[Record]:
    return decided[1]


def _kept(
    records: list[Record], verdicts: Sequence[_Verdict], *, index: int, also_seen: bool
) -> list[Record]:
    """The partition without its duplicates, kept articles amended as the batch amends them."""
    dropped: set[int] = set()
    notes: dict[int, dict[str, Any]] = {}
    copies: dict[str, list[str]] = {}
    for verdict in verdicts:
        dropped.update(verdict.dropped.get(index, ()))
        notes.update(verdict.notes.get(index, {}))
        for where, seen in verdict.copies.items():
            copies.setdefault(where, []).extend(seen)
    if not (dropped or notes or copies):
        return records
    out: list[Record] = []
    for position, record in enumerate(records):
        if position in dropped:
            continue
        kept = record
        given = notes.get(position)
        if given:  # a copy: the input partition may be computed into other results too
            kept = {**kept, "extra": {**kept["extra"], **given}}
        if copies:
            source = kept["source"]
            also = copies.get(_where(source["location"], source["line"], source["item"]))
            if also:
                kept = {**kept, "extra": {**kept["extra"], "also_seen": sorted(also)}}
        out.append(kept)
    return out


def _shuffle_partitions(inputs: int) -> int:
    """Default number of deciders (and duplicates partitions) for ``inputs`` partitions."""
    return max(1, min(inputs, 2 * math.isqrt(inputs)))


def dedupe(
    bag: Bag,
    *,
    keys: Sequence[str] = ("url", "entry", "content"),
    split_every: int | None = None,
    npartitions: int | None = None,
    also_seen: bool = False,
) -> Deduped:
    """Drop duplicate articles from a bag exactly as the one-process batch would.

    The kept set equals ``Deduplicator(keys=keys).batch(articles)`` run in one process
    over the same articles, duplicate chains included; see the module docstring for how.
    Only key digests and, for articles in duplicate clusters, their keys and rank move
    between processes; article text stays in the partition it was read into.

    Args:
        bag: a bag of ``Article.to_dict()`` dicts, e.g. from :func:`read_bag`.
        keys: the key types to match on (``"url"``, ``"entry"``, ``"content"``,
            ``"title"``).
        split_every: no longer used (the key plan is one task); giving it warns.
        npartitions: deciders, each judging a share of the duplicate clusters (and
            partitions of ``duplicates``); by default about twice the square root of
            the input's count (never more than the input's count).
        also_seen: each kept article with duplicates carries ``extra["also_seen"]``,
            where they were read (as :meth:`Deduplicator.batch` gives it).

    Returns:
        :class:`Deduped` bags: ``kept`` partitioned as the input, in input order;
        ``duplicates`` with ``npartitions`` partitions.

    Raises:
        ValueError: an unknown or repeated key type, no key type at all, or
            ``npartitions`` below 1.
    """
    if npartitions is not None and npartitions < 1:
        raise ValueError(f"npartitions must be at least 1, got {npartitions}")
    chosen = _deduplicator(keys).keys  # validates the key types here, on the client
    if split_every is not None:
        warnings.warn(
            "dedupe(split_every=) has no effect: the key plan is one task since 0.2",
            DeprecationWarning,
            stacklevel=2,
        )
    inputs = bag.npartitions
    buckets = npartitions or _shuffle_partitions(inputs)
    token = tokenize(bag.name, chosen, buckets, also_seen)
    summary, plan, stubs = (
        f"newsingest-dedupe-{step}-{token}" for step in ("keys", "plan", "stubs")
    )
    decided, verdict = f"newsingest-dedupe-decide-{token}", f"newsingest-dedupe-verdict-{token}"
    kept_name, duplicates_name = f"newsingest-kept-{token}", f"newsingest-duplicates-{token}"
    # Legacy task tuples; options travel inside partials so no argument is taken for a key.
    shared: dict[Any, Any] = {
        plan: (partial(_plan, buckets=buckets), [(summary, i) for i in range(inputs)])
    }
    for i in range(inputs):
        shared[summary, i] = (partial(_key_summary, keys=chosen), (bag.name, i))
        shared[stubs, i] = (
            partial(_stubs, index=i, keys=chosen, buckets=buckets),
            (bag.name, i),
            plan,
        )
    for d in range(buckets):
        shared[decided, d] = (
            partial(_decide, bucket=d, keys=chosen, also_seen=also_seen),
            [(stubs, i) for i in range(inputs)],
        )
    kept_layer = dict(shared)
    for d in range(buckets):
        kept_layer[verdict, d] = (_verdict, (decided, d))
    for i in range(inputs):
        kept_layer[kept_name, i] = (
            partial(_kept, index=i, also_seen=also_seen),
            (bag.name, i),
            [(verdict, d) for d in range(buckets)],
        )
    duplicates_layer = dict(shared)
    for d in range(buckets):
        duplicates_layer[duplicates_name, d] = (_duplicates, (decided, d))
    return Deduped(
        kept=db.Bag(
            HighLevelGraph.from_collections(kept_name, kept_layer, dependencies=[bag]),
            kept_name,
            inputs,
        ),
        duplicates=db.Bag(
            HighLevelGraph.from_collections(duplicates_name, duplicates_layer, dependencies=[bag]),
            duplicates_name,
            buckets,
        ),
    )


# --------------------------------------------------------------------------- writing


def _json_lines(records: Iterable[Record | Article]) -> str:
    """One partition as JSON lines, serialised exactly as the CLI writes them."""
    return "".join(
        dumps_line(record.to_dict() if isinstance(record, Article) else record) + "\n"
        for record in records
    )


def _write_part(texts: Sequence[str], path: str) -> int:
    """Write serialised partitions to one file; return the number of lines."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for text in texts:
            handle.write(text)
            written += text.count("\n")
    return written


def to_jsonl(bag: Bag, path: str | os.PathLike[str]) -> int:
    """Write a bag of article dicts (or Articles) as JSON lines; return the line count.

    Each partition is serialised in its worker into one string (one compact result per
    task). Then:

    * ``path`` without ``*``: the client collects the strings and writes one file, in
      partition order. The whole output passes through the client's memory.
    * ``path`` with one ``*`` (``"out/part-*.jsonl"``): each worker writes its partition to
      the path with ``*`` replaced by the zero-padded partition number. The directory must
      be one the workers can write (a shared filesystem for a remote cluster).

    Lines are UTF-8 JSON objects (no ASCII escaping) that
    :meth:`~newsingest.model.Article.from_dict` reads back.

    Raises:
        ValueError: ``path`` holds more than one ``*``.
    """
    text_path = os.fspath(path)
    stars = text_path.count("*")
    if stars > 1:
        raise ValueError(f"path may hold at most one '*', got {text_path!r}")
    texts = bag.map_partitions(lambda records: [_json_lines(records)])
    if stars == 0:
        (parts,) = dask.compute(texts)
        return _write_part(parts, text_path)
    width = len(str(max(bag.npartitions - 1, 0)))
    writes = [
        dask.delayed(_write_part)(part, text_path.replace("*", f"{index:0{width}d}"))
        for index, part in enumerate(texts.to_delayed())
    ]
    return sum(dask.compute(*writes))
