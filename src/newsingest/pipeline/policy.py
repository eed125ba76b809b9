"""The policy stage: the error and warning policy, the dedup decision, and the report.

:class:`Policy` consumes the read stage's items in order. Rejected records are
raised, skipped or quarantined (``on_error``), warnings passed on, each record put
to the dedup decision; every one of them is counted in the :class:`RunReport`, so
every record read ends up in exactly one bucket.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

from newsingest.exceptions import NewsIngestError, NewsIngestWarning
from newsingest.pipeline.items import (
    Accepted,
    Emitted,
    Rejected,
    Skipped,
    SourceDone,
    StageItem,
    Warned,
)
from newsingest.sinks import JsonlWriter, quarantine_record

if TYPE_CHECKING:
    from newsingest.dedup import Deduplicator, Duplicate

__all__ = ["MAX_KEPT_MESSAGES", "ON_ERROR", "OnError", "Policy", "QuarantineTarget", "RunReport"]

OnError = Literal["raise", "skip", "quarantine"]
ON_ERROR: tuple[OnError, ...] = ("raise", "skip", "quarantine")
#: How many warning messages a report keeps verbatim (all are counted).
MAX_KEPT_MESSAGES = 100

QuarantineTarget = str | os.PathLike[str] | IO[str] | Callable[[dict[str, Any]], None]


@attrs.define
class RunReport:
    """Counts for one run. Every record read ends up in exactly one bucket.

    Attributes:
        sources: sources opened (files, URLs, streams).
        failed_sources: sources that could not be read at all (missing, a feed URL
            that failed, a document that is not a feed...).
        read: records the readers produced (articles plus rejected records).
        emitted: articles yielded to the caller.
        errors: rejected records and sources, by reason code.
        warnings: warnings, by reason code.
        duplicates: duplicates reported, by the key type that matched.
        quarantined: records written to the quarantine.
        skipped: files a folder walk or glob passed over, by reason (``unsupported``:
            no reader claims it; ``hidden``; ``broken_link``; ``own_output``).
        skipped_names: the names of the first of them.
        messages: the first warning and error messages, verbatim.
        stopped: why the run ended early (``"interrupted"``, ``"terminated"``,
            ``"failed"``), ``None`` when it read everything.
        per_source: one entry per source read, when asked for (a list given to
            the constructor; ``None``, the default, keeps none): ``source``,
            ``reader``, ``status`` (``ok``; ``failed``: the source itself could not
            be read; ``no_items``: nothing in it, e.g. a feed answering ``304 Not
            Modified``), ``read``, ``emitted``, ``duplicates``, ``errors``,
            ``warnings`` and ``seconds`` (``None`` for a feed of a concurrent poll).
    """

    sources: int = 0
    failed_sources: int = 0
    read: int = 0
    emitted: int = 0
    errors: Counter[str] = attrs.field(factory=Counter)
    warnings: Counter[str] = attrs.field(factory=Counter)
    duplicates: Counter[str] = attrs.field(factory=Counter)
    quarantined: int = 0
    skipped: Counter[str] = attrs.field(factory=Counter)
    skipped_names: list[str] = attrs.field(factory=list)
    messages: list[str] = attrs.field(factory=list)
    stopped: str | None = None
    per_source: list[dict[str, Any]] | None = None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def warning_count(self) -> int:
        return sum(self.warnings.values())

    @property
    def duplicate_count(self) -> int:
        return sum(self.duplicates.values())

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def skip(self, path: str, reason: str) -> None:
        """Count a file passed over, keeping the first names."""
        self.skipped[reason] += 1
        if len(self.skipped_names) < MAX_KEPT_MESSAGES:
            self.skipped_names.append(path)

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_KEPT_MESSAGES:
            self.messages.append(message)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form of the report."""
        return {
            "sources": self.sources,
            "failed_sources": self.failed_sources,
            "read": self.read,
            "emitted": self.emitted,
            "errors": dict(sorted(self.errors.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "duplicates": dict(sorted(self.duplicates.items())),
            "quarantined": self.quarantined,
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_names": list(self.skipped_names),
            "stopped": self.stopped,
            **({} if self.per_source is None else {"per_source": list(self.per_source)}),
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
        if self.skipped:
            names = ", ".join(Path(name).name for name in self.skipped_names[:3])
            more = ", ..." if self.skipped_count > 3 else ""
            parts.append(f"skipped: {self.skipped_count} ({names}{more})")
        if self.stopped:
            parts.append(f"stopped: {self.stopped}")
        return ", ".join(parts)


class _Mark:
    """What the current source has given so far (per-source counts of the report)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failed = False

    def source_done(self, done: SourceDone) -> dict[str, Any]:
        counts = self.counts
        status = (
            "failed" if self.failed else "ok" if counts["read"] or counts["errors"] else "no_items"
        )
        entry = {
            "source": done.source,
            "reader": done.reader,
            "status": status,
            **{name: counts[name] for name in _PER_SOURCE},
            "seconds": None if done.seconds is None else round(done.seconds, 4),
        }
        self.counts, self.failed = Counter(), False
        return entry


_PER_SOURCE = ("read", "emitted", "duplicates", "errors", "warnings")


class Policy:
    """Apply ``on_error``, pass warnings and duplicates on, and count everything.

    Args:
        report: the report to fill.
        on_error: ``"raise"`` the first rejected record, ``"skip"`` it, or
            ``"quarantine"`` it into ``quarantine``.
        quarantine: a path, ``"-"``, an open text stream or a callable taking each
            quarantine record (needed with ``"quarantine"``).
        on_warning, on_reject, on_duplicate: called with each warning, rejected
            record or source (whatever ``on_error`` says), and duplicate.
        on_skip: called with the path and reason of each file a walk passed over.

    Raises:
        ValueError: an unknown ``on_error``, or ``"quarantine"`` without a target.
    """

    def __init__(
        self,
        report: RunReport,
        *,
        on_error: OnError = "raise",
        quarantine: QuarantineTarget | None = None,
        on_warning: Callable[[NewsIngestWarning], None] | None = None,
        on_reject: Callable[[NewsIngestError], None] | None = None,
        on_duplicate: Callable[[Duplicate], None] | None = None,
        on_skip: Callable[[str, str], None] | None = None,
    ) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        if on_error == "quarantine" and quarantine is None:
            raise ValueError("on_error='quarantine' needs a quarantine target")
        self.report = report
        self.on_error = on_error
        self._on_warning = on_warning
        self._on_reject = on_reject
        self._on_duplicate = on_duplicate
        self._on_skip = on_skip
        self._writer: JsonlWriter | None = None
        self._sink: Callable[[dict[str, Any]], None] | None = None
        if on_error == "quarantine":
            if callable(quarantine) and not hasattr(quarantine, "write"):
                self._sink = quarantine
            else:
                self._writer = JsonlWriter(quarantine)  # type: ignore[arg-type]
                self._sink = self._writer.write

    def reject(self, error: NewsIngestError, reader: str | None = None) -> None:
        """Count a rejected record or source, then raise, skip or quarantine it."""
        report = self.report
        reason = getattr(error, "reason", type(error).__name__)
        report.errors[reason] += 1
        report.note(f"error: {error}")
        if self._on_reject is not None:
            self._on_reject(error)
        if self.on_error == "raise":
            raise error
        if self._sink is not None:
            self._sink(quarantine_record(error, reader=reader))
            report.quarantined += 1

    def skip(self, path: str, reason: str) -> None:
        """Count a file a walk passed over, and pass it on."""
        self.report.skip(path, reason)
        if self._on_skip is not None:
            self._on_skip(path, reason)

    def warn(self, warning: NewsIngestWarning) -> None:
        """Count a warning and pass it on."""
        self.report.warnings[warning.reason] += 1
        self.report.note(f"warning: {warning}")
        if self._on_warning is not None:
            self._on_warning(warning)

    def apply(
        self, items: Iterable[StageItem], deduplicator: Deduplicator | None
    ) -> Iterator[Emitted]:
        """The records to emit, in order: each item counted, each record put to dedup."""
        report = self.report
        decide = None if deduplicator is None else deduplicator.decide
        # Per-source counts (kept when the report asks for them).
        mark = _Mark()
        counts = mark.counts
        for item in items:
            if isinstance(item, Accepted):
                report.read += 1
                counts["read"] += 1
                if decide is not None and item.candidate is not None:
                    duplicate = decide(item.candidate, item.out.get_record, item.out.amend)
                    if duplicate is not None:
                        report.duplicates[duplicate.key_type] += 1
                        counts["duplicates"] += 1
                        if self._on_duplicate is not None:
                            self._on_duplicate(duplicate)
                        continue
                report.emitted += 1
                counts["emitted"] += 1
                yield item.out
            elif isinstance(item, Rejected):
                if item.counts_as_read:
                    report.read += 1
                    counts["read"] += 1
                else:
                    mark.failed = True
                    report.failed_sources += 1
                counts["errors"] += 1
                self.reject(item.error, item.reader)
            elif isinstance(item, Warned):
                counts["warnings"] += 1
                self.warn(item.warning)
            elif isinstance(item, Skipped):
                self.skip(item.path, item.reason)
            elif isinstance(item, SourceDone) and report.per_source is not None:
                report.per_source.append(mark.source_done(item))
                counts = mark.counts

    def close(self) -> None:
        """Close the quarantine file this policy opened (idempotent)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
