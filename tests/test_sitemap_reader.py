"""Reader ``sitemap``: sitemaps, Google News sitemaps and sitemap indexes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.model import Article
from newsingest.readers import default_registry
from newsingest.readers import sitemap as sitemap_module
from newsingest.readers.feed import FeedReader
from newsingest.readers.sitemap import SitemapReader, is_sitemap, parse_sitemap
from newsingest.testing import Response, serve

DATA = Path(__file__).parent / "data" / "sitemaps"
NEWS = (DATA / "news.xml").read_bytes()
PLAIN = (DATA / "plain.xml").read_bytes()


def _index(*locations: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locations)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
        "</sitemapindex>"
    ).encode()


def _articles(items: list[object]) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def test_a_google_news_sitemap_gives_titles_dates_languages_and_keywords() -> None:
    """news: tags become the stub's fields; lastmod, genres and access stay in extra."""
    items = list(SitemapReader().read(str(DATA / "news.xml")))
    first, second, third = _articles(items)
    assert first.url == "https://harbour.example/2024/03/04/council-budget"
    assert first.title == "Council approves the harbour budget & a new ferry"
    assert first.published == datetime(2024, 3, 4, 9, 30, tzinfo=timezone.utc)
    assert (first.published_precision, first.published_raw) == (
        "second",
        "2024-03-04T10:30:00+01:00",
    )
    assert first.language == "en"
    assert first.tags == ("council", "budget", "ferry")
    assert first.source.reader == "sitemap"
    assert first.source.feed_title == "The Harbour Gazette"
    assert first.extra == {
        "sitemap": {"lastmod": "2024-03-04T12:00:00+01:00", "genres": "PressRelease, Blog"}
    }
    assert (second.published_precision, second.language) == ("day", "zh-cn")
    assert second.title == "港口新闻"
    assert second.extra == {"sitemap": {"access": "Subscription"}}
    assert third.published is None and third.published_raw == "last Tuesday"
    rejected = [item for item in items if isinstance(item, ParseError)]
    assert [(error.item, error.reason) for error in rejected] == [(2, "invalid_url")]
    warned = [item for item in items if isinstance(item, NewsIngestWarning)]
    assert [(warning.item, warning.reason) for warning in warned] == [(3, "bad_date")]


def test_a_plain_sitemap_gives_url_stubs_and_keeps_lastmod_out_of_published() -> None:
    """lastmod is when the page changed, not when the story was published."""
    first, second = _articles(list(SitemapReader().read(PLAIN)))
    assert (first.url, first.title, first.published) == ("https://plain.example/", "", None)
    assert first.extra == {
        "sitemap": {"lastmod": "2024-01-01", "changefreq": "daily", "priority": "1.0"}
    }
    assert second.url == "https://plain.example/about"  # whitespace around loc is trimmed


def test_sitemaps_are_recognised_by_content_gzipped_or_not(tmp_path: Path) -> None:
    """The registry routes urlset and sitemapindex files, .xml or .xml.gz, to the sitemap reader."""
    registry = default_registry()
    gz = tmp_path / "sitemap.xml.gz"
    gz.write_bytes(gzip.compress(NEWS))
    index = tmp_path / "sitemap_index.xml"
    index.write_bytes(_index("https://harbour.example/s1.xml"))
    for path in (DATA / "news.xml", gz, index):
        assert registry.resolve(str(path)).name == "sitemap", path
    assert is_sitemap(gzip.compress(PLAIN)[:100])
    assert not is_sitemap(b'<rss version="2.0"><channel/></rss>')
    assert [a.url for a in _articles(list(registry.resolve(str(gz)).read(str(gz))))] == [
        a.url for a in _articles(list(SitemapReader().read(NEWS)))
    ]


def test_an_index_of_two_sitemaps_is_followed_over_http() -> None:
    """Polled by URL like a feed: the index's sitemaps (one gzipped) are fetched and read."""
    with serve(
        {
            "/plain.xml": Response(body=PLAIN),
            "/news.xml.gz": Response(
                body=gzip.compress(NEWS), headers={"Content-Type": "application/x-gzip"}
            ),
        }
    ) as server:
        server.set_route(
            "/index.xml",
            Response(body=_index(server.url("/plain.xml"), server.url("/news.xml.gz"))),
        )
        items = list(FeedReader(allow_private=True).read(server.url("/index.xml")))
        plain_requests = len(server.requests_for("/plain.xml"))
    articles = _articles(items)
    assert [a.url for a in articles][:2] == [
        "https://plain.example/",
        "https://plain.example/about",
    ]
    assert len(articles) == 2 + 3
    assert [a.language for a in articles[2:]] == ["en", "zh-cn", None]
    assert articles[2].source.feed_url == server.url("/news.xml.gz")
    assert plain_requests == 1


def test_a_local_index_is_followed_by_the_sitemap_reader(tmp_path: Path) -> None:
    """A listed sitemap that fails is one sitemap_failed error; the others are read."""
    with serve({"/plain.xml": Response(body=PLAIN), "/gone.xml": Response(status=404)}) as server:
        index = tmp_path / "index.xml"
        index.write_bytes(_index(server.url("/gone.xml"), server.url("/plain.xml")))
        items = list(SitemapReader(allow_private=True).read(str(index)))
    failed = [item for item in items if isinstance(item, ParseError)]
    assert [(error.reason, error.source) for error in failed] == [
        ("sitemap_failed", server.url("/gone.xml"))
    ]
    assert "http_404" in failed[0].message
    assert len(_articles(items)) == 2


def test_private_addresses_in_an_index_are_refused_by_default(tmp_path: Path) -> None:
    """The HTTP room's address policy applies to what an index lists."""
    with serve({"/plain.xml": Response(body=PLAIN)}) as server:
        items = list(SitemapReader().read(_index(server.url("/plain.xml"))))
        assert server.requests_for("/plain.xml") == []
    (failed,) = items
    assert isinstance(failed, ParseError) and failed.reason == "sitemap_failed"


def test_an_index_without_a_fetcher_says_it_was_not_followed() -> None:
    items = list(parse_sitemap(_index("https://a.example/1.xml"), location="index.xml"))
    assert [(type(i).__name__, getattr(i, "reason", None)) for i in items] == [
        ("NewsIngestWarning", "sitemap_index_not_followed")
    ]


def test_index_depth_and_count_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index that lists itself stops at the depth limit; a long index at the count limit."""
    fetched: list[str] = []

    def follow(url: str) -> bytes:
        fetched.append(url)
        return _index("https://loop.example/index.xml") if "index" in url else PLAIN

    looping = list(
        parse_sitemap(_index("https://loop.example/index.xml"), location="i", follow=follow)
    )
    assert [getattr(i, "reason", None) for i in looping] == ["too_deep"]
    assert len(fetched) == sitemap_module.LIMITS["depth"]
    monkeypatch.setitem(sitemap_module.LIMITS, "sitemaps", 3)  # type: ignore[index]
    fetched.clear()
    many = _index(*(f"https://many.example/{n}.xml" for n in range(10)))
    items = list(parse_sitemap(many, location="i", follow=follow))
    assert len(fetched) == 3
    assert len(_articles(items)) == 3 * 2
    assert [i.reason for i in items if isinstance(i, ParseError)] == ["too_many_entries"]


def test_a_gzip_bomb_is_refused_at_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sitemap_module.LIMITS, "bytes", 10_000)  # type: ignore[index]
    bomb = gzip.compress(NEWS[:200] + b" " * 5_000_000)
    with pytest.raises(ParseError) as caught:
        list(SitemapReader().read(bomb))
    assert caught.value.reason == "too_large"


def test_urls_past_the_limit_are_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sitemap_module.LIMITS, "urls", 1)  # type: ignore[index]
    items = list(SitemapReader().read(PLAIN))
    assert len(_articles(items)) == 1
    assert [i.reason for i in items if isinstance(i, ParseError)] == ["too_many_entries"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY a "x">]><urlset/>',
            "entity_declaration",
        ),
        (b"<urlset><url><loc>https://a.example/</loc></url", "unparseable"),
        (gzip.compress(b"<rss/>"), "not_a_feed"),
        (b"\x1f\x8b not really gzip", "undecodable"),
    ],
    ids=["entities", "malformed", "gzipped rss", "corrupt gzip"],
)
def test_bad_sitemaps_are_refused_with_their_reason(document: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(SitemapReader().read(document))
    assert caught.value.reason == reason


def test_malformed_after_some_urls_keeps_them_and_says_so() -> None:
    cut = PLAIN[: PLAIN.index(b"<url><loc> https")] + b"<url><loc>https://x"
    items = list(SitemapReader().read(cut))
    assert len(_articles(items)) == 1
    assert [i.reason for i in items if isinstance(i, ParseError)] == ["unparseable"]


def test_the_command_hydrates_sitemap_stubs_with_fetch(tmp_path: Path) -> None:
    """ingest --fetch on a news sitemap: each URL's page becomes the article body."""
    pytest.importorskip("trafilatura")
    page = (
        "<html><head><title>Ferry</title></head><body><article><h1>Ferry approved</h1>"
        + "".join(
            f"<p>Paragraph {n} of the council story about the new ferry.</p>" for n in range(8)
        )
        + "</article></body></html>"
    )
    with serve({"/story": Response(body=page, headers={"Content-Type": "text/html"})}) as server:
        sitemap = tmp_path / "news.xml"
        sitemap.write_bytes(
            NEWS.replace(
                b"https://harbour.example/2024/03/04/council-budget", server.url("/story").encode()
            )
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsingest",
                "ingest",
                str(sitemap),
                "--fetch",
                "--allow-private-addresses",
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    story = next(r for r in records if r["url"] == server.url("/story"))
    assert any("new ferry" in segment for segment in story["body"])


def test_the_command_follows_a_local_index_to_loopback_when_allowed(tmp_path: Path) -> None:
    """--allow-private-addresses reaches the sitemap reader too."""
    with serve({"/plain.xml": Response(body=PLAIN)}) as server:
        index = tmp_path / "sitemap_index.xml"
        index.write_bytes(_index(server.url("/plain.xml")))
        done = subprocess.run(
            [sys.executable, "-m", "newsingest", "ingest", str(index), "--allow-private-addresses"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["url"] for line in done.stdout.splitlines()] == [
        "https://plain.example/",
        "https://plain.example/about",
    ]
