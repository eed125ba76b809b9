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
from typing import IO, Any, Literal

import orjson

from newsingest.exceptions import NewsIngestError, ParseError, SourceError
from newsingest.model import Article

__all__ = ["JsonlWriter", "WriteMode", "dumps_line", "quarantine_record"]


def dumps_line(data: Mapping[str, Any]) -> str:
    """Serialise one record as compact JSON (UTF-8 text, no ASCII escaping).

    orjson is used for speed; values it refuses (integers beyond 64 bits, lone
    surrogates) fall back to the json module, so every JSON value can be written.
    """
    try:
        return orjson.dumps(data).decode("utf-8")
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


WriteMode = Literal["write", "replace", "append"]


class JsonlWriter:
    """Append JSON objects, one per line, to a path or stream.

    Use as a context manager, or call :meth:`close`. ``flush()`` pushes buffered
    lines to the operating system (and, with ``fsync=True``, to disk), which the
    ingest pipeline calls before it records keys as seen, so a crash can repeat
    an article but never lose one.

    How a path is written (``mode``):

    * ``"write"``: opened and truncated at once (the library default);
    * ``"replace"``: written to a hidden temporary file beside it (``.NAME.tmp-PID``)
      that :meth:`publish` renames into place; :meth:`close` publishes it when a
      line was written (or ``keep_empty``), else removes it. Until then the file
      at the path is untouched, so a run that fails or writes nothing leaves the
      previous file as it was. The open file follows the rename, so lines written
      after :meth:`publish` land in the published file;
    * ``"append"``: lines are added at the end (after a newline, when the file
      ends inside a line).
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | IO[str],
        *,
        fsync: bool = False,
        mode: WriteMode = "write",
        keep_empty: bool = True,
    ) -> None:
        self._owned = False
        self._fsync = fsync
        self._keep_empty = keep_empty
        self._pending: tuple[Path, Path] | None = None  # (temporary, final) until published
        self.count = 0
        if isinstance(target, (str, os.PathLike)):
            if os.fspath(target) == "-":
                self._stream: IO[str] = sys.stdout
            else:
                self._stream = self._open(Path(target), mode)
                self._owned = True
        else:
            self._stream = target

    def _open(self, path: Path, mode: WriteMode) -> IO[str]:
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode == "append":
            stream = path.open("a", encoding="utf-8", newline="\n")
            if stream.tell() > 0:
                with path.open("rb") as existing:
                    existing.seek(-1, os.SEEK_END)
                    if existing.read(1) != b"\n":
                        stream.write("\n")  # a line torn by an earlier crash stays alone
            return stream
        if mode == "replace":
            temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            self._pending = (temporary, path)
            return temporary.open("w", encoding="utf-8", newline="\n")
        return path.open("w", encoding="utf-8", newline="\n")

    def publish(self) -> None:
        """Rename the temporary file into place (``"replace"`` mode; else nothing)."""
        if self._pending is not None:
            self.flush()
            temporary, final = self._pending
            temporary.replace(final)
            self._pending = None

    def discard(self) -> None:
        """Close without publishing: the temporary file is removed, the path untouched."""
        pending, self._pending = self._pending, None
        try:
            if self._owned:
                self._stream.close()
        finally:
            if pending is not None:
                pending[0].unlink(missing_ok=True)

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
        """Flush, publish (see ``mode``), and close the stream if this writer opened it."""
        if self._pending is not None and not (self.count or self._keep_empty):
            self.discard()
            return
        try:
            self.flush()
            self.publish()
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
