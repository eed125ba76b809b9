"""A feed's shape checked before feedparser: nesting depth refused, entries past the limit cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.model import Article
from newsingest.readers._xmlscan import decode_for_scan, deepest_nesting, entries_past
from newsingest.readers.feed import LIMITS, FeedReader
from tests.measure import run_cli


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> tuple[str, int]:
    """An XML element with random children, comments, CDATA and empty tags; its depth."""
    name = draw(st.sampled_from(["a", "b:c", "item", "x-y"]))
    parts, deepest = [], 1
    if depth < 6:
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["child", "empty", "comment", "cdata", "text"]))
            if kind == "child":
                child, child_depth = draw(trees(depth + 1))
                parts.append(child)
                deepest = max(deepest, child_depth + 1)
            elif kind == "empty":
                parts.append('<e k="v"/>')
                deepest = max(deepest, 2)
            elif kind == "comment":
                parts.append("<!-- <p><p><p> -->")
            elif kind == "cdata":
                parts.append("<![CDATA[<div><div><br>]]>")
            else:
                parts.append("a &amp; b")
    return f'<{name} id="1">{"".join(parts)}</{name}>', deepest


@given(trees())
def test_the_depth_scan_measures_well_formed_documents_exactly(tree: tuple[str, int]) -> None:
    """Tags inside comments and CDATA do not count; empty tags count one level."""
    text, depth = tree
    assert deepest_nesting(f'<?xml version="1.0"?>{text}', 0) == depth


def test_the_depth_scan_is_skipped_when_the_document_cannot_be_deep() -> None:
    assert deepest_nesting("<a><b><c></c></b></a>", 10) == 0
    assert deepest_nesting("<a><b><c></c></b></a>", 2) == 3


def test_an_unterminated_comment_or_cdata_opens_no_element() -> None:
    assert deepest_nesting("<a><b>" + "<![CDATA[<x>" * 1000, 0) == 2
    assert deepest_nesting("<a>" + "<!-- <x>" * 1000, 0) == 1


def deep_feed(levels: int) -> bytes:
    return (
        b'<rss version="2.0"><channel><title>t</title><item><title>x</title><description>'
        + b"<a>" * levels
        + b"</description></item></channel></rss>"
    )


def test_a_feed_nested_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(ParseError) as caught:
        list(FeedReader().parse(deep_feed(LIMITS["depth"] + 10), location="deep.xml"))
    assert caught.value.reason == "too_deep"
    assert caught.value.source == "deep.xml"
    assert f"over the limit of {LIMITS['depth']}" in caught.value.message


def test_a_feed_nested_within_the_limit_is_read() -> None:
    items = list(FeedReader().parse(deep_feed(LIMITS["depth"] - 10), location="ok.xml"))
    assert [item.title for item in items if isinstance(item, Article)] == ["x"]


@pytest.mark.slow
def test_five_million_unclosed_levels_cost_little(tmp_path: Path) -> None:
    """16 MB of ``<a>``: refused as too_deep by a whole CLI run well under 150 MB."""
    feed = tmp_path / "deep.xml"
    feed.write_bytes(deep_feed(5_500_000))
    run = run_cli("ingest", str(feed))
    assert "too_deep" in run.stderr or "levels deep" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert run.status == 2
    assert run.peak_mb < 150, f"{run.peak_mb} MB"


def many_items(count: int, encoding: str = "utf-8") -> bytes:
    items = "".join(
        f"<item><title>t{n}</title><link>https://e.example/{n}</link></item>" for n in range(count)
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        f"<title>f</title>{items}</channel></rss>"
    ).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entries_past_the_limit_are_cut_before_parsing_and_reported(encoding: str) -> None:
    limit = LIMITS["entries"]
    items = list(FeedReader().parse(many_items(limit + 700, encoding), location="big.xml"))
    articles = [item for item in items if isinstance(item, Article)]
    assert [a.title for a in articles] == [f"t{n}" for n in range(limit)]
    errors = [item for item in items if isinstance(item, ParseError)]
    assert len(errors) == 1
    assert errors[0].reason == "too_many_entries"
    assert errors[0].item == limit
    assert f"feed has {limit + 700} entries" in errors[0].message
    # The cut document is not reported as malformed: the cut is ours.
    assert not [item for item in items if isinstance(item, NewsIngestWarning)]


def test_item_tags_quoted_in_cdata_or_comments_are_not_entries() -> None:
    quoted = "<![CDATA[<item> <entry>]]><!-- <item> -->" * 3000
    text = f"<rss><channel><item><description>{quoted}</description></item></channel></rss>"
    assert entries_past(text, 1) is None
    assert entries_past(text + "<item/><item/>", 1) == (3, len(text))


def test_entries_past_gives_the_count_and_the_first_cut_entry() -> None:
    head = "<feed><entry>a</entry><atom:entry>b</atom:entry>"
    text = head + "<entry >c</entry><entry/></feed>"
    assert entries_past(text, 2) == (4, len(head))
    assert entries_past(text, 4) is None
    assert entries_past("<rss><items><itemize/></items></rss>", 0) is None


def test_the_scan_reads_utf16_documents() -> None:
    text, codec = decode_for_scan("<rss><item/></rss>".encode("utf-16"))
    assert (text, codec) == ("<rss><item/></rss>", "utf-16")
    assert decode_for_scan(b"<\x00r\x00")[1] == "utf-16-le"
    assert decode_for_scan(b"<r\xe9>")[1] == "latin-1"


@pytest.mark.slow
def test_two_million_empty_items_cost_little(tmp_path: Path) -> None:
    """14 MB of ``<item/>``: the first entries read, the rest one error, a small run."""
    feed = tmp_path / "items.xml"
    feed.write_bytes(b'<rss version="2.0"><channel>' + b"<item/>" * 2_000_000 + b"</channel></rss>")
    run = run_cli("ingest", str(feed))
    assert "feed has 2000000 entries" in run.stderr, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert run.peak_mb < 150, f"{run.peak_mb} MB"
