"""The pipeline: sources → readers → normalise → dedup → your loop, with a report.

:func:`ingest` wires the stages of :mod:`newsingest.pipeline` and does nothing
else: the read stage (:mod:`~newsingest.pipeline.read`) turns sources into
normalised records, the generic ordered map (:mod:`~newsingest.pipeline.workers`)
runs it here or in worker processes, the policy stage
(:mod:`~newsingest.pipeline.policy`) applies ``on_error``, the dedup decision and the
counts, and the output stage (:mod:`~newsingest.pipeline.output`) hands records out
and commits seen keys. It is lazy and streaming: memory stays flat in the number of
articles. Problems never vanish: every rejected record is raised, skipped and
counted, or quarantined with its reason, and every duplicate is reported and counted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from newsingest.dedup import Deduplicator, Duplicate
from newsingest.exceptions import NewsIngestError, NewsIngestWarning, SourceError
from newsingest.pipeline.items import Chunk, Emitted

# Importable from here too, documented where they are defined (newsingest.pipeline).
from newsingest.pipeline.normalise import normalise_article  # noqa: F401 - importable here
from newsingest.pipeline.output import IngestRun, committed
from newsingest.pipeline.policy import OnError, Policy, QuarantineTarget, RunReport
from newsingest.pipeline.read import ReadStage
from newsingest.pipeline.workers import ordered_map
from newsingest.readers import (
    Reader,
    ReaderRegistry,
    SourceLike,
    as_source_list,
    default_registry,
    expand_sources,
)
from newsingest.state import SeenStore, open_store

__all__ = ["ingest"]

StateLike = str | os.PathLike[str] | SeenStore
DEFAULT_KEYS = ("url", "entry", "content")


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
    keys: Sequence[str] | None = None,
    state: StateLike | None = None,
    near: float | None = None,
    on_duplicate: Callable[[Duplicate], None] | None = None,
    before_commit: Callable[[], None] | None = None,
    commit_every: int = 5000,
    fetch: bool | Mapping[str, Any] = False,
    concurrency: int = 4,
    workers: int = 1,
    report: RunReport | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
    on_skip: Callable[[str, str], None] | None = None,
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
            keys), or a configured :class:`~newsingest.dedup.Deduplicator` to use
            (then ``keys``, ``state`` and ``near`` belong to it and are errors here).
        keys: key types for the default Deduplicator (``"url"``, ``"entry"``,
            ``"content"``, ``"title"``); ``("url", "entry", "content")`` when not given.
        state: a seen-store, or a path to a SQLite file, remembered across runs:
            seen keys, near signatures and the validators of polled feeds (so a
            re-poll sends ``If-None-Match`` / ``If-Modified-Since``), even with
            dedup off. In memory for this run only when ``None``. Closed when the
            run ends.
        near: near-duplicate threshold (0-1) for the default Deduplicator
            (needs ``newsingest[near]``).
        on_duplicate: called with every :class:`~newsingest.dedup.Duplicate`.
        before_commit: called before seen keys are committed to the store; a
            writer passes its ``flush`` so that keys are only recorded for articles
            already written (at-least-once: a crash repeats, never loses).
        commit_every: commit seen keys after this many kept articles.
        fetch: hydrate each article by fetching its page (URL lists, feed items);
            ``True`` or a mapping of options for :func:`newsingest.hydrate.hydrate`
            (``per_host``, ``per_host_delay``, ``on_page_error``, ``retry``, ...).
            With a ``state``, a page whose item the store already holds is not
            fetched again (the item is still reported, as a duplicate), and an item
            whose page fails is kept as the feed gave it, with
            ``extra["hydration"]`` saying why (``on_page_error="drop"`` drops it).
        concurrency: feeds polled at once when several feed URLs follow each other
            (their items still come out in source order).
        workers: processes that read, parse and normalise local files: this one
            and ``workers - 1`` worker processes (use the number of cores). Dedup
            stays in this process, so output and order equal ``workers=1``.
        report: a :class:`RunReport` to fill (a new one otherwise).
        exclude: paths never read as sources even when a folder walk or glob finds
            them (a run's own output, quarantine and state files); counted as
            ``skipped`` (``own_output``).
        on_skip: called with ``(path, reason)`` for each file a folder walk or glob
            passes over (no reader claims it, hidden, a broken link, an excluded
            path); they are counted in ``report.skipped`` either way.

    Returns:
        An :class:`IngestRun`: an iterator of Articles with a ``report``.

    Raises:
        ValueError: an unknown ``on_error``, a quarantine without a target,
            ``workers`` below 1, or options that contradict each other.
        NewsIngestError: with ``on_error="raise"``, the first rejected record.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if dedup is None:
        dedup = normalize
    _check_dedup_options(dedup, normalize, keys, state, near)
    run_report = report if report is not None else RunReport()
    policy = Policy(
        run_report,
        on_error=on_error,
        quarantine=quarantine,
        on_warning=on_warning,
        on_reject=on_reject,
        on_duplicate=on_duplicate,
        on_skip=on_skip,
    )
    registry = registry if registry is not None else default_registry()
    store = None if state is None else state if isinstance(state, SeenStore) else open_store(state)
    deduplicator: Deduplicator | None = None
    if isinstance(dedup, Deduplicator):
        deduplicator = dedup
    elif dedup:
        deduplicator = Deduplicator(keys=keys or DEFAULT_KEYS, store=store, near_threshold=near)
    stage = ReadStage(
        registry=registry,
        forced=registry.get(reader) if isinstance(reader, str) else reader,
        normalize=normalize,
        prepare=None if deduplicator is None else deduplicator.preparer(),
        fetch=(dict(fetch) if isinstance(fetch, Mapping) else {}) if fetch else None,
        concurrency=concurrency,
        state=dedup.store if isinstance(dedup, Deduplicator) else store,
        per_source=run_report.per_source is not None,
    )
    items = ordered_map(
        stage,
        stage.plan(_expanded(sources, policy, run_report, exclude)),
        workers=workers,
        portable=_portable,
    )

    def commit() -> None:
        # Seen keys and feed validators are recorded only for what the consumer
        # has written (before_commit flushes it): at least once, never lost.
        if before_commit is not None:
            before_commit()
        if deduplicator is not None:
            deduplicator.flush()
        elif store is not None:
            store.commit()

    def release() -> None:
        items.close()  # stops worker processes now, not when collected
        policy.close()
        # After an early stop nothing more is committed; the store is closed.
        if deduplicator is not None and deduplicator is not dedup:
            deduplicator.close()  # closes the store too
        elif store is not None:
            store.close()

    return IngestRun(
        _guarded(committed(policy.apply(items, deduplicator), commit, commit_every), release),
        run_report,
    )


def _check_dedup_options(
    dedup: bool | Deduplicator,
    normalize: bool,
    keys: Sequence[str] | None,
    state: StateLike | None,
    near: float | None,
) -> None:
    """Refuse combinations whose options would be silently ignored."""
    if isinstance(dedup, Deduplicator):
        given = [
            name
            for name, value in (("state", state), ("keys", keys), ("near", near))
            if value is not None
        ]
        if given:
            raise ValueError(
                f"dedup= is a configured Deduplicator, so {' and '.join(given)} would be "
                "ignored: give them to the Deduplicator (keys=, store=, near_threshold=)"
            )
    if dedup is not False and not normalize:
        raise ValueError("dedup needs normalize=True (keys come from the normalisers)")
    if dedup is False:
        given = [name for name, value in (("keys", keys), ("near", near)) if value is not None]
        if given:
            raise ValueError(f"{' and '.join(given)} need dedup, which is off")


def _portable(chunk: Chunk) -> bool:
    return chunk.portable


def _guarded(
    outputs: Iterator[Emitted], release: Callable[[], None]
) -> Generator[Emitted, None, None]:
    """``outputs``, with the run's resources released however it ends."""
    try:
        yield from outputs
    finally:
        release()


def _expanded(
    sources: Iterable[SourceLike] | SourceLike,
    policy: Policy,
    report: RunReport,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[SourceLike]:
    """Expand each given source in turn, counting them; one that cannot be expanded is
    rejected alone."""
    excluded = list(exclude)
    for given in as_source_list(sources):
        try:
            for source in expand_sources(
                given, on_warning=policy.warn, on_skip=policy.skip, exclude=excluded
            ):
                report.sources += 1
                yield source
        except SourceError as error:
            policy.reject(error, None)
            report.failed_sources += 1
            if report.per_source is not None:
                report.per_source.append(
                    {
                        "source": error.source,
                        "reader": None,
                        "status": "failed",
                        **dict.fromkeys(("read", "emitted", "duplicates", "warnings"), 0),
                        "errors": 1,
                        "seconds": None,
                    }
                )
