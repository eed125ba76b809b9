"""Hydration while monitoring (--fetch): only new pages are fetched, a feed item is never
dropped for its page, hosts run concurrently, 429/503 are asked again once. Every test
runs against real HTTP servers on loopback addresses; the server's log is the evidence."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from newsingest import ingest
from newsingest.cli import _fetch_options, build_parser
from newsingest.exceptions import FetchError, HydrationError, NewsIngestWarning
from newsingest.fetch import DEFAULT_RETRY_WAIT, Fetcher, retry_wait
from newsingest.hydrate import PAGE_KEY_VERSION, SeenPages, hydrate, listed_url_key
from newsingest.model import Article, Provenance
from newsingest.state import MemoryStore, SQLiteStore
from newsingest.testing import LocalHTTPServer, RecordedRequest, Response, redirect, serve
from tests.command import newsingest

HTML = {"Content-Type": "text/html; charset=utf-8"}
ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "<p>{lead}</p><p>The second paragraph of {title} carries enough words to be read "
    "as the body of an article by the extractor.</p></article></body></html>"
)


def page(name: str) -> Response:
    lead = f"This is the story about {name}, told at some length. " * 4
    return Response(body=ARTICLE.format(title=f"Story {name}", lead=lead), headers=HTML)


def rss(base: str, names: list[str], link: str = "/pages/{}") -> bytes:
    items = "".join(
        f"<item><title>Story {name}</title><link>{base}{link.format(name)}</link>"
        f"<guid>{name}</guid><description>What the feed says of story {name}.</description>"
        "</item>"
        for name in names
    )
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def item(url: str, index: int = 0, title: str = "A headline the feed gave") -> Article:
    """A feed item: a title and a summary of its own."""
    return Article(
        url=url,
        title=title,
        summary="What the feed says of it.",
        source=Provenance(reader="feed", location="http://feed.example/rss", item=index),
    )


def bare(url: str, line: int = 1) -> Article:
    """A URL list line: nothing but the URL."""
    return Article(url=url, source=Provenance(reader="urls", location="list.txt", line=line))


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(allow_private=True, read_timeout=5.0, trust_env=False) as client:
        yield client


def _pages(server: LocalHTTPServer, since: int = 0) -> list[str]:
    return [r.path for r in server.requests[since:] if r.path.startswith(("/pages/", "/r/"))]


# --- only new items are fetched ---------------------------------------------------------------


def test_a_feed_polled_twice_fetches_only_the_new_items_page(tmp_path: Path) -> None:
    """`ingest --fetch --state`: poll 2 of a 2->3-item feed asks for one page, the new
    item's (server log); the two seen items are still reported, as duplicates."""
    shown = {"names": ["a", "b"]}
    state = tmp_path / "state.db"

    def feed(_request: RecordedRequest) -> Response:
        return Response(body=rss(base, shown["names"]), headers={"Content-Type": "text/xml"})

    routes: dict[str, Any] = {"/feed.xml": feed, **{f"/pages/{n}": page(n) for n in "abc"}}
    with serve(routes) as server:
        base = server.url("/").rstrip("/")
        runs = []
        for poll, names in enumerate((["a", "b"], ["a", "b", "c"]), start=1):
            shown["names"] = names
            before = len(server.requests)
            done = newsingest(
                "ingest", server.url("/feed.xml"), "--fetch", "--state", str(state),
                "--allow-private-addresses", "--per-host-delay", "0",
                "-o", str(tmp_path / f"{poll}.jsonl"), "--force",
                "--duplicates", str(tmp_path / f"dups{poll}.jsonl"),
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            runs.append((_pages(server, before), done.stderr))
    assert runs[0][0] == ["/pages/a", "/pages/b"]
    assert runs[1][0] == ["/pages/c"]  # the new item of poll 2, and nothing else
    assert "3 read, 1 emitted, 2 duplicates" in runs[1][1]
    emitted = [json.loads(line) for line in (tmp_path / "2.jsonl").read_text().splitlines()]
    assert [article["title"] for article in emitted] == ["Story c"]
    assert "told at some length" in emitted[0]["body"][0]  # hydrated from its page
    dups = [json.loads(line) for line in (tmp_path / "dups2.jsonl").read_text().splitlines()]
    assert [(d["title"], d["key_type"]) for d in dups] == [("Story a", "url"), ("Story b", "url")]
    assert all(d["kept_source"].endswith(f"item {n}") for n, d in enumerate(dups))


def test_a_redirected_page_is_not_fetched_again_in_the_next_run(tmp_path: Path) -> None:
    """A listed URL that redirects (kept under its final URL's key) is known by the
    `page` entry of the state: run 2 fetches nothing and reports a duplicate."""
    routes: dict[str, Any] = {"/r/a": redirect("/pages/a"), "/pages/a": page("a")}
    state = tmp_path / "state.db"
    with serve(routes) as server:
        counts = []
        for _ in range(2):
            before = len(server.requests)
            with _loopback() as client:
                run = ingest(
                    [_feed_file(tmp_path, server.url("/r/a"))],
                    state=state,
                    fetch={"fetcher": client, "per_host_delay": 0.0},
                    on_error="skip",
                )
                kept = list(run)
            counts.append((len(_pages(server, before)), len(kept), dict(run.report.duplicates)))
    assert counts == [(2, 1, {}), (0, 0, {"url": 1})]  # the redirect and its page, then nothing
    with SQLiteStore(state) as store:
        first = listed_url_key(bare("http://" + server.url("/r/a").split("://")[1]))
        assert first is not None
        assert store.lookup([f"{PAGE_KEY_VERSION}:{first}"])  # the recorded page entry


def _feed_file(folder: Path, url: str) -> Path:
    """A saved feed listing ``url`` once."""
    path = folder / "saved.xml"
    body = (
        '<rss version="2.0"><channel><title>T</title><item><title>Story a</title>'
        f"<link>{url}</link><description>The feed's words.</description></item>"
        "</channel></rss>"
    )
    path.write_text(body, encoding="utf-8")
    return path


def _loopback() -> Fetcher:
    return Fetcher(allow_private=True, read_timeout=5.0, trust_env=False)


def test_one_page_listed_twice_in_one_run_is_fetched_once() -> None:
    """Two feeds of one run list the same story (one through a redirect): its page is
    fetched once; the second item is reported as a duplicate of the first."""
    routes: dict[str, Any] = {"/pages/a": page("a"), "/r/a": redirect("/pages/a")}
    with serve(routes) as server, _loopback() as client:
        base = server.url("/").rstrip("/")
        first, second = rss(base, ["a"]), rss(base, ["a"], link="/r/{}")
        duplicates: list[Any] = []
        run = ingest(
            [first, second, first],
            fetch={"fetcher": client, "per_host_delay": 0.0},
            on_duplicate=duplicates.append,
        )
        kept = list(run)
        log = Counter(_pages(server))
    # The redirecting URL is another identity until fetched: it leads to the page
    # again, found to be the same by its final URL; the third copy is not fetched.
    assert log == {"/pages/a": 2, "/r/a": 1}
    assert len(kept) == 1
    assert [d.key_type for d in duplicates] == ["url", "url"]
    assert dict(run.report.duplicates) == {"url": 2}


def test_seen_pages_remembers_this_runs_outcomes_and_the_stores(fetcher: Fetcher) -> None:
    """hydrate(seen=...): a page fetched earlier is not fetched again; its item comes
    back without a body, marked skipped, under the key its page was kept with; a page
    that failed gives the later item the same error without a request."""
    routes: dict[str, Any] = {
        "/pages/a": page("a"),
        "/r/a": redirect("/pages/a"),
        "/pages/gone": Response(status=404),
    }
    store = MemoryStore()
    seen = SeenPages(store)
    with serve(routes) as server:
        a, r, gone = (server.url(p) for p in ("/pages/a", "/r/a", "/pages/gone"))
        items = [bare(a, 1), bare(r, 2), bare(gone, 3), bare(a, 4), bare(r, 5), bare(gone, 6)]
        out = list(hydrate(items, fetcher=fetcher, per_host_delay=0.0, seen=seen))
        log = Counter(_pages(server))
    assert log == {"/pages/a": 2, "/r/a": 1, "/pages/gone": 1}
    kinds = [type(x).__name__ for x in out]
    assert kinds == ["Article", "Article", "HydrationError"] * 2
    hydrated, redirected, _, again, again_redirected, gone_again = out
    assert isinstance(hydrated, Article) and hydrated.body
    assert isinstance(again, Article) and again.body == ()
    assert again.extra["hydration"] == {"status": "skipped", "reason": "seen"}
    assert isinstance(again_redirected, Article) and isinstance(redirected, Article)
    assert again_redirected.url_key == redirected.url_key  # the final page's key
    assert isinstance(gone_again, HydrationError) and gone_again.reason == "http_404"
    assert "not fetched again" in gone_again.message and gone_again.line == 6
    # Across runs only the store counts; an alias whose page was never kept is no use.
    later = SeenPages(store)
    key = listed_url_key(bare(r))
    assert key is not None and later.known(key) is None  # the final page's key was never kept
    final_key = redirected.url_key
    assert final_key is not None
    store.add([store_entry(final_key)])
    assert later.known(key) == final_key
    assert SeenPages().known(key) is None


def store_entry(key: str) -> Any:
    from newsingest.state import SeenEntry

    return SeenEntry(key, "url", key, "somewhere", 0)


def test_listed_url_key_follows_the_normaliser() -> None:
    """An item's identity is its url_key, else its canonical URL's key, else its URL's."""
    plain = bare("https://news.example/a?utm_source=rss")
    assert listed_url_key(plain) == listed_url_key(bare("https://news.example/a"))
    assert listed_url_key(plain.evolve(url_key="u1:given")) == "u1:given"
    declared = plain.evolve(canonical_url="https://news.example/original")
    assert listed_url_key(declared) == listed_url_key(bare("https://news.example/original"))
    assert listed_url_key(bare("https://bad host/")) is None


def test_without_url_keys_in_the_dedup_every_page_is_fetched() -> None:
    """With --keys content the dedup could not tell a passed-over item: no page is skipped."""
    routes: dict[str, Any] = {"/pages/a": page("a")}
    with serve(routes) as server, _loopback() as client:
        feed = rss(server.url("/").rstrip("/"), ["a"])
        run = ingest(
            [feed, feed], keys=["content"], fetch={"fetcher": client, "per_host_delay": 0.0}
        )
        assert len(list(run)) == 1
        assert dict(run.report.duplicates) == {"content": 1}
        assert _pages(server) == ["/pages/a", "/pages/a"]


# --- never drop a feed item -------------------------------------------------------------------


def test_a_403_page_yields_the_feed_item_with_the_reason(fetcher: Fetcher) -> None:
    """The feed item comes back as the feed gave it, with extra["hydration"] and a
    page_failed warning before it; a bare listed URL stays an error; "drop" errors."""
    routes: dict[str, Any] = {"/pages/closed": Response(status=403, body=b"no")}
    with serve(routes) as server:
        url = server.url("/pages/closed")
        out = list(hydrate([item(url), bare(url, 2)], fetcher=fetcher, per_host_delay=0.0))
        dropped = list(
            hydrate([item(url)], fetcher=fetcher, per_host_delay=0.0, on_page_error="drop")
        )
    warning, kept, error = out
    assert isinstance(warning, NewsIngestWarning) and warning.reason == "page_failed"
    assert "http_403" in str(warning)
    assert isinstance(kept, Article)
    assert (kept.title, kept.summary, kept.body) == (
        "A headline the feed gave",
        "What the feed says of it.",
        (),
    )
    assert kept.extra["hydration"] == {
        "status": "failed",
        "reason": "http_403",
        "message": f"{url}: HTTP 403 Forbidden",
        "http_status": 403,
    }
    assert isinstance(error, HydrationError) and (error.reason, error.line) == ("http_403", 2)
    assert [type(x) for x in dropped] == [HydrationError]


def test_a_page_that_is_no_article_keeps_the_feed_item_too(fetcher: Fetcher) -> None:
    """Failures found after the fetch (not HTML, no text) keep the feed item as well."""
    routes: dict[str, Any] = {
        "/pages/pdf": Response(body=b"%PDF-1.4 ...", headers={"Content-Type": "application/pdf"}),
        "/pages/empty": Response(body=b"<html><body><p>Hi</p></body></html>", headers=HTML),
    }
    with serve(routes) as server:
        items = [item(server.url("/pages/pdf")), item(server.url("/pages/empty"), 1)]
        out = list(hydrate(items, fetcher=fetcher, per_host_delay=0.0))
    kept = [x for x in out if isinstance(x, Article)]
    assert [x.extra["hydration"]["reason"] for x in kept] == ["not_html", "no_text"]
    assert "http_status" in kept[0].extra["hydration"]


def test_a_kept_feed_item_counts_as_seen_for_later_copies(fetcher: Fetcher) -> None:
    """The page of a kept feed item failed once in this run: a later item of that page is
    passed over (the kept item stands for it), a later bare URL too."""
    routes: dict[str, Any] = {"/pages/closed": Response(status=403)}
    with serve(routes) as server:
        url = server.url("/pages/closed")
        seen = SeenPages()
        out = list(
            hydrate(
                [item(url), item(url, 1), bare(url, 3)],
                fetcher=fetcher,
                per_host_delay=0.0,
                seen=seen,
            )
        )
        assert _pages(server) == ["/pages/closed"]
    articles = [x for x in out if isinstance(x, Article)]
    assert [x.extra["hydration"]["status"] for x in articles] == ["failed", "skipped", "skipped"]


# --- scheduling -------------------------------------------------------------------------------


def _rendezvous(hosts: int) -> tuple[Any, dict[str, Any]]:
    """A handler whose first request of each host waits (5 s at most) until the first
    request of every host has arrived: it passes only when they are in flight at once."""
    barrier = threading.Barrier(hosts, timeout=5)
    lock = threading.Lock()
    seen: dict[str, Any] = {"first": set(), "met": 0, "broken": 0, "active": Counter()}
    seen["peak"] = Counter()

    def handle(request: RecordedRequest) -> Response:
        host = (request.header("Host") or "").split(":")[0]
        with lock:
            first = host not in seen["first"]
            seen["first"].add(host)
            seen["active"][host] += 1
            seen["peak"][host] = max(seen["peak"][host], seen["active"][host])
        try:
            if first:
                try:
                    barrier.wait()
                    with lock:
                        seen["met"] += 1
                except threading.BrokenBarrierError:
                    with lock:
                        seen["broken"] += 1
            return page(f"{request.path.rsplit('/', 1)[-1]} of {host}")
        finally:
            with lock:
                seen["active"][host] -= 1

    return handle, seen


def test_two_hosts_in_sorted_order_are_fetched_concurrently(fetcher: Fetcher) -> None:
    """Pages of 127.0.0.1 then 127.0.0.2 (sorted, host by host): the first request of
    each host is in flight while the other's is (server-side rendezvous); one host never
    gets two at once (per_host=1)."""
    handle, seen = _rendezvous(2)
    servers = [serve({f"/pages/{n}": handle for n in range(3)}, host=h) for h in HOSTS]
    for server in servers:
        server.start()
    try:
        urls = sorted(server.url(f"/pages/{n}") for server in servers for n in range(3))
        out = list(
            hydrate([bare(u, i) for i, u in enumerate(urls)], fetcher=fetcher, per_host_delay=0.0)
        )
    finally:
        for server in servers:
            server.stop()
    assert (seen["met"], seen["broken"]) == (2, 0)
    assert dict(seen["peak"]) == {"127.0.0.1": 1, "127.0.0.2": 1}
    assert [type(x) for x in out] == [Article] * 6
    assert [x.url for x in out if isinstance(x, Article)] == urls  # in input order


HOSTS = ("127.0.0.1", "127.0.0.2")


def test_per_host_lets_several_requests_reach_one_host(fetcher: Fetcher) -> None:
    """per_host=2: two requests of one host are in flight at once (rendezvous)."""
    barrier = threading.Barrier(2, timeout=5)
    met = Counter[str]()

    def handle(request: RecordedRequest) -> Response:
        try:
            barrier.wait()
            met["met"] += 1
        except threading.BrokenBarrierError:
            met["broken"] += 1
        return page(request.path.rsplit("/", 1)[-1])

    with serve({"/pages/a": handle, "/pages/b": handle}) as server:
        items = [bare(server.url("/pages/a")), bare(server.url("/pages/b"), 2)]
        out = list(hydrate(items, fetcher=fetcher, per_host=2, per_host_delay=0.0))
    assert met == {"met": 2}
    assert all(isinstance(x, Article) for x in out)


def test_429_then_200_is_retried_once_honouring_retry_after(fetcher: Fetcher) -> None:
    """429 with Retry-After: 1, then 200: two requests, the article; a Retry-After past
    the deadline is not waited for; two 503s give the error, saying it was retried."""
    answers: dict[str, list[Response]] = {
        "/pages/limited": [Response(status=429, headers={"Retry-After": "1"}), page("a")],
        "/pages/later": [Response(status=429, headers={"Retry-After": "3600"}), page("b")],
        "/pages/busy": [Response(status=503), Response(status=503), page("c")],
    }

    def handle(request: RecordedRequest) -> Response:
        return answers[request.path].pop(0)

    with serve(dict.fromkeys(answers, handle)) as server:
        items = [item(server.url(path), n) for n, path in enumerate(answers)]
        out = list(hydrate(items, fetcher=fetcher, per_host_delay=0.0, on_page_error="drop"))
        log = Counter(_pages(server))
    assert log == {"/pages/limited": 2, "/pages/later": 1, "/pages/busy": 2}
    limited, later, busy = out
    assert isinstance(limited, Article) and limited.title == "Story a"
    assert isinstance(later, HydrationError) and later.reason == "http_429"
    assert isinstance(busy, HydrationError) and busy.reason == "http_503"
    assert "retried once" in busy.message


def test_retry_wait_reads_retry_after_as_seconds_or_a_date() -> None:
    """Seconds, an HTTP date (past dates mean now), none or junk (the default); only
    429 and 503 are asked again."""
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def error(status: int, value: str | None) -> FetchError:
        headers = {} if value is None else {"Retry-After": value}
        return FetchError("x", status=status, reason=f"http_{status}", headers=headers)

    in_ten = format_datetime(now + timedelta(seconds=10), usegmt=True)
    assert retry_wait(error(429, "7"), now) == 7.0
    assert retry_wait(error(503, in_ten), now) == 10.0
    assert retry_wait(error(503, "Thu, 01 Jan 2026 00:00:10"), now) == 10.0  # no zone: GMT
    assert retry_wait(error(429, format_datetime(now - timedelta(hours=1))), now) == 0.0
    assert retry_wait(error(429, None), now) == DEFAULT_RETRY_WAIT
    assert retry_wait(error(429, "soon"), now) == DEFAULT_RETRY_WAIT
    assert retry_wait(error(500, "1"), now) is None
    assert retry_wait(FetchError("x", reason="timeout")) is None
    assert retry_wait(error(429, in_ten)) == 0.0  # a date long past, by the real clock


def test_hydrate_refuses_bad_scheduling_options() -> None:
    """per_host below 1 and an unknown on_page_error are refused at the call."""
    with pytest.raises(ValueError, match="per_host"):
        hydrate([], per_host=0)
    with pytest.raises(ValueError, match="on_page_error"):
        hydrate([], on_page_error="ignore")  # type: ignore[arg-type]


# --- the command line -------------------------------------------------------------------------


def test_cli_fetch_options_reach_hydrate() -> None:
    """--per-host, --per-host-delay and --on-fetch-error become hydrate options; watch
    takes them too."""
    parser = build_parser()
    default = _fetch_options(parser.parse_args(["ingest", "x", "--fetch"]))
    assert (default["per_host"], default["on_page_error"]) == (1, "keep")
    assert "per_host_delay" not in default  # hydrate's own default: 1 s
    args = parser.parse_args(
        ["ingest", "x", "--fetch", "--per-host", "3", "--per-host-delay", "0.5",
         "--on-fetch-error", "drop"]
    )  # fmt: skip
    chosen = _fetch_options(args)
    assert (chosen["per_host"], chosen["per_host_delay"], chosen["on_page_error"]) == (
        3,
        0.5,
        "drop",
    )
    watch = parser.parse_args(
        ["watch", "--feeds", "f", "--state", "s", "-o", "d", "--on-fetch-error", "drop"]
    )
    assert watch.on_fetch_error == "drop"


def test_cli_keeps_or_drops_a_feed_item_whose_page_is_forbidden(tmp_path: Path) -> None:
    """`--fetch`: the item of a 403 page is written with its reason and a warning is
    shown; `--on-fetch-error drop` writes nothing and counts the error."""
    routes: dict[str, Any] = {"/pages/a": Response(status=403), "/feed.xml": Response()}
    with serve(routes) as server:
        feed = tmp_path / "feed.xml"
        feed.write_bytes(rss(server.url("/").rstrip("/"), ["a"]))
        results = {}
        for policy in ("keep", "drop"):
            out = tmp_path / f"{policy}.jsonl"
            results[policy] = newsingest(
                "ingest", str(feed), "--fetch", "--allow-private-addresses",
                "--per-host-delay", "0", "--on-fetch-error", policy, "-o", str(out),
            )  # fmt: skip
    kept = [json.loads(line) for line in (tmp_path / "keep.jsonl").read_text().splitlines()]
    assert [a["extra"]["hydration"]["reason"] for a in kept] == ["http_403"]
    said = results["keep"].stderr
    assert results["keep"].returncode == 0, said
    assert "the page could not be used (http_403)" in said and "1 emitted" in said
    assert "1 warning" in said
    assert not (tmp_path / "drop.jsonl").exists(), results["drop"].stderr
    assert "1 error" in results["drop"].stderr, results["drop"].stderr


def test_a_page_that_cannot_be_reached_keeps_the_feed_item(fetcher: Fetcher) -> None:
    """No server at all (connection refused): the feed item is kept, with no HTTP status."""
    with serve({}) as server:
        url = server.url("/pages/a")
    out = list(hydrate([item(url)], fetcher=fetcher, per_host_delay=0.0, robots=False))
    kept = out[-1]
    assert isinstance(kept, Article)
    assert kept.extra["hydration"]["reason"] == "connect_failed"
    assert "http_status" not in kept.extra["hydration"]


def test_an_item_whose_url_cannot_be_normalised_has_no_identity() -> None:
    """The read stage's identity of an item is the dedup's URL key; none for a URL the
    normaliser refuses (the page is then fetched, and the error comes from there)."""
    from newsingest.dedup import Deduplicator
    from newsingest.pipeline.read import _page_identity

    prepare = Deduplicator().preparer()
    assert _page_identity(prepare, bare("https://bad host/")) is None
    good = bare("https://news.example/a?utm_source=rss")
    assert _page_identity(prepare, good) == listed_url_key(good)
    assert _page_identity(Deduplicator(keys=["content"]).preparer(), good) is None


def test_cli_fetches_a_sorted_url_list_of_two_hosts_concurrently(tmp_path: Path) -> None:
    """`ingest urls.txt --fetch`: the first pages of 127.0.0.1 and 127.0.0.2 (listed
    host by host) are in flight at once (server-side rendezvous), one at a time per host."""
    handle, seen = _rendezvous(2)
    servers = [serve({f"/pages/{n}": handle for n in range(2)}, host=h) for h in HOSTS]
    for server in servers:
        server.start()
    try:
        urls = sorted(server.url(f"/pages/{n}") for server in servers for n in range(2))
        listed = tmp_path / "urls.txt"
        listed.write_text("\n".join(urls) + "\n", encoding="utf-8")
        done = newsingest(
            "ingest", str(listed), "--reader", "urls", "--fetch", "--allow-private-addresses",
            "--per-host-delay", "0", "-o", str(tmp_path / "out.jsonl"),
        )  # fmt: skip
    finally:
        for server in servers:
            server.stop()
    assert done.returncode == 0, done.stderr
    assert (seen["met"], seen["broken"]) == (2, 0)
    assert dict(seen["peak"]) == {"127.0.0.1": 1, "127.0.0.2": 1}
    assert "4 emitted" in done.stderr


def test_a_feed_item_whose_page_robots_txt_disallows_is_kept(fetcher: Fetcher) -> None:
    """robots.txt forbids the page: it is not fetched, and the feed item is kept with
    the reason (a bare URL stays the robots_disallowed error)."""
    routes: dict[str, Any] = {
        "/robots.txt": Response(body="User-agent: *\nDisallow: /pages/\n"),
        "/pages/a": page("a"),
    }
    with serve(routes) as server:
        url = server.url("/pages/a")
        out = list(hydrate([item(url), bare(url, 2)], fetcher=fetcher, per_host_delay=0.0))
        assert _pages(server) == []
    warning, kept, error = out
    assert isinstance(warning, NewsIngestWarning) and warning.reason == "page_failed"
    assert isinstance(kept, Article) and kept.extra["hydration"]["reason"] == "robots_disallowed"
    assert isinstance(error, HydrationError) and error.reason == "robots_disallowed"


def test_a_disallowed_page_is_judged_once_per_identity(fetcher: Fetcher) -> None:
    """With seen pages, a later item of a disallowed page gets the first one's reason
    (kept, being a feed item) and robots.txt is asked once; once a feed item of the
    page is kept, later ones are passed over as seen."""
    routes: dict[str, Any] = {
        "/robots.txt": Response(body="User-agent: *\nDisallow: /pages/\n"),
        "/pages/a": page("a"),
    }
    seen = SeenPages()
    with serve(routes) as server:
        url = server.url("/pages/a")
        items = [bare(url, 1), item(url, 2), item(url, 3)]
        out = list(hydrate(items, fetcher=fetcher, per_host_delay=0.0, seen=seen))
        assert [r.path for r in server.requests] == ["/robots.txt"]
    error, warning, kept, third = out
    assert isinstance(error, HydrationError) and error.reason == "robots_disallowed"
    assert isinstance(warning, NewsIngestWarning) and "not fetched again" in str(warning)
    assert isinstance(kept, Article) and kept.extra["hydration"]["status"] == "failed"
    # The kept second item stands for the third: passed over, a duplicate for the dedup.
    assert isinstance(third, Article) and third.extra["hydration"]["status"] == "skipped"
