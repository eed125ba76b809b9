"""HTML fragments to plain-text segments, for feed bodies and fetched pages.

:func:`html_to_segments` renders a fragment the way a reader sees it, reduced to
paragraphs: every block element (``p``, ``div``, ``li``, headings, ``br``…)
closes the current segment; inline markup disappears and its text joins the
segment; ``script``, ``style`` and similar elements and all comments are dropped;
character references are decoded; runs of HTML whitespace become one space and
segments are stripped, so empty blocks leave nothing behind. ``pre`` keeps its
lines, one segment each.

Two tokenizers feed the same segmenting rules. lxml's HTML parser (libxml2, in C)
reads a fragment whose markup is plain: every element explicitly closed and
properly nested (void elements aside), no comments, declarations or processing
instructions, no ``<`` that starts no tag, no ``html``/``head``/``body`` tags,
script and style bodies without markup, none of the dropped elements whose
recovery depends on never being closed. Everything else, and anything lxml
refuses, goes to the standard library's ``html.parser``, which is what the rules
were written against; for a plain fragment both give the same events, so the same
segments (``tests/test_feed_fastpath.py`` holds them to it).
"""

from __future__ import annotations

import contextlib
import re
import threading
from html.parser import HTMLParser
from typing import Any, Final

from lxml import etree

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


class _Rules:
    """The segmenting rules, fed tag and text events by either tokenizer."""

    def __init__(self) -> None:
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

    def starttag(self, tag: str) -> None:
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

    def startendtag(self, tag: str) -> None:
        if tag in BLOCK_ELEMENTS:
            if self._dropped:
                self._held.append(_BREAK)
            else:
                self._flush()

    def endtag(self, tag: str) -> None:
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

    def data(self, data: str) -> None:
        if not self._dropped:
            self._parts.append(data)
        elif self._dropped[0] in _RECOVERABLE:
            self._held.append(data)

    def finish(self) -> list[str]:
        self._flush()
        if self._dropped and self._held:
            # An element that never closed: what followed it is the document's text.
            for block in "".join(self._held).split(_BREAK):
                text = _SPACE.sub(" ", block).strip()
                if text:
                    self.segments.append(text)
            self._held = []
        return self.segments


class _Segmenter(HTMLParser):
    """The standard library's tokenizer, for any fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rules = _Rules()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rules.starttag(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.rules.startendtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self.rules.endtag(tag)

    def handle_data(self, data: str) -> None:
        self.rules.data(data)


# Raised when lxml's events would differ from html.parser's for a fragment: the
# fragment then goes to html.parser. A built-in class, since every exception class
# of ours lives in exceptions.py; anything else of this kind also falls back safely.
_NotPlain = ValueError


class _Target:
    """lxml parser target: libxml2's events into the rules, counting what it closed.

    libxml2 opens ``html`` and ``body`` itself and closes what was left open; an
    end event without an end tag in the source (or the reverse) means it repaired
    the markup, where html.parser would not have, so the fragment is handed over.
    """

    def __init__(self) -> None:
        self.rules = _Rules()
        self.closed = 0

    def start(self, tag: Any, attrib: Any) -> None:
        if isinstance(tag, str) and tag not in _FRAME:
            self.rules.starttag(tag)

    def end(self, tag: Any) -> None:
        if not isinstance(tag, str) or tag in _FRAME:
            return
        if tag not in _VOID_ELEMENTS:
            self.closed += 1
        self.rules.endtag(tag)

    def data(self, data: str) -> None:
        self.rules.data(data)

    def close(self) -> None:
        return None


#: What libxml2 adds around a fragment, never written in one the lxml path reads.
_FRAME: Final = frozenset({"html", "body"})
#: Markup the lxml path does not read: control characters, comments, declarations,
#: CDATA, PIs, a ``<`` that opens no tag.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NOT_PLAIN: Final = re.compile(r"<(?:[!?]|/(?![a-zA-Z])|(?![a-zA-Z/]))")
_TAG: Final = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)")
#: Elements the lxml path does not read: the document frame, and those whose
#: handling depends on html.parser's own reading (raw text, recovery of an element
#: never closed).
_NOT_PLAIN_TAGS: Final = frozenset(
    {
        "html", "head", "body", "title", "template", "textarea", "plaintext", "xmp",
        "noscript", "noembed", "noframes", "frameset", "frame",
    }
) | _RECOVERABLE  # fmt: skip
_RAW_TAGS: Final = frozenset({"script", "style"})
_RAW_ELEMENT: Final = re.compile(
    r"<(script|style)(?![-.:\w])[^<>]*(?<!/)>([^<]*)</\1\s*>", re.IGNORECASE
)


class _Tokenizer(threading.local):
    """One lxml HTML parser per thread (making one inspects its target: costly)."""

    def __init__(self) -> None:
        self.target = _Target()
        self.parser = etree.HTMLParser(target=self.target, no_network=True, huge_tree=False)


_TOKENIZER: Final = _Tokenizer()


def _lxml_segments(html: str) -> list[str]:
    """The segments of a plain fragment through lxml (raises _NotPlain otherwise)."""
    if _NOT_PLAIN.search(html) or _CONTROL.search(html):
        raise _NotPlain
    if html.count("<") > html.count(">") or html.rfind("<") > html.rfind(">"):
        raise _NotPlain  # a tag left unfinished (html.parser keeps it as text)
    tags = _TAG.findall(html)
    names = {name.lower() for _, name in tags}
    if not names.isdisjoint(_NOT_PLAIN_TAGS):
        raise _NotPlain
    if not names.isdisjoint(_RAW_TAGS):
        opened = sum(1 for slash, name in tags if not slash and name.lower() in _RAW_TAGS)
        if len(_RAW_ELEMENT.findall(html)) != opened:
            raise _NotPlain  # a script or style holding markup, self-closed or left open
    tokenizer = _TOKENIZER
    target = tokenizer.target
    target.rules = _Rules()
    target.closed = 0
    try:
        tokenizer.parser.feed(html)
        tokenizer.parser.close()
    except (etree.LxmlError, ValueError) as error:  # pragma: no cover - libxml2 refused it
        tokenizer.__init__()  # type: ignore[misc]  # a fresh parser after a failed one
        raise _NotPlain from error
    if target.closed != sum(1 for slash, _ in tags if slash):
        raise _NotPlain
    return target.rules.finish()


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
    with contextlib.suppress(_NotPlain):  # not plain: html.parser reads it below
        return _lxml_segments(html)
    parser = _Segmenter()
    parser.feed(html)
    parser.close()
    return parser.rules.finish()


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
