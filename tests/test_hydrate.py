"""Hydration: URL stubs become full articles, fetched from a real server on 127.0.0.1."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from newsingest.exceptions import MissingExtraError, NewsIngestWarning, ParseError
from newsingest.fetch import Fetcher, HostPacer
from newsingest.hydrate import (
    ExtractedPage,
    HydrationError,
    extract_page,
    hydrate,
    same_site,
)
from newsingest.model import Article, Provenance
from newsingest.normalize.urls import canonical_url, url_key
from newsingest.readers.urllist import UrlListReader
from newsingest.testing import LocalHTTPServer, RecordedRequest, Response, redirect, serve

PAGES = Path(__file__).parent / "data" / "pages"
HTML = {"Content-Type": "text/html; charset=utf-8"}

# A one-page PDF, written by hand: enough for anything that sniffs "%PDF".
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def page(name: str) -> Response:
    return Response(body=(PAGES / name).read_bytes(), headers=HTML)


ROUTES: dict[str, Any] = {
    "/news/jsonld": page("jsonld_article.html"),
    "/news/meta": page("meta_only.html"),
    "/amp/library-hours": page("canonical_elsewhere.html"),
    "/articles/2024/library-hours": page("canonical_elsewhere.html"),
    "/syndicated": page("syndicated.html"),
    "/old-path": redirect("/news/meta", status=301),
    "/short/abc": redirect("/old-path", status=302),
    "/empty": page("empty.html"),
    "/report.pdf": Response(body=PDF, headers={"Content-Type": "application/pdf"}),
    "/pdf-as-html": Response(body=PDF, headers=HTML),
    "/server-error": Response(status=503, body=b"busy", headers={"Content-Type": "text/plain"}),
    "/slow": Response(body=(PAGES / "meta_only.html").read_bytes(), headers=HTML, delay=3.0),
    "/huge": Response(body=b"<html><body>" + b"<p>word</p>" * 20_000, headers=HTML),
}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalHTTPServer]:
    with serve(ROUTES) as running:
        yield running
    assert not running.errors


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(
        allow_private=True, read_timeout=1.0, connect_timeout=2.0, trust_env=False
    ) as client:
        yield client


def stub(url: str, line: int = 1) -> Article:
    return Article(
        url=url, source=Provenance(reader="urls", location="list.txt", line=line, item=0)
    )


def run(items: list[Any], fetcher: Fetcher, **options: Any) -> list[Any]:
    options.setdefault("per_host_delay", 0.0)
    return list(hydrate(items, fetcher=fetcher, **options))


# --- offline extraction ---------------------------------------------------------------------


def test_extract_news_article_with_json_ld() -> None:
    """JSON-LD gives the date and authors; the headline is the title, not a body segment."""
    found = extract_page((PAGES / "jsonld_article.html").read_bytes(), url="https://x.example/a")
    assert found.title == "Council approves new flood barriers after record rainfall"
    assert found.published_raw == "2024-03-01T09:30:00+01:00"
    assert found.authors == ("Amira Haddad", "Tomás Ortega")
    assert found.language == "en"
    assert found.declared_canonical == "https://x.example/news/2024/03/01/flood-barriers"
    assert len(found.body) == 4
    assert found.body[0].startswith("The city council voted on Thursday evening")
    assert not any("All rights reserved" in segment for segment in found.body)
    assert not any(segment == "Home" for segment in found.body)


def test_extract_page_with_only_meta_tags() -> None:
    """Without JSON-LD the date comes from article:published_time, the author from <meta>."""
    found = extract_page((PAGES / "meta_only.html").read_text("utf-8"), url="https://x.example/b")
    assert found.published_raw == "2024-02-28T18:05:00Z"
    assert found.authors == ("Jonas Lindqvist",)
    assert found.language == "en-GB"
    assert found.declared_canonical is None
    assert len(found.body) == 3


def test_extract_json_ld_graph_and_relative_canonical() -> None:
    """A JSON-LD @graph is searched, and a relative canonical link resolves against the page."""
    found = extract_page(
        (PAGES / "canonical_elsewhere.html").read_bytes(), url="https://campus.example/amp/x"
    )
    assert found.published_raw == "2024-01-15"
    assert found.authors == ("Priya Raman",)
    assert found.declared_canonical == (
        "https://campus.example/articles/2024/library-hours?utm_source=canonical"
    )


def test_extract_language_from_og_locale_when_html_lang_missing() -> None:
    """og:locale's underscore form becomes a language tag when nothing better is declared."""
    html = (PAGES / "syndicated.html").read_text("utf-8").replace('<html lang="fr">', "<html>")
    assert extract_page(html, url="https://port.example/a").language == "fr-FR"


def test_extract_decodes_declared_charset() -> None:
    """Bytes are decoded with the charset the server declared (here Latin-1)."""
    html = (PAGES / "syndicated.html").read_text("utf-8").replace('<meta charset="utf-8">', "")
    found = extract_page(html.encode("latin-1"), url="https://port.example/a", charset="latin-1")
    assert found.body[0].startswith("Le port autonome a lancé lundi")


def test_extract_broken_json_ld_falls_back_to_meta() -> None:
    """Unparseable JSON-LD is skipped; the meta tag still gives the date."""
    html = (
        (PAGES / "meta_only.html")
        .read_text("utf-8")
        .replace(
            "</head>",
            '<script type="application/ld+json">{"datePublished": </script></head>',
        )
    )
    assert extract_page(html, url="https://x.example/b").published_raw == "2024-02-28T18:05:00Z"


def test_extract_nothing_from_an_empty_document() -> None:
    """Whitespace-only input gives an empty page, not an exception."""
    assert extract_page("  \n ", url="https://x.example/") == ExtractedPage()


def test_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without trafilatura, hydrate() and extract_page() say to install newsingest[extract]."""
    monkeypatch.setitem(sys.modules, "trafilatura", None)
    with pytest.raises(MissingExtraError, match=r"newsingest\[extract\]"):
        hydrate([stub("https://x.example/")])
    with pytest.raises(MissingExtraError, match=r"newsingest\[extract\]"):
        extract_page("<html></html>", url="https://x.example/")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("https://www.example.com/a", "https://example.com/b", True),
        ("https://edition.example.com/a", "https://www.example.com/a", True),
        ("https://example.com/a", "https://example.org/a", False),
        ("https://news.example.com/a", "https://blog.example.com/a", False),
        ("https://badexample.com/a", "https://example.com/a", False),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:9000/b", True),
    ],
)
def test_same_site(first: str, second: str, expected: bool) -> None:
    """Same site means same host or a subdomain of it, ignoring www."""
    assert same_site(first, second) is expected
    assert same_site(second, first) is expected


# --- against the local server ---------------------------------------------------------------


def test_good_pages_become_full_articles(server: LocalHTTPServer, fetcher: Fetcher) -> None:
    """Title, date with precision and raw text, authors, language and text come from the page."""
    listed = server.url("/news/jsonld?utm_source=sheet")
    (article,) = run([stub(listed, line=7)], fetcher)
    assert isinstance(article, Article)
    assert article.url == listed
    assert article.title == "Council approves new flood barriers after record rainfall"
    assert article.published == datetime(2024, 3, 1, 8, 30, tzinfo=timezone.utc)
    assert article.published_precision == "second"
    assert article.published_raw == "2024-03-01T09:30:00+01:00"
    assert article.authors == ("Amira Haddad", "Tomás Ortega")
    assert article.language == "en"
    assert len(article.body) == 4
    expected_canonical = canonical_url(server.url("/news/2024/03/01/flood-barriers"))
    assert article.canonical_url == expected_canonical
    assert article.url_key == url_key(expected_canonical)
    assert article.source == Provenance(reader="urls", location="list.txt", line=7, item=0)
    assert article.extra["final_url"] == listed
    assert article.extra["redirects"] == []


def test_meta_only_page_has_day_or_finer_date(server: LocalHTTPServer, fetcher: Fetcher) -> None:
    """The meta-tag date is parsed; a page without canonical link keys on its own URL."""
    (article,) = run([stub(server.url("/news/meta"))], fetcher)
    assert isinstance(article, Article)
    assert article.published == datetime(2024, 2, 28, 18, 5, tzinfo=timezone.utc)
    assert article.canonical_url == canonical_url(server.url("/news/meta"))
    assert article.url_key == url_key(server.url("/news/meta"))


def test_redirects_are_followed_and_recorded(server: LocalHTTPServer, fetcher: Fetcher) -> None:
    """A shortener-like chain is resolved by fetching; the chain and final URL are kept."""
    listed = server.url("/short/abc")
    (article,) = run([stub(listed)], fetcher)
    assert isinstance(article, Article)
    assert article.url == listed
    assert article.title == "Night trains return to the northern line"
    assert article.extra["final_url"] == server.url("/news/meta")
    assert article.extra["redirects"] == [server.url("/old-path"), server.url("/news/meta")]
    assert article.canonical_url == canonical_url(server.url("/news/meta"))


def test_two_entries_leading_to_one_canonical_page_share_keys(
    server: LocalHTTPServer, fetcher: Fetcher
) -> None:
    """An AMP copy declaring its canonical page gets that page's canonical URL and URL key."""
    amp, original = run(
        [stub(server.url("/amp/library-hours")), stub(server.url("/articles/2024/library-hours"))],
        fetcher,
    )
    assert isinstance(amp, Article)
    assert isinstance(original, Article)
    assert amp.canonical_url == original.canonical_url
    assert amp.url_key == original.url_key is not None
    # The canonical URL keeps what the page declared; the key drops the tracking parameter.
    assert amp.canonical_url == canonical_url(
        server.url("/articles/2024/library-hours?utm_source=canonical")
    )
    assert amp.url_key == url_key(server.url("/articles/2024/library-hours"))
    assert amp.url != original.url
    assert amp.published_precision == "day"
    assert amp.extra["declared_canonical"] == server.url(
        "/articles/2024/library-hours?utm_source=canonical"
    )


def test_canonical_on_another_site_is_not_adopted(
    server: LocalHTTPServer, fetcher: Fetcher
) -> None:
    """A syndicated copy pointing at another site keeps its own canonical URL; the claim is kept."""
    (article,) = run([stub(server.url("/syndicated"))], fetcher)
    assert isinstance(article, Article)
    assert article.canonical_url == canonical_url(server.url("/syndicated"))
    assert article.extra["declared_canonical"] == (
        "https://original.example.org/economie/port-terminal"
    )
    assert article.language == "fr"


@pytest.mark.parametrize(
    ("path", "reason", "status"),
    [
        ("/missing", "http_404", 404),
        ("/server-error", "http_503", 503),
        ("/report.pdf", "not_html", 200),
        ("/pdf-as-html", "not_html", 200),
        ("/empty", "no_text", 200),
        ("/slow", "read_timeout", None),
    ],
)
def test_bad_pages_become_errors_with_reasons(
    server: LocalHTTPServer, fetcher: Fetcher, path: str, reason: str, status: int | None
) -> None:
    """HTTP errors, non-HTML, empty pages and timeouts are records with a reason, not crashes."""
    (error,) = run([stub(server.url(path), line=12)], fetcher)
    assert isinstance(error, HydrationError)
    assert isinstance(error, ParseError)
    assert error.reason == reason
    assert error.status == status
    assert error.url == server.url(path)
    assert (error.source, error.line) == ("list.txt", 12)
    assert str(error).startswith("list.txt:12 item 0: ")
    assert server.url(path) in str(error)


def test_size_limit_with_the_default_fetcher(
    server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a fetcher, hydrate makes one honouring max_bytes: a big page is too_large."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    items = list(
        hydrate(
            [stub(server.url("/huge")), stub(server.url("/news/meta"))],
            max_bytes=50_000,
            timeout=2.0,
            per_host_delay=0.0,
            allow_private=True,
        )
    )
    assert isinstance(items[0], HydrationError)
    assert items[0].reason == "too_large"
    assert isinstance(items[1], Article)


def test_a_url_list_hydrates_in_order_with_errors_in_place(
    server: LocalHTTPServer, fetcher: Fetcher, tmp_path: Path
) -> None:
    """Reader output goes straight in: stubs are hydrated, list errors pass through, in order."""
    wrapped = "https://www.google.com/url?q=" + server.url("/news/jsonld") + "&sa=D"
    listing = tmp_path / "list.txt"
    listing.write_text(
        "\n".join(
            [
                "# from the tracker",
                server.url("/news/jsonld"),
                "not a url",
                server.url("/missing"),
                wrapped,
                server.url("/short/abc"),
                server.url("/report.pdf"),
                server.url("/news/meta"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    before = len(server.requests)
    items = run(list(UrlListReader().read(listing)), fetcher, concurrency=3)
    kinds = [
        (type(item).__name__, item.reason if isinstance(item, ParseError) else item.source.line)
        for item in items
    ]
    assert kinds == [
        ("Article", 2),
        ("ParseError", "whitespace"),
        ("HydrationError", "http_404"),
        ("Article", 5),
        ("Article", 6),
        ("HydrationError", "not_html"),
        ("Article", 8),
    ]
    unwrapped = items[3]
    assert unwrapped.url == server.url("/news/jsonld")
    assert unwrapped.extra["wrapped_url"] == wrapped
    assert unwrapped.url_key == items[0].url_key
    assert {item.source.location for item in items if isinstance(item, Article)} == {str(listing)}
    # Every request went to the local server: the Google wrapper was never fetched.
    pages = [r for r in server.requests[before:] if r.path != "/robots.txt"]
    assert len(pages) == 8  # 6 list URLs + 2 redirect hops
    robots = [r for r in server.requests[before:] if r.path == "/robots.txt"]
    assert len(robots) <= 1  # asked once per site, then cached


def test_articles_without_url_and_warnings_pass_through(fetcher: Fetcher) -> None:
    """Items hydration cannot act on come out unchanged, where they went in."""
    bare = Article(title="No link", source=Provenance(reader="feed", location="f.xml", item=3))
    warning = NewsIngestWarning("odd", source="f.xml", reason="odd")
    assert run([bare, warning], fetcher) == [bare, warning]


def test_unusable_date_is_a_warning_not_a_loss(fetcher: Fetcher) -> None:
    """A page whose stated date cannot be parsed keeps the raw string and warns once."""
    html = (
        (PAGES / "meta_only.html")
        .read_text("utf-8")
        .replace("2024-02-28T18:05:00Z", "sometime last week")
    )
    with serve({"/a": Response(body=html, headers=HTML)}) as local:
        warning, article = run([stub(local.url("/a"), line=4)], fetcher)
    assert isinstance(warning, NewsIngestWarning)
    assert warning.reason == "invalid_date"
    assert warning.line == 4
    assert isinstance(article, Article)
    assert article.published is None
    assert article.published_raw == "sometime last week"


def test_requests_to_one_host_are_spaced_and_never_overlap(fetcher: Fetcher) -> None:
    """With a per-host delay, each request starts at least that long after the last one ended."""
    delay = 0.2
    times: list[tuple[float, float]] = []
    lock = threading.Lock()
    body = (PAGES / "meta_only.html").read_bytes()

    def handler(_request: RecordedRequest) -> Response:
        started = time.monotonic()
        time.sleep(0.05)
        with lock:
            times.append((started, time.monotonic()))
        return Response(body=body, headers=HTML)

    with serve({"/p": handler}) as local:
        items = run(
            [stub(local.url(f"/p?n={n}")) for n in range(4)],
            fetcher,
            concurrency=4,
            per_host_delay=delay,
        )
    assert all(isinstance(item, Article) for item in items)
    times.sort()
    for (_, previous_end), (next_start, _) in itertools.pairwise(times):
        assert next_start - previous_end >= delay


def test_host_pacer_waits_per_host_only() -> None:
    """The pacer sleeps before a second request to one host, never for a new host."""
    slept: list[float] = []
    pacer = HostPacer(5.0, slept.append)
    result: Any = object()
    assert pacer.run("http://a.example/1", lambda: result) is result
    assert pacer.run("http://b.example/1", lambda: result) is result
    assert slept == []
    pacer.run("http://a.example/2", lambda: result)
    assert len(slept) == 1
    assert 4.0 < slept[0] <= 5.0


def test_invalid_options_are_refused() -> None:
    """Concurrency below one and negative delays are errors at the call."""
    with pytest.raises(ValueError, match="concurrency"):
        hydrate([], concurrency=0)
    with pytest.raises(ValueError, match="per_host_delay"):
        hydrate([], per_host_delay=-1)


# --- edge cases of real pages -----------------------------------------------------------------

STORY = (
    "<p>Le conseil municipal a voté jeudi soir la construction de barrières anti-crue "
    "amovibles le long du quai est, après le mois de février le plus pluvieux jamais mesuré.</p>"
)


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        (f'<html><head><meta charset="windows-1252"></head><body>{STORY}</body></html>', None),
        (
            '<html><head><meta http-equiv="Content-Type" content="text/html; '
            f'charset=iso-8859-1"></head><body>{STORY}</body></html>',
            None,
        ),
        (f"<html><body>{STORY}</body></html>", "no-such-charset"),  # unknown: sniffed instead
    ],
)
def test_extract_decodes_legacy_encodings(data: str, charset: str | None) -> None:
    """A page in a legacy encoding is decoded from its meta charset, or sniffed as cp1252."""
    found = extract_page(data.encode("cp1252"), url="https://x.example/", charset=charset)
    assert found.body == (
        "Le conseil municipal a voté jeudi soir la construction de barrières anti-crue "
        "amovibles le long du quai est, après le mois de février le plus pluvieux jamais mesuré.",
    )


def test_extract_utf8_bom_and_xhtml_declaration() -> None:
    """An XHTML page with a BOM and an XML declaration parses (lxml refuses those in str)."""
    data = (
        b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8'?>\n"
        b'<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="nl"><body>'
        + STORY.encode("utf-8")
        + b"</body></html>"
    )
    found = extract_page(data, url="https://x.example/")
    assert found.language == "nl"
    assert found.body[0].startswith("Le conseil municipal a voté")


@pytest.mark.parametrize(
    ("head", "language", "published_raw"),
    [
        (
            '<meta http-equiv="Content-Language" content="de-AT, de">',
            "de-AT",
            None,
        ),
        (
            '<script type="application/ld+json">{"@type": "WebPage", "inLanguage": "es",'
            ' "datePublished": "2023-05-06"}</script>',
            "es",
            "2023-05-06",
        ),
    ],
)
def test_extract_other_declarations(head: str, language: str, published_raw: str | None) -> None:
    """Content-Language and JSON-LD inLanguage declare the language when <html lang> does not."""
    found = extract_page(f"<html><head>{head}</head><body>{STORY}</body></html>", url="https://x/")
    assert found.language == language
    assert found.published_raw == published_raw


def test_extract_time_element_and_json_ld_order() -> None:
    """JSON-LD of the article wins over other JSON-LD; <time itemprop> is the last resort."""
    article_last = (
        '<script type="application/ld+json">[{"@type": "WebPage", "datePublished": "2020-01-01"},'
        ' {"@type": ["NewsArticle"], "datePublished": "2024-06-01T10:00:00Z"}]</script>'
    )
    found = extract_page(
        f"<html><head>{article_last}</head><body>{STORY}</body></html>", url="https://x/"
    )
    assert found.published_raw == "2024-06-01T10:00:00Z"
    timed = f'<html><body><time itemprop="datePublished" datetime="2024-07-08">8 July</time>{STORY}'
    assert extract_page(timed, url="https://x/").published_raw == "2024-07-08"


def test_page_without_content_type_is_sniffed(fetcher: Fetcher) -> None:
    """With no Content-Type, a body that starts like HTML is treated as HTML."""
    body = (PAGES / "meta_only.html").read_bytes()
    with serve({"/a": Response(body=body), "/b": Response(body=b"just some text")}) as local:
        good, bad = run([stub(local.url("/a")), stub(local.url("/b"))], fetcher)
    assert isinstance(good, Article)
    assert isinstance(bad, HydrationError)
    assert bad.reason == "not_html"


def test_unusable_canonical_link_warns_and_keeps_fetched_url(fetcher: Fetcher) -> None:
    """A same-site canonical link that cannot be normalised is reported; the fetched URL is used."""
    html = (
        (PAGES / "meta_only.html")
        .read_text("utf-8")
        .replace("</head>", '<link rel="canonical" href="http://127.0.0.1:99999/x"></head>')
    )
    with serve({"/a": Response(body=html, headers=HTML)}) as local:
        warning, article = run([stub(local.url("/a"))], fetcher)
    assert isinstance(warning, NewsIngestWarning)
    assert warning.reason == "invalid_canonical"
    assert isinstance(article, Article)
    assert article.canonical_url == canonical_url(local.url("/a"))


def test_extractor_crash_is_a_record_not_a_crash(
    server: LocalHTTPServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the extractor raises on a page, that page is an extraction_failed record."""
    import trafilatura

    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(trafilatura, "bare_extraction", explode)
    (error,) = run([stub(server.url("/news/meta"))], fetcher)
    assert isinstance(error, HydrationError)
    assert error.reason == "extraction_failed"
    assert isinstance(error.__cause__, RuntimeError)


def test_robots_txt_is_honoured_once_per_site_and_can_be_ignored() -> None:
    """A disallowed page is not fetched (robots_disallowed, in place); robots.txt is asked
    once for many pages; a site with no robots.txt (404) allows everything."""
    story = page("jsonld_article.html")
    # newsingest's own group applies, not the one for everyone else.
    robots = (
        "User-agent: newsingest\nDisallow: /private/\nDisallow: /nobots/\n\n"
        "User-agent: *\nDisallow: /\n"
    )
    routes = {
        "/robots.txt": Response(body=robots),
        "/news/a": story,
        "/news/b": story,
        "/private/c": story,
        "/nobots/d": story,
    }
    with serve(routes) as server, Fetcher(allow_private=True) as fetcher:
        articles = [
            stub(server.url(path), line)
            for line, path in enumerate(("/news/a", "/private/c", "/news/b", "/nobots/d"), 1)
        ]
        items = list(hydrate(articles, fetcher=fetcher, per_host_delay=0.0))
        fetched = [r.path for r in server.requests]
        ignored = list(hydrate(articles[1:2], fetcher=fetcher, per_host_delay=0.0, robots=False))
    kinds = [(type(i).__name__, getattr(i, "reason", None)) for i in items]
    assert kinds == [
        ("Article", None),
        ("HydrationError", "robots_disallowed"),
        ("Article", None),
        ("HydrationError", "robots_disallowed"),
    ]
    assert fetched.count("/robots.txt") == 1
    assert "/private/c" not in fetched and "/nobots/d" not in fetched
    assert [type(i).__name__ for i in ignored] == ["Article"]


def test_an_unreachable_robots_txt_disallows_the_site_for_now() -> None:
    """RFC 9309: robots.txt answering 5xx means the whole site is off limits."""
    from newsingest.robots import RobotsRules

    with serve({"/robots.txt": Response(status=503), "/x": b"x"}) as server:
        with Fetcher(allow_private=True) as fetcher:
            rules = RobotsRules(fetcher)
            assert rules.allowed(server.url("/x")) is False
            assert rules.allowed(server.url("/y")) is False
        assert len(server.requests_for("/robots.txt")) == 1
    with (
        serve({"/robots.txt": Response(status=404)}) as server,
        Fetcher(allow_private=True) as fetcher,
    ):
        assert RobotsRules(fetcher).allowed(server.url("/anything")) is True
