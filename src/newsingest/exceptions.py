"""Every exception and warning newsingest raises, in one place.

The tree::

    NewsIngestError
    ├── SourceError (.source)                 a file, URL or stream could not be used
    │   ├── SourceNotFoundError                 nothing at that path
    │   ├── UnsupportedSourceError(ValueError)  no reader accepts it
    │   ├── FetchError (.status)                HTTP said no, or the transfer failed
    │   └── ParseError(ValueError)              one record is malformed (.line / .item)
    │       └── HydrationError                    a listed URL's page could not be used
    ├── NormalizationError(ValueError)        a value cannot be normalised (.reason)
    │   ├── InvalidURLError
    │   └── InvalidDateError
    ├── RegistryError                         a bad or duplicate reader registration
    ├── StoreError                            the state file cannot be used
    ├── WorkerError                           a worker process of a parallel run died
    └── MissingExtraError(ImportError)        an optional integration is not installed

    NewsIngestWarning(UserWarning)            a recoverable oddity (.source / .line / .item)

``str(error)`` always names the source and, where there is one, the line or item,
so a message read in a log says where to look, and ends with the error it was raised
from, when there is one (``(caused by InvalidURLError: …)``). Every exception
pickles, its cause's rendering included, so errors raised in worker processes reach
the parent intact.

Every reason code is listed once, with its meaning, by family, in :data:`REASONS`
(rendered in the docs' Concepts page, "Reason codes").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "REASONS",
    "FetchError",
    "HydrationError",
    "InvalidDateError",
    "InvalidURLError",
    "MissingExtraError",
    "NewsIngestError",
    "NewsIngestWarning",
    "NormalizationError",
    "ParseError",
    "RegistryError",
    "SourceError",
    "SourceNotFoundError",
    "StoreError",
    "UnsupportedSourceError",
    "WorkerError",
]


_URL_REASONS: Final = {
    "empty": "no URL at all",
    "unsupported_scheme": "not http or https",
    "relative_without_base": "a relative URL with nothing to resolve it against",
    "invalid_host": "no host, or one that is not a valid name or address",
    "invalid_port": "a port that is not a number from 0 to 65535",
    "too_long": "over the URL length limit",
}

#: Every reason code an error or warning can carry, by the family that carries it,
#: with what it means: the one list to filter ``error.reason`` on (the docs render it;
#: a test checks that the package uses no other). ``<...>`` marks a part filled in.
REASONS: Final[Mapping[str, Mapping[str, str]]] = {
    "SourceError": {
        "source_error": "a source could not be used (no more specific reason)",
        "not_found": "nothing at that path, or a glob matched nothing",
        "unsupported": "no registered reader accepts the source",
    },
    "FetchError": {
        "fetch_failed": "an HTTP transfer failed (no more specific reason)",
        "http_<status>": "the server answered with that HTTP error status",
        "connect_timeout": "no connection within the connect timeout",
        "read_timeout": "the server sent nothing for the read timeout",
        "timeout": "the request ran past its deadline (connect, headers and body)",
        "blocked_address": "the host is a loopback, private or other non-public address",
        "connect_failed": "the connection was refused or could not be made",
        "too_many_redirects": "more redirects than allowed",
        "too_large": "the body is over the size limit",
        "decoding_failed": "the body's content encoding could not be decoded",
        "invalid_url": "not a fetchable http(s) URL",
        "transfer_failed": "any other transfer failure",
    },
    "ParseError": {
        "parse_error": "a record is malformed (no more specific reason)",
        "too_large": "a document, field or list is over its limit",
        "binary": "binary data (a NUL byte) in a text format",
        "undecodable": "bytes that are not valid in the text's encoding",
        "unreadable": "the file exists but cannot be read",
        "empty": "an empty file",
        "missing_title": "seed line 1 is blank",
        "missing_date": "seed line 2 is blank",
        "bad_date": "seed line 2 is not a calendar YYYYMMDD",
        "missing_url": "seed line 3 is blank",
        "bad_url": "seed line 3 is not an absolute http(s) URL",
        "field_too_long": "a title, URL or segment is over its length limit",
        "too_many_segments": "a body with more segments than allowed",
        "several_documents": "seed files joined into one (another header in the body)",
        "not_a_feed": "the document is not RSS, RDF or Atom",
        "truncated": "a feed that ends before its root element closes (a cut-off download)",
        "sitemap_failed": "a sitemap an index lists could not be fetched or read",
        "entity_declaration": "the document declares XML entities (refused)",
        "too_deep": "XML nested deeper than the depth limit",
        "unparseable": "the feed parser could not read the document",
        "invalid_entry": "a feed entry could not be read",
        "empty_entry": "a feed entry with no title, link, id or text",
        "too_many_entries": "a list with more entries than allowed",
        "line_too_long": "a list line over its length limit",
        "whitespace": "a list line holding whitespace (one URL a line)",
        "not_absolute_http_url": "a list line that is not an absolute http(s) URL",
        "invalid_url:<InvalidURLError reason>": "a record's URL cannot be normalised",
        "<InvalidURLError reason>": "a list line's URL cannot be used",
        "wrapped_<InvalidURLError reason>": "a redirect wrapper's target cannot be used",
        "warc_truncated": "a WARC record cut off by the end of the file",
        "warc_corrupt": "a WARC record that cannot be parsed; reading goes on at the next one",
        "no_text": "a WARC page from which no article text was extracted",
        "extraction_failed": "the page extractor failed on a WARC page",
    },
    "HydrationError": {
        "hydration_failed": "a listed page could not be used (no more specific reason)",
        "<FetchError reason>": "fetching the page failed",
        "not_html": "the page is not HTML",
        "no_text": "no article text was found on the page",
        "extraction_failed": "the page extractor failed",
        "robots_disallowed": "the site's robots.txt disallows fetching the page",
        "consent_wall": "the page shows a cookie or consent notice instead of the article",
        "login_wall": "the page shows a sign-in form instead of the article",
        "paywall": "the page shows a subscription notice instead of the article",
        "repeated_text": "the page shows the notice text other pages of its host show",
    },
    "InvalidURLError": {"invalid": "the URL cannot be normalised", **_URL_REASONS},
    "InvalidDateError": {
        "invalid": "the date cannot be used",
        "empty": "no date at all",
        "unparseable": "not a date form newsingest reads",
        "ambiguous": "a form whose day and month order is unknown",
        "invalid_field": "a field out of its range (month 13, day 32...)",
        "out_of_range": "before the earliest date accepted",
        "out_of_range_future": "further in the future than allowed",
        "unknown_zone": "a time zone name that is not known",
        "unsupported_type": "a value that is neither text nor a datetime",
    },
    "NewsIngestWarning": {
        "warning": "a recoverable oddity (no more specific reason)",
        "bozo": "a malformed feed, read as far as it goes",
        "empty_body": "an article with a header and no body",
        "too_large": "a part over its limit was dropped",
        "bad_date": "an entry's date cannot be used; the entry is kept without it",
        "weekday_mismatch": "a date whose weekday is wrong; the date is kept",
        "unknown_version": "a JSON Feed version newer than this reader knows; read as 1.1",
        "bad_url": "an entry's link cannot be used; the entry is kept without it",
        "invalid_canonical": "a page's declared canonical URL cannot be used",
        "invalid_date": "a page's date cannot be used",
        "page_failed": "a feed item's page could not be used; the item is kept as the feed gave it",
        "replaced_bytes": "a page's bytes were invalid in every candidate charset and replaced",
        "symlink_loop": "a folder already walked (a link or mount loop); not entered again",
        "too_deep": "a folder nested deeper than the walk limit; not entered",
        "unreadable": "a folder that cannot be listed; skipped",
        "empty_folder": "a folder (or glob) with no file to read",
        "looks_like_feeds": "a URL list whose lines look like feeds (use --feeds)",
        "possible_gap": "a full feed sharing no item with its previous poll (missed stories?)",
        "sitemap_index_not_followed": "a sitemap index read without a way to fetch what it lists",
        "warc_skipped": "WARC records passed over (not HTML responses, filtered), counted by kind",
    },
}


def _where(source: str | None, line: int | None, item: int | None) -> str:
    """Say where a problem is, as ``file:line`` or ``url item N``."""
    where = "<unknown source>" if source is None else source
    if line is not None:
        where = f"{where}:{line}"
    if item is not None:
        where = f"{where} item {item}"
    return where


class NewsIngestError(Exception):
    """Base of every error newsingest raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self._with_cause(self.message)

    def _with_cause(self, text: str) -> str:
        """``text``, followed by the cause this error was raised from (when there is
        one and ``text`` does not already show it)."""
        cause = self.__cause__
        if cause is not None:
            detail = str(cause)
            if detail and detail in text:
                return text
            shown: str | None = _render_cause(cause)
        else:
            shown = self.__dict__.get("_cause_text")  # rendered before pickling
        return text if shown is None else f"{text} (caused by {shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only state lives in __dict__; rebuild with the message, then restore it.
        # A cause does not pickle with its exception: its rendering travels instead.
        state = self.__dict__.copy()
        cause = self.__cause__
        if cause is not None and not (str(cause) and str(cause) in self.message):
            state["_cause_text"] = _render_cause(cause)
        return (type(self), (self.message,), state)


def _render_cause(cause: BaseException) -> str:
    detail = str(cause)
    return f"{type(cause).__name__}: {detail}" if detail else type(cause).__name__


class SourceError(NewsIngestError):
    """A source (file, URL, stream) could not be used.

    Attributes:
        source: the path or URL, as the user gave it or as resolved.
        reason: a short machine-readable code (``"not_found"``, ``"http_404"``, …).
    """

    default_reason = "source_error"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.reason = reason or self.default_reason

    @property
    def where(self) -> str:
        """The source, with the line or item where there is one."""
        return _where(self.source, None, None)

    def __str__(self) -> str:
        return self._with_cause(f"{self.where}: {self.message}")


class SourceNotFoundError(SourceError):
    """Nothing exists at the given path (or a glob matched nothing)."""

    default_reason = "not_found"


class UnsupportedSourceError(SourceError, ValueError):
    """No registered reader accepts the source."""

    default_reason = "unsupported"


class FetchError(SourceError):
    """An HTTP transfer failed; ``status`` holds the HTTP status when there was one,
    ``headers`` the error response's headers (names lower-cased; ``Retry-After``
    is what a scheduler needs of a ``429`` or ``503``)."""

    default_reason = "fetch_failed"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        reason: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, source=source, reason=reason)
        self.status = status
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in (headers or {}).items()}


class ParseError(SourceError, ValueError):
    """One record of a source is malformed.

    Attributes:
        line: 1-based line number in a text source, when known.
        item: 0-based index of the record in the source (entry of a feed,
            line of a list), when known.
    """

    default_reason = "parse_error"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        item: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, source=source, reason=reason)
        self.line = line
        self.item = item

    @property
    def where(self) -> str:
        return _where(self.source, self.line, self.item)


class HydrationError(ParseError):
    """One listed URL could not be turned into an article (``--fetch``).

    ``source``, ``line`` and ``item`` point at the list entry (as for a
    :class:`ParseError`); ``reason`` says why (``http_404``, ``not_html``, ``no_text``,
    ``too_large``, ``read_timeout``…). A fetch failure is chained as ``__cause__``.

    Attributes:
        url: the URL that was fetched.
        final_url: where redirects led, when the server answered.
        status: the HTTP status, when there was one.
    """

    default_reason = "hydration_failed"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        item: int | None = None,
        reason: str | None = None,
        url: str | None = None,
        final_url: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, source=source, line=line, item=item, reason=reason)
        self.url = url
        self.final_url = final_url
        self.status = status


class NormalizationError(NewsIngestError, ValueError):
    """A value cannot be normalised.

    Attributes:
        reason: machine-readable reason code (see the subclasses for theirs).
        value: the offending input, as given.
    """

    def __init__(self, message: str, *, reason: str = "invalid", value: object = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.value = value

    def __str__(self) -> str:
        return self._with_cause(f"{self.message} [{self.reason}]")


class InvalidURLError(NormalizationError):
    """A URL cannot be made canonical.

    Reason codes: ``empty``, ``unsupported_scheme``, ``relative_without_base``,
    ``invalid_host``, ``invalid_port``, ``too_long``.
    """


class InvalidDateError(NormalizationError):
    """A date cannot be parsed without guessing.

    Reason codes: ``empty``, ``unparseable``, ``ambiguous``, ``invalid_field``,
    ``out_of_range_future``, ``out_of_range``, ``unsupported_type``.
    """


class RegistryError(NewsIngestError):
    """A reader registration is invalid or clashes with an existing one."""


class StoreError(NewsIngestError):
    """A seen-store file cannot be used (wrong layout version, not a newsingest store)."""


class WorkerError(NewsIngestError):
    """A worker process of a parallel run (``workers > 1``) died or could not be reached.

    The message names the process and its exit code; the run ends with it (the
    records before it were emitted, in order).
    """


class MissingExtraError(NewsIngestError, ImportError):
    """An optional integration was used without its extra installed."""

    @classmethod
    def for_extra(cls, feature: str, extra: str, module: str) -> MissingExtraError:
        """Build the error that tells the user which extra to install."""
        return cls(
            f"{feature} needs the optional dependency {module!r}; "
            f"install it with: pip install 'newsingest[{extra}]'"
        )


class NewsIngestWarning(UserWarning):
    """A recoverable oddity: the record was used, but something deserves a look.

    Attributes mirror :class:`ParseError`: ``source``, ``line``, ``item`` and a
    machine-readable ``reason``.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        item: int | None = None,
        reason: str = "warning",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.item = item
        self.reason = reason

    def __str__(self) -> str:
        return f"{_where(self.source, self.line, self.item)}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,), self.__dict__.copy())


class _AddressBlocked(Exception):
    """The host resolved only to addresses the policy refuses (internal to the HTTP room)."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        where = address if host == address else f"{host} resolves to {address},"
        super().__init__(f"{where} a {kind} address")
        self.host = host
        self.address = address
        self.kind = kind


class _DeadlineExceeded(Exception):
    """A request ran past its deadline (internal to the HTTP room)."""


class _UndecodableBody(Exception):
    """A content coding that is unknown, stacked too deep, or corrupt."""


class _StopRun(Exception):
    """Thrown into a running ingest by ``IngestRun.stop()``: end here, and record as
    seen what was handed to the consumer (who wrote it)."""


class _WeekdayMismatch(Exception):
    """A date whose weekday contradicts its day: carries the date read without it."""

    def __init__(self, result: tuple[Any, str, str], message: str) -> None:
        super().__init__(message)
        self.result = result
        self.message = message
