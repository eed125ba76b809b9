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


_HELPERS = {"_fail", "_warning", "warn", "fail"}  # helpers whose last str argument is a reason
_PATTERNS = {"http_": "http_<status>", "invalid_url:": "invalid_url:<InvalidURLError reason>"}


def _codes_in_source() -> set[str]:
    """Every reason code literal in the package: reason= arguments and helper calls."""
    import ast

    codes: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "default_reason" for t in node.targets
            ):
                codes.add(node.value.value)  # type: ignore[attr-defined]
            if not isinstance(node, ast.Call):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "reason"]
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in _HELPERS:
                values += [arg for arg in node.args[1:] if isinstance(arg, ast.Constant)]
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    codes.add(value.value)
                elif isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant):
                    prefix = str(value.values[0].value)
                    codes.add(_PATTERNS.get(prefix, f"{prefix}<InvalidURLError reason>"))
    # helper calls also pass messages: a code is one lower-case word (angle parts aside)
    return {code for code in codes if re.fullmatch(r"[a-z0-9_:]+", re.sub(r"<[^>]*>", "", code))}


def test_every_reason_code_the_package_uses_is_listed() -> None:
    """REASONS lists every code the source can put on an error or warning."""
    from newsingest.exceptions import REASONS

    listed = {code for codes in REASONS.values() for code in codes}
    used = _codes_in_source()
    assert {"missing_title", "http_<status>", "bozo", "not_a_feed", "whitespace"} <= used
    missing = used - listed
    assert missing == set()


def test_the_docs_render_every_reason_code() -> None:
    """docs/concepts.md has a row for every listed code, under its family."""
    from newsingest.exceptions import REASONS

    text = (SRC.parents[1] / "docs" / "concepts.md").read_text(encoding="utf-8")
    for family, codes in REASONS.items():
        section = text.split(f"**{family}**", 1)[1].split("**", 1)[0]
        for code in codes:
            assert f"| `{code}` |" in section, (family, code)
