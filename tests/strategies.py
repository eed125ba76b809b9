"""Hypothesis strategies for newsingest's records, shared by the property tests."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from hypothesis import strategies as st

from newsingest.model import PRECISIONS, Article, Provenance

# Text without surrogates (they cannot be written as UTF-8) but otherwise wild.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|co\.uk|news)", fullmatch=True)
paths = st.from_regex(r"(/[A-Za-z0-9._~-]{1,12}){0,4}/?", fullmatch=True)
http_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https"]),
    hosts,
    paths,
)
utc_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)

provenances = st.builds(
    Provenance,
    reader=st.sampled_from(["textfile", "feed", "urls", "custom"]),
    location=text,
    line=st.none() | st.integers(min_value=1, max_value=10**6),
    item=st.none() | st.integers(min_value=0, max_value=10**6),
    feed_title=st.none() | text,
    feed_url=st.none() | http_urls,
    entry_id=st.none() | text,
    ordinal=st.none() | st.from_regex(r"[0-9]{3}", fullmatch=True),
    file_id=st.none() | st.from_regex(r"[0-9a-f]{16}", fullmatch=True),
)


@st.composite
def articles(draw: st.DrawFn) -> Article:
    """Any valid Article, with every optional field sometimes set."""
    published = draw(st.none() | utc_datetimes)
    kwargs: dict[str, Any] = {
        "title": draw(text),
        "url": draw(st.none() | http_urls),
        "canonical_url": draw(st.none() | http_urls),
        "url_key": draw(st.none() | text),
        "content_key": draw(st.none() | text),
        "published": published,
        "published_precision": None if published is None else draw(st.sampled_from(PRECISIONS)),
        "published_raw": None if published is None else draw(st.none() | text),
        "body": draw(st.lists(text, max_size=5)),
        "summary": draw(st.none() | text),
        "authors": draw(st.lists(text, max_size=3)),
        "tags": draw(st.lists(text, max_size=3)),
        "language": draw(st.none() | st.sampled_from(["en", "de", "ru", "uk"])),
        "source": draw(provenances),
        "extra": draw(st.dictionaries(text, json_values, max_size=3)),
    }
    return Article(**kwargs)


# One line of seed text: no line breaks, no surrounding whitespace, not empty.
seed_line = (
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60)
    .map(str.strip)
    .filter(lambda value: bool(value) and value == " ".join(value.split(" ")))
    .filter(lambda value: value == value.strip() and "\x85" not in value)
)


@st.composite
def seed_articles(draw: st.DrawFn, location: str = "case.txt") -> Article:
    """Articles the seed text format can carry, as its reader would produce them."""
    day = draw(
        st.dates(min_value=datetime(1000, 1, 1).date(), max_value=datetime(9999, 12, 31).date())
    )
    published = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return Article(
        title=draw(seed_line),
        url=draw(http_urls),
        published=published,
        published_precision="day",
        published_raw=published.strftime("%Y%m%d"),
        body=draw(st.lists(seed_line, max_size=6)),
        source=Provenance(reader="textfile", location=location, line=1),
    )


__all__ = ["articles", "http_urls", "seed_articles", "seed_line", "utc_datetimes"]
