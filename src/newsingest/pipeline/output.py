"""The output stage: the run a caller iterates, and when seen keys are committed.

:class:`IngestRun` hands out each emitted record as an Article, a dict or a JSON
line. Keys of kept records reach the state store only after the consumer has taken
(and, through ``before_commit``, written) the records: at least once, never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import suppress
from typing import Any, cast

from newsingest.exceptions import _StopRun
from newsingest.model import Article
from newsingest.pipeline.items import Emitted
from newsingest.pipeline.policy import RunReport

__all__ = ["IngestRun", "committed"]


def committed(
    outputs: Iterable[Emitted], commit: Callable[[], None], every: int
) -> Iterator[Emitted]:
    """Pass ``outputs`` on; ``commit()`` after every ``every`` taken and at the end.

    A commit runs when the consumer comes back for the next record, so what it was
    handed is written first. After an early stop nothing more is committed, unless
    the stop is :meth:`IngestRun.stop` (the consumer says it wrote what it got).
    """
    since = 0
    with suppress(_StopRun):  # IngestRun.stop(): end here, with the commit below
        for out in outputs:
            yield out
            since += 1
            if since >= every:
                commit()
                since = 0
    commit()


class IngestRun(Iterator[Article]):
    """An ingest in progress: iterate it for Articles; ``report`` fills as it goes.

    :meth:`json_lines` iterates the same records already serialised, and
    :meth:`records` as dicts: what writers want, and cheaper, since the pipeline
    carries records and builds Articles only for a caller who asks for them.
    """

    def __init__(self, outputs: Generator[Emitted, None, None], report: RunReport) -> None:
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
        """Iterate the remaining records as dicts, in :meth:`Article.to_dict` form."""
        try:
            for out in self._outputs:
                yield cast(dict[str, Any], out.record)
        finally:
            self.close()

    def stop(self) -> None:
        """Stop early, after a final commit: every record handed out so far is recorded
        as seen (call it only once those are written), then :meth:`close`.

        What a graceful Ctrl-C does: the next run starts after the last record written.
        """
        if self._closed:
            return
        try:
            # The pipeline commits and ends (StopIteration); one not yet started
            # raises the _StopRun back.
            with suppress(StopIteration, _StopRun):
                self._outputs.throw(_StopRun())
        finally:
            self.close()

    def close(self) -> None:
        """Stop reading and release files, stores and worker processes (idempotent)."""
        if not self._closed:
            self._closed = True
            self._outputs.close()

    def __enter__(self) -> IngestRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
