"""HTML fragments to plain-text segments, for feed bodies and fetched pages.

:func:`html_to_segments` renders a fragment the way a reader sees it, reduced to
paragraphs: every block element (``p``, ``div``, ``li``, headings, ``br``…)
closes the current segment; inline markup disappears and its text joins the
segment; ``script``, ``style`` and similar elements and all comments are dropped;
character references are decoded; runs of HTML whitespace become one space and
segments are stripped, so empty blocks leave nothing behind. ``pre`` keeps its
lines, one segment each. Only the standard library's ``html.parser`` is used.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

__all__ = ["html_to_segments", "text_to_segments"]

#: Elements that end one segment and start another.
BLOCK_ELEMENTS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd",
        "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip

#: Elements whose content is never text a person reads. (``head`` is not among them:
#: its ``title``, ``script`` and ``style`` are, and a stray ``<head>`` in a feed body
#: must not swallow the article. ``noscript`` and ``object`` hold fallback text for
#: readers without scripts or plugins, which is what we are: their text is kept.)
DROPPED_ELEMENTS: Final = frozenset(
    {
        "script", "style", "template", "title", "iframe", "embed", "svg", "math",
        "canvas", "audio", "video", "select", "textarea", "button",
    }
)  # fmt: skip

#: Dropped elements whose content a parser treats as markup: one left open by broken
#: HTML would swallow the rest of the document, so its text is held back and given
#: back when the element never closes. (Script and style are raw text to the parser.)
_RECOVERABLE: Final = DROPPED_ELEMENTS - {"script", "style", "template", "title"}
_BREAK: Final = "\x00"  # a block boundary inside held-back text

_VOID_ELEMENTS: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_MARKUP = re.compile(r"[<&]")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class _Segmenter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self._parts: list[str] = []
        self._dropped: list[str] = []
        self._held: list[str] = []  # the text of an open recoverable element
        self._pre = 0

    def _flush(self) -> None:
        if not self._parts:
            return
        text = "".join(self._parts)
        self._parts = []
        if self._pre:
            for raw_line in text.splitlines():
                line = _SPACE.sub(" ", raw_line).strip()
                if line:
                    self.segments.append(line)
            return
        text = _SPACE.sub(" ", text).strip()
        if text:
            self.segments.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropped:
            if tag == self._dropped[-1] or (tag in DROPPED_ELEMENTS and tag not in _VOID_ELEMENTS):
                self._dropped.append(tag)
            elif tag in BLOCK_ELEMENTS:
                self._held.append(_BREAK)
            return
        if tag in DROPPED_ELEMENTS:
            if tag not in _VOID_ELEMENTS:
                self._dropped.append(tag)
            return
        if tag in BLOCK_ELEMENTS:
            self._flush()
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_ELEMENTS:
            if self._dropped:
                self._held.append(_BREAK)
            else:
                self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._dropped:
            if tag in self._dropped:
                # Close up to the matching open element; stray end tags are ignored.
                index = len(self._dropped) - 1 - self._dropped[::-1].index(tag)
                del self._dropped[index:]
                if not self._dropped:
                    self._held = []  # closed as it should be: its text stays dropped
            elif tag in BLOCK_ELEMENTS:
                self._held.append(_BREAK)
            return
        if tag in BLOCK_ELEMENTS:
            self._flush()
            if tag == "pre" and self._pre:
                self._pre -= 1

    def handle_data(self, data: str) -> None:
        if not self._dropped:
            self._parts.append(data)
        elif self._dropped[0] in _RECOVERABLE:
            self._held.append(data)

    def close(self) -> None:
        super().close()
        self._flush()
        if self._dropped and self._held:
            # An element that never closed: what followed it is the document's text.
            for block in "".join(self._held).split(_BREAK):
                text = _SPACE.sub(" ", block).strip()
                if text:
                    self.segments.append(text)
            self._held = []


def html_to_segments(html: str) -> list[str]:
    """Render an HTML fragment (or document) as plain-text segments.

    Args:
        html: the markup; plain text without ``<`` or ``&`` is accepted too.

    Returns:
        The non-empty segments in document order, whitespace collapsed.
    """
    if not _MARKUP.search(html):
        text = _SPACE.sub(" ", html).strip()
        return [text] if text else []
    parser = _Segmenter()
    parser.feed(html)
    parser.close()
    return parser.segments


def text_to_segments(text: str) -> list[str]:
    """Split plain text into segments at blank lines, whitespace collapsed.

    The text is taken literally: ``&amp;`` stays as written.
    """
    segments = []
    for block in _BLANK_LINE.split(text.replace("\r\n", "\n")):
        segment = _SPACE.sub(" ", block).strip()
        if segment:
            segments.append(segment)
    return segments
