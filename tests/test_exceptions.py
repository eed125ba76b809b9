"""Errors say where and why: their cause in str(), every class in one module."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import newsingest
from newsingest.exceptions import InvalidURLError, NewsIngestError, ParseError

SRC = Path(newsingest.__file__).parent


def _chained() -> ParseError:
    error = ParseError("URL cannot be normalised", source="a.txt", line=3, reason="invalid_url")
    error.__cause__ = InvalidURLError("no host", reason="invalid_host")
    return error


def test_str_renders_the_cause() -> None:
    """A ParseError raised from an InvalidURLError shows both, where first."""
    assert str(_chained()) == (
        "a.txt:3: URL cannot be normalised (caused by InvalidURLError: no host [invalid_host])"
    )


def test_str_without_a_cause_is_unchanged() -> None:
    """No cause, no suffix."""
    assert str(ParseError("bad", source="a.txt", line=1)) == "a.txt:1: bad"


def test_a_cause_already_in_the_message_is_not_repeated() -> None:
    """A message that quotes its cause does not get it twice."""
    error = NewsIngestError("failed: boom")
    error.__cause__ = ValueError("boom")
    assert str(error) == "failed: boom"


def test_the_cause_survives_pickling() -> None:
    """Errors from worker processes keep message, reason, place and the cause's text."""
    error = _chained()
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.reason, copy.source, copy.line) == (
        error.message,
        error.reason,
        error.source,
        error.line,
    )
    assert str(copy) == str(error)


def test_every_exception_class_lives_in_exceptions_py() -> None:
    """No module but exceptions.py defines an exception or warning class."""
    pattern = re.compile(r"^class \w+\((?:[\w.]*(?:Error|Exception|Warning)\b[^)]*)\)", re.M)
    found = [
        f"{path.relative_to(SRC)}: {match.group()}"
        for path in SRC.rglob("*.py")
        if path.name != "exceptions.py"
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_exception_class_is_exported() -> None:
    """Each class of exceptions.py is in its __all__ and in newsingest's."""
    from newsingest import exceptions

    classes = {
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and not name.startswith("_")
        and value.__module__ == exceptions.__name__
    }
    assert classes <= set(exceptions.__all__)
    assert classes <= set(newsingest.__all__)
