"""The Article model: validators, converters and the JSON round trip."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given

from newsingest import Article, Provenance
from newsingest.model import SCHEMA_VERSION, FrozenMap
from tests.strategies import articles

SOURCE = Provenance(reader="test", location="mem")


@given(articles())
def test_json_round_trip_is_exact(article: Article) -> None:
    """from_dict(json.loads(json.dumps(a.to_dict()))) == a for any Article."""
    data = json.loads(json.dumps(article.to_dict()))
    assert data["schema_version"] == SCHEMA_VERSION
    assert Article.from_dict(data) == article


def test_naive_datetime_is_rejected_naming_the_field() -> None:
    """A naive published datetime is refused with a message naming 'published'."""
    with pytest.raises(ValueError, match="published must be timezone-aware"):
        Article(published=datetime(2022, 2, 6), source=SOURCE)


def test_non_utc_datetime_is_rejected() -> None:
    """An aware datetime with a non-zero offset is refused: published is always UTC."""
    plus_two = timezone(timedelta(hours=2))
    with pytest.raises(ValueError, match="published must be in UTC"):
        Article(published=datetime(2022, 2, 6, tzinfo=plus_two), source=SOURCE)


@pytest.mark.parametrize("field", ["url", "canonical_url"])
@pytest.mark.parametrize("value", ["ftp://x.example/a", "/relative", "mailto:a@b.c", "https://"])
def test_non_http_urls_are_rejected_naming_the_field(field: str, value: str) -> None:
    """url and canonical_url accept only absolute http(s) URLs."""
    with pytest.raises(ValueError, match=f"{field} must be an absolute http"):
        Article(source=SOURCE, **{field: value})


def test_unknown_precision_is_rejected() -> None:
    """published_precision must come from the fixed vocabulary."""
    with pytest.raises(ValueError, match="published_precision"):
        Article(published_precision="fortnight", source=SOURCE)


def test_lists_become_tuples_and_extra_is_read_only() -> None:
    """Lossless coercions: lists to tuples; extra becomes an immutable mapping copy."""
    extra = {"k": [1, 2]}
    article = Article(body=["a", "b"], authors=["x"], tags=[], extra=extra, source=SOURCE)
    assert article.body == ("a", "b")
    assert article.authors == ("x",)
    assert isinstance(article.extra, FrozenMap)
    extra["new"] = 1
    assert "new" not in article.extra
    with pytest.raises(TypeError):
        article.extra["k"] = 3  # type: ignore[index]


@given(articles())
def test_articles_pickle(article: Article) -> None:
    """Articles cross process boundaries (workers, Dask) unchanged."""
    assert pickle.loads(pickle.dumps(article)) == article


def test_a_single_string_is_not_silently_split_into_segments() -> None:
    """body='text' is an error, not a tuple of characters."""
    with pytest.raises(TypeError, match="single str"):
        Article(body="one paragraph", source=SOURCE)  # type: ignore[arg-type]


def test_extra_must_hold_json_values() -> None:
    """Values JSON cannot carry (sets, NaN) are refused so the round trip stays exact."""
    with pytest.raises(TypeError, match="extra"):
        Article(extra={"s": {1, 2}}, source=SOURCE)
    with pytest.raises(ValueError, match="finite"):
        Article(extra={"n": float("nan")}, source=SOURCE)


def test_text_joins_segments_with_blank_lines() -> None:
    """The text property is the body as one string."""
    assert Article(body=("a", "b"), source=SOURCE).text == "a\n\nb"


def test_articles_are_frozen_and_hashable() -> None:
    """Articles cannot be mutated and can live in sets (extra is left out of the hash)."""
    article = Article(title="t", extra={"a": 1}, source=SOURCE)
    with pytest.raises(AttributeError):
        article.title = "u"  # type: ignore[misc]
    assert len({article, Article(title="t", extra={"a": 1}, source=SOURCE)}) == 1


def test_from_dict_refuses_an_unknown_schema_version() -> None:
    """A record from a future schema is refused rather than misread."""
    data = Article(source=SOURCE).to_dict()
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="schema_version"):
        Article.from_dict(data)


def test_published_serialises_as_utc_with_z() -> None:
    """published is written as ISO 8601 with a Z suffix."""
    article = Article(published=datetime(2022, 2, 6, tzinfo=timezone.utc), source=SOURCE)
    assert article.to_dict()["published"] == "2022-02-06T00:00:00Z"


def test_provenance_to_dict_names_every_field_in_order() -> None:
    """Provenance.to_dict is written out by hand for speed; it must not drift from the class."""
    import attrs

    source = Provenance(
        reader="r",
        location="l",
        line=1,
        item=2,
        feed_title="t",
        feed_url="https://a.example/",
        entry_id="e",
        ordinal="000",
        file_id="0123456789abcdef",
    )
    assert list(source.to_dict()) == [field.name for field in attrs.fields(Provenance)]
    assert source.to_dict() == attrs.asdict(source)
