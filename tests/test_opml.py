"""OPML subscription lists (what every feed reader exports) as --feeds lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsingest.exceptions import ParseError
from newsingest.readers.feed import read_feed_list
from newsingest.testing import Response, serve


def opml(outlines: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head><title>Subscriptions'
        f"</title></head><body>{outlines}</body></opml>"
    )


def test_every_outline_of_a_large_nested_export_is_read(tmp_path: Path) -> None:
    folders = "".join(
        f'<outline text="Folder {f}" title="Folder {f}">'
        + "".join(
            f'<outline type="rss" text="Feed {f}-{n}" xmlUrl="https://site{f}.example/{n}/feed.xml"'
            f' htmlUrl="https://site{f}.example/"/>'
            for n in range(30)
        )
        + "</outline>"
        for f in range(4)
    )
    top = '<outline type="rss" text="Top" xmlUrl="https://top.example/rss"/>'
    again = '<outline type="rss" text="Again" xmlUrl="https://top.example/rss"/>'
    path = tmp_path / "subs.opml"
    path.write_text(opml(top + folders + again), encoding="utf-8")
    urls = read_feed_list(path)
    assert len(urls) == 1 + 4 * 30  # the repeated feed once
    assert urls[0] == "https://top.example/rss"
    assert urls[-1] == "https://site3.example/29/feed.xml"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (opml('<outline xmlUrl="feed.xml"/>'), "invalid_url"),
        (opml("<outline"), "unparseable"),
        (
            '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body>'
            '<outline xmlUrl="https://e.example/&a;"/></body></opml>',
            "entity_declaration",
        ),
    ],
    ids=["relative xmlUrl", "malformed", "entities"],
)
def test_a_bad_opml_file_is_refused_with_its_reason(
    tmp_path: Path, document: str, reason: str
) -> None:
    path = tmp_path / "bad.opml"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        read_feed_list(path)
    assert caught.value.reason == reason
    assert caught.value.source == str(path)


def test_the_command_polls_the_feeds_of_an_opml_file(tmp_path: Path) -> None:
    feed = (
        '<rss version="2.0"><channel><title>{0}</title><item><title>{0} story</title>'
        "<link>https://news.example/{0}</link></item></channel></rss>"
    )
    routes = {f"/{name}.xml": Response(body=feed.format(name)) for name in ("a", "b")}
    with serve(routes) as server:
        outlines = "".join(
            f'<outline text="{name}"><outline xmlUrl="{server.url(f"/{name}.xml")}"/></outline>'
            for name in ("a", "b")
        )
        subs = tmp_path / "subs.opml"
        subs.write_text(opml(outlines), encoding="utf-8")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsingest",
                "ingest",
                "--feeds",
                str(subs),
                "--allow-private-addresses",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    titles = [json.loads(line)["title"] for line in done.stdout.splitlines()]
    assert titles == ["a story", "b story"]
