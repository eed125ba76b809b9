"""Property tests: a generated RSS 2.0 or Atom 1.0 feed reads back to exactly its entries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape as html_escape
from xml.sax.saxutils import escape as xml_escape

import attrs
from hypothesis import given
from hypothesis import strategies as st

from newsingest._html import html_to_segments
from newsingest.model import Article
from newsingest.readers.feed import FeedReader

# Words: no whitespace, no controls, no markup characters in titles (an RSS title
# holding "<b>" is ambiguous between text and HTML by the format's own rules).
_WORD_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"),
)
_TITLE_WORD = st.text(_WORD_CHARS.filter(lambda char: char not in "<>&"), min_size=1, max_size=8)
_BODY_WORD = st.text(_WORD_CHARS, min_size=1, max_size=8)


def _not_double_decoded_by_feedparser(text: str) -> bool:
    """feedparser re-decodes a UTF-8 value whose characters are all Latin-1 and whose
    Latin-1 bytes are valid UTF-8 ("Â¡" becomes "¡"), a repair for double-encoded
    feeds. It cannot be turned off; such text is a documented limit of reader 'feed'."""
    try:
        return text.encode("latin-1").decode("utf-8") == text
    except (UnicodeEncodeError, UnicodeDecodeError):
        return True


_TITLE = (
    st.lists(_TITLE_WORD, min_size=1, max_size=6)
    .map(" ".join)
    .filter(_not_double_decoded_by_feedparser)
)
_PARAGRAPH = (
    st.lists(_BODY_WORD, min_size=1, max_size=8)
    .map(" ".join)
    .filter(_not_double_decoded_by_feedparser)
)
_LINK = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10),
    min_size=1,
    max_size=3,
).map(lambda parts: "https://news.example.com/" + "/".join(parts))
_OFFSET = st.sampled_from([0, 60, -300, 330, 120, -600]).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_DATE = st.builds(
    lambda moment, zone: moment.replace(tzinfo=timezone.utc).astimezone(zone),
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2035, 1, 1)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
    _OFFSET,
)


@attrs.frozen
class _Entry:
    title: str
    link: str | None
    date: datetime | None
    paragraphs: tuple[str, ...]


_ENTRY = st.builds(
    _Entry,
    title=_TITLE,
    link=st.none() | _LINK,
    date=st.none() | _DATE,
    paragraphs=st.lists(_PARAGRAPH, min_size=0, max_size=4).map(tuple),
)


def _html(paragraphs: tuple[str, ...]) -> str:
    return "".join(f"<p>{html_escape(paragraph)}</p>\n" for paragraph in paragraphs)


def _rss(entries: list[_Entry]) -> bytes:
    items = []
    for entry in entries:
        parts = [f"<title>{xml_escape(entry.title)}</title>"]
        if entry.link is not None:
            parts.append(f"<link>{entry.link}</link>")
        if entry.date is not None:
            parts.append(f"<pubDate>{format_datetime(entry.date)}</pubDate>")
        if entry.paragraphs:
            parts.append(f"<description>{xml_escape(_html(entry.paragraphs))}</description>")
        items.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Generated</title><link>https://news.example.com/</link>"
        + "\n".join(items)
        + "</channel></rss>"
    ).encode()


def _atom(entries: list[_Entry]) -> bytes:
    items = []
    for index, entry in enumerate(entries):
        parts = [f"<title>{xml_escape(entry.title)}</title>", f"<id>urn:entry:{index}</id>"]
        if entry.link is not None:
            parts.append(f'<link href="{entry.link}"/>')
        if entry.date is not None:
            parts.append(f"<updated>{entry.date.isoformat()}</updated>")
        if entry.paragraphs:
            parts.append(f'<content type="html">{xml_escape(_html(entry.paragraphs))}</content>')
        items.append("<entry>" + "".join(parts) + "</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Generated</title><id>urn:feed</id>" + "\n".join(items) + "</feed>"
    ).encode()


@given(entries=st.lists(_ENTRY, min_size=0, max_size=6), atom=st.booleans())
def test_generated_feed_reads_back(entries: list[_Entry], atom: bool) -> None:
    """Titles, links, dates and HTML bodies come back exactly, entry by entry."""
    document = _atom(entries) if atom else _rss(entries)
    items = list(FeedReader(max_future=None).read(document))
    assert all(isinstance(item, Article) for item in items), items
    articles = [item for item in items if isinstance(item, Article)]
    assert len(articles) == len(entries)
    for index, (article, entry) in enumerate(zip(articles, entries, strict=True)):
        assert article.title == entry.title
        assert article.url == entry.link
        assert article.published == (
            None if entry.date is None else entry.date.astimezone(timezone.utc)
        )
        assert article.published_precision == (None if entry.date is None else "second")
        assert article.body == entry.paragraphs
        assert article.source.item == index
        assert article.source.feed_title == "Generated"
        assert article.source.reader == "feed"


@given(st.lists(_PARAGRAPH, max_size=5), st.sampled_from(["p", "div", "li", "h2", "blockquote"]))
def test_html_segments_round_trip(paragraphs: list[str], tag: str) -> None:
    """Escaped text in block elements comes back as the same segments, with noise ignored."""
    html = "<!-- c --><script>var x = '<p>no</p>';</script>".join(
        f"<{tag}>{html_escape(paragraph)}</{tag}>" for paragraph in paragraphs
    )
    assert html_to_segments(html) == paragraphs
