"""Properties: batch mode ignores input order; streaming never emits two articles sharing a key."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from newsingest.dedup import Deduplicator
from newsingest.model import Article, Provenance

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def clock() -> datetime:
    return T0


# Small pools make collisions (duplicates) frequent.
url_keys = st.none() | st.sampled_from([f"u1:https://n.example/{i}" for i in range(4)])
segments = st.sampled_from(["Alpha.", "beta  gamma", "Beta gamma", "Delta!", "", "alpha."])
bodies = st.lists(segments, max_size=3)
dates = st.none() | st.sampled_from([T0, T0 + timedelta(days=1), T0 + timedelta(days=9)])
canonicals = st.none() | st.sampled_from(["https://n.example/a", "https://n.example/long/a"])
titles = st.sampled_from(["", "Storm", "storm ", "Flood"])
feeds = st.none() | st.sampled_from(["https://n.example/rss", "https://m.example/rss"])


@st.composite
def article_sets(draw: st.DrawFn) -> list[Article]:
    """Up to 12 articles with generated duplicates: each is new or a tweaked earlier copy."""
    made: list[Article] = []
    for index in range(draw(st.integers(min_value=0, max_value=12))):
        source = Provenance(reader="test", location="gen", item=index, feed_url=draw(feeds))
        if made and draw(st.booleans()):
            original = draw(st.sampled_from(made))
            made.append(
                original.evolve(
                    source=source,
                    published=draw(dates),
                    body=draw(st.permutations(original.body)),
                    url_key=draw(st.sampled_from([original.url_key, None])),
                )
            )
            continue
        made.append(
            Article(
                title=draw(titles),
                url_key=draw(url_keys),
                canonical_url=draw(canonicals),
                body=draw(bodies),
                published=draw(dates),
                source=source,
            )
        )
    return made


def _keys(dedup: Deduplicator, articles: list[Article]) -> list[set[str]]:
    return [{key for _, key in dedup.keys_of(article)} for article in articles]


@given(st.data(), article_sets())
def test_batch_keeps_the_same_keys_for_any_permutation(
    data: st.DataObject, articles: list[Article]
) -> None:
    """Every order of the same input set keeps articles with exactly the same keys."""
    reference = Deduplicator(keys=("url", "content", "title"), clock=clock)
    kept, duplicates = reference.batch(articles)
    assert len(kept) + len(duplicates) == len(articles)
    expected = sorted(sorted(keys) for keys in _keys(reference, kept))

    order = data.draw(st.permutations(articles))
    other = Deduplicator(keys=("url", "content", "title"), clock=clock)
    kept_again, duplicates_again = other.batch(order)
    assert sorted(sorted(keys) for keys in _keys(other, kept_again)) == expected
    assert sorted(d.source.item or 0 for d in duplicates_again) == sorted(
        d.source.item or 0 for d in duplicates
    )


@given(article_sets())
def test_batch_survivors_share_no_exact_key(articles: list[Article]) -> None:
    """No two articles kept by batch mode share a URL or content key."""
    dedup = Deduplicator(clock=clock)
    kept, _ = dedup.batch(articles)
    seen: set[str] = set()
    for keys in _keys(dedup, kept):
        assert not keys & seen
        seen |= keys


@given(st.data(), article_sets())
def test_stream_never_emits_two_articles_sharing_a_key(
    data: st.DataObject, articles: list[Article]
) -> None:
    """In any order, streamed survivors are pairwise key-disjoint and all others are reported."""
    order = data.draw(st.permutations(articles))
    dedup = Deduplicator(clock=clock)
    emitted: list[Article] = []
    reported = 0
    for article in order:
        if dedup.check(article) is None:
            emitted.append(article)
        else:
            reported += 1
    assert len(emitted) + reported == len(articles)
    seen: set[str] = set()
    for keys in _keys(dedup, emitted):
        assert not keys & seen
        seen |= keys
    assert dedup.report()["duplicates"] == reported
