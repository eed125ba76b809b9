"""Tests for fetch.py against a real HTTP server on 127.0.0.1 (newsingest.testing)."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsingest import __version__
from newsingest.exceptions import FetchError, SourceError
from newsingest.fetch import (
    DEFAULT_USER_AGENT,
    Fetcher,
    FetchResult,
)
from newsingest.state import MemoryStore, SQLiteStore, ValidatorStore
from newsingest.testing import (
    RecordedRequest,
    Response,
    RouteSpec,
    conditional,
    make_article,
    redirect,
    serve,
)

MODIFIED = "Wed, 06 Mar 2024 07:00:00 GMT"


def test_200_with_user_agent_and_encodings() -> None:
    """A plain GET returns body, status and headers and names newsingest and its version."""
    with serve({"/a": Response(body=b"hello", headers={"Content-Type": "text/plain"})}) as server:
        with Fetcher(allow_private=True) as fetcher:
            result = fetcher.fetch(server.url("/a"))
        sent = server.requests[0]
    assert (result.status, result.content, result.not_modified) == (200, b"hello", False)
    assert result.final_url == result.url == server.url("/a")
    assert result.redirects == ()
    assert result.content_type == "text/plain"
    assert sent.header("user-agent") == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith(f"newsingest/{__version__} (+https://")
    assert sent.header("accept-encoding") == "gzip, deflate"
    assert sent.header("if-none-match") is None


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies_are_decoded(encoding: str) -> None:
    """gzip and deflate bodies arrive decoded."""
    body = b"<rss>" + b"news " * 5000 + b"</rss>"
    spec = Response(body=body, gzip=encoding == "gzip", deflate=encoding == "deflate")
    assert len(spec.encoded_body()) < len(body) // 10
    with serve({"/f": spec}) as server, Fetcher(allow_private=True) as fetcher:
        result = fetcher.fetch(server.url("/f"))
    assert result.content == body
    assert result.headers["content-encoding"] == encoding


def test_304_after_etag() -> None:
    """The stored ETag goes back as If-None-Match; a 304 has no content and keeps it."""
    store = MemoryStore()
    with serve({"/f": conditional(b"feed", etag='"v1"')}) as server:
        with Fetcher(allow_private=True, validators=store) as fetcher:
            first = fetcher.fetch(server.url("/f"))
            second = fetcher.fetch(server.url("/f"))
        requests = server.requests
    assert (first.status, first.content, first.etag) == (200, b"feed", '"v1"')
    assert (second.status, second.not_modified, second.content) == (304, True, b"")
    assert requests[1].header("if-none-match") == '"v1"'
    assert requests[1].header("if-modified-since") is None
    assert store.get_validators(server.url("/f")) == ('"v1"', None)


def test_304_after_last_modified() -> None:
    """The stored Last-Modified goes back as If-Modified-Since and earns a 304."""
    store = MemoryStore()
    with serve({"/f": conditional(b"feed", last_modified=MODIFIED)}) as server:
        with Fetcher(allow_private=True, validators=store) as fetcher:
            fetcher.fetch(server.url("/f"))
            second = fetcher.fetch(server.url("/f"))
        sent = server.requests[1]
    assert second.not_modified
    assert sent.header("if-modified-since") == MODIFIED
    assert sent.header("if-none-match") is None
    assert store.get_validators(server.url("/f")) == (None, MODIFIED)


def test_304_refreshes_validators() -> None:
    """New validators sent with a 304 replace the stored ones; missing ones are kept."""
    store = MemoryStore()
    with serve({}) as server:
        url = server.url("/f")
        store.set_validators(url, '"old"', MODIFIED)
        server.set_route("/f", Response(status=304, headers={"ETag": '"new"'}))
        with Fetcher(allow_private=True, validators=store) as fetcher:
            result = fetcher.fetch(url)
    assert result.not_modified
    assert store.get_validators(url) == ('"new"', MODIFIED)


def test_changed_feed_gets_new_validators() -> None:
    """When the resource changes, the 200 answer's validators replace the old ones."""
    store = MemoryStore()
    with (
        serve({"/f": conditional(b"v1", etag='"1"')}) as server,
        Fetcher(allow_private=True, validators=store) as fetcher,
    ):
        fetcher.fetch(server.url("/f"))
        server.set_route("/f", conditional(b"v2", etag='"2"'))
        result = fetcher.fetch(server.url("/f"))
    assert result.content == b"v2"
    assert store.get_validators(server.url("/f")) == ('"2"', None)


def test_unconditional_and_deferred_validators() -> None:
    """conditional=False sends no validators; update_validators=False waits for remember()."""
    store = MemoryStore()
    with (
        serve({"/f": conditional(b"x", etag='"e"')}) as server,
        Fetcher(allow_private=True, validators=store) as fetcher,
    ):
        url = server.url("/f")
        result = fetcher.fetch(url, update_validators=False)
        assert store.get_validators(url) is None
        fetcher.remember(result)
        assert store.get_validators(url) == ('"e"', None)
        again = fetcher.fetch(url, conditional=False)
        assert again.status == 200
        assert server.requests[-1].header("if-none-match") is None


def test_301_then_200_records_the_chain() -> None:
    """Redirects are followed; the chain and the final URL come back."""
    routes: dict[str, RouteSpec] = {
        "/old": redirect("/older", 301),
        "/older": redirect("/new", 308),
        "/new": b"here",
    }
    with serve(routes) as server, Fetcher(allow_private=True) as fetcher:
        result = fetcher.fetch(server.url("/old"))
    assert result.content == b"here"
    assert result.final_url == server.url("/new")
    assert result.redirects == (server.url("/older"), server.url("/new"))


def test_redirect_loop_is_bounded() -> None:
    """More redirects than allowed is a FetchError, not a hang."""
    with serve({"/a": redirect("/b"), "/b": redirect("/a")}) as server:
        with (
            Fetcher(allow_private=True, max_redirects=3) as fetcher,
            pytest.raises(FetchError) as caught,
        ):
            fetcher.fetch(server.url("/a"))
        assert len(server.requests) == 4
    assert caught.value.reason == "too_many_redirects"


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_http_errors_carry_the_status(status: int) -> None:
    """An HTTP error status is a FetchError (a SourceError) with status and reason."""
    with (
        serve({"/f": Response(status=status, body=b"nope")}) as server,
        Fetcher(allow_private=True) as fetcher,
        pytest.raises(SourceError) as caught,
    ):
        fetcher.fetch(server.url("/f"))
    error = caught.value
    assert isinstance(error, FetchError)
    assert (error.status, error.reason) == (status, f"http_{status}")
    assert server.url("/f") in str(error)


def test_read_timeout() -> None:
    """A server slower than the read timeout is a FetchError, within about that time."""
    with (
        serve({"/slow": Response(body=b"late", delay=5)}) as server,
        Fetcher(allow_private=True, read_timeout=0.3) as fetcher,
    ):
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(server.url("/slow"))
        elapsed = time.monotonic() - started
    assert caught.value.reason == "read_timeout"
    assert elapsed < 3


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_the_size_limit(chunked: bool) -> None:
    """A body over max_bytes is refused, whether announced or only found by reading."""
    with (
        serve({"/big": Response(body=b"x" * 100_000, chunked=chunked)}) as server,
        Fetcher(allow_private=True, max_bytes=50_000) as fetcher,
        pytest.raises(FetchError) as caught,
    ):
        fetcher.fetch(server.url("/big"))
    assert caught.value.reason == "too_large"
    assert "50000" in caught.value.message


def test_gzip_bomb_is_cut_off_by_decoded_size() -> None:
    """The limit counts decoded bytes, so a small gzip body cannot expand past it."""
    spec = Response(body=b"\0" * 2_000_000, gzip=True)
    assert len(spec.encoded_body()) < 10_000
    with (
        serve({"/bomb": spec}) as server,
        Fetcher(allow_private=True, max_bytes=100_000) as fetcher,
        pytest.raises(FetchError) as caught,
    ):
        fetcher.fetch(server.url("/bomb"))
    assert caught.value.reason == "too_large"


def test_body_at_the_limit_is_accepted() -> None:
    """Exactly max_bytes is allowed."""
    with (
        serve({"/f": Response(body=b"y" * 1000, chunked=True)}) as server,
        Fetcher(allow_private=True, max_bytes=1000) as fetcher,
    ):
        assert len(fetcher.fetch(server.url("/f")).content) == 1000


def test_connection_refused_and_bad_urls() -> None:
    """No listener, and a URL that is not http(s), are FetchErrors with reasons."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Fetcher(allow_private=True, connect_timeout=2) as fetcher:
        with pytest.raises(FetchError) as refused:
            fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        with pytest.raises(FetchError) as bad:
            fetcher.fetch("ftp://127.0.0.1/feed")
    assert refused.value.reason == "connect_failed"
    assert bad.value.reason == "invalid_url"


def test_fetcher_arguments_are_checked() -> None:
    """Nonsensical limits are refused when the fetcher is built."""
    with pytest.raises(ValueError, match="max_bytes"):
        Fetcher(allow_private=True, max_bytes=0)
    with pytest.raises(ValueError, match="max_redirects"):
        Fetcher(allow_private=True, max_redirects=-1)


def test_fetch_many_keeps_order_and_bounds_concurrency() -> None:
    """Results and errors come back in input order; no more than N requests run at once."""
    lock = threading.Lock()
    active = 0
    peak = 0

    def slow(request: RecordedRequest) -> Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1
        return Response(body=request.path.encode())

    routes: dict[str, RouteSpec] = {f"/f{index}": slow for index in range(12)}
    routes["/f5"] = Response(status=404)
    with serve(routes) as server, Fetcher(allow_private=True) as fetcher:
        urls = [server.url(f"/f{index}") for index in range(12)]
        results = list(fetcher.fetch_many(urls, concurrency=3))
    assert len(results) == 12
    for index, result in enumerate(results):
        if index == 5:
            assert isinstance(result, FetchError)
            assert result.status == 404
        else:
            assert isinstance(result, FetchResult)
            assert result.content == f"/f{index}".encode()
    assert 1 < peak <= 3
    with pytest.raises(ValueError, match="concurrency"):
        list(Fetcher(allow_private=True).fetch_many(urls, concurrency=0))


def test_fetch_many_can_stop_early() -> None:
    """Closing the iterator early cancels queued fetches and returns promptly."""
    with serve({"/f": b"ok"}) as server, Fetcher(allow_private=True) as fetcher:
        iterator = fetcher.fetch_many([server.url("/f")] * 50, concurrency=2)
        first = next(iterator)
        iterator.close()  # type: ignore[attr-defined]
        assert isinstance(first, FetchResult)
        assert len(server.requests) < 50


# -- validator stores ---------------------------------------------------------


def test_state_stores_are_validator_stores(tmp_path: Path) -> None:
    """The state room's stores serve the fetcher; both values None forgets a URL."""
    for store in (MemoryStore(), SQLiteStore(tmp_path / "v.db")):
        assert isinstance(store, ValidatorStore)
        assert store.get_validators("https://a.example/") is None
        store.set_validators("https://a.example/", '"e"', None)
        assert store.get_validators("https://a.example/") == ('"e"', None)
        store.set_validators("https://a.example/", None, None)
        assert store.get_validators("https://a.example/") is None


def test_a_state_file_gives_conditional_get_across_fetchers(tmp_path: Path) -> None:
    """Validators committed to a SQLite state file are sent by the next fetcher."""
    path = tmp_path / "state.db"
    with serve({"/f": conditional(b"x", etag='"j"')}) as server:
        with SQLiteStore(path) as store, Fetcher(allow_private=True, validators=store) as fetcher:
            assert fetcher.fetch(server.url("/f")).status == 200
            store.commit()
        with SQLiteStore(path) as store, Fetcher(allow_private=True, validators=store) as fetcher:
            assert fetcher.fetch(server.url("/f")).not_modified


# -- the test server and helpers themselves ----------------------------------------


def test_server_basics() -> None:
    """Unknown paths are 404; a failing handler is a 500 recorded in errors; HEAD has no body."""

    def broken(request: RecordedRequest) -> Response:
        raise RuntimeError("boom")

    with (
        serve({"/ok": "text", "/broken": broken}) as server,
        Fetcher(allow_private=True) as fetcher,
    ):
        with pytest.raises(FetchError) as missing:
            fetcher.fetch(server.url("/missing"))
        with pytest.raises(FetchError) as failing:
            fetcher.fetch(server.url("/broken"))
        assert fetcher.fetch(server.url("/ok?x=1")).content == b"text"
        assert [request.path for request in server.requests_for("/ok")] == ["/ok?x=1"]
    assert missing.value.status == 404
    assert failing.value.status == 500
    assert [repr(error) for error in server.errors] == ["RuntimeError('boom')"]


def test_conditional_with_datetime_and_stale_validators() -> None:
    """A datetime Last-Modified is formatted as an HTTP date; older validators get a 200."""
    handler = conditional(
        b"x", etag='"a"', last_modified=datetime(2024, 3, 6, 7, tzinfo=timezone.utc)
    )
    fresh = handler(RecordedRequest(method="GET", path="/", headers=()))
    assert dict(fresh.headers)["Last-Modified"] == MODIFIED
    stale_tag = handler(
        RecordedRequest(method="GET", path="/", headers=(("If-None-Match", '"b"'),))
    )
    assert stale_tag.status == 200
    older = handler(
        RecordedRequest(
            method="GET",
            path="/",
            headers=(("If-Modified-Since", "Tue, 05 Mar 2024 00:00:00 GMT"),),
        )
    )
    assert older.status == 200


def test_server_cannot_start_twice_and_stops_cleanly() -> None:
    """start() twice is an error; stop() is idempotent and wakes delayed handlers."""
    server = serve({"/slow": Response(delay=30)})
    server.start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
        outcome: list[BaseException] = []

        def wait_for_slow() -> None:
            with Fetcher(allow_private=True, read_timeout=10) as fetcher:
                try:
                    fetcher.fetch(server.url("/slow"))
                except FetchError as error:
                    outcome.append(error)

        thread = threading.Thread(target=wait_for_slow, daemon=True)
        thread.start()
        time.sleep(0.2)
    finally:
        started = time.monotonic()
        server.stop()
        server.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 5
    assert not thread.is_alive()
    assert len(outcome) == 1


def test_make_article() -> None:
    """make_article gives a valid Article; overrides apply, source may be a dict."""
    article = make_article()
    assert article.title and article.url and article.published is not None
    other = make_article(title="Other", source={"item": 3, "reader": "feed"})
    assert other.title == "Other"
    assert (other.source.reader, other.source.item, other.source.location) == ("feed", 3, "<test>")
    with pytest.raises(ValueError, match="http"):
        make_article(url="ftp://x")
