"""Poll RSS/Atom feeds on a schedule, remembering what was seen in a SQLite file.

What it shows: a monitor's loop. Each poll opens the seen-store (``state.db``),
reads every feed through a :class:`~newsingest.readers.feed.FeedReader` that
keeps the feeds' ETags in the same store, and emits only articles never seen
before. Three polls run against the two shipped example feeds, which the script
serves itself on 127.0.0.1 with :func:`newsingest.testing.serve`:

1. the first poll emits every article;
2. the second gets ``304 Not Modified`` for both feeds and emits nothing;
3. then one feed publishes a new item and a syndicated copy of an old one under
   a tracking URL: the third poll fetches that feed again (its ETag changed),
   emits the new item only, and reports the old items and the copy as duplicates.

In production the URLs are real feeds and the loop sleeps ten minutes between
polls (``--interval 600``); here the interval defaults to 0 so the demo is quick.
The state file lives in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from newsingest import Duplicate, ingest, open_store
from newsingest.readers.feed import FeedReader
from newsingest.testing import conditional, serve

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "examples" / "feeds"

NEW_ITEMS = b"""
    <item>
      <title>Ferry timetable restored in full</title>
      <link>https://news.example.com/world/2022/03/11/ferries-restored</link>
      <pubDate>Fri, 11 Mar 2022 07:30:00 +0000</pubDate>
      <description>All routes run to the normal timetable from today.</description>
    </item>
    <item>
      <title>Grain exports resume (syndicated)</title>
      <link>https://news.example.com/world/2022/03/07/grain-exports?utm_source=partner</link>
      <pubDate>Mon, 07 Mar 2022 06:05:00 GMT</pubDate>
      <description>A copy of an item already seen, under a tracking URL.</description>
    </item>
  </channel>"""


def poll(feed_urls: list[str], state: Path) -> None:
    """One poll: read every feed, print what is new and what was a duplicate."""
    store = open_store(state)  # ingest() closes it when the run ends

    def on_duplicate(duplicate: Duplicate) -> None:
        print(f"  duplicate ({duplicate.key_type} key): {duplicate.title}")
        print(f"    of {duplicate.kept_source}")

    run = ingest(
        feed_urls,
        # Conditional GET with the stored ETags. The demo's feeds are on 127.0.0.1,
        # which fetchers refuse by default: a real monitor leaves this out.
        reader=FeedReader(validators=store, allow_private=True),
        state=store,  # dedup keys remembered across polls
        on_error="skip",  # an unreachable feed is counted, the others still come
        on_duplicate=on_duplicate,
    )
    for article in run:
        print(f"  new: {article.title} ({article.published:%Y-%m-%d %H:%M} UTC)")
    print(f"  {run.report.summary()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between polls")
    args = parser.parse_args()

    world = (FEEDS / "world-news.rss.xml").read_bytes()
    science = (FEEDS / "science.atom.xml").read_bytes()
    routes = {
        "/world.rss": conditional(world, etag='"world-1"'),
        "/science.atom": conditional(science, etag='"science-1"'),
    }
    with serve(routes) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.url("/world.rss"), server.url("/science.atom")]
        state = Path(tmp) / "state.db"
        for number in range(1, args.polls + 1):
            if number == 3:
                updated = world.replace(b"\n  </channel>", NEW_ITEMS, 1)
                server.set_route("/world.rss", conditional(updated, etag='"world-2"'))
                print("(the world feed publishes two more items)")
            print(f"poll {number}:")
            poll(urls, state)
            statuses = [request.header("If-None-Match") for request in server.requests[-2:]]
            print(f"  sent If-None-Match: {statuses}")
            if number < args.polls:
                time.sleep(args.interval)


if __name__ == "__main__":
    main()
