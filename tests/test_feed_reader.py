"""Tests for reader ``feed``: data-driven fixtures, sniffing, limits, feed lists, polling.

Each ``tests/data/feeds/<case>.<ext>`` sits beside ``<case>.<ext>.json`` holding
what reading it must give. ``python tests/test_feed_reader.py --regenerate``
rewrites those files from the current reader; read every diff before committing.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from newsingest._html import html_to_segments, text_to_segments
from newsingest.exceptions import (
    FetchError,
    NewsIngestWarning,
    ParseError,
    SourceNotFoundError,
)
from newsingest.fetch import Fetcher
from newsingest.model import Article
from newsingest.readers import ReaderRegistry
from newsingest.readers.feed import (
    LIMITS,
    FeedReader,
    read_feed_list,
    register,
    sniff_feed,
)
from newsingest.state import MemoryStore, SQLiteStore
from newsingest.testing import Response, RouteSpec, conditional, redirect, serve

DATA = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
CASES = sorted(
    path.with_suffix("") for path in DATA.glob("*.json") if path.with_suffix("").is_file()
)


def _reader() -> FeedReader:
    return FeedReader(now=NOW, allow_private=True)


def _record(item: object) -> dict[str, Any]:
    """One reader item as the JSON the expected files hold."""
    if isinstance(item, Article):
        data = item.to_dict()
        data["source"]["location"] = Path(data["source"]["location"]).name
        return {"kind": "article", "article": data}
    if isinstance(item, NewsIngestWarning):
        return {"kind": "warning", "reason": item.reason, "item": item.item}
    assert isinstance(item, ParseError), item
    return {"kind": "error", "reason": item.reason, "item": item.item, "message": item.message}


def _outcome(path: Path) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    try:
        for item in _reader().read(str(path)):
            items.append(_record(item))
    except ParseError as error:
        return {"raises": {"reason": error.reason, "message": error.message}, "items": items}
    return {"raises": None, "items": items}


def test_every_fixture_has_a_case() -> None:
    """Every feed file in the data folder has its expected records beside it."""
    feeds = {path for path in DATA.iterdir() if path.suffix != ".json"}
    assert feeds == set(CASES)
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.name)
def test_fixture(path: Path) -> None:
    """Reading the fixture gives exactly the records in its expected file."""
    expected = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))
    assert _outcome(path) == expected


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.name)
def test_fixture_from_bytes_and_streams(path: Path) -> None:
    """Bytes, binary streams and paths give the same records (only the location differs)."""
    data = path.read_bytes()
    from_path = _outcome(path)
    for source in (data, io.BytesIO(data)):
        items: list[dict[str, Any]] = []
        try:
            items = [_record(item) for item in _reader().read(source)]
        except ParseError as error:
            assert from_path["raises"] == {"reason": error.reason, "message": error.message}
            continue
        for item in items:
            if item["kind"] == "article":
                item["article"]["source"]["location"] = path.name
        assert items == from_path["items"]


def test_text_stream_is_read() -> None:
    """A text stream is accepted (encoded back to UTF-8 before parsing)."""
    text = (DATA / "rss20.xml").read_text(encoding="utf-8")
    titles = [item.title for item in _reader().read(io.StringIO(text)) if isinstance(item, Article)]
    assert titles == ["Council approves new budget & plan", "Storm warning issued"]


def test_missing_file() -> None:
    """A path that does not exist is a SourceNotFoundError."""
    with pytest.raises(SourceNotFoundError):
        list(_reader().read(str(DATA / "no-such-feed.xml")))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<?xml version="1.0"?><rss version="2.0">', True),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- hi -->\n<feed xmlns='x'>", True),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', True),
        (b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd">\n<rss>', True),
        ('<?xml version="1.0" encoding="utf-16"?><feed>'.encode("utf-16"), True),
        (b"  \n\t<rss>", True),
        (b"<!DOCTYPE html><html><head><title>x</title></head>", False),
        (b"<html><body><rss></rss></body></html>", False),
        (b'{"items": []}', False),
        (b"", False),
        (b"plain text that mentions <rss>", False),
        (b"<?xml version='1.0'?><!-- never closed", False),
        (b"<?xml version='1.0'?><catalog><rss/></catalog>", False),
    ],
)
def test_sniff(head: bytes, expected: bool) -> None:
    """The sniffer looks at the root element past BOM, declaration, comments and DOCTYPE."""
    assert sniff_feed(head) is expected
    assert FeedReader().sniff(head) is expected


def test_registry_routes_feeds_by_content_and_urls() -> None:
    """Registered, the reader wins for feed content under any suffix, and for http(s) URLs."""
    registry = ReaderRegistry()
    register(registry)
    assert registry.resolve(b"<rss version='2.0'><channel/></rss>").name == "feed"
    assert registry.resolve(str(DATA / "rss10.rdf")).name == "feed"
    assert registry.resolve("https://example.com/feed").name == "feed"


def test_leading_junk_before_root_still_recovers() -> None:
    """A feed preceded by a server's warning text is still read, with a bozo warning."""
    data = (
        b"Warning: deprecated call<br />\n" + (DATA / "rss20.xml").read_bytes().split(b"?>", 1)[1]
    )
    items = list(_reader().read(data))
    articles = [item for item in items if isinstance(item, Article)]
    assert len(articles) == 2
    assert any(isinstance(item, NewsIngestWarning) and item.reason == "bozo" for item in items)


def test_unknown_xml_is_not_a_feed() -> None:
    """XML with another root element is a ParseError saying so."""
    with pytest.raises(ParseError, match=r"root element <catalog>") as caught:
        list(_reader().read(b"<?xml version='1.0'?><catalog><book/></catalog>"))
    assert caught.value.reason == "not_a_feed"


def test_entity_bomb_is_refused_quickly() -> None:
    """Entity declarations are refused before feedparser could expand them."""
    with pytest.raises(ParseError, match="entities") as caught:
        list(_reader().read(DATA / "entity_bomb.xml"))
    assert caught.value.reason == "entity_declaration"
    assert "entity_bomb.xml" in str(caught.value)


def test_document_over_the_byte_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file or stream over the document limit is refused without parsing."""
    data = (DATA / "rss20.xml").read_bytes()
    monkeypatch.setitem(LIMITS, "document_bytes", len(data) - 1)
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    for source in (str(path), data, io.BytesIO(data)):
        with pytest.raises(ParseError, match="limit") as caught:
            list(_reader().read(source))
        assert caught.value.reason == "too_large"


def test_too_many_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries past the cap become one ParseError; the first ones still come out."""
    monkeypatch.setitem(LIMITS, "entries", 1)
    items = list(_reader().read(DATA / "rss20.xml"))
    assert isinstance(items[0], Article)
    assert isinstance(items[1], ParseError)
    assert (items[1].reason, items[1].item) == ("too_many_entries", 1)
    assert len(items) == 2


def test_oversized_body_is_rejected_per_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry whose body exceeds the segment cap is a ParseError; the next entry survives."""
    monkeypatch.setitem(LIMITS, "segments", 1)
    items = list(_reader().read(DATA / "rss20.xml"))
    assert isinstance(items[0], ParseError)
    assert (items[0].reason, items[0].item) == ("too_large", 0)
    assert "segments" in items[0].message
    assert isinstance(items[1], ParseError)  # the storm item has two segments as well


def test_no_future_check_without_max_future() -> None:
    """With max_future=None, a far-future date is kept as stated."""
    items = list(FeedReader(max_future=None).read(DATA / "bad_date.rss"))
    future = [item for item in items if isinstance(item, Article) and item.title == "Far future"]
    assert future[0].published == datetime(2050, 1, 1, tzinfo=timezone.utc)


def test_reader_options_are_checked() -> None:
    """A fetcher and a validator store together, or a naive now, are refused."""
    with pytest.raises(ValueError, match="not both"):
        FeedReader(fetcher=Fetcher(allow_private=True), validators=MemoryStore())
    with pytest.raises(TypeError, match="aware"):
        FeedReader(now=datetime(2025, 1, 1))


# -- feed lists -------------------------------------------------------------


def test_read_feed_list(tmp_path: Path) -> None:
    """Comments, blank lines and trailing comments are skipped; duplicates kept once."""
    path = tmp_path / "feeds.txt"
    path.write_text(
        "\ufeff# my feeds\n\nhttps://a.example/feed.xml\n  http://b.example/rss  # b\n"
        "https://a.example/feed.xml\nhttps://c.example/atom#frag\n",
        encoding="utf-8",
    )
    assert read_feed_list(path) == [
        "https://a.example/feed.xml",
        "http://b.example/rss",
        "https://c.example/atom#frag",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("https://ok.example/\nftp://files.example/feed\n", 2),
        ("# x\n\n/relative/feed.xml\n", 3),
        ("https://ok.example/\nhttps:// spaced.example/\n", 2),
    ],
)
def test_read_feed_list_names_the_bad_line(tmp_path: Path, text: str, line: int) -> None:
    """A line that is not an absolute http(s) URL is a ParseError with file:line."""
    path = tmp_path / "feeds.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        read_feed_list(path)
    assert caught.value.line == line
    assert f"feeds.txt:{line}" in str(caught.value)
    assert caught.value.reason == "invalid_url"


def test_read_feed_list_errors(tmp_path: Path) -> None:
    """A missing file and non-UTF-8 bytes are clear errors."""
    with pytest.raises(SourceNotFoundError):
        read_feed_list(tmp_path / "missing.txt")
    path = tmp_path / "latin.txt"
    path.write_bytes(b"https://ok.example/\nhttps://caf\xe9.example/\n")
    with pytest.raises(ParseError, match=r"latin.txt:2") as caught:
        read_feed_list(path)
    assert caught.value.reason == "undecodable"


# -- reading URLs ---------------------------------------------------------------


def test_url_is_fetched_with_base_and_final_url() -> None:
    """A URL is fetched; relative links resolve against the final URL, kept in provenance."""
    feed = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>Rel</title>"
        b"<item><title>One</title><link>/posts/1</link></item></channel></rss>"
    )
    with serve({"/old": redirect("/feeds/main.xml"), "/feeds/main.xml": feed}) as server:
        items = list(FeedReader(fetcher=Fetcher(allow_private=True)).read(server.url("/old")))
        accept = server.requests_for("/old")[0].header("accept")
    assert len(items) == 1
    article = items[0]
    assert isinstance(article, Article)
    assert article.url == server.url("/posts/1")
    assert article.source.location == server.url("/old")
    assert article.source.feed_url == server.url("/feeds/main.xml")
    assert accept is not None
    assert "application/rss+xml" in accept


def test_declared_charset_is_honoured() -> None:
    """A charset in Content-Type decides how the bytes are decoded."""
    feed = (
        "<rss version='2.0'><channel><title>Ж</title><item><title>Щи</title></item></channel></rss>"
    )
    body = feed.encode("koi8-r")
    with serve(
        {"/f": Response(body=body, headers={"Content-Type": "text/xml; charset=koi8-r"})}
    ) as server:
        items = list(FeedReader(allow_private=True).read(server.url("/f")))
    assert [item.title for item in items if isinstance(item, Article)] == ["Щи"]


def test_polling_twice_with_the_same_state(tmp_path: Path) -> None:
    """First poll emits every entry; the second sends validators, gets 304, emits nothing."""
    body = (DATA / "rss20.xml").read_bytes()
    state = tmp_path / "state.db"
    handler = conditional(body, etag='"rev-7"', last_modified="Wed, 06 Mar 2024 07:00:00 GMT")
    with serve({"/feed.xml": handler}) as server:
        url = server.url("/feed.xml")
        with SQLiteStore(state) as store:
            first = list(FeedReader(validators=store, allow_private=True).read(url))
            store.commit()
        with SQLiteStore(state) as store:
            second = list(FeedReader(validators=store, allow_private=True).read(url))
        requests = server.requests_for("/feed.xml")
    assert [item.title for item in first if isinstance(item, Article)] == [
        "Council approves new budget & plan",
        "Storm warning issued",
    ]
    assert second == []
    assert requests[0].header("if-none-match") is None
    assert requests[1].header("if-none-match") == '"rev-7"'
    assert requests[1].header("if-modified-since") == "Wed, 06 Mar 2024 07:00:00 GMT"
    assert SQLiteStore(state).get_validators(url) == (
        '"rev-7"',
        "Wed, 06 Mar 2024 07:00:00 GMT",
    )


def test_validators_wait_until_every_entry_was_taken() -> None:
    """A consumer that stops early leaves no validators, so the next poll gets the feed."""
    store = MemoryStore()
    handler = conditional((DATA / "rss20.xml").read_bytes(), etag='"e"')
    with (
        serve({"/feed.xml": handler}) as server,
        Fetcher(allow_private=True, validators=store) as fetcher,
    ):
        reader = FeedReader(fetcher=fetcher)
        items = reader.read(server.url("/feed.xml"))
        next(items)
        items.close()  # type: ignore[attr-defined]
        assert store.get_validators(server.url("/feed.xml")) is None
        again = [item for item in reader.read(server.url("/feed.xml")) if isinstance(item, Article)]
        assert len(again) == 2
        assert store.get_validators(server.url("/feed.xml")) == ('"e"', None)


def test_html_served_as_a_feed_is_not_stored() -> None:
    """An HTML page at a feed URL is a ParseError and its validators are not kept."""
    store = MemoryStore()
    page = (DATA / "html_page.xml").read_bytes()
    with (
        serve({"/feed": conditional(page, etag='"html"')}) as server,
        pytest.raises(ParseError, match="HTML page"),
    ):
        list(FeedReader(validators=store, allow_private=True).read(server.url("/feed")))
    assert len(store) == 0


def _regenerate() -> None:
    for path in sorted(feed for feed in DATA.iterdir() if feed.suffix != ".json"):
        expected = Path(f"{path}.json")
        expected.write_text(
            json.dumps(_outcome(path), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"wrote {expected}")


if __name__ == "__main__" and "--regenerate" in sys.argv:
    _regenerate()


def test_read_many_polls_feeds_concurrently_and_keeps_faults_local() -> None:
    """One dead URL and one HTML page do not stop the others; a second poll is all 304s."""
    store = MemoryStore()
    routes: dict[str, RouteSpec] = {
        "/a.xml": conditional((DATA / "rss20.xml").read_bytes(), etag='"a"'),
        "/b.xml": conditional((DATA / "atom10.atom").read_bytes(), etag='"b"'),
        "/gone.xml": Response(status=410),
        "/page.xml": (DATA / "html_page.xml").read_bytes(),
    }
    with serve(routes) as server:
        urls = [server.url(path) for path in ("/a.xml", "/gone.xml", "/page.xml", "/b.xml")]
        reader = FeedReader(validators=store, allow_private=True)
        first = list(reader.read_many(urls, concurrency=2))
        second = list(reader.read_many(urls, concurrency=2))
    kinds = [
        item.reason if isinstance(item, (FetchError, ParseError)) else type(item).__name__
        for item in first
    ]
    assert kinds == ["Article", "Article", "http_410", "not_a_feed", "Article", "Article"]
    assert [item.source.location for item in first if isinstance(item, Article)] == [
        urls[0],
        urls[0],
        urls[3],
        urls[3],
    ]
    assert [getattr(item, "reason", None) for item in second] == ["http_410", "not_a_feed"]
    assert store.get_validators(urls[2]) is None


# -- HTML to segments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "segments"),
    [
        ("plain   text\n here", ["plain text here"]),
        ("   ", []),
        ("<pre>line  one\n\n  line two</pre>after", ["line one", "line two", "after"]),
        ("a<br/>b<hr/>c", ["a", "b", "c"]),
        ("<div>x<script>if (a < b) { y(); }</script>z</div>", ["xz"]),
        ("<svg><svg><text>no</text></svg></svg>yes", ["yes"]),
        # noscript is fallback text for readers without scripts: what we are
        ("<noscript><p>fallback</p></noscript></span>kept</b>", ["fallback", "kept"]),
        # an element that never closes gives back what followed it
        ("<p>a</p><svg><path d='x'/><p>rest of the story</p>", ["a", "rest of the story"]),
        ("<p>a</p><button>Share<p>the article</p>", ["a", "Share", "the article"]),
        ("<head><p>a stray head swallows nothing</p>", ["a stray head swallows nothing"]),
        ("<object data='x.swf'>the object's fallback</object>", ["the object's fallback"]),
        ("<video src='v.mp4'>Your browser cannot play it</video><p>b</p>", ["b"]),
        ("<style>p{}</b></style>ok", ["ok"]),
        ("<p>caf&eacute; &#x263A; &amp;amp;</p>", ["café ☺ &amp;"]),
        ("<table><tr><td>a</td><td>b</td></tr></table>", ["a", "b"]),
        ("<p>un<i>broken</i> word</p>", ["unbroken word"]),
    ],
)
def test_html_to_segments(html: str, segments: list[str]) -> None:
    """Blocks split, inline joins, dropped elements vanish, entities decode, space collapses."""
    assert html_to_segments(html) == segments


def test_text_to_segments() -> None:
    """Plain text splits at blank lines and is taken literally."""
    assert text_to_segments("one\r\ntwo\r\n\r\n  three &amp;\n \n\n") == ["one two", "three &amp;"]


def test_plain_text_author_and_long_feed_title() -> None:
    """A text-only author is kept; a feed title over the cap is left out, with a warning."""
    long_title = "T" * (LIMITS["title_chars"] + 1)
    feed = (
        f"<rss version='2.0'><channel><title>{long_title}</title><item><title>x</title>"
        "<link>https://e.example/1</link><author>Someone</author></item></channel></rss>"
    ).encode()
    items = list(_reader().read(feed))
    assert isinstance(items[0], NewsIngestWarning)
    assert items[0].reason == "too_large"
    article = items[1]
    assert isinstance(article, Article)
    assert article.authors == ("Someone",)
    assert article.source.feed_title is None


def test_overlong_link_is_dropped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """A link over the URL cap becomes url=None and a bad_url warning; the entry stays."""
    monkeypatch.setitem(LIMITS, "url_chars", 20)
    feed = (
        b"<rss version='2.0'><channel><title>F</title><item><title>x</title>"
        b"<link>https://example.com/a/very/long/path</link></item></channel></rss>"
    )
    warning, article = list(_reader().read(feed))
    assert isinstance(warning, NewsIngestWarning)
    assert (warning.reason, warning.item) == ("bad_url", 0)
    assert isinstance(article, Article)
    assert article.url is None


@pytest.mark.parametrize(
    "document",
    [b'<?xml version="1.0"?>\n<rss', b'<rss version="2.0"><channel><title>T</title><item><ti'],
    ids=["nothing recovered", "channel recovered"],
)
def test_a_cut_off_download_is_called_truncated(document: bytes) -> None:
    """A feed root that never closes is named a truncated download, not "not a feed"."""
    try:
        said = [str(item) for item in _reader().read(document)]
    except ParseError as error:
        assert error.reason == "truncated"
        said = [error.message]
    assert any("truncated download" in message for message in said), said
    assert not any("not an RSS or Atom feed" in message for message in said)


def test_a_complete_feed_is_not_called_truncated() -> None:
    """Closing tags with a prefix, trailing whitespace and NULs still count as closed."""
    rdf = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel><title>x</title></channel>'
        b"<item><title>One</title></item></rdf:RDF >\n\n\x00"
    )
    said = [str(item) for item in _reader().read(rdf)]
    assert not any("truncated" in message for message in said), said


def test_an_opml_file_read_as_a_feed_says_to_use_feeds() -> None:
    """An OPML list given as a source is refused with the option that reads it."""
    with pytest.raises(ParseError, match="--feeds FILE") as caught:
        list(_reader().read(b'<?xml version="1.0"?><opml version="2.0"><body/></opml>'))
    assert caught.value.reason == "not_a_feed"
