"""Where records go: JSON-lines writers for articles, quarantine and duplicates.

Each writer takes a path (opened for writing, parents created), ``"-"`` for
stdout, or an open text stream it does not close. One JSON object per line,
UTF-8, no ASCII escaping, keys in a stable order.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from newsingest.exceptions import NewsIngestError, ParseError, SourceError
from newsingest.model import Article

__all__ = ["JsonlWriter", "dumps_line", "quarantine_record"]


def dumps_line(data: Mapping[str, Any]) -> str:
    """Serialise one record as compact JSON (UTF-8 text, no ASCII escaping).

    orjson is used for speed; values it refuses (integers beyond 64 bits, lone
    surrogates) fall back to the json module, so every JSON value can be written.
    """
    try:
        return orjson.dumps(data).decode("utf-8")
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class JsonlWriter:
    """Append JSON objects, one per line, to a path or stream.

    Use as a context manager, or call :meth:`close`. ``flush()`` pushes buffered
    lines to the operating system (and, with ``fsync=True``, to disk), which the
    ingest pipeline calls before it records keys as seen, so a crash can repeat
    an article but never lose one.
    """

    def __init__(self, target: str | os.PathLike[str] | IO[str], *, fsync: bool = False) -> None:
        self._owned = False
        self._fsync = fsync
        self.count = 0
        if isinstance(target, (str, os.PathLike)):
            if os.fspath(target) == "-":
                self._stream: IO[str] = sys.stdout
            else:
                path = Path(target)
                path.parent.mkdir(parents=True, exist_ok=True)
                self._stream = path.open("w", encoding="utf-8", newline="\n")
                self._owned = True
        else:
            self._stream = target

    def write(self, record: Mapping[str, Any] | Article) -> None:
        """Write one record (an Article is written as ``to_dict()``)."""
        data = record.to_dict() if isinstance(record, Article) else record
        self._stream.write(dumps_line(data) + "\n")
        self.count += 1

    def write_line(self, line: str) -> None:
        """Write an already-serialised JSON line (without its newline)."""
        self._stream.write(line + "\n")
        self.count += 1

    def flush(self) -> None:
        """Push buffered lines out; with ``fsync`` also to stable storage."""
        self._stream.flush()
        if self._fsync and self._owned:
            os.fsync(self._stream.fileno())

    def close(self) -> None:
        """Flush, and close the stream if this writer opened it."""
        try:
            self.flush()
        finally:
            if self._owned:
                self._stream.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def quarantine_record(error: NewsIngestError, *, reader: str | None = None) -> dict[str, Any]:
    """The JSON-safe quarantine record for a rejected record or source.

    It carries enough to find the record again, fix it and re-ingest it:
    the source, its position (line and/or item), the reason code and message.
    """
    record: dict[str, Any] = {
        "source": None,
        "line": None,
        "item": None,
        "reader": reader,
        "reason": getattr(error, "reason", type(error).__name__),
        "error": type(error).__name__,
        "message": str(error),
    }
    if isinstance(error, SourceError):
        record["source"] = error.source
    if isinstance(error, ParseError):
        record["line"] = error.line
        record["item"] = error.item
    status = getattr(error, "status", None)
    if status is not None:
        record["status"] = status
    return record
