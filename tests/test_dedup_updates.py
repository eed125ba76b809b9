"""Stories that change: updates kept as new versions; feed ids and original links as identities."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from newsingest import Article, Deduplicator, ingest
from newsingest.dedup import Duplicate
from newsingest.model import Provenance
from newsingest.pipeline.normalise import normalise_article
from newsingest.testing import Response, loopback_registry, serve

TEXT = {
    "a": "The harbour reopened on Monday after a week of repairs to the main quay, "
    "the port authority said, and the first ferries are expected on Tuesday.",
    "b": "Council approves the new budget for schools and libraries after a long "
    "debate in which three amendments were rejected and one was accepted.",
    "c": "A late frost damaged orchards across the valley, growers said, with early "
    "blossoms on apple and pear trees lost in a single night.",
}
CORRECTED = (
    "The harbour reopened on Tuesday after nine days of repairs to the main quay, "
    "the port authority said, correcting an earlier statement about the ferries."
)


def feed(texts: dict[str, str], links: dict[str, str] | None = None) -> str:
    links = links or {}
    items = "".join(
        f"<item><title>Story {name}</title>"
        f"<link>{links.get(name, f'https://news.example/{name}')}</link>"
        f'<guid isPermaLink="false">story-{name}</guid>'
        f"<description>{text}</description></item>"
        for name, text in texts.items()
    )
    return f'<rss version="2.0"><channel><title>News</title>{items}</channel></rss>'


def _poll(url: str, state: Path) -> list[Article]:
    run = ingest(url, registry=loopback_registry(), state=state)
    return [item for item in run if isinstance(item, Article)]


def test_a_feed_polled_three_times_emits_a_changed_item_once_as_an_update(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.db"
    with serve({"/feed.xml": Response(body=feed(TEXT))}) as server:
        url = server.url("/feed.xml")
        first = _poll(url, state)
        server.set_route("/feed.xml", Response(body=feed({**TEXT, "a": CORRECTED})))
        second = _poll(url, state)
        third = _poll(url, state)
    assert [a.title for a in first] == ["Story a", "Story b", "Story c"]
    assert [a.title for a in second] == ["Story a"]
    update = second[0].extra["update"]
    assert update["version"] == 2
    assert update["previous_content_key"] == first[0].content_key
    assert update["previous_content_key"] != second[0].content_key
    assert update["previous_source"].startswith(url)
    assert "update" not in first[0].extra
    assert third == []


def _article(
    text: str, *, url: str = "https://news.example/a", location: str = "feed.xml"
) -> Article:
    return normalise_article(
        Article(
            title="Story a",
            url=url,
            body=(text,),
            source=Provenance(reader="feed", location=location, item=0, entry_id="story-a"),
        )
    )


def test_a_reformatted_text_is_a_duplicate_not_an_update() -> None:
    dedup = Deduplicator()
    assert dedup.check(_article(TEXT["a"])) is None
    reformatted = TEXT["a"].replace(",", " ;").replace(".", "!").upper()
    duplicate = dedup.check(_article(reformatted))
    assert isinstance(duplicate, Duplicate)
    assert duplicate.key_type == "url"
    assert dedup.report()["updates"] == 0


def test_versions_count_up_and_a_reverted_text_is_a_duplicate() -> None:
    dedup = Deduplicator()
    assert dedup.check(_article(TEXT["a"])) is None
    second = _article(CORRECTED)
    assert dedup.check(second) is None
    third = _article(CORRECTED + " A further correction was issued on Wednesday.")
    record = third.to_dict()
    assert dedup.decide(dedup.candidate(record), lambda: record) is None
    assert record["extra"]["update"]["version"] == 3
    assert record["extra"]["update"]["previous_content_key"] == second.content_key
    assert isinstance(dedup.check(_article(TEXT["a"])), Duplicate)  # seen before
    assert dedup.report()["updates"] == 2


def test_the_same_url_with_another_text_from_another_source_is_a_copy() -> None:
    """A feed's summary of a page is not a new version of the page."""
    dedup = Deduplicator()
    assert dedup.check(_article(TEXT["a"], location="site.xml")) is None
    copy = dedup.check(_article(CORRECTED, location="aggregator.xml"))
    assert isinstance(copy, Duplicate)
    assert copy.key_type == "url"


def test_a_feed_id_matches_a_repoll_whose_link_changed(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with serve({"/feed.xml": Response(body=feed({"a": TEXT["a"]}))}) as server:
        url = server.url("/feed.xml")
        assert len(_poll(url, state)) == 1
        moved = feed({"a": TEXT["a"]}, {"a": "https://news.example/2024/moved-a"})
        server.set_route("/feed.xml", Response(body=moved))
        duplicates: list[Duplicate] = []
        run = ingest(url, registry=loopback_registry(), state=state, on_duplicate=duplicates.append)
        assert [item for item in run if isinstance(item, Article)] == []
    assert [d.matched for d in duplicates] == [("entry", "content")]


def test_an_entry_id_is_scoped_to_its_feed() -> None:
    dedup = Deduplicator(keys=("entry",))
    one = _article(TEXT["a"], location="one.xml")
    other = _article(TEXT["b"], location="two.xml", url="https://other.example/a")
    assert dedup.check(one) is None
    assert dedup.check(other) is None


def test_a_feedburner_item_matches_the_publisher_s_own_feed(tmp_path: Path) -> None:
    proxied = tmp_path / "proxy.xml"
    proxied.write_text(
        '<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">'
        "<channel><title>Proxy</title><item><title>Harbour reopens</title>"
        "<link>http://feedproxy.google.com/~r/news/~3/AbCdEf/harbour</link>"
        "<feedburner:origLink>https://publisher.example/harbour?utm_source=feedburner"
        "</feedburner:origLink><description>Short.</description></item></channel></rss>",
        encoding="utf-8",
    )
    own = tmp_path / "own.xml"
    own.write_text(
        '<rss version="2.0"><channel><title>Publisher</title><item>'
        "<title>Harbour reopens</title><link>https://www.publisher.example/harbour</link>"
        "<description>Short too.</description></item></channel></rss>",
        encoding="utf-8",
    )
    duplicates: list[Duplicate] = []
    run = ingest([proxied, own], on_duplicate=duplicates.append)
    kept = [item for item in run if isinstance(item, Article)]
    assert len(kept) == 1
    assert kept[0].url == "http://feedproxy.google.com/~r/news/~3/AbCdEf/harbour"  # as read
    assert kept[0].canonical_url == "https://publisher.example/harbour?utm_source=feedburner"
    assert [d.key_type for d in duplicates] == ["url"]


long_texts = st.text(st.characters(categories=("Ll",)), min_size=120, max_size=200)


@given(long_texts, long_texts)
def test_an_update_is_never_reported_as_a_duplicate(old: str, new: str) -> None:
    dedup = Deduplicator()
    assert dedup.check(_article(old)) is None
    result = dedup.check(_article(new))
    assert (result is None) == (old != new)


def test_batch_and_the_worker_path_carry_the_update_on_the_kept_article() -> None:
    """In a batch, versions follow the survivor rule's order, not the input's."""
    kept, duplicates = Deduplicator().batch([_article(TEXT["a"]), _article(CORRECTED)])
    assert duplicates == []
    assert sorted("update" in article.extra for article in kept) == [False, True]
    (update,) = [article.extra["update"] for article in kept if "update" in article.extra]
    assert update["version"] == 2


def test_an_update_read_by_worker_processes_carries_its_note(tmp_path: Path) -> None:
    """The kept record's JSON line is made again after dedup amends it."""
    state = tmp_path / "state.db"
    for text in (TEXT["a"], CORRECTED):
        (tmp_path / "feed.xml").write_text(feed({"a": text}), encoding="utf-8")
        lines = list(ingest(tmp_path / "feed.xml", state=state, workers=2).json_lines())
    assert len(lines) == 1
    assert '"update":{"version":2' in lines[0]
