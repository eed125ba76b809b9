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

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import attrs

from newsingest._version import __version__
from newsingest.exceptions import FetchError
from newsingest.state import ValidatorStore

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_USER_AGENT",
    "FetchResult",
    "Fetcher",
    "HostPacer",
]

#: Where the User-Agent points people who see newsingest in their logs.
PROJECT_URL: Final = "https://pypi.org/project/newsingest/"

#: ``newsingest/<version> (+<project url>)``.
DEFAULT_USER_AGENT: Final = f"newsingest/{__version__} (+{PROJECT_URL})"

#: Largest decoded body accepted by default (10 MiB).
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024

_CHUNK = 64 * 1024


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
        trust_env: honour proxy settings from the environment (as httpx does).

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
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import httpx  # noqa: PLC0415 - heavy import, deferred to first request

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
                        "Accept-Encoding": "gzip, deflate",
                        **self.headers,
                    },
                    trust_env=self.trust_env,
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
    ) -> FetchResult:
        """GET ``url`` within the limits.

        Args:
            url: an absolute http(s) URL.
            headers: extra request headers (``Accept``…).
            conditional: send stored validators (when a store is set).
            update_validators: store the answer's validators right away. Pass
                ``False`` to store them only once the content is safely used,
                with :meth:`remember`. A ``304`` always refreshes them.

        Raises:
            FetchError: an HTTP error status (``reason="http_<status>"``), a
                timeout, too many redirects, a body over ``max_bytes``
                (``too_large``) or any other transfer failure.
        """
        import httpx  # noqa: PLC0415 - heavy import, deferred to first request

        client = self._get_client()
        request_headers = dict(headers or {})
        stored = self._send_validators(url, request_headers) if conditional else None
        started = time.monotonic()
        try:
            with client.stream("GET", url, headers=request_headers) as response:
                hops = [str(hop.request.url) for hop in response.history]
                redirects = tuple([*hops, str(response.url)][1:]) if hops else ()
                final_url = str(response.url)
                status = response.status_code
                if status == 304:
                    result = FetchResult(
                        url=url,
                        final_url=final_url,
                        status=status,
                        headers=dict(response.headers),
                        not_modified=True,
                        redirects=redirects,
                    )
                    self._refresh(url, result, stored)
                    return result
                if status >= 300:
                    raise FetchError(
                        f"HTTP {status} {response.reason_phrase}".rstrip(),
                        source=url if final_url == url else f"{url} -> {final_url}",
                        reason=f"http_{status}",
                        status=status,
                    )
                content = self._read_body(url, response, started)
                result = FetchResult(
                    url=url,
                    final_url=final_url,
                    status=status,
                    headers=dict(response.headers),
                    content=content,
                    redirects=redirects,
                )
        except httpx.TooManyRedirects as error:
            raise FetchError(
                f"more than {self.max_redirects} redirects", source=url, reason="too_many_redirects"
            ) from error
        except httpx.ConnectTimeout as error:
            raise FetchError(
                f"no connection within {self.connect_timeout:g} s",
                source=url,
                reason="connect_timeout",
            ) from error
        except httpx.ReadTimeout as error:
            raise FetchError(
                f"the server sent nothing for {self.read_timeout:g} s",
                source=url,
                reason="read_timeout",
            ) from error
        except httpx.TimeoutException as error:
            raise FetchError(f"timed out: {error}", source=url, reason="timeout") from error
        except httpx.DecodingError as error:
            raise FetchError(
                f"the body could not be decoded: {error}", source=url, reason="decoding_failed"
            ) from error
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            raise FetchError(
                f"not a fetchable http(s) URL: {error}", source=url, reason="invalid_url"
            ) from error
        except httpx.ConnectError as error:
            raise FetchError(
                f"cannot connect: {error}", source=url, reason="connect_failed"
            ) from error
        except httpx.HTTPError as error:
            raise FetchError(
                f"transfer failed: {type(error).__name__}: {error}",
                source=url,
                reason="transfer_failed",
            ) from error
        if update_validators:
            self.remember(result)
        return result

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

    def _read_body(self, url: str, response: httpx.Response, started: float) -> bytes:
        declared = response.headers.get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and "content-encoding" not in response.headers
            and int(declared) > self.max_bytes
        ):
            raise FetchError(
                f"body of {declared} bytes is over the {self.max_bytes}-byte limit",
                source=url,
                reason="too_large",
                status=response.status_code,
            )
        parts: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes(_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(
                    f"body is over the {self.max_bytes}-byte limit (stopped reading)",
                    source=url,
                    reason="too_large",
                    status=response.status_code,
                )
            if time.monotonic() - started > self.total_timeout:
                raise FetchError(
                    f"transfer took over {self.total_timeout:g} s",
                    source=url,
                    reason="timeout",
                    status=response.status_code,
                )
            parts.append(chunk)
        return b"".join(parts)

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
        per_host_delay: float = 0.0,
    ) -> Iterator[FetchResult | FetchError]:
        """Fetch ``urls`` on at most ``concurrency`` threads.

        Yields one :class:`FetchResult` or :class:`FetchError` per URL, in input
        order; no more than ``2 * concurrency`` fetches are queued ahead of the
        consumer. With ``per_host_delay``, requests to one host never overlap and
        start at least that many seconds after the previous one ended (politeness
        when fetching many pages of one site). Other exceptions (bugs) propagate.
        """
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if per_host_delay < 0:
            raise ValueError("per_host_delay must not be negative")
        options: dict[str, Any] = {
            "headers": headers,
            "conditional": conditional,
            "update_validators": update_validators,
        }
        pacer = HostPacer(per_host_delay, time.sleep) if per_host_delay > 0 else None

        def one(url: str) -> FetchResult | FetchError:
            try:
                if pacer is not None:
                    return pacer.run(url, lambda: self.fetch(url, **options))
                return self.fetch(url, **options)
            except FetchError as error:
                return error

        window: deque[Future[FetchResult | FetchError]] = deque()
        with ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="newsingest-fetch"
        ) as pool:
            try:
                for url in urls:
                    window.append(pool.submit(one, url))
                    if len(window) >= 2 * concurrency:
                        yield window.popleft().result()
                while window:
                    yield window.popleft().result()
            finally:
                for future in window:
                    future.cancel()
