"""OPML subscription lists (what every feed reader exports) as --feeds lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsingest.exceptions import ParseError
from newsingest.readers.feed import read_feed_list, read_feed_subscriptions
from newsingest.readers.opml import Subscription, write_opml
from newsingest.testing import Response, serve
from tests.command import newsingest as _newsingest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
GOOGLE_READER = CORPUS / "feedjira+feedjira" / "google-reader-subscriptions@779edbbe.xml"


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
        (opml("<outline"), "unparseable"),
        (
            '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body>'
            '<outline xmlUrl="https://e.example/&a;"/></body></opml>',
            "entity_declaration",
        ),
    ],
    ids=["malformed", "entities"],
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


def test_outlines_that_cannot_be_polled_are_named_and_passed_over(tmp_path: Path) -> None:
    """newsboat's command feeds and relative addresses are skipped, the rest still read."""
    path = tmp_path / "subs.opml"
    path.write_text(
        opml(
            '<outline text="Script" xmlUrl="|~/fetch.py"/>'
            '<outline text="Relative" xmlUrl="feed.xml"/>'
            '<outline text="Good" xmlUrl="https://good.example/feed"/>'
        ),
        encoding="utf-8",
    )
    skipped: list[str] = []
    assert read_feed_list(path, on_skip=skipped.append) == ["https://good.example/feed"]
    assert len(skipped) == 2
    assert "outline 1 ('Script')" in skipped[0] and "'|~/fetch.py'" in skipped[0]
    assert str(path) in skipped[1] and "'feed.xml'" in skipped[1]


def test_folders_categories_titles_and_sites_are_kept(tmp_path: Path) -> None:
    """Nesting gives folders; the category attribute (OPML 2.0 paths) gives categories."""
    path = tmp_path / "subs.opml"
    path.write_text(
        opml(
            '<outline text="News" title="ignored: text is what readers show">'
            '<outline text="Local">'
            '<outline type="rss" text="Harbour Gazette" title="The Harbour Gazette"'
            ' xmlUrl="https://gazette.example/rss" htmlUrl="https://gazette.example/"'
            ' category="/Harbour,weather, /Harbour"/>'
            "</outline></outline>"
            '<outline url="https://newsboat.example/feed.xml" title="newsboat wrote url"/>'
        ),
        encoding="utf-8",
    )
    first, second = read_feed_subscriptions(path)
    assert first == Subscription(
        url="https://gazette.example/rss",
        title="Harbour Gazette",
        html_url="https://gazette.example/",
        folders=("News", "Local"),
        categories=("Harbour", "weather"),
    )
    assert first.tags == ("News", "Local", "Harbour", "weather")
    assert second == Subscription(
        url="https://newsboat.example/feed.xml", title="newsboat wrote url"
    )


def _round_trip(subscriptions: list[Subscription], tmp_path: Path) -> list[Subscription]:
    exported = tmp_path / "exported.opml"
    with exported.open("w", encoding="utf-8") as stream:
        write_opml(subscriptions, stream)
    return read_feed_subscriptions(exported)


def test_export_then_import_gives_the_same_feeds_in_the_same_order(tmp_path: Path) -> None:
    """Folders that close and open again, characters XML escapes, feeds outside folders."""
    subscriptions = [
        Subscription("https://a.example/rss", "A & <B>", None, ("Tech", "Web"), ("x",)),
        Subscription("https://b.example/rss?x=1&y=2", '"Quoted"', "https://b.example/", ("Tech",)),
        Subscription("https://c.example/rss", None),
        Subscription("https://d.example/rss", "Back in Tech", None, ("Tech", "Web")),
        Subscription("https://e.example/rss", "Elsewhere", None, ("Other",), ("a/b", "c")),
    ]
    assert _round_trip(subscriptions, tmp_path) == subscriptions


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/feeds is not beside the project")
@pytest.mark.parametrize(
    "path",
    [*sorted(CORPUS.glob("*/*.opml")), GOOGLE_READER],
    ids=lambda path: path.name,
)
def test_every_corpus_subscription_list_reads_and_round_trips(path: Path, tmp_path: Path) -> None:
    """Real exports (Google Reader, newsboat, Tiny Tiny RSS, ...): every pollable
    outline read, and the export read back equal."""
    from xml.etree import ElementTree

    outlines = [
        element.get("xmlUrl") or element.get("url")
        for element in ElementTree.parse(path).iter("outline")
    ]
    pollable = {url.strip() for url in outlines if url and url.strip().startswith("http")}
    skipped: list[str] = []
    subscriptions = read_feed_subscriptions(path, on_skip=skipped.append)
    assert {sub.url for sub in subscriptions} == pollable
    unpollable = {url.strip() for url in outlines if url and url.strip()} - pollable
    assert all(any(repr(url) in message for message in skipped) for url in unpollable)
    assert _round_trip(subscriptions, tmp_path) == subscriptions


@pytest.mark.skipif(not GOOGLE_READER.is_file(), reason="the corpus is not beside the project")
def test_a_google_reader_export_of_287_feeds_survives_state_and_export(tmp_path: Path) -> None:
    """ingest --feeds --state records the list; feeds export --opml writes it back losslessly."""
    state, exported = tmp_path / "state.db", tmp_path / "out.opml"
    original = read_feed_subscriptions(GOOGLE_READER)
    assert len(original) == 287  # 300 outlines, 13 repeats
    done = _newsingest("feeds", "import", str(GOOGLE_READER), "--state", str(state))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"287 feeds recorded in {state}\n"
    exported_run = _newsingest("feeds", "export", "--opml", str(state), "-o", str(exported))
    assert exported_run.returncode == 0, exported_run.stderr
    assert read_feed_subscriptions(exported) == original
    again = _newsingest("feeds", "export", "--opml", str(state), "-o", str(exported))
    assert again.returncode == 2 and "--force" in again.stderr
    plain = _newsingest("feeds", "export", str(exported))
    assert plain.stdout.splitlines() == [sub.url for sub in original]


def test_ingest_with_feeds_and_state_records_the_list(tmp_path: Path) -> None:
    """The feeds a run polls from --feeds are kept in --state, folders and all."""
    feed = '<rss version="2.0"><channel><title>A</title></channel></rss>'
    state = tmp_path / "state.db"
    with serve({"/a.xml": Response(body=feed)}) as server:
        subs = tmp_path / "subs.opml"
        subs.write_text(
            opml(
                f'<outline text="Local"><outline text="A" xmlUrl="{server.url("/a.xml")}"/>'
                "</outline>"
            ),
            encoding="utf-8",
        )
        done = _newsingest(
            "ingest",
            "--feeds",
            str(subs),
            "--state",
            str(state),
            "--allow-private-addresses",
            "-o",
            str(tmp_path / "out.jsonl"),
        )
    assert done.returncode == 0, done.stderr
    exported = _newsingest("feeds", "export", str(state), "--opml")
    assert read_feed_subscriptions_text(exported.stdout, tmp_path) == [
        Subscription(server.url("/a.xml"), "A", None, ("Local",))
    ]


def read_feed_subscriptions_text(text: str, tmp_path: Path) -> list[Subscription]:
    path = tmp_path / "read.opml"
    path.write_text(text, encoding="utf-8")
    return read_feed_subscriptions(path)
