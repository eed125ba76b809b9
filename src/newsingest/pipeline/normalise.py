"""The normalise stage: canonical URL, URL key and content key of a record.

One rule for records and Articles alike (:func:`normal_fields`); values already
set (for example by hydration from a declared canonical link) are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from newsingest.dedup.keys import WITHHELD, content_key, withheld_reason
from newsingest.exceptions import InvalidURLError, ParseError
from newsingest.model import Article, ArticleRecord, FrozenMap, unchecked_evolve
from newsingest.normalize.urls import canonical_url, canonical_url_and_key, url_key

__all__ = ["WITHHELD", "normal_fields", "normalise_article", "normalise_record"]


def normal_fields(
    url: str | None,
    canonical: str | None,
    key: str | None,
    content: str | None,
    body: Sequence[str],
) -> dict[str, str | None]:
    """The fields normalisation adds, from those a record or Article has.

    A body too short to identify a story gets no content key; :data:`WITHHELD`
    in the result then says why (an ``extra`` entry, not a field).

    Raises:
        InvalidURLError: the URL cannot be normalised.
    """
    changes: dict[str, str | None] = {}
    if url is not None:
        if canonical is None:
            if key is None:
                changes["canonical_url"], changes["url_key"] = canonical_url_and_key(url)
            else:
                changes["canonical_url"] = canonical_url(url)
        elif key is None:
            changes["url_key"] = url_key(canonical)  # given by the caller: not yet checked
    if content is None and body:
        made = content_key(body)
        if made is not None:
            changes["content_key"] = made
        elif (reason := withheld_reason(body)) is not None:
            changes[WITHHELD] = reason
    return changes


def normalise_article(article: Article) -> Article:
    """Add the canonical URL, the URL key and the content key where they can be made.

    Values already set (for example by hydration from a declared canonical link)
    are kept. Raises :class:`InvalidURLError` for a URL that cannot be normalised.
    """
    changes: dict[str, object] = dict(
        normal_fields(
            article.url, article.canonical_url, article.url_key, article.content_key, article.body
        )
    )
    if WITHHELD in changes:
        changes["extra"] = FrozenMap({**article.extra, WITHHELD: changes.pop(WITHHELD)})
    return unchecked_evolve(article, changes) if changes else article


def normalise_record(record: ArticleRecord) -> ArticleRecord | ParseError:
    """Normalise a record in place, or say why its URL cannot be (a ParseError)."""
    try:
        changes = normal_fields(
            record["url"],
            record["canonical_url"],
            record["url_key"],
            record["content_key"],
            record["body"],
        )
    except InvalidURLError as error:
        source = record["source"]
        rejected = ParseError(
            f"URL {record['url']!r} cannot be normalised: {error.message}",
            source=source["location"],
            line=source["line"],
            item=source["item"],
            reason=f"invalid_url:{error.reason}",
        )
        rejected.__cause__ = error
        return rejected
    if WITHHELD in changes:
        record["extra"] = {**record["extra"], WITHHELD: changes.pop(WITHHELD)}
    cast(dict[str, object], record).update(changes)
    return record
