"""Hydration over the wire (127.0.0.1): page dates against feed dates, access walls,
payloads that are no page, and text one host repeats (issue #19 items 3 and 6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from newsingest.cli import _fetch_options, build_parser
from newsingest.exceptions import HydrationError, NewsIngestWarning
from newsingest.extract import RepeatedText, extract_page, sniff_payload
from newsingest.fetch import Fetcher
from newsingest.hydrate import hydrate
from newsingest.model import Article, Provenance
from newsingest.normalize.dates import parse_date
from newsingest.testing import Response, serve

pytest.importorskip("trafilatura")

HTML = {"Content-Type": "text/html; charset=utf-8"}
STORY = (
    "The council voted on Thursday to build removable flood barriers along the east quay, "
    "after the wettest February on record in the town. Shop owners on the quay said the "
    "water had reached their doors three times this winter. Work on the barriers starts in "
    "May and should be finished before the autumn storms, the mayor said."
)


def article_page(head: str = "", text: str = STORY, scripts: str = "") -> Response:
    html = (
        f"<!DOCTYPE html><html lang='en'><head><title>Flood barriers</title>{head}{scripts}"
        f"</head><body><article><h1>Flood barriers</h1><p>{text}</p><p>{text}</p></article>"
        "</body></html>"
    )
    return Response(body=html.encode(), headers=HTML)


def feed_item(url: str, published_raw: str | None = None) -> Article:
    """A feed item with a title, a summary and (optionally) the feed's date."""
    fields: dict[str, Any] = {}
    if published_raw is not None:
        parsed = parse_date(published_raw)
        fields = {
            "published": parsed.instant,
            "published_precision": parsed.precision,
            "published_raw": published_raw,
        }
    return Article(
        url=url,
        title="The feed's headline",
        summary="The feed's summary.",
        source=Provenance(reader="feed", location="http://feed.example/rss", item=0),
        **fields,
    )


def bare(url: str) -> Article:
    return Article(url=url, source=Provenance(reader="urls", location="list.txt", line=1))


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(allow_private=True, read_timeout=5.0, trust_env=False) as client:
        yield client


def fetch_one(
    fetcher: Fetcher, route: Response, listed: Any = bare, **options: Any
) -> list[Article | HydrationError | NewsIngestWarning]:
    with serve({"/p": route}) as server:
        items = [listed(server.url("/p"))]
        return list(hydrate(items, fetcher=fetcher, per_host_delay=0.0, robots=False, **options))  # type: ignore[arg-type]


def only_article(out: list[Any]) -> Article:
    articles = [x for x in out if isinstance(x, Article)]
    assert len(articles) == 1, out
    return articles[0]


# --- dates --------------------------------------------------------------------------------


def test_a_zoneless_page_time_says_where_it_came_from_and_that_its_zone_was_assumed(
    fetcher: Fetcher,
) -> None:
    """Over the wire: the page's zoneless time is read as UTC, and the article says so
    (extra["date"] source, zone_assumed, local_day), raw and parsed from the one source."""
    head = '<meta property="article:published_time" content="2024-03-05T23:30:00">'
    found = only_article(fetch_one(fetcher, article_page(head)))
    assert found.published == datetime(2024, 3, 5, 23, 30, tzinfo=timezone.utc)
    assert (found.published_raw, found.published_precision) == ("2024-03-05T23:30:00", "second")
    assert dict(found.extra["date"]) == {
        "source": "meta",
        "raw": "2024-03-05T23:30:00",
        "zone_assumed": "UTC",
        "local_day": "2024-03-05",
    }


def test_a_feed_time_with_a_zone_wins_over_the_same_page_time_without_one(
    fetcher: Fetcher,
) -> None:
    """Same day, same precision: a stated zone beats an assumed one; the page's is recorded."""
    head = '<meta property="article:published_time" content="2024-03-05T10:30:00">'
    listed = "Tue, 05 Mar 2024 10:30:00 +0100"
    found = only_article(fetch_one(fetcher, article_page(head), lambda url: feed_item(url, listed)))
    assert (found.published_raw, found.published) == (listed, parse_date(listed).instant)
    assert found.extra["date"]["source"] == "listed"
    assert [dict(x) for x in found.extra["date"]["rejected"]] == [
        {"source": "meta", "raw": "2024-03-05T10:30:00"}
    ]


def test_a_page_time_refines_the_feeds_day(fetcher: Fetcher) -> None:
    """Same day: the page's finer precision wins, and the feed's day is recorded as passed over."""
    head = '<meta property="article:published_time" content="2024-03-05T10:30:00+01:00">'
    found = only_article(
        fetch_one(fetcher, article_page(head), lambda url: feed_item(url, "2024-03-05"))
    )
    assert (found.published_raw, found.published_precision) == (
        "2024-03-05T10:30:00+01:00",
        "second",
    )
    assert found.extra["date"]["source"] == "meta"
    assert [dict(x) for x in found.extra["date"]["rejected"]] == [
        {"source": "listed", "raw": "2024-03-05"}
    ]


def test_the_pages_stated_date_wins_over_a_feed_date_on_another_day(fetcher: Fetcher) -> None:
    """Different days: the article's own JSON-LD datePublished wins over the feed's date
    (a feed often dates an update); raw and parsed come from the page."""
    jsonld = json.dumps({"@type": "NewsArticle", "datePublished": "2024-01-10T08:00:00+01:00"})
    head = f'<script type="application/ld+json">{jsonld}</script>'
    listed = "Fri, 12 Jan 2024 09:00:00 GMT"
    found = only_article(fetch_one(fetcher, article_page(head), lambda url: feed_item(url, listed)))
    assert found.published == datetime(2024, 1, 10, 7, 0, tzinfo=timezone.utc)
    assert found.published_raw == "2024-01-10T08:00:00+01:00"
    assert found.extra["date"]["source"] == "jsonld"


def test_htmldates_guess_on_another_day_loses_to_the_feeds_date(fetcher: Fetcher) -> None:
    """A day htmldate found in the URL or text does not overrule the date the feed stated."""
    listed = "Fri, 12 Jan 2024 09:00:00 GMT"
    with serve({"/2023/11/02/flood": article_page()}) as server:
        items = [feed_item(server.url("/2023/11/02/flood"), listed)]
        out = list(hydrate(items, fetcher=fetcher, per_host_delay=0.0, robots=False))
    found = only_article(out)
    assert (found.published_raw, found.extra["date"]["source"]) == (listed, "listed")
    assert [dict(x) for x in found.extra["date"]["rejected"]] == [
        {"source": "htmldate", "raw": "2023-11-02"}
    ]


def test_a_page_without_a_date_keeps_the_feeds(fetcher: Fetcher) -> None:
    """No date on the page: the feed's date, raw and parsed, stays."""
    listed = "Fri, 12 Jan 2024 09:00:00 GMT"
    found = only_article(
        fetch_one(
            fetcher, article_page(), lambda url: feed_item(url, listed), extensive_dates=False
        )
    )
    assert (found.published_raw, found.published) == (listed, parse_date(listed).instant)
    assert found.extra["date"]["source"] == "listed"


def test_an_unusable_page_date_with_no_feed_date_is_kept_raw(fetcher: Fetcher) -> None:
    """Neither side has a usable date: the page's string is kept as stated, with a warning."""
    head = '<meta property="article:published_time" content="sometime last week">'
    out = fetch_one(fetcher, article_page(head), extensive_dates=False)
    found = only_article(out)
    assert (found.published, found.published_raw) == (None, "sometime last week")
    assert [x.reason for x in out if isinstance(x, NewsIngestWarning)] == ["invalid_date"]


def test_cli_fast_dates_turns_off_the_extensive_search() -> None:
    """--fast-dates becomes hydrate(extensive_dates=False); without it hydrate's default."""
    parser = build_parser()
    assert "extensive_dates" not in _fetch_options(parser.parse_args(["ingest", "x", "--fetch"]))
    fast = parser.parse_args(["ingest", "x", "--fetch", "--fast-dates"])
    assert _fetch_options(fast)["extensive_dates"] is False


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "wall"), [(401, "login"), (402, "paywall"), (451, "legal")])
def test_an_access_status_marks_the_kept_item(fetcher: Fetcher, status: int, wall: str) -> None:
    """401/402/451: the feed item is kept with extra["access"] naming the wall and status."""
    out = fetch_one(fetcher, Response(status=status, body=b"no"), feed_item)
    kept = only_article(out)
    assert kept.body == () and kept.summary == "The feed's summary."
    assert dict(kept.extra["access"]) == {
        "wall": wall,
        "reason": f"http_{status}",
        "http_status": status,
    }


CONSENT_TEXT = (
    "We and our partners use cookies to store and access personal data on your device. "
    "Click accept to agree, or reject to refuse consent to personalised advertising. "
    "You can change your privacy choices at any time."
)


def test_a_consent_wall_never_becomes_the_body(fetcher: Fetcher) -> None:
    """A page that loads a consent platform and whose text is its notice is refused;
    the feed item is kept and marked; a bare URL is a consent_wall error."""
    scripts = '<script src="https://cdn.cookielaw.org/scripttemplates/otSDKStub.js"></script>'
    wall = article_page(text=CONSENT_TEXT, scripts=scripts)
    kept = only_article(fetch_one(fetcher, wall, feed_item))
    assert kept.body == ()
    assert kept.extra["hydration"]["reason"] == "consent_wall"
    assert kept.extra["access"]["wall"] == "consent"
    (error,) = [x for x in fetch_one(fetcher, wall) if isinstance(x, HydrationError)]
    assert error.reason == "consent_wall"


def test_an_article_that_loads_a_consent_platform_keeps_its_text(fetcher: Fetcher) -> None:
    """The platform is recorded in extra["access"]; a real story is still the body."""
    scripts = '<script src="https://cdn.cookielaw.org/scripttemplates/otSDKStub.js"></script>'
    found = only_article(fetch_one(fetcher, article_page(scripts=scripts)))
    assert found.body and "flood barriers" in found.body[0]
    assert list(found.extra["access"]["consent_platforms"]) == ["onetrust"]
    assert "wall" not in found.extra["access"]


def test_a_login_page_is_a_login_wall() -> None:
    """A short sign-in notice with a password form is refused as a login wall."""
    html = (
        "<html><body><main><h1>Sign in</h1><p>Sign in to your account to continue reading. "
        "Register for free or log in with your password to read this story.</p>"
        "<form><input name='user'><input type='password' name='pw'></form></main></body></html>"
    )
    found = extract_page(html, url="https://x.example/a")
    assert (found.refused, found.body) == ("login_wall", ())
    assert found.access is not None and found.access["login_form"] is True


def test_a_paywalled_story_keeps_its_free_part_and_is_marked(fetcher: Fetcher) -> None:
    """JSON-LD isAccessibleForFree false: the free text is the body, marked as paywalled."""
    jsonld = json.dumps({"@type": "NewsArticle", "isAccessibleForFree": "False"})
    head = f'<script type="application/ld+json">{jsonld}</script>'
    found = only_article(fetch_one(fetcher, article_page(head)))
    assert found.body
    assert dict(found.extra["access"]) == {"paywall": True, "paywall_source": "jsonld"}


# --- payloads that are no page ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (json.dumps({"title": "x", "items": [1, 2, 3]}).encode(), "a JSON document"),
        (b"%PDF-1.7\n%binary", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n....", "a PNG image"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "a feed (XML)"),
    ],
    ids=["json", "pdf", "png", "feed"],
)
def test_a_payload_served_as_html_that_is_none_is_refused(
    fetcher: Fetcher, body: bytes, kind: str
) -> None:
    """JSON, PDF, images and feeds behind text/html are not_html, saying what they are."""
    (error,) = fetch_one(fetcher, Response(body=body, headers=HTML))
    assert isinstance(error, HydrationError) and error.reason == "not_html"
    assert kind in error.message


def test_sniff_payload_reads_bytes_then_the_media_type() -> None:
    """Bytes first, then the declared type; without one the payload must start like HTML."""
    assert sniff_payload(b"GIF89a...", "text/html") == "a GIF image"
    assert sniff_payload(b"\xef\xbb\xbf<html>", None) is None
    assert sniff_payload(b"<html>", "application/xhtml+xml") is None
    assert sniff_payload(b"{}", "application/json") == "a payload of type application/json"
    assert sniff_payload(b"hello", None) == "a payload of unknown type"


# --- text one host repeats ----------------------------------------------------------------

NOTICE = (
    "Subscribe to keep reading. Subscribers get unlimited access to every story; "
    "sign in if you already have a subscription, or register to read three free stories."
)


def test_the_notice_a_host_repeats_on_many_pages_is_refused(fetcher: Fetcher) -> None:
    """The same short notice on three URLs of one host (no known marker): the third and
    later are repeated_text; the first ones fail as too short or pass; a story is kept."""
    routes: dict[str, Any] = {f"/n{i}": article_page(text=NOTICE) for i in range(4)}
    routes["/story"] = article_page()
    with serve(routes) as server:
        items = [feed_item(server.url(f"/n{i}")) for i in range(4)]
        items.append(feed_item(server.url("/story")))
        out = list(hydrate(items, fetcher=fetcher, per_host_delay=0.0, robots=False))
    kept = [x for x in out if isinstance(x, Article)]
    reasons = [x.extra.get("hydration", {}).get("reason") for x in kept]
    assert reasons[2:] == ["repeated_text", "repeated_text", None]
    assert kept[2].extra["access"]["wall"] == "repeated"
    assert kept[4].body


def test_repeated_text_counts_distinct_urls_per_host_and_forgets_old_hosts() -> None:
    """One URL fetched again is not a repeat; another host's copy counts for that host."""
    repeated = RepeatedText(threshold=2, max_hosts=1)
    body = (NOTICE,)
    assert not repeated.check("https://a.example/1", body)
    assert not repeated.check("https://a.example/1", body)
    assert not repeated.check("https://b.example/1", body)  # a.example is forgotten
    assert not repeated.check("https://a.example/2", body)
    assert repeated.check("https://a.example/3", body)
    assert not repeated.check("https://a.example/4", (STORY * 3,))  # not a notice
    with pytest.raises(ValueError, match="threshold"):
        RepeatedText(threshold=1)
