"""Distinct stories that share a body which is not theirs are all kept.

Short bodies (a "Comments" link, a teaser) get no content key; a long body shared
inside one source under different titles (a consent wall) is that source's
boilerplate. Copies across sources, and reposts under the same title, are still
duplicates.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from newsingest import Article, Deduplicator, ingest
from newsingest.dedup import SQLiteStore
from newsingest.dedup.keys import MIN_CONTENT_CHARS
from newsingest.model import Provenance
from newsingest.pipeline.normalise import WITHHELD, normalise_article

CONSENT_WALL = (
    "We value your privacy. We and our partners store and access information on your "
    "device, such as cookies, and process personal data to personalise ads and content, "
    "measure ads and content, and develop products. Accept all or manage your choices."
)


def hn_shaped_feed(count: int = 30) -> str:
    """A feed shaped like Hacker News' RSS: each description is only a Comments link."""
    items = "".join(
        f"<item><title>Story number {n} about topic {n * 7}</title>"
        f"<link>https://site{n % 9}.example/posts/{n}</link>"
        f"<pubDate>Mon, 02 Dec 2024 {n % 24:02d}:00:00 +0000</pubDate>"
        f"<comments>https://news.example/item?id={1000 + n}</comments>"
        f'<description><![CDATA[<a href="https://news.example/item?id={1000 + n}">'
        f"Comments</a>]]></description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Hacker News</title>'
        f"<link>https://news.example/</link>{items}</channel></rss>"
    )


def test_a_feed_whose_every_description_is_a_comments_link_keeps_every_story(
    tmp_path: Path,
) -> None:
    feed = tmp_path / "hn.rss.xml"
    feed.write_text(hn_shaped_feed(), encoding="utf-8")
    run = ingest(feed)
    articles = [item for item in run if isinstance(item, Article)]
    assert len(articles) == 30
    assert run.report.duplicate_count == 0
    assert all(a.content_key is None for a in articles)
    assert all(a.extra[WITHHELD].startswith("short_body: ") for a in articles)


def _feed_article(n: int, title: str, body: tuple[str, ...], host: str = "site.example") -> Article:
    return normalise_article(
        Article(
            title=title,
            url=f"https://{host}/story/{n}",
            body=body,
            source=Provenance(reader="feed", location=f"https://{host}/feed", item=n),
        )
    )


def test_stories_sharing_only_a_teaser_are_all_kept() -> None:
    dedup = Deduplicator()
    stories = [_feed_article(n, f"Story {n}", ("Continue reading...",)) for n in range(3)]
    assert [dedup.check(story) for story in stories] == [None, None, None]
    assert all(story.content_key is None for story in stories)
    assert "short_body" in stories[0].extra[WITHHELD]


def test_pages_of_one_host_showing_the_same_consent_wall_are_all_kept() -> None:
    dedup = Deduplicator()
    walls = [_feed_article(n, f"Headline {n}", (CONSENT_WALL,)) for n in range(3)]
    assert len({wall.content_key for wall in walls}) == 1  # one body, long enough for a key
    assert [dedup.check(wall) for wall in walls] == [None, None, None]
    assert dedup.report()["boilerplate"] == 2
    assert dedup.report()["duplicates"] == 0
    records = [wall.to_dict() for wall in walls]
    again = Deduplicator()
    for record in records:
        assert again.decide(again.candidate(record), lambda record=record: record) is None
    assert WITHHELD not in records[0]["extra"]
    assert [record["extra"][WITHHELD].split(":")[0] for record in records[1:]] == [
        "boilerplate",
        "boilerplate",
    ]


def test_the_same_body_in_another_source_is_still_a_duplicate() -> None:
    """Syndication: one story carried by two outlets, whatever their headlines."""
    dedup = Deduplicator()
    assert dedup.check(_feed_article(1, "Harbour reopens", (CONSENT_WALL,), "a.example")) is None
    copy = dedup.check(_feed_article(2, "Port open again", (CONSENT_WALL,), "b.example"))
    assert copy is not None
    assert copy.key_type == "content"
    assert copy.matched == ("content",)


def test_a_repost_under_the_same_title_in_one_source_is_still_a_duplicate() -> None:
    dedup = Deduplicator()
    assert dedup.check(_feed_article(1, "Harbour reopens", (CONSENT_WALL,))) is None
    repost = dedup.check(_feed_article(2, "Harbour  Reopens", (CONSENT_WALL,)))
    assert repost is not None
    assert repost.key_type == "content"
    assert dedup.report()["boilerplate"] == 0


def test_boilerplate_is_remembered_across_runs(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with Deduplicator(store=SQLiteStore(state)) as dedup:
        assert dedup.check(_feed_article(1, "Monday's story", (CONSENT_WALL,))) is None
        dedup.flush()
    with Deduplicator(store=SQLiteStore(state)) as dedup:
        assert dedup.check(_feed_article(2, "Tuesday's story", (CONSENT_WALL,))) is None
        assert dedup.check(_feed_article(1, "Monday's story", (CONSENT_WALL,))) is not None
        assert dedup.report()["boilerplate"] == 1


def test_batch_keeps_boilerplate_stories_too() -> None:
    walls = [_feed_article(n, f"Headline {n}", (CONSENT_WALL,)) for n in range(4)]
    kept, duplicates = Deduplicator().batch(walls)
    assert len(kept) == 4
    assert duplicates == []


short_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=MIN_CONTENT_CHARS // 3)


@given(short_text, st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_different_stories_with_a_short_body_are_never_content_duplicates(
    body: str, first_title: str, second_title: str
) -> None:
    """Different titles and URLs, the same body under the minimum: both kept."""
    dedup = Deduplicator()
    one = _feed_article(1, first_title, (body,), "a.example")
    two = _feed_article(2, second_title, (body,), "b.example")
    assert dedup.check(one) is None
    assert dedup.check(two) is None
