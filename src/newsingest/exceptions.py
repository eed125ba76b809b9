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
"""

from __future__ import annotations

from typing import Any

__all__ = [
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
    """An HTTP transfer failed; ``status`` holds the HTTP status when there was one."""

    default_reason = "fetch_failed"

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        reason: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, source=source, reason=reason)
        self.status = status


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
