"""The guarded network edge under :class:`newsingest.fetch.Fetcher`.

Three guards sit below httpx, where no redirect, keep-alive connection or
spelling of a host can go around them:

* **Address policy.** Every TCP connection is made by :class:`GuardedBackend`,
  which resolves the host itself, classifies each address with
  :func:`address_refusal` and connects only to an allowed one (by address, so a
  second DNS answer cannot differ from the checked one). Redirect hops open
  their own connections, so each hop is checked.
* **One deadline per request.** :func:`deadline` sets, for the calling thread,
  the instant by which the whole request must be done; every connect, TLS
  handshake, read and write of the streams made here waits at most until then,
  so a server that sends a byte a second (headers or body) cannot hold a
  request past it.
* **Bounded decoding.** :class:`BoundedDecoder` undoes ``gzip``/``deflate``
  content codings (stacked ones too) in slices of at most ``_SLICE`` bytes and
  stops once the output passes its limit, so a decompression bomb costs the
  limit, not what it would expand to.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpcore
import httpx

from newsingest._address import address_refusal
from newsingest.exceptions import _AddressBlocked, _DeadlineExceeded, _UndecodableBody

__all__ = [
    "BoundedDecoder",
    "GuardedTransport",
    "deadline",
]

_SLICE: Final = 64 * 1024


# -- one deadline per request ------------------------------------------------

_local = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every network wait of this thread, inside the block, ends ``seconds`` from now."""
    previous = getattr(_local, "at", None)
    _local.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.at = previous


def _bounded(timeout: float | None) -> float | None:
    """``timeout``, shortened to what is left of this thread's deadline."""
    at: float | None = getattr(_local, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise _DeadlineExceeded
    return left if timeout is None else min(timeout, left)


def _past_deadline() -> bool:
    at: float | None = getattr(_local, "at", None)
    return at is not None and time.monotonic() >= at


class _SocketStream(httpcore.NetworkStream):
    """A TCP (or TLS) socket whose every wait ends at the thread's deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(_bounded(timeout))
            return self._sock.recv(max_bytes)
        except TimeoutError as error:
            raise _timed_out(httpcore.ReadTimeout, error) from None
        except OSError as error:
            raise httpcore.ReadError(str(error)) from error

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        while buffer:
            try:
                self._sock.settimeout(_bounded(timeout))
                sent = self._sock.send(buffer)
            except TimeoutError as error:
                raise _timed_out(httpcore.WriteTimeout, error) from None
            except OSError as error:
                raise httpcore.WriteError(str(error)) from error
            buffer = buffer[sent:]

    def close(self) -> None:
        self._sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            self._sock.settimeout(_bounded(timeout))
            wrapped = ssl_context.wrap_socket(self._sock, server_hostname=server_hostname)
        except TimeoutError as error:
            self._sock.close()
            raise _timed_out(httpcore.ConnectTimeout, error) from None
        except OSError as error:
            self._sock.close()
            raise httpcore.ConnectError(str(error)) from error
        return _SocketStream(wrapped)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return getattr(self._sock, "_sslobj", None)
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            return _readable(self._sock)
        return None


def _readable(sock: socket.socket) -> bool:
    """True when a read would not block: data waits, or the peer closed (stale)."""
    if sock.fileno() < 0:
        return True
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


def _timed_out(kind: type[Exception], error: OSError) -> Exception:
    """The deadline's exception when it has passed, else ``kind`` (a plain timeout)."""
    if _past_deadline():
        return _DeadlineExceeded()
    return kind(str(error) or "timed out")


def _resolve(host: str, port: int, timeout: float | None) -> list[Any]:
    """``getaddrinfo`` for a TCP connection, given up after ``timeout`` seconds.

    The lookup runs on a daemon thread because the resolver has no timeout of its
    own; a lookup that outlives the request is left to finish alone.
    """
    answer: list[Any] = []
    failure: list[OSError] = []

    def lookup() -> None:
        try:
            answer.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            failure.append(error)

    worker = threading.Thread(target=lookup, name="newsingest-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout:g} s")
    if failure:
        raise httpcore.ConnectError(f"cannot resolve {host}: {failure[0]}")
    return answer


class GuardedBackend(httpcore.NetworkBackend):
    """TCP connections only to addresses the policy allows, within the deadline."""

    def __init__(self, *, allow_private: bool, allowed_networks: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowed_networks = tuple(
            ipaddress.ip_network(network, strict=False) for network in allowed_networks
        )

    def refusal(self, address: str) -> str | None:
        """Why this backend will not connect to ``address`` (``None``: it will)."""
        if self.allow_private:
            return None
        why = address_refusal(address)
        if why is not None and self.allowed_networks:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if any(ip.version == net.version and ip in net for net in self.allowed_networks):
                return None
        return why

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        started = time.monotonic()
        candidates = _resolve(host, port, _bounded(timeout))
        refused: tuple[str, str] | None = None
        last: OSError | None = None
        for candidate in candidates:
            address = str(candidate[4][0])
            why = self.refusal(address)
            if why is not None:
                refused = refused or (address, why)
                continue
            left = _bounded(None if timeout is None else timeout - (time.monotonic() - started))
            if left is not None and left <= 0:
                raise httpcore.ConnectTimeout(f"no connection to {host} within {timeout:g} s")
            try:
                sock = _connect(candidate, left, local_address)
            except TimeoutError as error:
                raise _timed_out(httpcore.ConnectTimeout, error) from None
            except OSError as error:
                last = error
                continue
            for option in socket_options or ():
                sock.setsockopt(*option)
            return _SocketStream(sock)
        if refused is not None and last is None:
            raise _AddressBlocked(host, *refused)
        raise httpcore.ConnectError(f"cannot connect to {host}:{port}: {last}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by newsingest")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _connect(candidate: Any, timeout: float | None, local_address: str | None) -> socket.socket:
    """A connected socket for one ``getaddrinfo`` answer (closed again on failure)."""
    family, kind, proto, _, sockaddr = candidate
    sock = socket.socket(family, kind, proto)
    try:
        sock.settimeout(timeout)
        if local_address is not None:
            sock.bind((local_address, 0))
        sock.connect(sockaddr)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


# -- the transport httpx is given ----------------------------------------------


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as httpx's of the same name (as httpx's own transport does)."""
    try:
        yield
    except httpcore.TimeoutException as error:
        raise getattr(httpx, type(error).__name__, httpx.TimeoutException)(str(error)) from error
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as error:
        raise getattr(httpx, type(error).__name__, httpx.TransportError)(str(error)) from error


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            closer()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over :class:`GuardedBackend` (HTTP/1.1, no proxy).

    Proxies are not used: through a proxy the address connected to is the
    proxy's, and the policy could not see where a request really goes.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        allowed_networks: Iterable[str] = (),
        trust_env: bool = True,
    ) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=trust_env),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(
                allow_private=allow_private, allowed_networks=allowed_networks
            ),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            answer = self._pool.handle_request(core_request)
        assert isinstance(answer.stream, Iterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_ResponseStream(answer.stream),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# -- bounded decoding ----------------------------------------------------------

#: Content codings decoded, and the zlib window setting for each.
_WBITS: Final = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}

#: Stacked content codings decoded at most (``gzip, gzip`` is two).
MAX_CODINGS: Final = 2


class _Inflater:
    """One content coding undone in slices of at most ``_SLICE`` bytes."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._object = zlib.decompressobj(_WBITS[coding])
        self._fed = False  # no byte decoded yet: raw deflate may still be tried
        self._ended = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self._ended:
            try:
                out = self._object.decompress(data, _SLICE)
            except zlib.error as error:
                if self._coding == "deflate" and not self._fed:
                    # "deflate" without its zlib header, as some servers send it.
                    self._object = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._fed = True
                    continue
                raise _UndecodableBody(f"corrupt {self._coding} data: {error}") from None
            self._fed = self._fed or bool(data)
            data = self._object.unconsumed_tail
            if self._object.eof:
                data = self._next_member()
            if out:
                yield out
            if not data and len(out) < _SLICE:
                return

    def _next_member(self) -> bytes:
        """After one gzip member ends, the next one's bytes (gzip may concatenate)."""
        rest = self._object.unused_data
        if self._coding == "deflate" or not rest.strip(b"\0"):
            self._ended = True
            return b""
        self._object = zlib.decompressobj(_WBITS[self._coding])
        return rest


class BoundedDecoder:
    """Undo a ``Content-Encoding`` a slice at a time (``feed`` yields the output).

    The caller stops iterating once it has enough: no more is decoded than asked
    for, so memory stays at a few slices whatever the bytes expand to.

    Raises:
        _UndecodableBody: (at construction) a coding other than gzip, deflate and
            identity, or more than :data:`MAX_CODINGS` of them; (while feeding)
            corrupt data.
    """

    def __init__(self, content_encoding: str | None) -> None:
        codings = [
            coding
            for coding in (part.strip().lower() for part in (content_encoding or "").split(","))
            if coding and coding != "identity"
        ]
        for coding in codings:
            if coding not in _WBITS:
                raise _UndecodableBody(f"content coding {coding!r} is not supported")
        if len(codings) > MAX_CODINGS:
            raise _UndecodableBody(
                f"{len(codings)} stacked content codings ({', '.join(codings)}); "
                f"at most {MAX_CODINGS} are decoded"
            )
        # Codings are listed in the order they were applied: undo the last first.
        self._layers = [_Inflater(coding) for coding in reversed(codings)]

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes ``data`` gives, slice by slice (``b""`` at the end flushes)."""
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[index].feed(data):
            yield from self._through(index + 1, piece)
        if not data:
            yield from self._through(index + 1, b"")
