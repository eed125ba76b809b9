"""The shipped seed reaching us in four forms: one is kept, three are reported."""

from __future__ import annotations

import itertools
import json
import random
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsingest.dedup import Deduplicator, Duplicate
from newsingest.model import Article, Provenance

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_a56ce4c0ebc2a5f5.txt"
FEED_URL = "https://www.mirror.co.uk/news/world-news/?service=rss"


def _with_url_key(article: Article) -> Article:
    """Give the article its canonical URL and URL key, as ingest() does before dedup."""
    from newsingest.ingest import normalise_article

    return normalise_article(article)


def _seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").splitlines()


def shipped() -> Article:
    """The seed as shipped, built directly from its lines."""
    title, date, url, *body = _seed_lines()
    return _with_url_key(
        Article(
            title=title,
            url=url,
            published=datetime.strptime(date, "%Y%m%d").replace(tzinfo=timezone.utc),
            published_precision="day",
            published_raw=date,
            body=body,
            source=Provenance(
                reader="textfile",
                location=str(SEED),
                line=1,
                ordinal="000",
                file_id="a56ce4c0ebc2a5f5",
            ),
        )
    )


def shuffled_with_spaces() -> Article:
    """A re-export: paragraphs in another order, doubled and padded spaces."""
    original = shipped()
    body = list(original.body)
    random.Random(20220206).shuffle(body)
    body = [f"  {segment.replace(' ', '  ', 3)} " for segment in body]
    assert tuple(body) != original.body
    return original.evolve(
        body=body,
        source=Provenance(reader="textfile", location="exports/b/000_reexport.txt", line=1),
    )


def tracked_over_http() -> Article:
    """The same article linked over http with utm_ tracking parameters."""
    original = shipped()
    assert original.url is not None
    url = original.url.replace("https://", "http://") + "?utm_source=rss&utm_medium=feed"
    return _with_url_key(
        original.evolve(
            url=url,
            canonical_url=None,
            url_key=None,
            source=Provenance(reader="urls", location="links.txt", line=3, item=2),
        )
    )


def feed_item() -> Article:
    """A feed entry with the same link: a summary-sized body, a time of day."""
    original = shipped()
    return _with_url_key(
        Article(
            title=original.title,
            url=original.url,
            published=datetime(2022, 3, 2, 9, 30, tzinfo=timezone.utc),
            published_precision="second",
            body=[original.body[25]],
            source=Provenance(
                reader="feed",
                location=FEED_URL,
                item=4,
                feed_url=FEED_URL,
                entry_id="mirror-26412341",
            ),
        )
    )


def test_four_forms_keep_one_and_report_three_with_their_key_types() -> None:
    """Streaming keeps the shipped seed; every other form is a reported duplicate."""
    forms = [shipped(), shuffled_with_spaces(), tracked_over_http(), feed_item()]
    dedup = Deduplicator()
    results = [dedup.check(article) for article in forms]

    assert results[0] is None
    duplicates = results[1:]
    assert all(isinstance(result, Duplicate) for result in duplicates)
    kept = forms[0]
    for form, duplicate in zip(forms[1:], duplicates, strict=True):
        assert duplicate is not None
        assert duplicate.source == form.source
        assert duplicate.kept_key == kept.url_key
        assert duplicate.kept_source == kept.source.where()
    matched = [duplicate.matched for duplicate in duplicates if duplicate is not None]
    assert matched == [("url", "content"), ("url", "content"), ("url",)]
    assert dedup.report() == {
        "kept": 1,
        "duplicates": 3,
        "duplicates_by_key": {"url": 3},
        "boilerplate": 0,
        "updates": 0,
    }


def test_each_form_is_caught_by_the_key_meant_for_it() -> None:
    """Content alone catches the re-export; the URL key alone catches tracking and feed copies."""
    by_content = Deduplicator(keys=("content",))
    assert by_content.check(shipped()) is None
    reexport = by_content.check(shuffled_with_spaces())
    assert reexport is not None and reexport.key_type == "content"
    assert by_content.check(feed_item()) is None  # a summary is not the same content

    by_url = Deduplicator(keys=("url",))
    assert by_url.check(shipped()) is None
    for form in (tracked_over_http(), feed_item()):
        duplicate = by_url.check(form)
        assert duplicate is not None and duplicate.key_type == "url"


def test_shuffled_copy_at_another_url_is_a_content_duplicate() -> None:
    """With a different URL the only thing shared is the content, and that is reported."""
    dedup = Deduplicator()
    assert dedup.check(shipped()) is None
    moved = _with_url_key(
        shuffled_with_spaces().evolve(
            url="https://syndication.example/world/captured-commander",
            canonical_url=None,
            url_key=None,
        )
    )
    duplicate = dedup.check(moved)
    assert duplicate is not None
    assert (duplicate.key_type, duplicate.matched) == ("content", ("content",))


def test_batch_keeps_the_same_form_whatever_the_order() -> None:
    """Every order of the four forms keeps the same survivor and reports the other three."""
    forms = [shipped(), shuffled_with_spaces(), tracked_over_http(), feed_item()]
    survivors = set()
    for order in itertools.permutations(forms):
        kept, duplicates = Deduplicator().batch(order)
        assert len(kept) == 1 and len(duplicates) == 3
        survivors.add(kept[0])
    # Same day and the longest raw body: the padded re-export wins by the survivor rule.
    assert survivors == {forms[1]}


@pytest.mark.parametrize("factory", [shuffled_with_spaces, tracked_over_http, feed_item])
def test_duplicate_record_is_json_safe(factory: object) -> None:
    """A Duplicate's dict survives a JSON round trip unchanged."""
    dedup = Deduplicator()
    dedup.check(shipped())
    duplicate = dedup.check(factory())  # type: ignore[operator]
    assert duplicate is not None
    data = duplicate.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["kept_first_seen"].endswith("Z")
    assert data["source"] == duplicate.source.to_dict()
