"""The pipeline: sources → readers → normalise → dedup → your loop, with a report.

:func:`ingest` is lazy and streaming: it reads one source at a time and yields
each Article as soon as it is ready, so memory stays flat in the number of
articles. Problems never vanish: every rejected record is raised, skipped and
counted, or quarantined with its reason (``on_error``), every warning is
counted, and every duplicate is reported to ``on_duplicate`` and counted.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Literal

import attrs

from newsingest.exceptions import (
    InvalidURLError,
    NewsIngestError,
    NewsIngestWarning,
    ParseError,
    SourceError,
)
from newsingest.model import Article
from newsingest.readers import (
    Reader,
    ReaderRegistry,
    SourceLike,
    buffer_stream,
    default_registry,
    expand_sources,
    source_name,
)
from newsingest.sinks import JsonlWriter, quarantine_record

__all__ = ["IngestRun", "OnError", "RunReport", "ingest", "normalise_article"]

OnError = Literal["raise", "skip", "quarantine"]
_ON_ERROR = ("raise", "skip", "quarantine")
#: How many warning messages a report keeps verbatim (all are counted).
MAX_KEPT_MESSAGES = 100


@attrs.define
class RunReport:
    """Counts for one run. Every record read ends up in exactly one bucket.

    Attributes:
        sources: sources opened (files, URLs, streams).
        read: records the readers produced (articles plus rejected records).
        emitted: articles yielded to the caller.
        errors: rejected records and sources, by reason code.
        warnings: warnings, by reason code.
        duplicates: duplicates reported, by the key type that matched.
        quarantined: records written to the quarantine.
        messages: the first warning and error messages, verbatim.
    """

    sources: int = 0
    read: int = 0
    emitted: int = 0
    errors: Counter[str] = attrs.field(factory=Counter)
    warnings: Counter[str] = attrs.field(factory=Counter)
    duplicates: Counter[str] = attrs.field(factory=Counter)
    quarantined: int = 0
    messages: list[str] = attrs.field(factory=list)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def warning_count(self) -> int:
        return sum(self.warnings.values())

    @property
    def duplicate_count(self) -> int:
        return sum(self.duplicates.values())

    def note(self, message: str) -> None:
        if len(self.messages) < MAX_KEPT_MESSAGES:
            self.messages.append(message)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form of the report."""
        return {
            "sources": self.sources,
            "read": self.read,
            "emitted": self.emitted,
            "errors": dict(sorted(self.errors.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "duplicates": dict(sorted(self.duplicates.items())),
            "quarantined": self.quarantined,
        }

    def summary(self) -> str:
        """One line for a terminal: what came in, what went out, what went wrong."""

        def plural(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        parts = [
            plural(self.sources, "source"),
            f"{self.read} read",
            f"{self.emitted} emitted",
            plural(self.duplicate_count, "duplicate"),
            plural(self.error_count, "error"),
            plural(self.warning_count, "warning"),
        ]
        if self.quarantined:
            parts.append(f"{self.quarantined} quarantined")
        return ", ".join(parts)


def normalise_article(article: Article) -> Article:
    """Add the canonical URL and the URL key where the article has a URL.

    Values already set (for example by hydration from a declared canonical link)
    are kept. Raises :class:`InvalidURLError` for a URL that cannot be normalised.
    """
    from newsingest.normalize.urls import canonical_url, url_key  # noqa: PLC0415

    if article.url is None:
        return article
    changes: dict[str, Any] = {}
    canonical = article.canonical_url
    if canonical is None:
        canonical = canonical_url(article.url)
        changes["canonical_url"] = canonical
    if article.url_key is None:
        changes["url_key"] = url_key(canonical)
    if not changes:
        return article
    return attrs.evolve(article, **changes)


QuarantineTarget = str | os.PathLike[str] | IO[str] | Callable[[dict[str, Any]], None]


class IngestRun(Iterator[Article]):
    """An ingest in progress: iterate it for Articles; ``report`` fills as it goes."""

    def __init__(self, articles: Iterator[Article], report: RunReport, closer: Callable[[], None]):
        self._articles = articles
        self.report = report
        self._closer = closer
        self._closed = False

    def __iter__(self) -> IngestRun:
        return self

    def __next__(self) -> Article:
        try:
            return next(self._articles)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop reading and release files and stores (idempotent)."""
        if not self._closed:
            self._closed = True
            close = getattr(self._articles, "close", None)
            if close is not None:
                close()
            self._closer()

    def __enter__(self) -> IngestRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ingest(
    sources: Iterable[SourceLike] | SourceLike,
    *,
    reader: str | Reader | None = None,
    registry: ReaderRegistry | None = None,
    on_error: OnError = "raise",
    quarantine: QuarantineTarget | None = None,
    on_warning: Callable[[NewsIngestWarning], None] | None = None,
    normalize: bool = True,
    report: RunReport | None = None,
) -> IngestRun:
    """Read sources and yield clean Articles.

    Args:
        sources: paths, directories (recursive, sorted), globs, http(s) URLs,
            bytes or open streams; one source or an iterable of them.
        reader: force a reader (a registered name or a reader object) instead of
            resolving one per source.
        registry: where to resolve readers; the default registry otherwise.
        on_error: ``"raise"`` the first rejected record or source (default);
            ``"skip"`` it (counted in the report); ``"quarantine"`` it (also
            written to ``quarantine``).
        quarantine: with ``on_error="quarantine"``: a path, ``"-"``, an open text
            stream or a callable receiving each quarantine record.
        on_warning: called with every :class:`NewsIngestWarning` (they are always
            counted in the report).
        normalize: add canonical URL and URL key (on by default).
        report: a :class:`RunReport` to fill (a new one otherwise).

    Returns:
        An :class:`IngestRun`: an iterator of Articles with a ``report``.

    Raises:
        ValueError: an unknown ``on_error`` or a quarantine without a target.
        NewsIngestError: with ``on_error="raise"``, the first rejected record.
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {_ON_ERROR}, got {on_error!r}")
    if on_error == "quarantine" and quarantine is None:
        raise ValueError("on_error='quarantine' needs a quarantine target")
    run_report = report if report is not None else RunReport()
    registry = registry if registry is not None else default_registry()
    forced = registry.get(reader) if isinstance(reader, str) else reader

    writer: JsonlWriter | None = None
    sink: Callable[[dict[str, Any]], None] | None = None
    if on_error == "quarantine":
        if callable(quarantine) and not hasattr(quarantine, "write"):
            sink = quarantine
        else:
            writer = JsonlWriter(quarantine)  # type: ignore[arg-type]
            sink = writer.write

    def reject(error: NewsIngestError, reader_name: str | None) -> None:
        reason = getattr(error, "reason", type(error).__name__)
        run_report.errors[reason] += 1
        run_report.note(f"error: {error}")
        if on_error == "raise":
            raise error
        if sink is not None:
            sink(quarantine_record(error, reader=reader_name))
            run_report.quarantined += 1

    def warn(warning: NewsIngestWarning) -> None:
        run_report.warnings[warning.reason] += 1
        run_report.note(f"warning: {warning}")
        if on_warning is not None:
            on_warning(warning)

    def articles() -> Iterator[Article]:
        try:
            expanded = expand_sources(sources)
            while True:
                try:
                    source = next(expanded)
                except StopIteration:
                    break
                except SourceError as error:
                    reject(error, None)
                    continue
                run_report.sources += 1
                try:
                    if forced is None:
                        source = buffer_stream(source)
                    chosen = forced if forced is not None else registry.resolve(source)
                    items = chosen.read(source)
                    for item in items:
                        if isinstance(item, Article):
                            run_report.read += 1
                            if normalize:
                                try:
                                    article = normalise_article(item)
                                except InvalidURLError as error:
                                    reject(_url_error(item, error), chosen.name)
                                    continue
                            else:
                                article = item
                            run_report.emitted += 1
                            yield article
                        elif isinstance(item, NewsIngestWarning):
                            warn(item)
                        else:
                            run_report.read += 1
                            reject(item, chosen.name)
                except SourceError as error:
                    reject(error, forced.name if forced is not None else None)
        finally:
            if writer is not None:
                writer.close()

    return IngestRun(articles(), run_report, lambda: None)


def _url_error(article: Article, error: InvalidURLError) -> ParseError:
    source = article.source
    parse_error = ParseError(
        f"URL {article.url!r} cannot be normalised: {error.message}",
        source=source.location if source is not None else source_name(article),
        line=source.line if source is not None else None,
        item=source.item if source is not None else None,
        reason=f"invalid_url:{error.reason}",
    )
    parse_error.__cause__ = error
    return parse_error
