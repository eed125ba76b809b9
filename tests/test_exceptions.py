"""The exception tree: families, built-in mixins, messages that say where, pickling."""

from __future__ import annotations

import pickle

import pytest

from newsingest import (
    FetchError,
    InvalidDateError,
    InvalidURLError,
    NewsIngestError,
    NewsIngestWarning,
    NormalizationError,
    ParseError,
    RegistryError,
    SourceError,
    SourceNotFoundError,
    UnsupportedSourceError,
)


def test_parse_error_names_file_and_line() -> None:
    """str(ParseError) starts with file:line."""
    error = ParseError("bad date", source="seeds/x.txt", line=2, reason="bad_date")
    assert str(error) == "seeds/x.txt:2: bad date"


def test_parse_error_names_feed_item() -> None:
    """For feeds the position is an item index."""
    error = ParseError("no title", source="https://a.example/feed", item=3)
    assert str(error) == "https://a.example/feed item 3: no title"


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ParseError("m", source="s"), (SourceError, ValueError, NewsIngestError)),
        (UnsupportedSourceError("m", source="s"), (SourceError, ValueError)),
        (SourceNotFoundError("m", source="s"), (SourceError,)),
        (FetchError("m", source="s", status=404), (SourceError,)),
        (InvalidURLError("m", reason="empty"), (NormalizationError, ValueError)),
        (InvalidDateError("m", reason="empty"), (NormalizationError, ValueError)),
        (RegistryError("m"), (NewsIngestError,)),
    ],
)
def test_families_and_builtin_mixins(error: Exception, bases: tuple[type, ...]) -> None:
    """Callers can catch our family or the matching built-in."""
    for base in bases:
        assert isinstance(error, base)


@pytest.mark.parametrize(
    "error",
    [
        ParseError("bad", source="f.txt", line=3, item=None, reason="bad_url"),
        FetchError("gone", source="https://a.example/", status=410, reason="http_410"),
        InvalidURLError("no host", reason="invalid_host", value="http:///x"),
        UnsupportedSourceError("what is this", source="x.bin"),
        RegistryError("dup"),
    ],
)
def test_exceptions_pickle_with_their_attributes(error: NewsIngestError) -> None:
    """Errors cross process boundaries intact (workers send them to the parent)."""
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.__dict__ == error.__dict__


def test_warning_pickles_and_names_its_place() -> None:
    """Warnings carry source, line and reason like errors do."""
    warning = NewsIngestWarning("empty body", source="a.txt", line=4, reason="empty_body")
    again = pickle.loads(pickle.dumps(warning))
    assert str(again) == "a.txt:4: empty body"
    assert again.reason == "empty_body"


def test_normalisation_error_shows_reason() -> None:
    """The reason code appears in the message."""
    assert "[too_long]" in str(InvalidURLError("URL is long", reason="too_long"))
