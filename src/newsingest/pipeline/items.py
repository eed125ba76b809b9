"""What passes between the stages of ``ingest()``: typed items, never positional tuples.

The read stage turns every source into :class:`Accepted` records (normalised, with
their dedup :class:`~newsingest.dedup.Candidate`), :class:`Rejected` errors and
:class:`Warned` warnings; the policy stage consumes them. A record travels as an
:class:`Emitted`: its dict, its JSON line or its Article, each made on demand from
another, so a worker process sends the line and nobody builds objects twice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

import orjson

from newsingest.exceptions import NewsIngestError, NewsIngestWarning
from newsingest.model import Article, ArticleRecord, unchecked_from_dict
from newsingest.sinks import dumps_line

if TYPE_CHECKING:
    from newsingest.dedup import Candidate
    from newsingest.readers import SourceLike

__all__ = [
    "Accepted",
    "Chunk",
    "Emitted",
    "Rejected",
    "Skipped",
    "SourceDone",
    "StageItem",
    "Warned",
]


class Emitted:
    """One normalised record: its dict, JSON line and Article, each made on demand.

    Pickles as its JSON line: what a worker process sends its parent.
    """

    __slots__ = ("_article", "_line", "_record")

    def __init__(self, record: ArticleRecord | None = None, line: str | None = None) -> None:
        self._record = record
        self._line = line
        self._article: Article | None = None

    @property
    def record(self) -> ArticleRecord:
        """The record, in :meth:`Article.to_dict` layout."""
        return self.get_record()

    def get_record(self) -> ArticleRecord:
        """:attr:`record`, as a method (what the dedup decision asks of a duplicate)."""
        if self._record is None:
            self._record = _loads(self._line)  # type: ignore[arg-type]
        return self._record

    def amend(self, extra: dict[str, Any]) -> None:
        """Add entries to the record's ``extra`` (what dedup says of a kept record)."""
        record = self.get_record()
        record["extra"] = {**record["extra"], **extra}
        self._line = None
        self._article = None

    @property
    def line(self) -> str:
        """The record as one JSON line (no newline)."""
        if self._line is None:
            self._line = dumps_line(self._record)  # type: ignore[arg-type]
        return self._line

    @property
    def article(self) -> Article:
        """The record as an :class:`Article` (its fields hold by construction)."""
        if self._article is None:
            self._article = unchecked_from_dict(self.record)
        return self._article

    def __reduce__(self) -> tuple[Any, ...]:
        return (Emitted, (None, self.line))


class Accepted(NamedTuple):
    """A record read and normalised, on its way to the dedup decision."""

    out: Emitted
    #: what the dedup decision needs of it; ``None`` when dedup is off
    candidate: Candidate | None


class Rejected(NamedTuple):
    """A rejected record, or a source that could not be read at all."""

    error: NewsIngestError
    #: the reader that rejected it, when one was chosen
    reader: str | None
    #: a rejected record counts as read; a whole source that failed does not
    counts_as_read: bool


class Warned(NamedTuple):
    """A warning about a record that was kept (or a source)."""

    warning: NewsIngestWarning


class Skipped(NamedTuple):
    """A file a folder walk passed over (no reader claims it, hidden, a broken link)."""

    path: str
    reason: str


class SourceDone(NamedTuple):
    """Every item of one source has come (only when the run keeps per-source counts)."""

    source: str
    reader: str | None
    #: how long reading it took; ``None`` for a feed of a concurrent poll
    seconds: float | None


StageItem: TypeAlias = "Accepted | Rejected | Warned | Skipped | SourceDone"


class Chunk(NamedTuple):
    """Sources read as one unit of work, in input order."""

    sources: list[SourceLike]
    #: local files only: may be read in a worker process
    portable: bool
    #: http(s) URLs only: polled together when the URL reader can
    urls: bool


def _loads(line: str) -> ArticleRecord:
    """A JSON line this pipeline wrote, back as its record."""
    try:
        return orjson.loads(line)  # type: ignore[no-any-return]
    except orjson.JSONDecodeError:  # a lone surrogate: only the json module reads it back
        return json.loads(line)  # type: ignore[no-any-return]
