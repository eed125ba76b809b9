"""Helpers for tests, shipped so that users can test code built on newsingest.

Two things live here:

* :class:`LocalHTTPServer` (and the :func:`serve` shortcut): a real
  ``http.server.ThreadingHTTPServer`` on ``127.0.0.1`` with an ephemeral port, run
  in a daemon thread. Routes map a path to a :class:`Response` (status, headers,
  body, an optional delay, optional gzip/deflate, optional chunked transfer) or to
  a callable that receives the :class:`RecordedRequest` and returns a
  :class:`Response`, which is how conditional GET (``304``) and anything dynamic
  is answered. Every request received is recorded, so a test can assert what the
  client sent (``If-None-Match``, ``User-Agent``…). Unknown paths answer ``404``.
* :func:`make_article`: a valid :class:`~newsingest.model.Article` with sensible
  defaults, any field overridable.
* :func:`local_dask_cluster`: a real Dask ``LocalCluster`` of worker processes on
  ``127.0.0.1`` and a client, for testing code built on :mod:`newsingest.dask`
  (needs the ``dask`` extra).

Example::

    from newsingest.testing import Response, conditional, serve

    with serve({"/feed.xml": conditional(b"<rss/>", etag='"v1"')}) as server:
        fetch(server.url("/feed.xml"))
        assert server.requests[0].header("user-agent").startswith("newsingest/")

The server uses nothing but the standard library.
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from newsingest.exceptions import MissingExtraError
from newsingest.model import Article, Provenance

if TYPE_CHECKING:
    from newsingest.readers import ReaderRegistry

__all__ = [
    "Handler",
    "LocalHTTPServer",
    "RecordedRequest",
    "Response",
    "RouteSpec",
    "conditional",
    "local_dask_cluster",
    "loopback_registry",
    "make_article",
    "redirect",
    "serve",
]


def _header_pairs(
    value: Mapping[str, str] | tuple[tuple[str, str], ...],
) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        return tuple((str(key), str(item)) for key, item in value.items())
    return tuple((str(key), str(item)) for key, item in value)


def _body_bytes(value: bytes | str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


@attrs.frozen(kw_only=True)
class Response:
    """What the server answers on a route.

    Attributes:
        status: HTTP status code.
        body: the payload (a ``str`` is encoded as UTF-8). Sent as-is unless
            ``gzip`` or ``deflate`` asks for compression.
        headers: extra response headers (a mapping or pairs; repeated names allowed
            as pairs). ``Content-Length`` is added unless ``chunked`` is set.
        delay: seconds to wait before answering at all (to trip read timeouts).
        gzip: compress the body with gzip and send ``Content-Encoding: gzip``.
        deflate: compress the body with zlib and send ``Content-Encoding: deflate``.
        chunked: send the body with ``Transfer-Encoding: chunked`` and no
            ``Content-Length``, so a client only learns the size by reading.
    """

    status: int = 200
    body: bytes = attrs.field(default=b"", converter=_body_bytes)
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_header_pairs)
    delay: float = 0.0
    gzip: bool = False
    deflate: bool = False
    chunked: bool = False

    def encoded_body(self) -> bytes:
        """The body as it goes on the wire (compressed when asked)."""
        if self.gzip:
            return gzip_module.compress(self.body, mtime=0)
        if self.deflate:
            return zlib.compress(self.body)
        return self.body


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request the server received.

    Attributes:
        method: ``"GET"``, ``"HEAD"``…
        path: the request target as sent, query string included.
        headers: header pairs in the order received, names as sent.
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


#: A callable route: receives the request, returns what to answer.
Handler: TypeAlias = Callable[[RecordedRequest], Response]

#: What a route maps to: a fixed response, a handler, or a body for a plain 200.
RouteSpec: TypeAlias = "Response | Handler | bytes | str"


def redirect(location: str, status: int = 301) -> Response:
    """A redirect to ``location`` (a path on the same server or an absolute URL)."""
    return Response(status=status, headers={"Location": location})


def conditional(
    body: bytes | str,
    *,
    etag: str | None = None,
    last_modified: datetime | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Handler:
    """A handler that serves ``body`` with validators and honours conditional GET.

    It answers ``304 Not Modified`` (no body) when the request's ``If-None-Match``
    names ``etag`` (or ``*``), or, when no ``If-None-Match`` was sent, when
    ``If-Modified-Since`` is not older than ``last_modified``; otherwise ``200``
    with ``ETag`` / ``Last-Modified`` set.

    Args:
        body: the payload of the ``200`` answer.
        etag: the entity tag, quotes included (``'"v1"'``).
        last_modified: an aware datetime, or an HTTP date string.
        headers: extra headers for both answers.
    """
    if isinstance(last_modified, datetime):
        moment = last_modified.astimezone(timezone.utc).replace(microsecond=0)
        modified_at: datetime | None = moment
        modified_text: str | None = format_datetime(moment, usegmt=True)
    elif isinstance(last_modified, str):
        modified_text = last_modified
        modified_at = _http_date(last_modified)
    else:
        modified_at = modified_text = None
    validators: dict[str, str] = dict(headers or {})
    if etag is not None:
        validators["ETag"] = etag
    if modified_text is not None:
        validators["Last-Modified"] = modified_text

    def handle(request: RecordedRequest) -> Response:
        if_none_match = request.header("If-None-Match")
        if if_none_match is not None:
            tags = [tag.strip() for tag in if_none_match.split(",")]
            if etag is not None and (etag in tags or "*" in tags):
                return Response(status=304, headers=validators)
            return Response(body=body, headers=validators)
        if_modified_since = request.header("If-Modified-Since")
        if if_modified_since is not None and modified_at is not None:
            since = _http_date(if_modified_since)
            if since is not None and modified_at <= since:
                return Response(status=304, headers=validators)
        return Response(body=body, headers=validators)

    return handle


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalHTTPServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (timeout tests do that on purpose) is not a failure
        # of the server; anything else is recorded for the test to see.
        import sys  # noqa: PLC0415 - only on the error path

        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        if error is not None:
            self.owner.errors.append(error)


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read ``requests``, not a log on stderr."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._answer(send_body=True)

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server.owner
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers=tuple(self.headers.items()),
        )
        owner._record(request)
        response = owner._respond(request)
        if response.delay > 0 and owner._stopping.wait(response.delay):
            self.close_connection = True
            return
        payload = response.encoded_body()
        self.send_response(response.status)
        names = {key.lower() for key, _ in response.headers}
        for key, value in response.headers:
            self.send_header(key, value)
        if response.gzip and "content-encoding" not in names:
            self.send_header("Content-Encoding", "gzip")
        elif response.deflate and "content-encoding" not in names:
            self.send_header("Content-Encoding", "deflate")
        no_body = response.status in (204, 304) or 100 <= response.status < 200
        if response.chunked and not no_body:
            self.send_header("Transfer-Encoding", "chunked")
        elif "content-length" not in names and not no_body:
            self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if not send_body or no_body:
            return
        if response.chunked:
            step = 16 * 1024
            for start in range(0, len(payload), step):
                chunk = payload[start : start + step]
                self.wfile.write(f"{len(chunk):x}\r\n".encode("ascii") + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(payload)


class LocalHTTPServer:
    """A real HTTP server on ``127.0.0.1`` for tests; use it as a context manager.

    Args:
        routes: path → :data:`RouteSpec`. A path may include a query string; a
            request is matched on its full target first, then on the path alone.

    Attributes:
        requests: every request received, in order (thread-safe appends).
        errors: exceptions raised by handlers (a test may assert it stays empty).
    """

    def __init__(
        self, routes: Mapping[str, RouteSpec] | None = None, *, host: str = "127.0.0.1"
    ) -> None:
        self.host = host
        self._routes: dict[str, RouteSpec] = dict(routes or {})
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> LocalHTTPServer:
        """Bind an ephemeral port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("server already started")
        server = _Server((self.host, 0), _RequestHandler)
        server.owner = self
        self._stopping.clear()
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"newsingest-test-http-{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any delayed handler, and close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- use ---------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port; still known after the server stopped, for assertions."""
        if self._port is None:
            raise RuntimeError("server was never started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>`` (host ``127.0.0.1`` unless another was given)."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    def set_route(self, path: str, spec: RouteSpec) -> None:
        """Add or replace a route while the server runs."""
        with self._lock:
            self._routes[path] = spec

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path (query string ignored) is ``path``."""
        with self._lock:
            recorded = list(self.requests)
        return [request for request in recorded if request.path.split("?", 1)[0] == path]

    # -- used by the request handler ----------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _respond(self, request: RecordedRequest) -> Response:
        with self._lock:
            spec = self._routes.get(request.path)
            if spec is None:
                spec = self._routes.get(request.path.split("?", 1)[0])
        if spec is None:
            return Response(status=404, body=b"not found", headers={"Content-Type": "text/plain"})
        if isinstance(spec, Response):
            return spec
        if isinstance(spec, (bytes, str)):
            return Response(body=spec)
        try:
            return spec(request)
        except Exception as error:
            with self._lock:
                self.errors.append(error)
            return Response(status=500, body=f"handler failed: {error!r}")


def serve(
    routes: Mapping[str, RouteSpec] | None = None, *, host: str = "127.0.0.1"
) -> LocalHTTPServer:
    """A :class:`LocalHTTPServer` for ``routes``, to use in a ``with`` block.

    ``host`` is the loopback address to listen on (Linux answers on all of
    ``127.0.0.0/8``: ``127.0.0.2`` makes a second "host" for tests).
    """
    return LocalHTTPServer(routes, host=host)


def loopback_registry() -> ReaderRegistry:
    """The default readers, with a feed reader allowed to poll ``127.0.0.1``.

    Fetchers refuse loopback and private addresses by default; a test that
    polls a :class:`LocalHTTPServer` through :func:`newsingest.ingest` passes
    ``registry=loopback_registry()`` (and ``fetch={"allow_private": True}``
    for page fetches).
    """
    from newsingest.readers import default_registry  # noqa: PLC0415 - import cycle
    from newsingest.readers.feed import FeedReader  # noqa: PLC0415 - import cycle

    registry = default_registry().copy()
    registry.register(FeedReader(allow_private=True), replace=True)
    return registry


_DEFAULT_PUBLISHED = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def make_article(**overrides: Any) -> Article:
    """A valid :class:`Article` for tests; keyword arguments replace any field.

    Defaults: a title, an ``https://example.com/…`` URL, a second-precision UTC
    date with its raw string, two body segments and provenance from reader
    ``"test"``. ``source`` may be a :class:`Provenance` or a dict of its fields.
    """
    source = overrides.pop("source", None)
    if source is None:
        source = Provenance(reader="test", location="<test>", item=0)
    elif isinstance(source, Mapping):
        source = Provenance(**{"reader": "test", "location": "<test>", **source})
    fields: dict[str, Any] = {
        "title": "A test article",
        "url": "https://example.com/news/a-test-article",
        "published": _DEFAULT_PUBLISHED,
        "published_precision": "second",
        "published_raw": "2024-01-02T03:04:05Z",
        "body": ("The first paragraph of the test article.", "The second paragraph."),
        "summary": None,
        "authors": ("A. Reporter",),
        "tags": ("test",),
        "language": "en",
    }
    fields.update(overrides)
    return Article(source=source, **fields)


@contextlib.contextmanager
def local_dask_cluster(workers: int = 2) -> Iterator[Any]:
    """A real ``distributed.LocalCluster`` on ``127.0.0.1`` and a client of it.

    ``workers`` worker processes of one thread each; the dashboard takes a free port,
    so a test never clashes with one already on 8787. The ``with`` block gets the
    ``distributed.Client`` (the default scheduler inside the block); cluster and client
    are shut down when it ends.

    Raises:
        MissingExtraError: the ``dask`` extra is not installed.
    """
    try:
        import distributed  # noqa: PLC0415 - an optional extra
    except ImportError as error:
        raise MissingExtraError.for_extra("local_dask_cluster", "dask", "distributed") from error
    # distributed ships no type hints: its classes are Any here.
    local_cluster: Any = distributed.LocalCluster
    client_of: Any = distributed.Client
    with (
        local_cluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        client_of(cluster) as client,
    ):
        yield client
