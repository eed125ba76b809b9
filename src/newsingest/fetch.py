"""HTTP for newsingest: the one module that talks to the network.

It owns one well-kept ``httpx`` client per :class:`Fetcher` with:

* connect and read timeouts, plus a wall-clock budget for a whole transfer;
* a maximum body size, checked against ``Content-Length`` and again while
  streaming the decoded body, so a gzip bomb is cut off too (``too_large``);
* gzip and deflate (``Accept-Encoding: gzip, deflate``);
* a bounded number of redirects, the chain and the final URL given back;
* a ``User-Agent`` naming newsingest and its version;
* conditional GET: validators (``ETag``, ``Last-Modified``) of each URL are kept
  in a :class:`~newsingest.state.ValidatorStore` (a state store) and sent back as
  ``If-None-Match`` / ``If-Modified-Since``; a ``304`` gives a result with ``not_modified=True`` and
  no content, and refreshes the stored validators.

HTTP error statuses and transfer failures raise
:class:`~newsingest.exceptions.FetchError` with ``status`` and a ``reason`` such
as ``http_404``, ``read_timeout`` or ``too_large``. :meth:`Fetcher.fetch_many`
fetches several URLs on a bounded pool of threads and yields one result or
error per URL, in input order.

``httpx`` is imported when the first request is made, so ``import newsingest``
stays fast.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import attrs

from newsingest._address import address_refusal
from newsingest._version import __version__
from newsingest.exceptions import FetchError, _AddressBlocked, _DeadlineExceeded, _UndecodableBody
from newsingest.schedule import parse_retry_after
from newsingest.state import ValidatorStore

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_RETRY_WAIT",
    "DEFAULT_USER_AGENT",
    "RETRY_STATUSES",
    "FetchResult",
    "Fetcher",
    "HostPacer",
    "address_refusal",
    "retry_wait",
]

#: Where the User-Agent points people who see newsingest in their logs.
PROJECT_URL: Final = "https://pypi.org/project/newsingest/"

#: ``newsingest/<version> (+<project url>)``.
DEFAULT_USER_AGENT: Final = f"newsingest/{__version__} (+{PROJECT_URL})"

#: Largest decoded body accepted by default (10 MiB).
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024

_CHUNK = 64 * 1024

#: Finished results :meth:`Fetcher.fetch_many` holds while an earlier one is pending.
READ_AHEAD_RESULTS: Final = 64
#: Content of those results held at most.
READ_AHEAD_BYTES: Final = 64 * 1024 * 1024
#: URLs queued or fetched ahead of the consumer at most.
READ_AHEAD_URLS: Final = 1024


#: Content codings offered: the ones :class:`Fetcher` decodes within its limits.
ACCEPT_ENCODING: Final = "gzip, deflate"


#: Statuses :meth:`Fetcher.fetch` asks again after, once, with ``retry=True``.
RETRY_STATUSES: Final = frozenset({429, 503})
#: Seconds waited before that retry when the answer has no usable ``Retry-After``.
DEFAULT_RETRY_WAIT: Final = 1.0


def retry_wait(error: FetchError, now: datetime | None = None) -> float | None:
    """Seconds to wait before asking again after ``error``; ``None``: do not ask again.

    Only a ``429`` or ``503`` is worth asking again. Its ``Retry-After`` is read as
    seconds or as an HTTP date (a date in the past means now); without one, or with
    one that cannot be read, :data:`DEFAULT_RETRY_WAIT`.
    """
    if error.status not in RETRY_STATUSES:
        return None
    now = now or datetime.now(timezone.utc)
    when = parse_retry_after(error.headers.get("retry-after"), now)
    if when is None:
        return DEFAULT_RETRY_WAIT
    return max(0.0, (when - now).total_seconds())


def _frozen_headers(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType({key.lower(): item for key, item in value.items()})


@attrs.frozen(kw_only=True)
class FetchResult:
    """What one fetch gave back.

    Attributes:
        url: the URL asked for.
        final_url: the URL that answered, after redirects.
        status: the final HTTP status (``200``, ``304``…).
        headers: response headers of the final answer, names lower-cased.
        content: the decoded body (``b""`` for ``304``).
        not_modified: the server answered ``304`` to a conditional request.
        redirects: every URL redirected *to*, in order (``final_url`` last when
            there was a redirect).
    """

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_headers)
    content: bytes = b""
    not_modified: bool = False
    redirects: tuple[str, ...] = ()

    @property
    def etag(self) -> str | None:
        """The ``ETag`` header, if any."""
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        """The ``Last-Modified`` header, if any."""
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str | None:
        """The media type of ``Content-Type``, lower-cased, parameters dropped."""
        value = self.headers.get("content-type")
        if not value:
            return None
        return value.split(";", 1)[0].strip().lower() or None

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, if any."""
        value = self.headers.get("content-type") or ""
        for part in value.split(";")[1:]:
            key, _, item = part.partition("=")
            if key.strip().lower() == "charset":
                return item.strip().strip("\"'") or None
        return None


class HostPacer:
    """One request at a time per host, and ``delay`` seconds between them."""

    def __init__(self, delay: float, sleep: Callable[[float], None]) -> None:
        self._delay = delay
        self._sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.Lock] = {}
        self._next: dict[str, float] = {}

    def _host_lock(self, host: str) -> threading.Lock:
        with self._lock:
            return self._hosts.setdefault(host, threading.Lock())

    def run(self, url: str, action: Callable[[], FetchResult]) -> FetchResult:
        host = (urlsplit(url).hostname or "").lower()
        with self._host_lock(host):
            wait = self._next.get(host, 0.0) - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                return action()
            finally:
                self._next[host] = time.monotonic() + self._delay


class _HostDispatcher:
    """Run fetches on a thread pool, in input order, within per-host limits."""

    def __init__(
        self,
        one: Callable[[str], FetchResult | FetchError],
        concurrency: int,
        per_host: int | None,
        delay: float,
    ) -> None:
        self._one = one
        self._concurrency = concurrency
        self._per_host = per_host
        self._delay = delay
        self._busy: dict[str, int] = {}
        self._free_at: dict[str, float] = {}  # monotonic time a host may be asked again
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._events = 0  # fetches finished: a change missed between look and wait

    def _allowed(self, host: str, now: float) -> bool:
        if self._per_host is None:
            return True
        return self._busy.get(host, 0) < self._per_host and self._free_at.get(host, 0.0) <= now

    def _task(self, url: str, host: str) -> FetchResult | FetchError:
        try:
            return self._one(url)
        finally:
            with self._lock:
                self._busy[host] -= 1
                self._free_at[host] = time.monotonic() + self._delay

    def _wake(self, _future: Future[FetchResult | FetchError]) -> None:
        with self._changed:
            self._events += 1
            self._changed.notify_all()

    def run(self, urls: Iterator[str]) -> Iterator[FetchResult | FetchError]:
        window: deque[tuple[str, str, Future[FetchResult | FetchError] | None]] = deque()
        exhausted = False
        with ThreadPoolExecutor(
            max_workers=self._concurrency, thread_name_prefix="newsingest-fetch"
        ) as pool:
            try:
                while True:
                    while (
                        not exhausted and len(window) < READ_AHEAD_URLS and not _ahead_full(window)
                    ):
                        url = next(urls, None)
                        if url is None:
                            exhausted = True
                            break
                        window.append((url, (urlsplit(url).hostname or "").lower(), None))
                    if not window:
                        return
                    with self._lock:
                        seen = self._events
                    window = self._submit(pool, window)
                    first = window[0][2]
                    if first is not None and first.done():
                        yield first.result()
                        window.popleft()
                        continue
                    with self._changed:  # a fetch ends, or a host's delay runs out
                        if self._events == seen:
                            self._changed.wait(timeout=self._wait_for(window))
            finally:
                for _, _, future in window:
                    if future is not None:
                        future.cancel()

    def _submit(
        self,
        pool: ThreadPoolExecutor,
        window: deque[tuple[str, str, Future[FetchResult | FetchError] | None]],
    ) -> deque[tuple[str, str, Future[FetchResult | FetchError] | None]]:
        """Start every waiting URL whose host and the pool have room, in input order."""
        now = time.monotonic()
        running = sum(1 for _, _, future in window if future is not None and not future.done())
        started: deque[tuple[str, str, Future[FetchResult | FetchError] | None]] = deque()
        for url, host, future in window:
            task = future
            if task is None and running < self._concurrency:
                with self._lock:
                    ready = self._allowed(host, now)
                    if ready:
                        self._busy[host] = self._busy.get(host, 0) + 1
                if ready:
                    task = pool.submit(self._task, url, host)
                    task.add_done_callback(self._wake)  # after the result is set
                    running += 1
            started.append((url, host, task))
        return started

    def _wait_for(
        self, window: deque[tuple[str, str, Future[FetchResult | FetchError] | None]]
    ) -> float:
        """How long nothing can change but a host's delay running out."""
        now = time.monotonic()
        waits = [self._free_at.get(host, 0.0) - now for _, host, f in window if f is None]
        upcoming = [wait for wait in waits if wait > 0]
        return min([*upcoming, 0.05]) if upcoming else 0.05


def _ahead_full(
    window: deque[tuple[str, str, Future[FetchResult | FetchError] | None]],
) -> bool:
    """True when ``window`` holds as many finished results ahead of its first as allowed."""
    finished = 0
    size = 0
    for _, _, future in window:
        if future is not None and future.done():
            finished += 1
            outcome = future.result()
            if isinstance(outcome, FetchResult):
                size += len(outcome.content)
    return finished >= READ_AHEAD_RESULTS or size >= READ_AHEAD_BYTES


class Fetcher:
    """One HTTP client with limits, redirects and conditional GET.

    Args:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds to wait for any bytes from the server.
        total_timeout: seconds one transfer may take from request to last byte.
        max_bytes: largest decoded body accepted.
        max_redirects: redirects followed before giving up.
        user_agent: the ``User-Agent`` header.
        validators: where ETag / Last-Modified are kept; ``None`` turns
            conditional GET off.
        headers: extra headers sent with every request.
        trust_env: honour ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` from the
            environment. Proxy settings are not used: through a proxy the
            address policy could not see where a request goes.
        allow_private: also connect to loopback, private, link-local and other
            non-public addresses (see :func:`address_refusal`); off by default,
            for people who poll their own intranet.
        allowed_networks: networks (``"10.1.2.0/24"``, ``"fd12::/16"``) reached
            even though not public, when only some private hosts should be.

    Every request is held to the address policy (each redirect hop included,
    checked on the address actually connected to), to ``total_timeout`` from
    the first byte sent to the last received (connect, headers and body, however
    slowly bytes come), and to ``max_bytes`` of decoded body (content codings
    are undone a slice at a time, so a decompression bomb costs ``max_bytes``).

    A ``Fetcher`` is safe to share between threads. Close it (or use it as a
    context manager) to release connections.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        validators: ValidatorStore | None = None,
        headers: Mapping[str, str] | None = None,
        trust_env: bool = True,
        allow_private: bool = False,
        allowed_networks: Iterable[str] = (),
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.validators = validators
        self.headers = dict(headers or {})
        self.trust_env = trust_env
        self.allow_private = allow_private
        self.allowed_networks = tuple(allowed_networks)
        for network in self.allowed_networks:
            ipaddress.ip_network(network, strict=False)  # ValueError now, not at first use
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx  # noqa: PLC0415 - heavy import, deferred to first request

                from newsingest._edge import GuardedTransport  # noqa: PLC0415 - imports httpx

                self._client = httpx.Client(
                    timeout=httpx.Timeout(
                        connect=self.connect_timeout,
                        read=self.read_timeout,
                        write=self.read_timeout,
                        pool=self.connect_timeout,
                    ),
                    follow_redirects=True,
                    max_redirects=self.max_redirects,
                    headers={
                        "User-Agent": self.user_agent,
                        "Accept-Encoding": ACCEPT_ENCODING,
                        **self.headers,
                    },
                    transport=GuardedTransport(
                        allow_private=self.allow_private,
                        allowed_networks=self.allowed_networks,
                        trust_env=self.trust_env,
                    ),
                )
            return self._client

    def close(self) -> None:
        """Close the underlying connections; the fetcher reopens on next use."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- fetching ----------------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        conditional: bool = True,
        update_validators: bool = True,
        retry: bool = False,
    ) -> FetchResult:
        """GET ``url`` within the limits.

        Args:
            url: an absolute http(s) URL.
            headers: extra request headers (``Accept``…).
            conditional: send stored validators (when a store is set).
            update_validators: store the answer's validators right away. Pass
                ``False`` to store them only once the content is safely used,
                with :meth:`remember`. A ``304`` always refreshes them.
            retry: ask once more after a ``429`` or ``503``, waiting what its
                ``Retry-After`` says (:func:`retry_wait`), when the wait and the
                second request fit in what is left of ``total_timeout``; otherwise
                (or when the second answer fails too) the error is raised.

        Raises:
            FetchError: an HTTP error status (``reason="http_<status>"``), an
                address the policy refuses (``blocked_address``), a timeout or
                the ``total_timeout`` deadline (``timeout``), too many redirects,
                a body over ``max_bytes`` (``too_large``), a content coding that
                cannot be decoded, or any other transfer failure.
        """
        client = self._get_client()
        request_headers = dict(headers or {})
        stored = self._send_validators(url, request_headers) if conditional else None
        started = time.monotonic()
        try:
            result = self._attempt(client, url, request_headers, self.total_timeout)
        except FetchError as error:
            wait = retry_wait(error) if retry else None
            if wait is None or time.monotonic() - started + wait >= self.total_timeout:
                raise
            time.sleep(wait)  # the server asked for it; the deadline still holds
            left = self.total_timeout - (time.monotonic() - started)
            try:
                result = self._attempt(client, url, request_headers, left)
            except FetchError as again:
                again.message = f"{again.message} (retried once, {wait:g} s after {error.reason})"
                raise
        if result.not_modified:
            self._refresh(url, result, stored)
        elif update_validators:
            self.remember(result)
        return result

    def _attempt(
        self, client: httpx.Client, url: str, headers: dict[str, str], seconds: float
    ) -> FetchResult:
        """One GET within ``seconds``; every failure raised as a FetchError."""
        from newsingest._edge import deadline  # noqa: PLC0415 - imports httpx

        try:
            with deadline(seconds):
                return self._get(client, url, headers)
        except FetchError:
            raise
        except Exception as error:
            failure = self._failure(url, error)
            if failure is None:
                raise
            raise failure from error

    def _get(self, client: httpx.Client, url: str, headers: dict[str, str]) -> FetchResult:
        """One GET with redirects; an HTTP error status raises FetchError."""
        with client.stream("GET", url, headers=headers) as response:
            hops = [str(hop.request.url) for hop in response.history]
            redirects = tuple([*hops, str(response.url)][1:]) if hops else ()
            final_url = str(response.url)
            status = response.status_code
            if status == 304:
                return FetchResult(
                    url=url,
                    final_url=final_url,
                    status=status,
                    headers=dict(response.headers),
                    not_modified=True,
                    redirects=redirects,
                )
            if status >= 300:
                raise FetchError(
                    f"HTTP {status} {response.reason_phrase}".rstrip(),
                    source=url if final_url == url else f"{url} -> {final_url}",
                    reason=f"http_{status}",
                    status=status,
                    headers=dict(response.headers),
                )
            return FetchResult(
                url=url,
                final_url=final_url,
                status=status,
                headers=dict(response.headers),
                content=self._read_body(url, response),
                redirects=redirects,
            )

    def _failure(self, url: str, error: Exception) -> FetchError | None:
        """The FetchError a transfer failure stands for (``None``: a bug, re-raise it)."""
        import httpx  # noqa: PLC0415 - heavy import, deferred to first request

        if isinstance(error, _AddressBlocked):
            return FetchError(
                f"refused to connect: {error}; pass allow_private=True "
                "(--allow-private-addresses) to allow non-public addresses",
                source=url,
                reason="blocked_address",
            )
        if isinstance(error, _DeadlineExceeded):
            return FetchError(
                f"not done within the {self.total_timeout:g} s deadline",
                source=url,
                reason="timeout",
            )
        if isinstance(error, _UndecodableBody):
            return FetchError(
                f"the body could not be decoded: {error}", source=url, reason="decoding_failed"
            )
        for kind, reason, message in self._httpx_failures(httpx):
            if isinstance(error, kind):
                return FetchError(message.format(error=error), source=url, reason=reason)
        return None

    def _httpx_failures(self, httpx: Any) -> tuple[tuple[Any, str, str], ...]:
        """httpx's exceptions, most specific first, with our reason and message."""
        return (
            (
                httpx.TooManyRedirects,
                "too_many_redirects",
                f"more than {self.max_redirects} redirects",
            ),
            (
                httpx.ConnectTimeout,
                "connect_timeout",
                f"no connection within {self.connect_timeout:g} s",
            ),
            (
                httpx.ReadTimeout,
                "read_timeout",
                f"the server sent nothing for {self.read_timeout:g} s",
            ),
            (httpx.TimeoutException, "timeout", "timed out: {error}"),
            (httpx.DecodingError, "decoding_failed", "the body could not be decoded: {error}"),
            (
                (httpx.UnsupportedProtocol, httpx.InvalidURL),
                "invalid_url",
                "not a fetchable http(s) URL: {error}",
            ),
            (httpx.ConnectError, "connect_failed", "cannot connect: {error}"),
            (httpx.HTTPError, "transfer_failed", "transfer failed: {error}"),
        )

    def _send_validators(
        self, url: str, headers: dict[str, str]
    ) -> tuple[str | None, str | None] | None:
        """Add ``url``'s stored validators to ``headers``; return them (``None``: none)."""
        if self.validators is None:
            return None
        stored = self.validators.get_validators(url)
        if stored is not None:
            etag, modified = stored
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
        return stored

    def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """The decoded body, refused (``too_large``) as soon as it passes ``max_bytes``.

        Raw bytes are read and decoded here, a slice at a time, rather than by
        httpx, whose decoders expand a whole network chunk at once.
        """
        from newsingest._edge import BoundedDecoder  # noqa: PLC0415 - imports httpx

        declared = response.headers.get("content-length")
        encoding = response.headers.get("content-encoding")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, response, f"body of {declared} bytes is over the")
        decoder = BoundedDecoder(encoding)
        parts: list[bytes] = []
        size = raw = 0
        for chunk in response.iter_raw(_CHUNK):
            raw += len(chunk)
            if raw > self.max_bytes:
                raise self._too_large(url, response, "body is over the")
            for piece in decoder.feed(chunk):
                size += len(piece)
                if size > self.max_bytes:
                    raise self._too_large(url, response, "decoded body is over the")
                parts.append(piece)
        for piece in decoder.feed(b""):
            size += len(piece)
            if size > self.max_bytes:
                raise self._too_large(url, response, "decoded body is over the")
            parts.append(piece)
        return b"".join(parts)

    def _too_large(self, url: str, response: httpx.Response, what: str) -> FetchError:
        return FetchError(
            f"{what} {self.max_bytes}-byte limit (stopped reading)",
            source=url,
            reason="too_large",
            status=response.status_code,
        )

    def _refresh(
        self, url: str, result: FetchResult, stored: tuple[str | None, str | None] | None
    ) -> None:
        if self.validators is None:
            return
        old_etag, old_modified = stored or (None, None)
        self.validators.set_validators(
            url, result.etag or old_etag, result.last_modified or old_modified
        )

    def remember(self, result: FetchResult) -> None:
        """Store the validators of a ``200`` result (no-op without a store).

        Call it after the content has been used, when :meth:`fetch` was asked
        not to (``update_validators=False``): a crash in between then costs one
        full download, never a missed update.
        """
        if self.validators is None or result.not_modified:
            return
        self.validators.set_validators(result.url, result.etag, result.last_modified)

    def fetch_many(
        self,
        urls: Iterable[str],
        *,
        concurrency: int = 8,
        headers: Mapping[str, str] | None = None,
        conditional: bool = True,
        update_validators: bool = True,
        per_host: int | None = None,
        per_host_delay: float = 0.0,
        retry: bool = False,
    ) -> Iterator[FetchResult | FetchError]:
        """Fetch ``urls`` on at most ``concurrency`` threads.

        Yields one :class:`FetchResult` or :class:`FetchError` per URL, in input
        order. Fetches run ahead of the consumer while the first is still
        pending, so one slow page holds back only the yielding of those after
        it, never their fetching; the read-ahead is bounded by
        :data:`READ_AHEAD_RESULTS` finished results, :data:`READ_AHEAD_BYTES` of
        their content and :data:`READ_AHEAD_URLS` URLs waiting in all.

        Politeness: with ``per_host``, at most that many requests to one host are
        in flight at once; with ``per_host_delay`` (which implies ``per_host=1``
        when not given), a request to a host starts at least that many seconds
        after the previous one to it ended. A URL waiting for its host never
        holds a thread: requests to other hosts go ahead of it, whatever the
        order of ``urls``. ``retry``: as for :meth:`fetch` (the wait counts as a
        request in flight to its host). Other exceptions (bugs) propagate.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if per_host_delay < 0:
            raise ValueError("per_host_delay must not be negative")
        if per_host is not None and per_host < 1:
            raise ValueError("per_host must be at least 1")
        if per_host is None and per_host_delay > 0:
            per_host = 1
        options: dict[str, Any] = {
            "headers": headers,
            "conditional": conditional,
            "update_validators": update_validators,
            "retry": retry,
        }

        def one(url: str) -> FetchResult | FetchError:
            try:
                return self.fetch(url, **options)
            except FetchError as error:
                return error

        dispatcher = _HostDispatcher(one, concurrency, per_host, per_host_delay)
        return dispatcher.run(iter(urls))
