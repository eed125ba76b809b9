"""The Deduplicator: stream and batch decisions, title windows, reports and arguments."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsingest.dedup import Deduplicator, MemoryStore, SQLiteStore, content_key
from newsingest.model import Article, Provenance

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def clock() -> datetime:
    return T0


# Appended to every non-empty body: enough text for a content key (short bodies have
# none), the same for every article, so bodies still differ exactly where they did.
FILLER = "A sentence long enough that the body identifies one story, said twice. " * 2


def art(
    n: int,
    *,
    url_key: str | None = None,
    body: tuple[str, ...] = (),
    title: str = "",
    published: datetime | None = None,
    canonical_url: str | None = None,
    feed_url: str | None = None,
    location: str = "in.txt",
) -> Article:
    return Article(
        title=title,
        url_key=url_key,
        body=(*body, FILLER) if body else (),
        published=published,
        canonical_url=canonical_url,
        source=Provenance(reader="test", location=location, item=n, feed_url=feed_url),
    )


def test_first_copy_is_kept_and_later_copies_are_reported() -> None:
    """Stream mode keeps the first article with a key and reports the next ones."""
    dedup = Deduplicator(clock=clock)
    first = art(0, url_key="u1:a.example/1", body=("Hello.",))
    assert dedup.check(first) is None
    # The same URL with another text from another source: a copy (from its own
    # source it would be a new version of the story: see test_dedup_updates.py).
    duplicate = dedup.check(
        art(1, url_key="u1:a.example/1", body=("Other.",), location="mirror.txt")
    )
    assert duplicate is not None
    assert duplicate.key_type == "url"
    assert duplicate.key == "u1:a.example/1"
    assert duplicate.kept_key == "u1:a.example/1"
    assert duplicate.kept_source == "in.txt item 0"
    assert duplicate.kept_first_seen == T0
    assert duplicate.similarity is None


def test_different_articles_are_all_kept() -> None:
    """Articles sharing no key are all kept."""
    dedup = Deduplicator(clock=clock)
    results = [
        dedup.check(art(i, url_key=f"u1:a.example/{i}", body=(f"Text {i}.",))) for i in range(5)
    ]
    assert results == [None] * 5
    assert dedup.report() == {
        "kept": 5,
        "duplicates": 0,
        "duplicates_by_key": {},
        "boilerplate": 0,
        "updates": 0,
    }


def test_precomputed_content_key_is_used() -> None:
    """An article carrying content_key is matched by it without rehashing the body."""
    dedup = Deduplicator(keys=("content",), clock=clock)
    key = content_key(["Same words.", FILLER])
    assert dedup.check(art(0, body=("Same words.",))) is None
    carried = art(1, body=("whatever",)).evolve(content_key=key)
    duplicate = dedup.check(carried)
    assert duplicate is not None and duplicate.key == key


def test_keys_of_a_duplicate_point_at_the_kept_article() -> None:
    """A revised body seen under a known URL is remembered, so its next copy is caught too."""
    dedup = Deduplicator(clock=clock)
    assert dedup.check(art(0, url_key="u1:x/1", body=("Version one.",))) is None
    two = art(1, url_key="u1:x/1", body=("Version two.",), location="mirror.txt")
    assert dedup.check(two) is not None
    syndicated = dedup.check(art(2, url_key="u1:mirror/9", body=("Version two.",)))
    assert syndicated is not None
    assert syndicated.key_type == "content"
    assert syndicated.kept_key == "u1:x/1"


def test_article_without_any_key_is_kept_every_time() -> None:
    """No URL key and an empty body: nothing to compare, so nothing is suppressed."""
    dedup = Deduplicator(clock=clock)
    assert dedup.check(art(0)) is None
    assert dedup.check(art(1)) is None
    assert dedup.report()["kept"] == 2


def test_title_key_matches_within_the_window_only() -> None:
    """A re-posted headline under a new URL is a duplicate within 7 days, not after."""
    dedup = Deduplicator(keys=("url", "title"), clock=clock)
    feed = "https://a.example/rss"
    assert (
        dedup.check(art(0, url_key="u1:a/1", title="Storm hits", published=T0, feed_url=feed))
        is None
    )
    same_week = art(
        1, url_key="u1:a/2", title="STORM  hits", published=T0 + timedelta(days=6), feed_url=feed
    )
    duplicate = dedup.check(same_week)
    assert duplicate is not None and duplicate.key_type == "title"
    later = art(
        2, url_key="u1:a/3", title="Storm hits", published=T0 + timedelta(days=8), feed_url=feed
    )
    assert dedup.check(later) is None
    # The window now follows the newest kept article.
    again = art(
        3, url_key="u1:a/4", title="Storm hits", published=T0 + timedelta(days=9), feed_url=feed
    )
    assert dedup.check(again) is not None


def test_title_key_does_not_cross_sources() -> None:
    """The same headline in another feed is not a duplicate."""
    dedup = Deduplicator(keys=("title",), clock=clock)
    assert (
        dedup.check(art(0, title="Storm hits", published=T0, feed_url="https://a.example/rss"))
        is None
    )
    assert (
        dedup.check(art(1, title="Storm hits", published=T0, feed_url="https://b.example/rss"))
        is None
    )


def test_custom_title_window() -> None:
    """title_window narrows what counts as a re-post."""
    dedup = Deduplicator(keys=("title",), title_window=timedelta(hours=1), clock=clock)
    assert dedup.check(art(0, title="Live", published=T0, feed_url="https://a.example/f")) is None
    later = art(1, title="Live", published=T0 + timedelta(hours=2), feed_url="https://a.example/f")
    assert dedup.check(later) is None


def test_batch_survivor_is_the_earliest_published() -> None:
    """In a group, the earliest published copy survives, whatever the order."""
    early = art(0, url_key="u1:k", body=("Short.",), published=T0)
    late = art(
        1,
        url_key="u1:k",
        body=("A much longer body than the other.",),
        published=T0 + timedelta(hours=1),
        location="b",
    )
    undated = art(
        2, url_key="u1:k", body=("Longest body of all three of these copies.",), location="c"
    )
    for order in ([early, late, undated], [undated, late, early], [late, undated, early]):
        kept, duplicates = Deduplicator(clock=clock).batch(order)
        assert kept == [early]
        assert {d.source.item for d in duplicates} == {1, 2}


def test_batch_ties_go_to_longest_body_then_shortest_canonical_url() -> None:
    """Equal dates fall back to the longest body, then the shortest canonical URL."""
    short = art(0, url_key="u1:k", body=("Short.",), published=T0)
    long = art(1, url_key="u1:k", body=("Rather longer.",), published=T0, location="b")
    kept, _ = Deduplicator().batch([short, long])
    assert kept == [long]
    a = art(
        2,
        url_key="u1:k",
        body=("Same.",),
        published=T0,
        canonical_url="https://a.example/long/path",
    )
    b = art(3, url_key="u1:k", body=("Same.",), published=T0, canonical_url="https://a.example/p")
    kept, _ = Deduplicator().batch([a, b])
    assert kept == [b]


def test_batch_ties_then_go_to_the_smallest_key() -> None:
    """All else equal, the article with the smaller key survives."""
    one = art(0, url_key="u1:b", body=("Shared text.",), published=T0)
    two = art(1, url_key="u1:a", body=("Shared text.",), published=T0)
    kept, duplicates = Deduplicator().batch([one, two])
    assert kept == [two]
    assert duplicates[0].key_type == "content"


def test_batch_returns_kept_in_input_order_and_honours_the_store() -> None:
    """Kept articles keep their input order, and keys already stored still count."""
    store = MemoryStore()
    dedup = Deduplicator(store=store, clock=clock)
    dedup.batch([art(0, url_key="u1:old")])
    items = [art(1, url_key="u1:z"), art(2, url_key="u1:old"), art(3, url_key="u1:y")]
    kept, duplicates = dedup.batch(items)
    assert kept == [items[0], items[2]]
    assert [d.source.item for d in duplicates] == [2]


def test_report_counts_duplicates_by_key_type() -> None:
    """The report splits duplicates by the key that matched."""
    dedup = Deduplicator(clock=clock)
    dedup.check(art(0, url_key="u1:a", body=("One.",)))
    dedup.check(art(1, url_key="u1:a", body=("Two.",), location="b"))
    dedup.check(art(2, url_key="u1:b", body=("One.",), location="c"))
    dedup.check(art(3, url_key="u1:a", body=("Three.",), location="d"))
    assert dedup.report() == {
        "kept": 1,
        "duplicates": 3,
        "duplicates_by_key": {"content": 1, "url": 2},
        "boilerplate": 0,
        "updates": 0,
    }


def test_close_without_flush_forgets_kept_keys(tmp_path: Path) -> None:
    """Keys reach the SQLite file only at flush(): a run that never flushes re-emits."""
    path = tmp_path / "state.db"
    with Deduplicator(store=SQLiteStore(path), clock=clock) as dedup:
        assert dedup.check(art(0, url_key="u1:a")) is None
    with Deduplicator(store=SQLiteStore(path), clock=clock) as dedup:
        assert dedup.check(art(0, url_key="u1:a")) is None
        dedup.flush()
    with Deduplicator(store=SQLiteStore(path), clock=clock) as dedup:
        assert dedup.check(art(0, url_key="u1:a")) is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keys": ()}, "at least one"),
        ({"keys": "url"}, "not the string"),
        ({"keys": ("url", "body")}, "unknown key types"),
        ({"keys": ("url", "url")}, "must not repeat"),
        ({"title_window": timedelta(days=-1)}, "must not be negative"),
        ({"near_threshold": 1.5}, "near_threshold must be in"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    """Misconfigurations fail at construction with a message saying what is wrong."""
    with pytest.raises(ValueError, match=message):
        Deduplicator(**kwargs)  # type: ignore[arg-type]
