"""JSON Feed 1.0 and 1.1: read from files and from polled URLs, items isolated."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsingest import Article, ingest
from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.readers import default_registry
from newsingest.readers.jsonfeed import JsonFeedReader, parse_json_feed
from newsingest.testing import Response, loopback_registry, serve

FEED_11 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Harbour Desk",
    "feed_url": "https://harbour.example/feed.json",
    "language": "en-GB",
    "authors": [{"name": "The Desk"}],
    "items": [
        {
            "id": "2024-05-06-harbour",
            "url": "https://harbour.example/2024/05/06/reopens",
            "title": "Harbour reopens",
            "content_html": "<p>The harbour <b>reopened</b> on Monday.</p><p>Ferries resume.</p>",
            "summary": "It reopened.",
            "date_published": "2024-05-06T09:30:00+02:00",
            "authors": [{"name": "A. Writer"}],
            "tags": ["port", "transport"],
            "image": "https://harbour.example/quay.jpg",
            "attachments": [
                {
                    "url": "https://harbour.example/q.mp3",
                    "mime_type": "audio/mpeg",
                    "size_in_bytes": 9,
                }
            ],
        },
        {
            "id": "plain",
            "content_text": "First line.\n\nSecond paragraph.",
            "date_modified": "2024-05-07",
        },
        "not an object",
        {"id": "late", "title": "Late", "date_published": "not a date"},
    ],
}


def _items(document: dict[str, object]) -> list[object]:
    return list(parse_json_feed(json.dumps(document).encode(), location="f.json"))


def test_a_json_feed_1_1_item_becomes_an_article() -> None:
    first = _items(FEED_11)[0]
    assert isinstance(first, Article)
    assert first.title == "Harbour reopens"
    assert first.url == "https://harbour.example/2024/05/06/reopens"
    assert first.body == ("The harbour reopened on Monday.", "Ferries resume.")
    assert first.summary == "It reopened."
    assert first.published == datetime(2024, 5, 6, 7, 30, tzinfo=timezone.utc)
    assert first.authors == ("A. Writer",)
    assert first.tags == ("port", "transport")
    assert first.language == "en-GB"
    assert first.extra["image"] == "https://harbour.example/quay.jpg"
    assert first.extra["attachments"][0]["mime_type"] == "audio/mpeg"
    assert first.source.reader == "jsonfeed"
    assert first.source.entry_id == "2024-05-06-harbour"
    assert first.source.feed_title == "Harbour Desk"


def test_text_content_feed_authors_bad_items_and_bad_dates() -> None:
    items = _items(FEED_11)
    plain = items[1]
    assert isinstance(plain, Article)
    assert plain.body == ("First line.", "Second paragraph.")
    assert plain.summary is None
    assert plain.published_precision == "day"
    assert plain.authors == ("The Desk",)  # the feed's authors
    bad = items[2]
    assert isinstance(bad, ParseError)
    assert (bad.item, bad.reason) == (2, "invalid_entry")
    late = items[3]
    assert isinstance(late, Article)
    assert late.published is None
    assert late.published_raw == "not a date"
    assert isinstance(items[4], NewsIngestWarning)
    assert items[4].reason == "bad_date"


def test_a_json_feed_1_0_author_object_is_read() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1",
        "title": "Old",
        "author": {"name": "Solo"},
        "items": [{"id": "1", "content_text": "x", "url": "https://e.example/1"}],
    }
    (article,) = _items(document)
    assert isinstance(article, Article)
    assert article.authors == ("Solo",)


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"{not json", "unparseable"), (b'{"version": "x", "items": []}', "not_a_feed")],
)
def test_what_is_not_a_json_feed_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(parse_json_feed(data, location="f.json"))
    assert caught.value.reason == reason


def test_a_json_feed_file_is_routed_by_content(tmp_path: Path) -> None:
    path = tmp_path / "feed.dat"
    path.write_text(json.dumps(FEED_11), encoding="utf-8")
    assert default_registry().resolve(str(path)).name == "jsonfeed"
    assert isinstance(default_registry().get("jsonfeed"), JsonFeedReader)
    titles = [a.title for a in ingest(path, on_error="skip")]
    assert titles == ["Harbour reopens", "", "Late"]


def test_a_polled_url_serving_json_feed_is_read(tmp_path: Path) -> None:
    body = json.dumps(FEED_11)
    with serve(
        {"/feed": Response(body=body, headers={"Content-Type": "application/feed+json"})}
    ) as server:
        run = ingest(server.url("/feed"), registry=loopback_registry(), on_error="skip")
        articles = [item for item in run if isinstance(item, Article)]
    assert [a.title for a in articles] == ["Harbour reopens", "", "Late"]
    assert articles[0].source.location == server.url("/feed")
