"""Real-world feed fidelity: links chosen as a reader of feeds expects, ids never made URLs."""

from __future__ import annotations

from newsingest.exceptions import NewsIngestWarning
from newsingest.model import Article
from newsingest.readers.feed import FeedReader


def _read(entry: str, *, feed_url: str | None = None) -> tuple[list[Article], list[str]]:
    feed = (
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>'
        f"{entry}</channel></rss>"
    ).encode()
    items = list(FeedReader().parse(feed, location="f.xml", feed_url=feed_url))
    articles = [item for item in items if isinstance(item, Article)]
    reasons = [item.reason for item in items if isinstance(item, NewsIngestWarning)]
    return articles, reasons


def test_a_guid_that_is_not_a_url_is_never_joined_onto_the_feed_address() -> None:
    """Megaphone-style episodes: the guid is an id, so the entry has no URL."""
    (article,), reasons = _read(
        "<item><title>Episode 12</title><guid>8d1c7f0e-2b4a-11ee-9a0a-8f7e9c4d2b11</guid></item>",
        feed_url="https://feeds.megaphone.example/show",
    )
    assert article.url is None
    assert article.source.entry_id == "8d1c7f0e-2b4a-11ee-9a0a-8f7e9c4d2b11"
    assert reasons == []


def test_a_permalink_guid_is_the_url_when_there_is_no_link() -> None:
    (article,), _ = _read(
        '<item><title>x</title><guid isPermaLink="true">https://e.example/p/1</guid></item>'
    )
    assert article.url == "https://e.example/p/1"


def test_the_first_usable_alternate_link_wins() -> None:
    """An Atom entry whose first alternate is gemini:// and second is https."""
    feed = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>x</title>'
        b'<id>urn:x:1</id><link rel="alternate" href="gemini://e.example/1"/>'
        b'<link rel="alternate" href="https://e.example/1"/></entry></feed>'
    )
    items = list(FeedReader().parse(feed, location="a.xml"))
    (article,) = [item for item in items if isinstance(item, Article)]
    assert article.url == "https://e.example/1"
    warnings = [item for item in items if isinstance(item, NewsIngestWarning)]
    assert [w.reason for w in warnings] == ["bad_url"]
    assert "gemini://e.example/1" in warnings[0].message


def test_an_unusable_link_is_dropped_and_the_entry_kept() -> None:
    (article,), reasons = _read(
        "<item><title>Kept with its date</title><link>https://exa mple.com/story</link>"
        "<pubDate>Fri, 04 Oct 2013 10:00:00 +0000</pubDate>"
        "<description>The notes of the entry.</description></item>"
    )
    assert article.url is None
    assert article.title == "Kept with its date"
    assert article.published is not None
    assert article.body == ("The notes of the entry.",)
    assert reasons == ["bad_url"]


def test_a_permalink_guid_that_is_a_path_is_resolved_against_the_feed() -> None:
    (article,), _ = _read(
        "<item><title>x</title><guid>/2024/05/story</guid></item>",
        feed_url="https://site.example/feed.xml",
    )
    assert article.url == "https://site.example/2024/05/story"


def test_a_relative_link_is_resolved_against_the_feed() -> None:
    (article,), _ = _read(
        "<item><title>x</title><link>story.html</link></item>",
        feed_url="https://site.example/news/feed.xml",
    )
    assert article.url == "https://site.example/news/story.html"


def test_utf16_without_a_byte_order_mark_is_read() -> None:
    feed = (
        '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Caf\u00e9 \u00e0 Paris</title><link>https://e.example/1</link></item>"
        "</channel></rss>"
    )
    bare = feed.split("?>", 1)[1]  # no XML declaration either: only the bytes tell
    for document in (feed, bare):
        for codec in ("utf-16-le", "utf-16-be"):
            items = list(FeedReader().parse(document.encode(codec), location="u.xml"))
            titles = [i.title for i in items if isinstance(i, Article)]
            assert titles == ["Caf\u00e9 \u00e0 Paris"], (codec, document[:20])
