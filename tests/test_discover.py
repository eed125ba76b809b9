"""newsingest discover: feeds found from pages on a loopback site, within a request budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsingest.discover import COMMON_PATHS, discover
from newsingest.readers.feed import read_feed_subscriptions
from newsingest.readers.opml import Subscription
from newsingest.testing import Response, serve
from tests.command import newsingest as _newsingest

RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title></channel></rss>'
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _page(head: str) -> Response:
    return Response(
        body=f"<!doctype html><html><head><title>Harbour News</title>{head}</head>"
        "<body><p>Hello</p></body></html>",
        headers=HTML,
    )


def test_declared_links_are_found_with_titles_and_base() -> None:
    """RSS, Atom and JSON Feed links; relative hrefs against <base>; two requests only."""
    head = (
        '<base href="/news/">'
        '<link rel="alternate" type="application/rss+xml" title="All stories" href="rss.xml">'
        '<link rel="alternate" type="application/atom+xml" href="https://cdn.example/atom">'
        '<link rel="alternate feed" type="application/feed+json" href="feed.json">'
        '<link rel="stylesheet" type="text/css" href="style.css">'
        '<link rel="alternate" hreflang="fr" href="/fr/">'
    )
    with serve({"/": _page(head)}) as server:
        (found,) = discover([server.url("/")], allow_private=True)
    assert found.feeds == (
        Subscription(server.url("/news/rss.xml"), "All stories", server.url("/")),
        Subscription("https://cdn.example/atom", "Harbour News", server.url("/")),
        Subscription(server.url("/news/feed.json"), "Harbour News", server.url("/")),
    )
    assert found.requests == 2  # the page and robots.txt; declared feeds are not probed
    assert found.problems == ()


def test_link_headers_and_robots_sitemaps_are_found() -> None:
    page = Response(
        body="<html><head><title>T</title></head></html>",
        headers={
            **HTML,
            "Link": '</feed.atom>; rel="alternate"; type="application/atom+xml", '
            "</style.css>; rel=preload",
        },
    )
    robots = "User-agent: *\nDisallow: /private\nSitemap: https://site.example/news.xml\n"
    with serve({"/": page, "/robots.txt": Response(body=robots)}) as server:
        (found,) = discover([server.url("/")], allow_private=True)
    assert [feed.url for feed in found.feeds] == [server.url("/feed.atom")]
    assert found.sitemaps == ("https://site.example/news.xml",)


def test_the_usual_places_are_probed_when_nothing_is_declared() -> None:
    """Probes stop at the first that holds a feed; an HTML answer there is not a feed."""
    routes = {
        "/": _page(""),
        "/rss": Response(body="<html><body>not a feed</body></html>", headers=HTML),
        "/rss.xml": Response(body=RSS),
        "/feed.xml": Response(body=RSS),
    }
    with serve(routes) as server:
        (found,) = discover([server.url("/")], allow_private=True)
        probed = [path for path in COMMON_PATHS if server.requests_for(path)]
    assert [feed.url for feed in found.feeds] == [server.url("/rss.xml")]
    assert probed == ["/feed", "/rss", "/rss.xml"]
    assert found.requests == 2 + 3
    assert found.problems == ()  # 404s of probes are expected, not problems


def test_the_request_budget_holds() -> None:
    with serve({"/": _page("")}) as server:
        (found,) = discover([server.url("/")], allow_private=True, max_requests=4)
        sent = len(server.requests)
    assert found.feeds == ()
    assert found.requests == sent == 4


def test_a_page_that_is_a_feed_is_its_own_feed() -> None:
    with serve({"/feed": Response(body=RSS)}) as server:
        (found,) = discover([server.url("/feed")], allow_private=True)
    assert [feed.url for feed in found.feeds] == [server.url("/feed")]


def test_private_addresses_are_refused_by_default() -> None:
    with serve({"/": _page("")}) as server:
        (found,) = discover([server.url("/")])
        assert server.requests == []
    assert found.feeds == () and found.requests == 1
    assert "refused to connect" in found.problems[0], found.problems


def test_a_page_that_is_not_a_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="absolute http"):
        discover(["example.com"])


def test_the_command_prints_a_feeds_file_or_opml(tmp_path: Path) -> None:
    head = '<link rel="alternate" type="application/rss+xml" title="Main" href="/rss.xml">'
    robots = "Sitemap: https://site.example/sitemap.xml\n"
    with serve({"/": _page(head), "/robots.txt": Response(body=robots)}) as server:
        plain = _newsingest("discover", server.url("/"), "--allow-private-addresses")
        opml = _newsingest("discover", server.url("/"), "--opml", "--allow-private-addresses")
        empty = _newsingest("discover", server.url("/nothing"), "--allow-private-addresses")
    assert plain.returncode == 0, plain.stderr
    assert (
        plain.stdout == f"{server.url('/rss.xml')}\n# sitemap: https://site.example/sitemap.xml\n"
    )
    listed = tmp_path / "feeds.txt"
    listed.write_text(plain.stdout, encoding="utf-8")
    assert [sub.url for sub in read_feed_subscriptions(listed)] == [server.url("/rss.xml")]
    exported = tmp_path / "feeds.opml"
    exported.write_text(opml.stdout, encoding="utf-8")
    assert read_feed_subscriptions(exported) == [
        Subscription(server.url("/rss.xml"), "Main", server.url("/"))
    ]
    assert "1 feed, 1 sitemap (2 requests)" in plain.stderr
    assert empty.returncode == 1
    assert "0 feeds, 0 sitemaps" in empty.stderr and "404" in empty.stderr
