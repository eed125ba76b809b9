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

Tasks are coarse on purpose. A task per file ships one tiny result per file through the
scheduler; a task per *group* of files (``files_per_partition``) returns one list per
partition. On a two-worker LocalCluster, reading 20,000 seed files ran at 0.37x the speed
of one process with 64 files per partition and 0.89x with 512
(``benchmarks/dask_cluster.py``). Every function here keeps to one compact result per
partition.

How :func:`dedupe` matches the one-process batch result
--------------------------------------------------------
An article is a duplicate when *any* of its keys (URL key, content key, title key) was
seen, so duplicates chain: A shares a URL with B, B shares its body with C, and the batch
decision about C depends on A. Which article survives a chain is decided by the batch
survivor rule over the whole chain, so the chain must be judged in one place. The approach:

1. **Connected components by union-find, as a tree reduction.** Each partition unions the
   keys of each of its articles and returns its key groups with article counts (compact:
   no article text). The reduction merges those groups across partitions into components
   and keeps only components holding two or more articles, as a ``key -> component`` map.
2. **Singletons pass straight through.** An article whose keys are in no multi-article
   component (or that has no key at all) cannot be a duplicate of anything, and no other
   article can be its duplicate; the batch run keeps it, and so do we, without a shuffle.
3. **Shuffle by component, then run the batch per component.** The remaining articles are
   grouped by component id (a task-based shuffle, which works on every scheduler), and
   each component is handed to a fresh ``Deduplicator(keys=...).batch`` in the worker.
   The batch rule decides an article by the articles it shares keys with, transitively,
   which all lie in its component; so the union of the per-component results is the
   one-process result, chains included. The survivor rule itself is never re-implemented
   here: it runs inside the colleague-owned ``Deduplicator``.

The ``key -> component`` map lives in one task and is broadcast to the tagging tasks, so
memory there is proportional to the number of keys that occur in duplicate clusters.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple, TypeAlias

from newsingest.dedup import Deduplicator
from newsingest.exceptions import MissingExtraError, NewsIngestWarning
from newsingest.ingest import ingest
from newsingest.model import Article
from newsingest.pipeline.policy import OnError
from newsingest.readers import (
    Reader,
    ReaderRegistry,
    SourceLike,
    buffer_stream,
    expand_sources,
)
from newsingest.sinks import dumps_line

try:
    import dask as _dask
    import dask.bag as _dask_bag
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError.for_extra("newsingest.dask", "dask", "dask") from error

# Dask's Bag API carries no annotations (every call would be "untyped" under mypy --strict),
# so this module holds Dask objects as Any; the names say what they are.
dask: Any = _dask
db: Any = _dask_bag
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
DEFAULT_FILES_PER_PARTITION: Final = 256

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


def _read_partition(
    sources: Sequence[SourceLike],
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
        list(sources),
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
    tagged = _tagged_bag(sources, files_per_partition, reader, registry, on_error)
    return tagged.map_partitions(_select, "article")


def _tagged_bag(
    sources: Iterable[SourceLike] | SourceLike,
    files_per_partition: int,
    reader: str | Reader | None,
    registry: ReaderRegistry | None,
    on_error: OnError,
) -> Bag:
    if files_per_partition < 1:
        raise ValueError(f"files_per_partition must be at least 1, got {files_per_partition}")
    planned = _plan_sources(sources)
    if not planned:
        return db.from_sequence([], npartitions=1)
    groups = db.from_sequence(planned, partition_size=files_per_partition)
    return groups.map_partitions(_read_partition, reader, registry, on_error)


# --------------------------------------------------------------------------- dedupe


Keyed = list[tuple[list[str], Record]]


def _with_keys(records: Iterable[Record], keys: Sequence[str]) -> Keyed:
    """Pair each article dict with its dedup keys, exactly as the Deduplicator makes them."""
    keys_of = _deduplicator(keys).keys_of
    return [([key for _, key in keys_of(Article.from_dict(record))], record) for record in records]


class _UnionFind:
    """Union-find over string keys with article counts per root; roots are the least key."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.count: dict[str, int] = {}

    def find(self, key: str) -> str:
        parent = self.parent
        root = parent.setdefault(key, key)
        while root != parent[root]:
            root = parent[root]
        while key != root:  # path compression
            parent[key], key = root, parent[key]
        return root

    def union(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a == b:
            return
        if b < a:
            a, b = b, a
        self.parent[b] = a
        self.count[a] = self.count.get(a, 0) + self.count.pop(b, 0)

    def add_group(self, keys: Sequence[str], articles: int) -> None:
        first = keys[0]
        for other in keys[1:]:
            self.union(first, other)
        root = self.find(first)
        self.count[root] = self.count.get(root, 0) + articles

    def groups(self) -> list[tuple[list[str], int]]:
        members: dict[str, list[str]] = {}
        for key in self.parent:
            members.setdefault(self.find(key), []).append(key)
        return [(sorted(group), self.count.get(root, 0)) for root, group in members.items()]


Groups = list[tuple[list[str], int]]


def _partition_groups(keyed: Keyed) -> Groups:
    found = _UnionFind()
    for record_keys, _record in keyed:
        if record_keys:
            found.add_group(record_keys, 1)
    return found.groups()


def _merge_groups(parts: Iterable[Groups]) -> Groups:
    merged = _UnionFind()
    for groups in parts:
        for group_keys, articles in groups:
            merged.add_group(group_keys, articles)
    return merged.groups()


def _component_map(groups: Groups) -> dict[str, str]:
    """``key -> component id`` for components holding two or more articles."""
    return {
        key: group_keys[0] for group_keys, articles in groups if articles > 1 for key in group_keys
    }


def _tag_components(keyed: Keyed, components: dict[str, str]) -> list[tuple[str | None, Record]]:
    tagged: list[tuple[str | None, Record]] = []
    for record_keys, record in keyed:
        component = components.get(record_keys[0]) if record_keys else None
        tagged.append((component, record))
    return tagged


def _singletons(tagged: Iterable[tuple[str | None, Record]]) -> list[Record]:
    return [record for component, record in tagged if component is None]


def _clustered(tagged: Iterable[tuple[str | None, Record]]) -> list[tuple[str, Record]]:
    return [(component, record) for component, record in tagged if component is not None]


def _batch_components(
    components: Iterable[tuple[str, list[tuple[str, Record]]]],
    keys: Sequence[str],
    also_seen: bool = False,
) -> list[tuple[str, Record]]:
    """Run the one-process batch on each component; tag results ``kept``/``duplicate``."""
    out: list[tuple[str, Record]] = []
    for _component, members in components:
        articles = [Article.from_dict(record) for _, record in members]
        kept, duplicates = _deduplicator(keys).batch(articles, also_seen=also_seen)
        out.extend(("kept", dict(article.to_dict())) for article in kept)
        out.extend(("duplicate", duplicate.to_dict()) for duplicate in duplicates)
    return out


def _shuffle_partitions(inputs: int) -> int:
    """Default partition count of the shuffle by component for ``inputs`` partitions."""
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

    Args:
        bag: a bag of ``Article.to_dict()`` dicts, e.g. from :func:`read_bag`.
        keys: the key types to match on (``"url"``, ``"entry"``, ``"content"``,
            ``"title"``).
        split_every: fan-in of the union-find tree reduction (Dask's default otherwise).
        npartitions: partitions of the shuffle by component; by default about twice the
            square root of the input's count (never more than the input's count).
        also_seen: each kept article with duplicates carries ``extra["also_seen"]``,
            where they were read (as :meth:`Deduplicator.batch` gives it).

    Returns:
        :class:`Deduped` bags of the kept articles and the duplicates.

    Raises:
        ValueError: an unknown or repeated key type, no key type at all, or
            ``npartitions`` below 1.
    """
    if npartitions is not None and npartitions < 1:
        raise ValueError(f"npartitions must be at least 1, got {npartitions}")
    chosen = _deduplicator(keys).keys  # validates the key types here, on the client

    keyed = bag.map_partitions(_with_keys, chosen)
    groups = keyed.reduction(
        _partition_groups,
        _merge_groups,
        split_every=split_every,
        name="newsingest-dedupe-components",
    )
    # Passed on as an unoptimised Delayed: a Bag Item given as an argument is finalised as
    # a separately optimised copy of its graph, which would read every file twice.
    components = groups.apply(_component_map).to_delayed(optimize_graph=False)
    tagged = keyed.map_partitions(_tag_components, components)
    singles = tagged.map_partitions(_singletons)
    shuffled = npartitions or _shuffle_partitions(bag.npartitions)
    # Concatenating neighbours first is free (no data moves); a task shuffle over fewer
    # partitions is far cheaper, since its task count grows faster than linearly.
    clustered = tagged.map_partitions(_clustered).repartition(npartitions=shuffled)
    grouped = clustered.groupby(lambda pair: pair[0], shuffle="tasks", npartitions=shuffled)
    judged = grouped.map_partitions(_batch_components, chosen, also_seen)
    kept = db.concat([singles, judged.map_partitions(_select, "kept")])
    return Deduped(kept=kept, duplicates=judged.map_partitions(_select, "duplicate"))


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
