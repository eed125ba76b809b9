"""The feed reader's lxml fast path against its feedparser path, document by document.

For every feed in tests/data/feeds/ and in ../shared/corpus/feeds/ (skipped when
absent) the reader runs twice, once as shipped and once with the fast path switched
off (``_feedfast.ENABLED = False``: feedparser reads everything). For every document
the fast path accepts, the two runs must yield the same items: the same Articles
(``to_dict``), the same warnings and rejected entries, the same error. What the fast
path hands to feedparser is counted and listed (``pytest -s`` prints it).

The HTML segmenter's two tokenizers (lxml for plain fragments, html.parser for the
rest) are held to the same segments the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest import _html
from newsingest.exceptions import NewsIngestError
from newsingest.model import Article
from newsingest.readers import _feedfast, feed

DATA = Path(__file__).parent / "data" / "feeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _outcome(data: bytes, name: str, charset: str | None = None) -> list[Any]:
    """Everything the reader yields for a document, comparable across paths."""
    items: list[Any] = []
    try:
        for item in feed.FeedReader(now=NOW).parse(data, location=name, charset=charset):
            if isinstance(item, Article):
                items.append(("article", item.to_dict()))
            else:
                items.append((type(item).__name__, item.reason, item.item, str(item)))
    except NewsIngestError as error:
        items.append(("raised", type(error).__name__, error.reason, str(error)))
    return items


def _both(
    monkeypatch: pytest.MonkeyPatch, data: bytes, name: str, charset: str | None = None
) -> tuple[bool, list[Any], list[Any]]:
    """(fast path accepted it, items as shipped, items through feedparser alone)."""
    accepted: list[bool] = []
    original = feed.parse_fast

    def spy(document: bytes, declared: str | None) -> Any:
        result = original(document, declared)
        accepted.append(result is not None)
        return result

    monkeypatch.setattr(feed, "parse_fast", spy)
    shipped = _outcome(data, name, charset)
    monkeypatch.setattr(_feedfast, "ENABLED", False)
    alone = _outcome(data, name, charset)
    monkeypatch.setattr(_feedfast, "ENABLED", True)
    return any(accepted), shipped, alone


def _documents(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".json" and path.name != "MANIFEST.tsv":
            yield path


def _differential(monkeypatch: pytest.MonkeyPatch, folder: Path) -> tuple[int, list[str]]:
    accepted, handed = 0, []
    for path in _documents(folder):
        fast, shipped, alone = _both(monkeypatch, path.read_bytes(), path.name)
        if fast:
            accepted += 1
            assert shipped == alone, f"{path}: the fast path differs from feedparser's"
        else:
            handed.append(str(path.relative_to(folder)))
    total = accepted + len(handed)
    print(f"\n{folder}: {total} documents, fast path {accepted}, feedparser {len(handed)}")
    for name in handed:
        print(f"  to feedparser: {name}")
    return accepted, handed


def test_fixtures_fast_path_equals_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted, handed = _differential(monkeypatch, DATA)
    assert accepted >= 10  # rss20, atom10 (html), rss10, xml_base...
    # Not well-formed, not UTF-8-like, declaring entities, cut short, Atom 0.3: feedparser's.
    for name in ("malformed.xml", "utf16_no_bom.xml", "truncated_download.xml", "atom03.atom"):
        assert name in handed


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/corpus/feeds")
def test_corpus_fast_path_equals_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted, handed = _differential(monkeypatch, CORPUS)
    assert accepted > len(handed) * 0.5  # most real, well-formed feeds take the fast path


RSS = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0" '
    'xmlns:x="http://example.com/x">'
    "<channel><title>T &amp;amp; co</title><language>en</language><ttl>30</ttl>"
    '<atom:link rel="self" href="https://e.example/feed.xml"/>'
    "<image><title>i</title><url>https://e.example/i.png</url><link>https://e.example/</link></image>"
    "{channel}{items}</channel></rss>"
)
ATOM = (
    '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr" '
    'xml:base="https://a.example/blog/" xmlns:x="http://example.com/x">'
    "<title type='html'>A &lt;b&gt;blog&lt;/b&gt;</title>"
    "<author><name>Ann</name><email>ann@a.example</email></author>{entries}</feed>"
)


def _rss(items: str, channel: str = "") -> bytes:
    return RSS.format(channel=channel, items=items).encode()


ACCEPTED = {
    "rss_full": _rss(
        "<item><title>One &amp;amp; two</title><link>/p/1?a=1&amp;amp;b=2</link>"
        "<guid>https://e.example/p/1</guid><pubDate>Tue, 05 Mar 2024 10:30:00 +0100</pubDate>"
        "<category domain='d'>Politics</category><category>Local</category>"
        "<category>Local</category><category/>"
        "<author>desk@e.example (City Desk)</author><dc:creator>Bob</dc:creator>"
        "<description>&lt;p&gt;short&lt;/p&gt;</description>"
        "<content:encoded><![CDATA[<p>Body <b>one</b></p><p>two</p>]]></content:encoded>"
        "<enclosure url='https://e.example/a.mp3' type='audio/mpeg'/>"
        "<comments>https://e.example/c</comments><media:thumbnail url='https://e.example/t.jpg'/>"
        "<x:extra>ignored</x:extra>"
        "<feedburner:origLink>https://orig.example/p/1</feedburner:origLink></item>"
        '<item><guid isPermaLink="false">id-2</guid><title>Second</title>'
        "<link>https://e.example/p/2</link><dc:date>2024-03-06T07:00:00Z</dc:date>"
        "<description>plain &amp;amp; text</description></item>"
        "<item><title>third</title><guid>not a url</guid><author>Only Name</author></item>",
        channel="<description>d</description><x:thing a='1'/><managingEditor>m@e.example"
        "</managingEditor>",
    ),
    "atom_full": ATOM.format(
        entries="<entry xml:base='posts/'><title>Entry</title><id>1</id>"
        "<link href='one.html'/><link rel='enclosure' href='a.mp3'/>"
        "<published>2024-03-05T10:30:00+01:00</published><updated>2024-03-06T00:00:00Z</updated>"
        "<summary type='html'>&lt;p&gt;s&lt;/p&gt;</summary>"
        "<content type='text'>plain body\n\nsecond</content>"
        "<category term='t' label='Tee'/><author><name>Bo</name><uri>https://b.example</uri>"
        "</author></entry>"
        "<entry><title>E2</title>"
        "<link href='https://a.example/2' rel='alternate' type='text/html'/>"
        "<id>tag:a.example,2024:2</id><content type='html'>&lt;p&gt;x&lt;/p&gt;</content>"
        "<author>Plain Name</author></entry>"
    ).encode(),
    "rdf": (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<channel rdf:about="https://r.example/"><title>R</title><link>https://r.example/</link>'
        b'<items><rdf:Seq><rdf:li rdf:resource="https://r.example/1"/></rdf:Seq></items>'
        b"<dc:language>de</dc:language></channel>"
        b'<image rdf:about="https://r.example/i.png"><title>i</title></image>'
        b'<item rdf:about="https://r.example/1"><title>R1</title><link>https://r.example/1</link>'
        b"<dc:subject>S</dc:subject><dc:date>2024-03-05</dc:date></item></rdf:RDF>"
    ),
    "latin1": (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="0.92"><channel>'
        "<title>Café</title><item><title>Crème \x93brûlée\x94</title></item></channel></rss>"
    ).encode("latin-1"),
    "rss_summary": _rss("<item><summary>s</summary></item>"),
    "two_languages": _rss("<item><title>x</title></item>", channel="<language>de</language>"),
    "bom_no_declaration": b"\xef\xbb\xbf<rss><channel><title>t</title><item><title>x</title>"
    b"<link></link></item></channel></rss>",
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_small_documents_taken_by_the_fast_path(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    fast, shipped, alone = _both(monkeypatch, ACCEPTED[name], name)
    assert fast
    assert shipped == alone
    assert any(item[0] == "article" for item in shipped)


DECLINED = {
    "not_xml": b"<rss><channel><title>&nbsp;</title></channel></rss>",
    "doctype": b'<!DOCTYPE rss SYSTEM "x.dtd"><rss><channel><title>t</title></channel></rss>',
    "utf16": "<rss><channel></channel></rss>".encode("utf-16"),
    "big5": b'<?xml version="1.0" encoding="big5"?><rss><channel></channel></rss>',
    "other_root": b"<foo><item><title>x</title></item></foo>",
    "two_channels": b"<rss><channel/><channel/></rss>",
    "cdf_channel": b"<rss><channel href='https://e.example/'><title>t</title></channel></rss>",
    "cdf_item": _rss("<item lastmod='2024-01-01'><title>t</title></item>"),
    "two_titles": _rss("<item><title>a</title><title>b</title></item>"),
    "two_feed_titles": _rss("", channel="<title>again</title>"),
    "markup_in_title": _rss("<item><title>a<b>b</b></title></item>"),
    "comment_in_title": _rss("<item><title>a<!-- c -->b</title></item>"),
    "media_title_only": _rss(
        "<item><media:title>m</media:title><link>https://e.example/</link></item>"
    ),
    "source": _rss("<item><title>t</title><source url='https://s.example/'>S</source></item>"),
    "nested_unknown": _rss("<item><x:wrap><title>inner</title></x:wrap></item>"),
    "unknown_attribute": _rss("<item><title x:type='html'>t</title></item>"),
    "unknown_default_namespace": _rss("<item><t xmlns='http://example.com/t'>t</t></item>"),
    "rss_content": _rss("<item><content>s</content></item>"),
    "entry_in_rss": _rss("<entry><title>t</title></entry>"),
    "xhtml": ATOM.format(entries="<entry><content type='xhtml'><div>x</div></content></entry>"),
    "base64": ATOM.format(entries="<entry><content type='image/png'>AAAA</content></entry>"),
    "content_src": ATOM.format(entries="<entry><content src='https://a.example/x'/></entry>"),
    "generic_with_attributes": _rss("", channel="<ttl unit='m'>5</ttl>"),
    "author_without_name": ATOM.format(
        entries="<entry><title>t</title><author><email>e@a.example</email></author></entry>"
    ),
    "author_mixed": ATOM.format(
        entries="<entry><title>t</title><author>x<name>n</name></author></entry>"
    ),
    "author_comment": ATOM.format(
        entries="<entry><title>t</title><author><!-- c --><name>n</name></author></entry>"
    ),
    "author_other_part": ATOM.format(
        entries="<entry><title>t</title><author><name>n</name><x:y>z</x:y></author></entry>"
    ),
    "atom_contributor": ATOM.format(
        entries="<contributor><name>c</name></contributor><entry><title>t</title></entry>"
    ),
    "rdf_with_atom": b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns="http://purl.org/rss/1.0/" xmlns:a="http://www.w3.org/2005/Atom"><channel/>'
    b"</rdf:RDF>",
    "rdf_odd_child": b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns="http://purl.org/rss/1.0/"><channel/><other/></rdf:RDF>',
    "atom_with_rss10": b'<feed xmlns="http://www.w3.org/2005/Atom" '
    b'xmlns:r="http://purl.org/rss/1.0/"><title>t</title></feed>',
}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_documents_handed_to_feedparser(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    data = DECLINED[name]
    data = data.encode() if isinstance(data, str) else data
    fast, shipped, alone = _both(monkeypatch, data, name)
    assert not fast
    assert shipped == alone


def test_a_charset_other_than_the_declaration_goes_to_feedparser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = ACCEPTED["rss_full"]
    assert _both(monkeypatch, data, "f.xml", "utf-8")[0]
    fast, shipped, alone = _both(monkeypatch, data, "f.xml", "iso-8859-1")
    assert not fast
    assert shipped == alone


def test_the_switch_sends_everything_to_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_feedfast, "ENABLED", False)
    assert _feedfast.parse_fast(ACCEPTED["rss_full"], None) is None


def test_a_fast_feed_answers_only_the_keys_the_reader_reads() -> None:
    result = _feedfast.parse_fast(ACCEPTED["rss_full"], None)
    assert result is not None
    assert result.get("version") == "rss20"
    assert result.get("bozo") is None
    assert result.get("feed")["ttl"] == "30"
    assert len(result.get("entries")) == 3


# -- the HTML segmenter's two tokenizers ---------------------------------------------


def _stdlib(markup: str) -> list[str]:
    parser = _html._Segmenter()
    parser.feed(markup)
    parser.close()
    return parser.rules.finish()


PLAIN = [
    "Hello <b>x</b> y",
    "<b>a</b> <i>b</i>",
    "  <p> a </p>  <p>b</p> ",
    "a &amp; &nbsp;&apos;&hellip;&#233;&copy;",
    "<p>x<script>if (a) { run(1) }</script>y</p>",
    "<pre>\nl1\r\nl2</pre>",
    "x<table><tr><td>1</td><td>2</td></tr></table>z",
    "<div>a<br/>b<br>c<hr>d<img src='x.jpg' alt='y'></div>",
    "<ul><li>one</li><li>two <a href='/x'>link</a></li></ul>",
    "<p>a<wbr>b</p><style>p { color: red }</style>",
]
NOT_PLAIN = [
    "<p>unclosed<p>paragraphs",
    "a < b and c > d",
    "<p>a<!-- comment -->b</p>",
    "<![CDATA[x]]>y",
    "<html><body><p>x</p></body></html>",
    "<p>a<iframe src='x'>fallback text</p>",
    "<b>a<p>b</b>c",
    "<script>document.write('<b>x</b>')</script>y",
    "<script src='x'/>text",
    "<p>stray</p></div>",
    "a\x0bb<b>c</b>",
    "<title>t</title>text",
    "<p>a<embed src='x'>b</p>",
    '<p>x</p><a href="https://e.example/?a=1& </li>',
    "<p>x</p><b",
]


@pytest.mark.parametrize("markup", PLAIN)
def test_plain_fragments_take_lxml_with_the_same_segments(markup: str) -> None:
    assert _html._lxml_segments(markup) == _stdlib(markup)
    assert _html.html_to_segments(markup) == _stdlib(markup)


@pytest.mark.parametrize("markup", NOT_PLAIN)
def test_other_fragments_go_to_html_parser(markup: str) -> None:
    with pytest.raises(_html._NotPlain):
        _html._lxml_segments(markup)
    assert _html.html_to_segments(markup) == _stdlib(markup)


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason="no ../shared/corpus/feeds")
def test_corpus_fragments_segment_alike() -> None:
    """Every title, summary and content of the real feeds: lxml where it reads, the same."""
    import feedparser

    plain = differ = 0
    for path in _documents(CORPUS):
        parsed = feedparser.parse(path.read_bytes(), sanitize_html=False)
        for entry in parsed.entries:
            values = [block.get("value") or "" for block in entry.get("content") or []]
            values += [entry.get("summary") or "", entry.get("title") or ""]
            for value in values:
                try:
                    segments = _html._lxml_segments(value)
                except _html._NotPlain:
                    continue
                plain += 1
                differ += segments != _stdlib(value)
    print(f"\ncorpus HTML fragments read by lxml: {plain}, differing from html.parser: {differ}")
    assert plain > 1000
    assert differ == 0


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF)) | st.text())
def test_fix_maps_c1_characters_exactly_as_translating_every_text_would(text: str) -> None:
    """The fast path's last touch skips the cp1252 table for a text without a C1
    character; the result is what translating every text with it gives."""
    _feedfast._load()
    whole = text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        whole = whole.encode("iso-8859-1").decode("utf-8")
    assert _feedfast._fix(text) == whole.translate(_feedfast._CP1252)
