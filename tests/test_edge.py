"""The network edge holds against hostile URLs and servers (all on 127.0.0.1).

Address policy (every spelling of loopback, redirects), one deadline per request
against servers that drip bytes, and bounded decoding of compression bombs.
"""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest._edge import BoundedDecoder
from newsingest.exceptions import FetchError, _UndecodableBody
from newsingest.fetch import Fetcher, address_refusal
from newsingest.testing import LocalHTTPServer, RecordedRequest, Response, redirect, serve
from tests.measure import run_cli

# -- the address classifier (no traffic to any of these, ever) -------------------

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",  # cloud metadata
    "0.0.0.0": "unspecified",
    "100.64.0.1": "shared (carrier-grade NAT)",
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.10": "private",  # documentation
    "::1": "loopback",
    "::": "unspecified",
    "fd00::1": "unique-local",
    "fc12:3456::1": "unique-local",
    "fe80::1": "link-local",
    "fe80::1%eth0": "link-local",
    "ff02::1": "multicast",
    "2001:db8::1": "private",  # documentation
}

CARRIERS = {
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped
    "::ffff:10.1.2.3": "private",
    "::ffff:169.254.169.254": "link-local",
    "2002:a9fe:a9fe::1": "link-local",  # 6to4 of 169.254.169.254
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
}

ALLOWED = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize(("address", "kind"), sorted(REFUSED.items()))
def test_non_public_addresses_are_refused_with_their_kind(address: str, kind: str) -> None:
    assert address_refusal(address) == kind


@pytest.mark.parametrize(("address", "kind"), sorted(CARRIERS.items()))
def test_ipv6_addresses_carrying_a_refused_ipv4_one_are_refused(address: str, kind: str) -> None:
    why = address_refusal(address)
    assert why is not None and why.startswith(kind) and "inside an IPv6 address" in why


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(address) is None


def test_a_name_is_not_an_address() -> None:
    assert address_refusal("localhost") == "not an IP address"


@given(st.ip_addresses(network="10.0.0.0/8") | st.ip_addresses(network="192.168.0.0/16"))
def test_every_private_ipv4_address_is_refused(address: object) -> None:
    assert address_refusal(str(address)) == "private"


@given(st.ip_addresses(network="fc00::/7"))
def test_every_unique_local_address_is_refused(address: object) -> None:
    assert address_refusal(str(address)) == "unique-local"


@given(st.ip_addresses(v=4, network="127.0.0.0/8"))
def test_every_loopback_address_is_refused_also_when_mapped(address: object) -> None:
    assert address_refusal(str(address)) == "loopback"
    assert address_refusal(f"::ffff:{address}") == "loopback, inside an IPv6 address"


# -- loopback spellings: refused by default, fetched with the opt-in ------------

SPELLINGS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "127.1",
    "0x7f.1",
    "0x7f000001",
    "2130706433",
    "017700000001",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalHTTPServer]:
    with serve({"/secret": "internal page"}) as running:
        yield running


@pytest.mark.parametrize("host", SPELLINGS)
def test_each_loopback_spelling_is_refused_by_default(server: LocalHTTPServer, host: str) -> None:
    before = len(server.requests)
    with Fetcher(total_timeout=5) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(f"http://{host}:{server.port}/secret")
    assert caught.value.reason == "blocked_address"
    assert "allow_private=True" in str(caught.value)
    assert len(server.requests) == before  # the server saw no request


@pytest.mark.parametrize("host", SPELLINGS)
def test_each_loopback_spelling_is_fetched_with_the_opt_in(
    server: LocalHTTPServer, host: str
) -> None:
    with Fetcher(total_timeout=5, allow_private=True) as fetcher:
        result = fetcher.fetch(f"http://{host}:{server.port}/secret")
    assert result.content == b"internal page"


class _V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _Hello(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Hello.seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def v6_server() -> Iterator[int]:
    try:
        running = _V6Server(("::1", 0), _Hello)
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(running.server_address[1])
    finally:
        running.shutdown()
        running.server_close()


def test_ipv6_loopback_is_refused_by_default_and_fetched_with_the_opt_in(v6_server: int) -> None:
    url = f"http://[::1]:{v6_server}/v6"
    _Hello.seen.clear()
    with Fetcher(total_timeout=5) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url)
    assert caught.value.reason == "blocked_address"
    assert _Hello.seen == []
    with Fetcher(total_timeout=5, allow_private=True) as fetcher:
        assert fetcher.fetch(url).content == b"hello"
    assert _Hello.seen == ["/v6"]


def test_a_redirect_from_an_allowed_host_to_loopback_is_refused() -> None:
    """127.0.0.2 stands in for an allowed public host; its redirect to 127.0.0.1 is refused."""
    with serve({"/secret": "internal page"}) as inside:
        outside = serve({"/go": redirect(inside.url("/secret"), 302)}, host="127.0.0.2")
        try:
            outside.start()
        except OSError as error:
            pytest.skip(f"cannot listen on 127.0.0.2: {error}")
        try:
            with Fetcher(total_timeout=5, allowed_networks=["127.0.0.2/32"]) as fetcher:
                assert outside.url("/go").startswith("http://127.0.0.2:")
                with pytest.raises(FetchError) as caught:
                    fetcher.fetch(outside.url("/go"))
        finally:
            outside.stop()
        assert caught.value.reason == "blocked_address"
        assert "127.0.0.1" in str(caught.value)
        assert [r.path for r in outside.requests] == ["/go"]
        assert inside.requests == []  # the hop to loopback never reached it


def test_allowed_networks_must_be_networks() -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 network"):
        Fetcher(allowed_networks=["intranet"])


# -- one deadline per request ----------------------------------------------------


class _Drip:
    """A raw TCP server that sends its answer one byte every ``gap`` seconds."""

    def __init__(self, answer: bytes, gap: float) -> None:
        self.answer = answer
        self.gap = gap
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in self.answer:
                    if self.stop.wait(self.gap):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def __enter__(self) -> _Drip:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(2)
        self.listener.close()


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 600\r\n\r\n"


@pytest.mark.parametrize(
    ("answer", "part"),
    [(HEADERS + b"x" * 600, "headers"), (HEADERS, "body")],
    ids=["headers", "body"],
)
def test_a_one_byte_a_second_server_is_given_up_at_the_deadline(answer: bytes, part: str) -> None:
    """read_timeout never fires (a byte comes each second); total_timeout still holds."""
    deadline = 2.0
    # For the body case the headers arrive at once, then the body drips.
    drip = _DripAfter(HEADERS, b"x" * 600, gap=1.0) if part == "body" else _Drip(answer, gap=1.0)
    with drip, Fetcher(total_timeout=deadline, read_timeout=30, allow_private=True) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(f"http://127.0.0.1:{drip.port}/slow")
        elapsed = time.monotonic() - started
    assert caught.value.reason == "timeout"
    assert "deadline" in str(caught.value)
    assert elapsed < deadline + 1.0, elapsed


class _DripAfter(_Drip):
    """Sends ``head`` at once, then drips ``tail``."""

    def __init__(self, head: bytes, tail: bytes, gap: float) -> None:
        super().__init__(tail, gap)
        self.head = head

    def _drip(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(self.head)
        except OSError:
            conn.close()
            return
        self.answer_conn(conn)

    def answer_conn(self, conn: socket.socket) -> None:
        with conn:
            for byte in self.answer:
                if self.stop.wait(self.gap):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return


def test_one_dripping_page_does_not_hold_back_the_nine_behind_it() -> None:
    arrivals: list[float] = []

    def page(request: RecordedRequest) -> Response:
        arrivals.append(time.monotonic())
        return Response(body=f"page {request.path}")

    deadline = 3.0
    with (
        _Drip(HEADERS + b"x" * 600, gap=1.0) as drip,
        serve({f"/p{i}": page for i in range(9)}) as fast,
        Fetcher(total_timeout=deadline, allow_private=True) as fetcher,
    ):
        urls = [f"http://127.0.0.1:{drip.port}/slow"] + [fast.url(f"/p{i}") for i in range(9)]
        started = time.monotonic()
        outcomes = list(fetcher.fetch_many(urls, concurrency=4))
        elapsed = time.monotonic() - started
    assert isinstance(outcomes[0], FetchError) and outcomes[0].reason == "timeout"
    assert [o.content for o in outcomes[1:]] == [  # type: ignore[union-attr]
        f"page /p{i}".encode() for i in range(9)
    ]
    assert len(arrivals) == 9
    assert max(arrivals) - started < 1.0  # the nine were fetched while the first dripped
    assert elapsed < deadline + 1.0


# -- bounded decoding --------------------------------------------------------------

SLAB = 64 << 20  # one gzip member holds 64 MiB of zeros


@pytest.fixture(scope="module")
def zero_member() -> bytes:
    """A gzip member of 64 MiB of zeros (about 65 KB): members concatenate to any size."""
    return gzip.compress(bytes(SLAB), compresslevel=9, mtime=0)


def _bomb(member: bytes, gib: int, layers: int) -> bytes:
    inner = member * (gib * (1 << 30) // SLAB)
    for _ in range(layers - 1):
        inner = gzip.compress(inner, compresslevel=9, mtime=0)
    return inner


def test_the_decoder_undoes_stacked_codings_and_concatenated_members() -> None:
    text = b"<rss>" + b"news " * 10_000 + b"</rss>"
    twice = gzip.compress(gzip.compress(text[:20_000]) + gzip.compress(text[20_000:]))
    decoder = BoundedDecoder("gzip, gzip")
    out = b"".join([*decoder.feed(twice[:100]), *decoder.feed(twice[100:]), *decoder.feed(b"")])
    assert out == text


@pytest.mark.parametrize("wrapped", [True, False], ids=["zlib", "raw"])
def test_deflate_with_and_without_its_zlib_header(wrapped: bool) -> None:
    text = b"deflated body " * 1000
    if wrapped:
        data = zlib.compress(text)
    else:
        raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        data = raw.compress(text) + raw.flush()
    decoder = BoundedDecoder("deflate")
    assert b"".join([*decoder.feed(data), *decoder.feed(b"")]) == text


def test_the_decoder_gives_a_bomb_a_slice_at_a_time(zero_member: bytes) -> None:
    decoder = BoundedDecoder("gzip")
    pieces = decoder.feed(zero_member)
    sizes = [len(next(pieces)) for _ in range(20)]
    assert max(sizes) <= 64 * 1024


@pytest.mark.parametrize(
    ("encoding", "message"),
    [
        ("br", "'br' is not supported"),
        ("gzip, gzip, gzip", "3 stacked content codings"),
    ],
)
def test_unknown_or_deep_codings_are_refused(encoding: str, message: str) -> None:
    with pytest.raises(_UndecodableBody, match=message):
        BoundedDecoder(encoding)


def test_corrupt_gzip_is_a_decoding_error() -> None:
    with pytest.raises(_UndecodableBody, match="corrupt gzip"):
        list(BoundedDecoder("gzip").feed(b"\x1f\x8b\x08\x00" + b"\xff" * 64))


def test_a_fetch_of_corrupt_gzip_is_decoding_failed() -> None:
    body = Response(body=b"\x1f\x8b\x08\x00" + b"\xff" * 64, headers={"Content-Encoding": "gzip"})
    with (
        serve({"/bad": body}) as server,
        Fetcher(allow_private=True) as fetcher,
        pytest.raises(FetchError) as caught,
    ):
        fetcher.fetch(server.url("/bad"))
    assert caught.value.reason == "decoding_failed"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("gib", "layers"), [(1, 2), (2, 2), (8, 2), (1, 1)], ids=["1G-gzip,gzip", "2G", "8G", "1G-gzip"]
)
def test_compression_bombs_are_refused_with_bounded_memory(
    zero_member: bytes, gib: int, layers: int, tmp_path: Path
) -> None:
    """A feed URL whose body expands to gigabytes: too_large, under 100 MB for the whole run."""
    encoding = ", ".join(["gzip"] * layers)
    bomb = Response(
        body=_bomb(zero_member, gib, layers),
        headers={"Content-Encoding": encoding, "Content-Type": "application/rss+xml"},
    )
    with serve({"/feed.xml": bomb}) as server:
        run = run_cli("ingest", "--allow-private-addresses", server.url("/feed.xml"))
    assert "too_large" in run.stderr or "limit" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert run.status == 2  # nothing could be read
    assert run.peak_mb < 100, f"peak RSS {run.peak_mb} MB"
