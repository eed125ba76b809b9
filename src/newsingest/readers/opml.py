"""OPML subscription lists: what feed readers export, read and written back.

:func:`read_subscriptions` turns an OPML document into :class:`Subscription`
records: every ``outline`` with an ``xmlUrl`` (or, as newsboat writes when it
has no ``xmlUrl``, a ``url``), nested ones included, with its ``text`` (what
the feed reader shows; else ``title``), ``htmlUrl``, the folders it sits in and the names of its
``category`` attribute (comma-separated; OPML 2.0 writes each as a
slash-delimited path, so a leading ``/`` is dropped). An outline whose feed
address is not absolute http(s) (newsboat's ``|command`` and ``exec:`` feeds,
a ``query:`` filter) cannot be polled: it is passed over and named to
``on_skip``, and the rest of the list is still read. A document that is
malformed or declares entities is refused whole.

:func:`write_opml` writes subscriptions back out as OPML 2.0, folders as nested
outlines, so that reading the export gives the same records again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Final
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

import attrs

from newsingest.exceptions import ParseError, SourceNotFoundError

__all__ = ["MAX_OPML_BYTES", "Subscription", "is_opml", "read_subscriptions", "write_opml"]

#: An OPML file larger than this is refused (10,000 subscriptions take ~2 MB).
MAX_OPML_BYTES: Final = 16 * 1024 * 1024
#: A feed address longer than this is passed over like any unusable one.
MAX_URL_CHARS: Final = 8_192


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Subscription:
    """One feed of a subscription list.

    Attributes:
        url: the feed's address (``xmlUrl``), absolute http(s).
        title: what the list calls the feed (``text``, else ``title``).
        html_url: the site the feed belongs to (``htmlUrl``).
        folders: the titles of the outlines it is nested in, outermost first.
        categories: the names in its ``category`` attribute.
    """

    url: str
    title: str | None = None
    html_url: str | None = None
    folders: tuple[str, ...] = attrs.field(default=(), converter=_names)
    categories: tuple[str, ...] = attrs.field(default=(), converter=_names)

    @property
    def tags(self) -> tuple[str, ...]:
        """Folders and categories together, each once: how the reader's user filed the feed."""
        return tuple(dict.fromkeys((*self.folders, *self.categories)))


def is_opml(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a document) starts an OPML document."""
    from newsingest.readers._xmlscan import decode_for_scan  # noqa: PLC0415
    from newsingest.readers.feed import _scan_prolog  # noqa: PLC0415

    return (_scan_prolog(decode_for_scan(head)[0]).root or "").lower() == "opml"


def _label(outline: ElementTree.Element) -> str | None:
    for name in ("text", "title"):  # text is what the reader shows; title the feed's own
        value = " ".join(str(outline.get(name) or "").split())
        if value:
            return value
    return None


def _categories(value: str | None) -> tuple[str, ...]:
    names = (part.strip().strip("/").strip() for part in (value or "").split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def read_subscriptions(
    path: str | os.PathLike[str], *, on_skip: Callable[[str], None] | None = None
) -> list[Subscription]:
    """The subscriptions of an OPML file, in document order, each feed once.

    Args:
        path: the OPML file.
        on_skip: told (with a sentence naming the file and outline) of each outline
            whose feed address cannot be polled.

    Raises:
        SourceNotFoundError: no such file.
        ParseError: malformed XML (``unparseable``, with the line), entity
            declarations (``entity_declaration``), over :data:`MAX_OPML_BYTES`
            (``too_large``), or a root other than ``opml`` (``not_a_feed``).
    """
    name = os.fspath(path)
    try:
        with Path(name).open("rb") as stream:
            raw = stream.read(MAX_OPML_BYTES + 1)
    except FileNotFoundError:
        raise SourceNotFoundError("no such file", source=name) from None
    if len(raw) > MAX_OPML_BYTES:
        raise ParseError(
            f"an OPML file over {MAX_OPML_BYTES} bytes; refused", source=name, reason="too_large"
        )
    return parse_subscriptions(raw, name, on_skip=on_skip)


def parse_subscriptions(
    raw: bytes, name: str, *, on_skip: Callable[[str], None] | None = None
) -> list[Subscription]:
    """:func:`read_subscriptions` on bytes already read (``name`` is for messages)."""
    from newsingest.readers._xmlscan import decode_for_scan  # noqa: PLC0415
    from newsingest.readers.feed import _http_url, _scan_prolog  # noqa: PLC0415

    prolog = _scan_prolog(decode_for_scan(raw)[0])
    if prolog.declares_entities:
        raise ParseError(
            "the OPML file declares XML entities; refused", source=name, reason="entity_declaration"
        )
    try:
        root = ElementTree.fromstring(raw)  # entities refused above
    except ElementTree.ParseError as error:
        line = error.position[0] if error.position else None
        raise ParseError(
            f"malformed OPML: {error}", source=name, line=line, reason="unparseable"
        ) from None
    if root.tag.lower() != "opml":
        raise ParseError(
            f"XML with root element <{root.tag}> is not an OPML subscription list",
            source=name,
            reason="not_a_feed",
        )
    found: dict[str, Subscription] = {}
    number = 0
    # (outline, folders above it), depth first in document order
    pending: list[tuple[ElementTree.Element, tuple[str, ...]]] = [
        (child, ()) for child in reversed(_outlines(root))
    ]
    while pending:
        outline, folders = pending.pop()
        number += 1
        url = " ".join(
            str(outline.get("xmlUrl") or outline.get("xmlurl") or outline.get("url") or "").split()
        )
        label = _label(outline)
        children = [child for child in outline if child.tag == "outline"]
        if not url:
            if children:
                inner = (*folders, label) if label else folders
                pending.extend((child, inner) for child in reversed(children))
            continue
        if len(url) > MAX_URL_CHARS or not _http_url(url):
            if on_skip is not None:
                on_skip(
                    f"{name}: outline {number} ({label or ''!r}): feed address {url[:200]!r} "
                    "is not an absolute http(s) URL; passed over"
                )
            continue
        html_url = str(outline.get("htmlUrl") or outline.get("htmlurl") or "").strip()
        subscription = Subscription(
            url=url,
            title=label,
            html_url=html_url if _http_url(html_url) else None,
            folders=folders,
            categories=_categories(outline.get("category")),
        )
        found.setdefault(url, subscription)
    return list(found.values())


def _outlines(root: ElementTree.Element) -> list[ElementTree.Element]:
    """The top-level outlines (under ``body``; newsboat also accepts them at the root)."""
    bodies = [child for child in root if child.tag.lower() == "body"]
    return [child for parent in bodies or [root] for child in parent if child.tag == "outline"]


def write_opml(
    subscriptions: Sequence[Subscription], stream: IO[str], *, title: str = "newsingest feeds"
) -> None:
    """Write ``subscriptions`` as an OPML 2.0 document, folders as nested outlines.

    The order is kept: a folder closes when the next subscription is outside it
    (and opens again if a later one is back inside), so reading the document
    gives the same records in the same order.
    """
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n')
    stream.write(f"  <head>\n    <title>{_text(title)}</title>\n  </head>\n  <body>\n")
    open_folders: list[str] = []
    for subscription in subscriptions:
        shared = 0
        while (
            shared < min(len(open_folders), len(subscription.folders))
            and open_folders[shared] == subscription.folders[shared]
        ):
            shared += 1
        _close(stream, len(open_folders), shared)
        for depth, folder in enumerate(subscription.folders[shared:], start=shared):
            stream.write("  " * (depth + 2) + f"<outline text={quoteattr(folder)}>\n")
        open_folders = list(subscription.folders)
        stream.write("  " * (len(open_folders) + 2) + _outline(subscription) + "\n")
    _close(stream, len(open_folders), 0)
    stream.write("  </body>\n</opml>\n")


def _close(stream: IO[str], depth: int, to: int) -> None:
    for level in range(depth, to, -1):
        stream.write("  " * (level + 1) + "</outline>\n")


def _outline(subscription: Subscription) -> str:
    attributes = {"type": "rss"}
    if subscription.title is not None:
        attributes["text"] = attributes["title"] = subscription.title
    attributes["xmlUrl"] = subscription.url
    if subscription.html_url is not None:
        attributes["htmlUrl"] = subscription.html_url
    if subscription.categories:
        attributes["category"] = ",".join(subscription.categories)
    return "<outline " + " ".join(f"{k}={quoteattr(v)}" for k, v in attributes.items()) + "/>"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
