"""Feed reader throughput against bare ``feedparser.parse`` measured in the same run.

Generates RSS 2.0 feeds of 50 and 500 items that look like real news feeds (a
title, link, guid, dated ``pubDate``, categories, an author, a description and a
``content:encoded`` body of several HTML paragraphs with links, an image and a
script), then times, on the same bytes:

* floor: ``feedparser.parse(data)`` with its default options (HTML sanitising and
  relative-URI resolution on), what a user would write without newsingest;
* reader: ``FeedReader().read(data)`` to the end, every entry turned into an
  :class:`~newsingest.model.Article` (plain-text body, parsed dates).

Prints items per second for each and the ratio reader / floor (1.0 or more means
the whole reader is no slower than bare feedparser).

    python benchmarks/feeds.py                # 50 and 500 items, best of 5
    python benchmarks/feeds.py --n 2000       # other sizes
    python benchmarks/feeds.py --ci           # best of 2, for CI
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 500], help="items per feed")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; best kept")
    parser.add_argument("--ci", action="store_true", help="fewer repeats, for CI")
    options = parser.parse_args(argv)
    repeat = 2 if options.ci else options.repeat

    import feedparser

    from newsingest.model import Article
    from newsingest.readers.feed import FeedReader

    reader = FeedReader()
    print(f"feed reader vs feedparser.parse (defaults), best of {repeat}")
    print(f"{'items':>6} {'feedparser/s':>13} {'reader/s':>10} {'ratio':>6}")
    worst = float("inf")
    for items in options.n:
        data = make_feed(items)

        def floor(data: bytes = data) -> int:
            return len(feedparser.parse(data).entries)

        def whole(data: bytes = data) -> int:
            return sum(isinstance(item, Article) for item in reader.read(data))

        floor(make_feed(5))  # warm up: lazy imports and caches stay out of the timing
        whole(make_feed(5))
        floor_time, floor_count = best_of(repeat, floor)
        reader_time, reader_count = best_of(repeat, whole)
        if floor_count != items or reader_count != items:
            raise SystemExit(
                f"expected {items} entries, feedparser gave {floor_count}, reader {reader_count}"
            )
        ratio = floor_time / reader_time
        worst = min(worst, ratio)
        print(
            f"{items:>6} {items / floor_time:>13,.0f} {items / reader_time:>10,.0f} {ratio:>6.2f}"
        )
    print(f"slowest ratio {worst:.2f} (>= 1.00: the reader is no slower than bare feedparser)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
