"""The typed records newsingest emits: :class:`Article` and its :class:`Provenance`.

Both are frozen ``attrs`` classes. Converters only make lossless coercions (a list
of segments becomes a tuple, a dict of extras becomes a read-only mapping);
validators enforce the invariants every consumer relies on: datetimes are aware
and in UTC, URLs are absolute http(s), precisions come from a fixed vocabulary.

``to_dict()`` gives a JSON-safe dict carrying ``schema_version``; ``from_dict()``
reverses it exactly, so ``Article.from_dict(json.loads(json.dumps(a.to_dict()))) == a``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final, TypedDict

import attrs

from newsingest.exceptions import _where

__all__ = [
    "PRECISIONS",
    "SCHEMA_VERSION",
    "Article",
    "ArticleRecord",
    "FrozenMap",
    "Provenance",
    "ProvenanceRecord",
    "format_utc",
]

#: Version of the dict layout produced by :meth:`Article.to_dict`.
SCHEMA_VERSION: Final = 1

#: How precisely a ``published`` instant is known, coarsest first.
PRECISIONS: Final = ("year", "month", "day", "hour", "minute", "second", "microsecond")

_ZERO = timedelta(0)


class ProvenanceRecord(TypedDict):
    """:meth:`Provenance.to_dict`'s layout (see :class:`Provenance` for the fields)."""

    reader: str
    location: str
    line: int | None
    item: int | None
    feed_title: str | None
    feed_url: str | None
    entry_id: str | None
    ordinal: str | None
    file_id: str | None


class ArticleRecord(TypedDict):
    """:meth:`Article.to_dict`'s layout: the one record type the pipeline's stages pass on.

    Readers with a record fast path build it directly; every other reader's Articles
    are turned into it once. :class:`Article` is the validated view of a record
    (:meth:`Article.from_dict`). ``published`` is ISO 8601 UTC with a ``Z``; the
    sequences are lists; ``extra`` is plain JSON.
    """

    schema_version: int
    title: str
    url: str | None
    canonical_url: str | None
    url_key: str | None
    content_key: str | None
    published: str | None
    published_precision: str | None
    published_raw: str | None
    body: list[str]
    summary: str | None
    authors: list[str]
    tags: list[str]
    language: str | None
    source: ProvenanceRecord
    extra: dict[str, Any]


def _is_http_url(value: str) -> bool:
    head = value[:8].lower()
    return (head.startswith("http://") and len(value) > 7) or (
        head.startswith("https://") and len(value) > 8
    )


def _http_url(_inst: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str or None, not {type(value).__name__}")
    if not _is_http_url(value):
        raise ValueError(f"{attribute.name} must be an absolute http(s) URL, got {value!r}")


def _utc_datetime(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise TypeError(f"{attribute.name} must be a datetime or None, not {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{attribute.name} must be timezone-aware (UTC), got naive {value!r}")
    if offset != _ZERO:
        raise ValueError(f"{attribute.name} must be in UTC, got offset {offset} in {value!r}")


def _precision(_inst: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and value not in PRECISIONS:
        raise ValueError(f"{attribute.name} must be one of {PRECISIONS}, got {value!r}")


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError("expected a sequence of strings, got a single str")
    return tuple(value)


def _check_str_items(
    _inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]
) -> None:
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{attribute.name}[{index}] must be a str, not {type(item).__name__}")


def _check_json(path: str, value: object) -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path} must be a finite number, got {value!r}")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(f"{path}[{index}]", item)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} keys must be str, got {key!r}")
            _check_json(f"{path}[{key!r}]", item)
        return
    raise TypeError(
        f"{path} must hold JSON values (str, int, float, bool, None, list, dict), "
        f"got {type(value).__name__}"
    )


class FrozenMap(Mapping[str, Any]):
    """A read-only, picklable mapping (``MappingProxyType`` cannot be pickled).

    Used for ``Article.extra`` so records can cross process boundaries.
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return bool(self._data == other._data)
        if isinstance(other, Mapping):
            return bool(self._data == dict(other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def _readonly(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value)


def _check_extra(_inst: object, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    _check_json(attribute.name, value)


@attrs.frozen(kw_only=True)
class Provenance:
    """Where an article came from, precisely enough to find it again.

    Attributes:
        reader: name of the reader that produced the record (``"textfile"``, ``"feed"``…).
        location: the path or URL that was read (``"<stream>"`` for anonymous streams).
        line: 1-based line where the record starts, for line-oriented sources.
        item: 0-based index of the record within its source (feed entry, list line).
        feed_title: title of the feed the entry came from.
        feed_url: URL of the feed (after redirects, when it was fetched).
        entry_id: the feed entry's id / guid.
        ordinal: the ``NNN`` part of a seed file named ``NNN_<16 hex>.txt``.
        file_id: the ``<16 hex>`` part of such a name; opaque, never a dedup key.
    """

    reader: str
    location: str
    line: int | None = None
    item: int | None = None
    feed_title: str | None = None
    feed_url: str | None = None
    entry_id: str | None = None
    ordinal: str | None = None
    file_id: str | None = None

    def to_dict(self) -> ProvenanceRecord:
        """Return the JSON-safe dict form, omitting nothing (``None`` stays ``None``)."""
        return {
            "reader": self.reader,
            "location": self.location,
            "line": self.line,
            "item": self.item,
            "feed_title": self.feed_title,
            "feed_url": self.feed_url,
            "entry_id": self.entry_id,
            "ordinal": self.ordinal,
            "file_id": self.file_id,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        """Rebuild from :meth:`to_dict` output; unknown keys are an error."""
        return cls(**data)

    def where(self) -> str:
        """Human-readable position: ``path:line`` or ``url item N``."""
        return _where(self.location, self.line, self.item)


@attrs.frozen(kw_only=True)
class Article:
    """One news article, as read and (after ``ingest``) normalised.

    Readers fill what the source says; ``ingest()`` adds ``canonical_url`` and the
    dedup keys. Text fields are kept exactly as read (surrounding whitespace of
    each body segment aside); normalisation for keys never touches them.

    Attributes:
        title: the headline as read (``""`` when the source has none, e.g. URL stubs).
        url: the URL as read, or ``None`` when the source gave none.
        canonical_url: the URL that fetches the same page, normalised.
        url_key: the versioned, lossy dedup key of the URL (``"u1:…"``).
        content_key: the versioned hash of the body (``"c3:…"``), ``None`` for bodies too
            short to identify a story (see :data:`~newsingest.dedup.keys.MIN_CONTENT_CHARS`).
        published: aware UTC instant, or ``None`` when the source gave no date.
        published_precision: how much of ``published`` the source stated (``"day"``…).
        published_raw: the date string exactly as read.
        body: segments (paragraphs) in source order.
        summary: a short description, when the source has one separate from the body.
        authors: author names as read.
        tags: categories / keywords as read.
        language: a language tag such as ``"en"`` when the source states one.
        source: the :class:`Provenance` of the record.
        extra: reader-specific JSON values, read-only.
    """

    title: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    url: str | None = attrs.field(default=None, validator=_http_url)
    canonical_url: str | None = attrs.field(default=None, validator=_http_url)
    url_key: str | None = None
    content_key: str | None = None
    published: datetime | None = attrs.field(default=None, validator=_utc_datetime)
    published_precision: str | None = attrs.field(default=None, validator=_precision)
    published_raw: str | None = None
    body: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_check_str_items
    )
    summary: str | None = None
    authors: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_check_str_items
    )
    tags: tuple[str, ...] = attrs.field(
        default=(), converter=_str_tuple, validator=_check_str_items
    )
    language: str | None = None
    source: Provenance
    extra: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_readonly, validator=_check_extra, hash=False
    )

    @property
    def text(self) -> str:
        """The body as one string, segments separated by blank lines."""
        return "\n\n".join(self.body)

    def to_dict(self) -> ArticleRecord:
        """Return a JSON-safe dict with ``schema_version``; see :meth:`from_dict`."""
        published = self.published
        return {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "url_key": self.url_key,
            "content_key": self.content_key,
            "published": None if published is None else format_utc(published),
            "published_precision": self.published_precision,
            "published_raw": self.published_raw,
            "body": list(self.body),
            "summary": self.summary,
            "authors": list(self.authors),
            "tags": list(self.tags),
            "language": self.language,
            "source": self.source.to_dict(),
            "extra": _thaw(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        """Rebuild an Article from :meth:`to_dict` output (possibly via JSON).

        Raises:
            ValueError: on an unknown ``schema_version`` or malformed fields.
        """
        fields = dict(data)
        version = fields.pop("schema_version", None)
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"unsupported Article schema_version {version!r} (this newsingest reads "
                f"{SCHEMA_VERSION})"
            )
        published = fields.get("published")
        if published is not None:
            fields["published"] = _parse_utc(published)
        fields["source"] = Provenance.from_dict(fields["source"])
        return cls(**fields)

    def evolve(self, **changes: Any) -> Article:
        """Return a copy with ``changes`` applied (validators run again)."""
        return attrs.evolve(self, **changes)


_NO_EXTRA: Final = FrozenMap()
_UNCHECKED_DEFAULTS: Final[dict[str, Any]] = {
    "title": "",
    "url": None,
    "canonical_url": None,
    "url_key": None,
    "content_key": None,
    "published": None,
    "published_precision": None,
    "published_raw": None,
    "body": (),
    "summary": None,
    "authors": (),
    "tags": (),
    "language": None,
    "extra": _NO_EXTRA,
}


def unchecked_article(values: Mapping[str, Any]) -> Article:
    """Build an Article from values the caller has already validated (internal use).

    Skips converters and validators, which cost as much as parsing a seed file.
    Only for code that guarantees the invariants itself (tuples of str, aware UTC
    datetimes, http(s) URLs, a FrozenMap for ``extra``); everything else must use
    the constructor.
    """
    article = object.__new__(Article)
    for name in _ARTICLE_FIELD_NAMES:
        value = values[name] if name in values else _UNCHECKED_DEFAULTS[name]
        object.__setattr__(article, name, value)
    return article


def unchecked_from_dict(record: Mapping[str, Any]) -> Article:
    """:meth:`Article.from_dict` for a record this library built (internal use).

    Skips the constructor's validation, under the contract of
    :func:`unchecked_article`: the record came from :meth:`Article.to_dict` (possibly
    through JSON) or from values checked as strictly.
    """
    values = dict(record)
    del values["schema_version"]
    published = values["published"]
    if published is not None:
        values["published"] = _parse_utc(published)
    values["body"] = tuple(values["body"])
    values["authors"] = tuple(values["authors"])
    values["tags"] = tuple(values["tags"])
    values["extra"] = FrozenMap(values["extra"])
    values["source"] = Provenance(**values["source"])
    return unchecked_article(values)


def unchecked_evolve(article: Article, changes: Mapping[str, Any]) -> Article:
    """``attrs.evolve`` for values the caller computed itself, without re-validation.

    Same contract as :func:`unchecked_article`: internal, for values valid by
    construction (a canonical URL from the normaliser, versioned keys).
    """
    values = {name: getattr(article, name) for name in _ARTICLE_FIELD_NAMES}
    values.update(changes)
    return unchecked_article(values)


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_thaw(item) for item in value]
    return value


def format_utc(value: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC with a ``Z`` suffix (the records' form)."""
    text = value.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def _parse_utc(value: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ValueError(f"published must be an ISO 8601 UTC string ending in Z, got {value!r}")
    return datetime.fromisoformat(value[:-1]).replace(tzinfo=timezone.utc)


_ARTICLE_FIELD_NAMES: Final = tuple(field.name for field in attrs.fields(Article))
