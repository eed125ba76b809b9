"""Every real feed in ../shared/corpus/feeds against feedparser: nothing lost unreported.

Skipped when the corpus is absent. For each document the feed reader either refuses
it whole with a reason (entity declarations, too deep...), or accounts for every entry
feedparser finds (an Article or a reported rejection), and no body is more than 10 %
shorter than the text of feedparser's same entry without a warning on that entry.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.model import Article
from newsingest.readers.feed import FeedReader
from newsingest.readers.jsonfeed import is_json_feed

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
SPACE = re.compile(r"\s+")


class _Text(HTMLParser):
    """All text outside script and style: what a person could read of the markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible_chars(markup: str) -> int:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return len(SPACE.sub("", "".join(parser.parts)))


def _feedparser_text(entry: Any) -> int:
    content = entry.get("content") or []
    value = content[0].get("value") if content else entry.get("summary", "")
    return _visible_chars(value or "")


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_every_corpus_feed_is_read_without_unreported_loss() -> None:
    import feedparser

    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")
    assert len(files) > 100
    uncounted, short, refused, entries = [], [], 0, 0
    for path in files:
        data = path.read_bytes()
        if is_json_feed(data[:4096]):
            continue  # feedparser 6 reads no JSON: see the JSON Feed test below
        expected = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        try:
            items = list(FeedReader().parse(data, location=str(path)))
        except ParseError as error:  # refused whole, with its reason: reported, not lost
            assert error.reason, path
            refused += 1
            continue
        articles = {i.source.item: i for i in items if isinstance(i, Article)}
        rejected = [i for i in items if isinstance(i, ParseError) and i.item is not None]
        warned = {i.item for i in items if isinstance(i, NewsIngestWarning)}
        cut = any(error.reason == "too_many_entries" for error in rejected)
        accounted = len(articles) + sum(e.reason != "too_many_entries" for e in rejected)
        entries += len(expected.entries)
        if accounted != len(expected.entries) and not cut:
            uncounted.append((path.name, accounted, len(expected.entries)))
        for index, entry in enumerate(expected.entries):
            article = articles.get(index)
            if article is None or index in warned:
                continue
            theirs = _feedparser_text(entry)
            ours = len(SPACE.sub("", "".join((*article.body, article.summary or ""))))
            if theirs and ours < 0.9 * theirs:
                short.append((path.name, index, ours, theirs))
    print(f"\ncorpus: {len(files)} files, {entries} feedparser entries, {refused} refused whole")
    assert entries > 5000
    assert refused < len(files) / 10
    assert uncounted == []
    assert short == []


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_every_corpus_json_feed_gives_an_item_for_each_item() -> None:
    """Articles plus reported rejections equal the document's items; a document that
    is not valid JSON Feed is refused whole with its reason."""
    feeds = [p for p in sorted(CORPUS.rglob("*")) if p.is_file() and is_json_feed(p.read_bytes())]
    assert len(feeds) >= 5
    read = 0
    for path in feeds:
        data = path.read_bytes()
        try:
            document = json.loads(data)
        except ValueError:
            with pytest.raises(ParseError) as caught:
                list(FeedReader().parse(data, location=str(path)))
            assert caught.value.reason == "unparseable"
            continue
        items = document.get("items") if isinstance(document, dict) else None
        if not isinstance(items, list):
            with pytest.raises(ParseError):
                list(FeedReader().parse(data, location=str(path)))
            continue
        out = list(FeedReader().parse(data, location=str(path)))
        articles = [i for i in out if isinstance(i, Article)]
        rejected = [i for i in out if isinstance(i, ParseError)]
        assert len(articles) + len(rejected) == len(items), path
        assert all(a.source.reader == "jsonfeed" for a in articles)
        read += 1
    assert read >= 3
