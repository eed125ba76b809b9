"""Feed reader throughput against bare ``feedparser.parse`` measured in the same run.

Generates RSS 2.0 feeds of 50 and 500 items that look like real news feeds (a
title, link, guid, dated ``pubDate``, categories, an author, a description and a
``content:encoded`` body of several HTML paragraphs with links, an image and a
script), then times, on the same bytes:

* feedparser: ``feedparser.parse(data)`` with its default options (HTML sanitising
  and relative-URI resolution on), what a user would write without newsingest;
* reader: ``FeedReader().read(data)`` to the end, every entry turned into an
  :class:`~newsingest.model.Article` (plain-text body, parsed dates);
* lxml floor: ``lxml.etree.fromstring`` and one pass over every element's text,
  what no XML feed reader in Python can go below.

With ``--corpus PATH`` it also times the three over every document of a folder of
real feeds (``../shared/corpus/feeds``; skipped when absent) that the reader reads
without refusing it whole, and says how many the reader's lxml fast path took.

Prints items per second for each and the ratio reader / feedparser (time of
feedparser over time of the reader on the same documents).

    python benchmarks/feeds.py                # 50 and 500 items, best of 5
    python benchmarks/feeds.py --n 2000       # other sizes
    python benchmarks/feeds.py --corpus ../shared/corpus/feeds
    python benchmarks/feeds.py --ci           # best of 2, a corpus sample, for CI
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

from _text import WORDS  # benchmarks/ is on sys.path when run as a script


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
    return " ".join(words).capitalize() + "."


def make_feed(items: int, seed: int = 7) -> bytes:
    """An RSS 2.0 document with ``items`` news-like items (deterministic for a seed)."""
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    parts = []
    for index in range(items):
        paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 4))) for _ in range(6)]
        body = "".join(
            f'<p>{escape(text)} <a href="/related/{index}-{number}">more</a></p>'
            for number, text in enumerate(paragraphs)
        )
        body += '<img src="/img/x.jpg" alt=""/><script>track("x")</script>'
        published = format_datetime(start + timedelta(minutes=17 * index))
        parts.append(
            f"<item><title>{escape(_sentence(rng))}</title>"
            f"<link>https://news.example.com/{index}/story</link>"
            f'<guid isPermaLink="false">story-{index}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<category>{rng.choice(WORDS)}</category><category>{rng.choice(WORDS)}</category>"
            f"<author>desk@news.example.com (Desk {index % 7})</author>"
            f"<description>{escape(_sentence(rng))}</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Benchmark News</title><link>https://news.example.com/</link>"
        "<description>generated</description><language>en</language>\n"
        + "".join(parts)
        + "</channel></rss>\n"
    ).encode()


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """The shortest wall time of ``repeat`` runs, and what the last run counted."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run()
        best = min(best, time.perf_counter() - started)
    return best, count


def _lxml_floor(data: bytes) -> int:
    """Parse with lxml and touch every element's text; the entries counted."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return 0
    entries = 0
    for element in root.iter():
        _ = element.text
        if isinstance(element.tag, str) and element.tag.rpartition("}")[2] in ("item", "entry"):
            entries += 1
    return entries


def _generated(sizes: list[int], repeat: int) -> float:
    import feedparser

    from newsingest.model import Article
    from newsingest.readers.feed import FeedReader

    reader = FeedReader()
    print(f"generated RSS 2.0 feeds, best of {repeat}")
    header = f"{'items':>6} {'feedparser/s':>13} {'reader/s':>10} {'lxml floor/s':>13} {'ratio':>6}"
    print(header)
    worst = float("inf")
    for items in sizes:
        data = make_feed(items)

        def floor(data: bytes = data) -> int:
            return len(feedparser.parse(data).entries)

        def whole(data: bytes = data) -> int:
            return sum(isinstance(item, Article) for item in reader.read(data))

        def bare(data: bytes = data) -> int:
            return _lxml_floor(data)

        for run in (floor, whole, bare):  # warm up: lazy imports and caches stay out
            run(make_feed(5))
        floor_time, floor_count = best_of(repeat, floor)
        reader_time, reader_count = best_of(repeat, whole)
        lxml_time, lxml_count = best_of(repeat, bare)
        if not floor_count == reader_count == lxml_count == items:
            raise SystemExit(
                f"expected {items} entries, feedparser gave {floor_count}, reader "
                f"{reader_count}, lxml {lxml_count}"
            )
        ratio = floor_time / reader_time
        worst = min(worst, ratio)
        print(
            f"{items:>6} {items / floor_time:>13,.0f} {items / reader_time:>10,.0f} "
            f"{items / lxml_time:>13,.0f} {ratio:>6.2f}"
        )
    return worst


def _corpus_documents(folder: Path, limit: int | None) -> list[tuple[str, bytes]]:
    """The folder's documents the reader reads without refusing them whole."""
    from newsingest.exceptions import ParseError
    from newsingest.readers.feed import FeedReader

    reader = FeedReader()
    documents = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name == "MANIFEST.tsv":
            continue
        data = path.read_bytes()
        try:
            list(reader.parse(data, location=path.name))
        except ParseError:
            continue
        documents.append((path.name, data))
    if limit is not None:
        documents = documents[:: max(1, len(documents) // limit)][:limit]
    return documents


def _corpus(folder: Path, repeat: int, limit: int | None) -> float | None:
    import feedparser

    from newsingest.model import Article
    from newsingest.readers import feed as feed_module

    if not folder.is_dir():
        print(f"corpus: skipped, no folder {folder}")
        return None
    documents = _corpus_documents(folder, limit)
    reader = feed_module.FeedReader()
    fast = 0
    original = feed_module.parse_fast

    def counting(data: bytes, charset: str | None) -> object:
        nonlocal fast
        result = original(data, charset)
        fast += result is not None
        return result

    feed_module.parse_fast = counting  # type: ignore[assignment]
    try:
        articles = sum(
            isinstance(item, Article)
            for name, data in documents
            for item in reader.parse(data, location=name)
        )
    finally:
        feed_module.parse_fast = original

    def floor() -> int:
        return sum(len(feedparser.parse(data).entries) for _, data in documents)

    def whole() -> int:
        return sum(
            isinstance(item, Article)
            for name, data in documents
            for item in reader.parse(data, location=name)
        )

    def bare() -> int:
        return sum(_lxml_floor(data) for _, data in documents)

    floor_time, entries = best_of(repeat, floor)
    reader_time, _ = best_of(repeat, whole)
    lxml_time, lxml_entries = best_of(repeat, bare)
    ratio = floor_time / reader_time
    print(
        f"corpus {folder}: {len(documents)} documents ({fast} through the fast path), "
        f"{entries} feedparser entries, {articles} Articles; best of {repeat}"
    )
    print(f"{'':>6} {'feedparser/s':>13} {'reader/s':>10} {'lxml floor/s':>13} {'ratio':>6}")
    print(
        f"{'corpus':>6} {entries / floor_time:>13,.0f} {articles / reader_time:>10,.0f} "
        f"{lxml_entries / lxml_time:>13,.0f} {ratio:>6.2f}"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 500], help="items per feed")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; best kept")
    parser.add_argument(
        "--corpus", type=Path, default=None, help="a folder of real feeds to time as well"
    )
    parser.add_argument(
        "--corpus-repeat", type=int, default=1, help="runs over the corpus; best kept"
    )
    parser.add_argument("--ci", action="store_true", help="fewer repeats, for CI")
    options = parser.parse_args(argv)
    repeat = 2 if options.ci else options.repeat
    worst = _generated(options.n, repeat)
    if options.corpus is not None:
        ratio = _corpus(options.corpus, options.corpus_repeat, 40 if options.ci else None)
        if ratio is not None:
            worst = min(worst, ratio)
    print(f"slowest ratio {worst:.2f} (reader / feedparser.parse; >= 3.00 is issue #22's bar)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
