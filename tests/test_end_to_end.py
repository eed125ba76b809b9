"""Whole runs through ingest() and the command: dedup across forms, state, polling, workers."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsingest import Article, Duplicate, ingest
from newsingest.exceptions import WorkerError
from newsingest.readers import default_registry
from newsingest.readers.textfile import SeedTextReader, dumps
from newsingest.testing import Response, conditional, loopback_registry, serve

DATA = Path(__file__).parent / "data"
SEED = DATA / "textfile" / "000_a56ce4c0ebc2a5f5.txt"
PAGES = DATA / "pages"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # Fetches to 127.0.0.1 are refused by default; the test servers are there.
    if args[0] == "ingest":
        args = ("ingest", "--allow-private-addresses", *args[1:])
    return subprocess.run(
        [sys.executable, "-m", "newsingest", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def seed_article() -> Article:
    (article,) = [item for item in SeedTextReader().read(SEED) if isinstance(item, Article)]
    return article


@pytest.fixture
def four_forms(tmp_path: Path) -> tuple[Path, Path]:
    """The seed as shipped, shuffled with extra spaces, with utm_ over http, and in a feed."""
    root = tmp_path / "in"
    root.mkdir()
    article = seed_article()
    (root / "a_shipped.txt").write_bytes(SEED.read_bytes())
    body = list(article.body)
    random.Random(3).shuffle(body)
    shuffled = [segment.replace(" ", "  ", 2) + "  " for segment in body]
    (root / "b_shuffled.txt").write_text(
        dumps(article.evolve(body=shuffled, url=article.url + "-export"), lossy=True),
        encoding="utf-8",
    )
    tracked = article.url.replace("https://", "http://") + "?utm_source=twitter&utm_medium=social"
    (root / "c_tracked.txt").write_text(
        dumps(article.evolve(url=tracked, body=article.body[:3])), encoding="utf-8"
    )
    feed = root / "d_feed.xml"
    feed.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Mirror world news</title>
<link>https://www.mirror.co.uk/news/world-news/</link><description>d</description>
<item><title>{article.title}</title><link>{article.url}</link>
<pubDate>Sun, 06 Mar 2022 09:15:00 +0000</pubDate>
<description>A captured Russian commander has spoken of his shame.</description></item>
</channel></rss>
""",
        encoding="utf-8",
    )
    return root, feed


def test_seed_in_four_forms_keeps_one_and_reports_three(four_forms: tuple[Path, Path]) -> None:
    """As shipped, shuffled, tracked and via a feed: one kept, three duplicates by key type."""
    root, _ = four_forms
    duplicates: list[Duplicate] = []
    run = ingest(root, on_duplicate=duplicates.append)
    kept = list(run)
    assert [Path(a.source.location).name for a in kept] == ["a_shipped.txt"]
    by_file = {Path(d.source.location).name: d.key_type for d in duplicates}
    assert by_file == {"b_shuffled.txt": "content", "c_tracked.txt": "url", "d_feed.xml": "url"}
    assert run.report.duplicates == {"content": 1, "url": 2}
    assert all(d.kept_source.endswith("a_shipped.txt:1") for d in duplicates)


def test_rerun_with_same_state_emits_nothing_new(
    four_forms: tuple[Path, Path], tmp_path: Path
) -> None:
    """A second CLI run with the same --state emits zero articles; all are duplicates."""
    root, _ = four_forms
    state = tmp_path / "state.db"
    dups = tmp_path / "dups.jsonl"
    first = run_cli("ingest", str(root), "--state", str(state), "--duplicates", str(dups))
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.splitlines()) == 1
    assert len(dups.read_text().splitlines()) == 3
    again = ("ingest", str(root), "--state", str(state), "--duplicates", str(dups))
    refused = run_cli(*again)  # the duplicates file of the first run is not clobbered
    assert refused.returncode == 2
    assert "exists and is not empty: add --append" in refused.stderr
    assert len(dups.read_text().splitlines()) == 3
    second = run_cli(*again, "--append")
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    records = [json.loads(line) for line in dups.read_text().splitlines()]
    assert len(records) == 3 + 4
    assert "0 emitted, 4 duplicates" in second.stderr
    info = run_cli("state", "info", str(state))
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["keys"] >= 2


FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Local desk</title>
<link>http://127.0.0.1/</link><description>d</description>
<item><title>One</title><link>https://news.example.com/one</link>
<pubDate>Tue, 01 Mar 2022 10:00:00 +0000</pubDate><description>First story.</description></item>
<item><title>Two</title><link>https://news.example.com/two</link>
<pubDate>Tue, 01 Mar 2022 11:00:00 GMT</pubDate><description>Second story.</description></item>
</channel></rss>"""


def test_polling_a_feed_twice_with_state_gets_304_and_emits_nothing(tmp_path: Path) -> None:
    """First poll emits every entry; the second sends validators, gets 304, emits nothing."""
    state = tmp_path / "state.db"
    with serve(
        {"/feed.xml": conditional(FEED, etag='"v1"', last_modified="Tue, 01 Mar 2022 12:00:00 GMT")}
    ) as server:
        url = server.url("/feed.xml")
        first = run_cli("ingest", url, "--state", str(state))
        assert first.returncode == 0, first.stderr
        titles = [json.loads(line)["title"] for line in first.stdout.splitlines()]
        assert titles == ["One", "Two"]
        assert json.loads(first.stdout.splitlines()[0])["source"]["feed_url"] == url
        second = run_cli("ingest", url, "--state", str(state))
        assert second.returncode == 0, second.stderr
        assert second.stdout == ""
        requests = server.requests_for("/feed.xml")
    assert len(requests) == 2
    assert requests[1].header("If-None-Match") == '"v1"'
    assert requests[1].header("If-Modified-Since") == "Tue, 01 Mar 2022 12:00:00 GMT"


def test_feeds_file_lists_urls_to_poll(tmp_path: Path) -> None:
    """--feeds FILE reads feed URLs (with comments) and polls each."""
    with serve({"/a.xml": Response(body=FEED)}) as server:
        listing = tmp_path / "feeds.txt"
        listing.write_text(f"# my feeds\n{server.url('/a.xml')}\n\n", encoding="utf-8")
        done = run_cli("ingest", "--feeds", str(listing), "--no-dedup")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2


def test_url_list_fetch_gives_articles_quarantine_and_one_duplicate(tmp_path: Path) -> None:
    """--fetch hydrates good pages, quarantines bad ones, and dedups a shared canonical page."""
    article_html = (PAGES / "jsonld_article.html").read_bytes()
    routes = {
        "/story": Response(body=article_html, headers={"Content-Type": "text/html"}),
        "/story-alias": Response(status=301, headers={"Location": "/story"}),
        "/missing": Response(status=404, body=b"gone"),
        "/doc.pdf": Response(body=b"%PDF-1.4 ...", headers={"Content-Type": "application/pdf"}),
    }
    with serve(routes) as server:
        listing = tmp_path / "list.txt"
        listing.write_text(
            "\n".join(
                server.url(path) for path in ["/story", "/story-alias", "/missing", "/doc.pdf"]
            )
            + "\n",
            encoding="utf-8",
        )
        quarantine = tmp_path / "bad.jsonl"
        dups = tmp_path / "dups.jsonl"
        done = run_cli(
            "ingest",
            str(listing),
            "--fetch",
            "--quarantine",
            str(quarantine),
            "--duplicates",
            str(dups),
        )
    assert done.returncode == 1, done.stderr
    (record,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert record["title"] and record["body"] and record["published"]
    reasons = sorted(json.loads(line)["reason"] for line in quarantine.read_text().splitlines())
    assert reasons == ["http_404", "not_html"]
    (duplicate,) = [json.loads(line) for line in dups.read_text().splitlines()]
    assert duplicate["key_type"] == "url"


def test_urls_list_without_fetch_gives_stubs_and_line_errors(tmp_path: Path) -> None:
    """A URL list yields one stub per valid line and an error naming each bad line."""
    listing = tmp_path / "list.txt"
    listing.write_text(
        "https://a.example.com/1\nhttps://a.example.com/2?utm_source=x\nnot a url\n"
        "https://a.example.com/3\n",
        encoding="utf-8",
    )
    done = run_cli("ingest", str(listing), "--no-dedup")
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 3
    assert f"{listing}:3 item 2: not a URL" in done.stderr


def corpus(root: Path, count: int) -> None:
    """Seed files with duplicates of every kind spread through the set."""
    base = seed_article()
    rng = random.Random(5)
    for number in range(count):
        body = [f"{segment} ({number % 37})" for segment in base.body[:6]]
        url = f"https://news.example.com/{number % 53}/story"
        if number % 7 == 0:
            rng.shuffle(body)
        article = base.evolve(url=url, body=body, title=f"Story {number}")
        folder = root / f"{number // 25:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number:04d}.txt").write_text(dumps(article), encoding="utf-8")
    (root / "zz_bad.txt").write_text("Title\n2022-01-01\nhttps://x.example/\n", encoding="utf-8")


@pytest.mark.parametrize("keys", [("url", "content"), ("url", "content", "title")])
def test_workers_give_exactly_the_one_process_output(tmp_path: Path, keys: tuple[str, ...]) -> None:
    """workers=2 and 3 emit the same records in the same order, with the same report.

    1,000 files make 16 chunks: more than the workers' queues hold, so this process
    reads some chunks itself. Title keys take the Article path, the others the record path.
    """
    corpus(tmp_path, 1000)
    outputs = []
    for workers in (1, 2, 3):
        dups: list[Duplicate] = []
        errors: list[dict[str, object]] = []
        run = ingest(
            tmp_path,
            keys=keys,
            workers=workers,
            on_error="quarantine",
            quarantine=errors.append,
            on_duplicate=dups.append,
        )
        lines = list(run.json_lines())
        outputs.append(
            (
                lines,
                [d.to_dict() | {"kept_first_seen": None} for d in dups],
                errors,
                run.report.to_dict(),
            )
        )
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][3]["emitted"] > 0 and outputs[0][3]["duplicates"]


def test_cli_workers_flag_matches_one_process(tmp_path: Path) -> None:
    """-j 2 on the command line writes the same file as -j 1."""
    corpus(tmp_path / "in", 120)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert run_cli("ingest", str(tmp_path / "in"), "-o", str(one)).returncode == 1
    assert run_cli("ingest", str(tmp_path / "in"), "-o", str(two), "-j", "2").returncode == 1
    assert one.read_text() == two.read_text()


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_loses_nothing(tmp_path: Path) -> None:
    """kill -9 in the middle of a 20,000-article CLI run; the re-run completes the union."""
    import os
    import signal
    import time

    base = seed_article()
    root = tmp_path / "in"
    count = 20_000
    for number in range(count):
        folder = root / f"{number // 500:03d}"
        if number % 500 == 0:
            folder.mkdir(parents=True)
        body = [f"Paragraph {number} of the archive.", *base.body[:2]]
        article = base.evolve(url=f"https://news.example.com/{number}", body=body)
        (folder / f"{number:05d}.txt").write_text(dumps(article), encoding="utf-8")
    state = tmp_path / "state.db"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    command = [sys.executable, "-m", "newsingest", "ingest", str(root), "--state", str(state)]
    process = subprocess.Popen([*command, "-o", str(first)], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if first.exists() and first.stat().st_size > 0:
                with first.open("rb") as handle:
                    if sum(1 for _ in handle) >= 7_000:
                        break
            time.sleep(0.05)
        assert process.poll() is None, "the run finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    rerun = subprocess.run(
        [*command, "-o", str(second)], capture_output=True, text=True, check=False, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr

    def urls(path: Path) -> set[str]:
        seen = set()
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                seen.add(json.loads(line)["url"])
            except json.JSONDecodeError:
                continue  # the line the kill cut short; its article must be in the re-run
        return seen

    emitted_first, emitted_second = urls(first), urls(second)
    assert emitted_first | emitted_second == {f"https://news.example.com/{n}" for n in range(count)}
    # The state did its job: what was committed before the kill is not emitted again.
    assert len(emitted_second) < count


def test_several_feeds_are_polled_concurrently_in_source_order(tmp_path: Path) -> None:
    """Feeds fetched at once still come out feed by feed, in the order given."""
    second_feed = FEED.replace("One", "Three").replace("Two", "Four").replace("/one", "/three")
    second_feed = second_feed.replace("/two", "/four").replace("First", "Third")
    second_feed = second_feed.replace("Second", "Fourth")
    routes = {
        "/slow.xml": Response(body=FEED, delay=0.5),
        "/fast.xml": Response(body=second_feed),
    }
    with serve(routes) as server:
        run = ingest(
            [server.url("/slow.xml"), server.url("/fast.xml")],
            concurrency=2,
            registry=loopback_registry(),
        )
        titles = [article.title for article in run]
    assert titles == ["One", "Two", "Three", "Four"]
    assert run.report.sources == 2


def test_a_reader_yielding_junk_is_a_clear_type_error(tmp_path: Path) -> None:
    """A plugin that yields something that is not a record is named, not silently ignored."""
    from newsingest import ReaderRegistry

    class Junk:
        name = "junk"
        suffixes = (".junk",)

        def read(self, source: object) -> object:
            yield {"title": "not an Article"}

    registry = ReaderRegistry()
    registry.register(Junk())  # type: ignore[arg-type]
    target = tmp_path / "a.junk"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(TypeError, match="reader 'junk' yielded dict"):
        list(ingest(target, registry=registry))


def test_feed_validators_are_kept_without_dedup(tmp_path: Path) -> None:
    """With --no-dedup the state file still remembers validators, so the re-poll is a 304."""
    state = tmp_path / "state.db"
    with serve({"/feed.xml": conditional(FEED, etag='"v2"')}) as server:
        url = server.url("/feed.xml")
        first = run_cli("ingest", url, "--state", str(state), "--no-dedup")
        second = run_cli("ingest", url, "--state", str(state), "--no-dedup")
        requests = server.requests_for("/feed.xml")
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.splitlines()) == 2
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert requests[1].header("If-None-Match") == '"v2"'


def test_failed_feeds_count_the_same_polled_alone_or_together() -> None:
    """A URL that is not a feed is a failed source, never a record read, in a batch too."""
    page = Response(
        body=b"<html><body>not a feed</body></html>", headers={"Content-Type": "text/html"}
    )
    with serve({"/a.html": page, "/b.html": page}) as server:
        alone = ingest([server.url("/a.html")], on_error="skip", registry=loopback_registry())
        list(alone)
        together = ingest(
            [server.url("/a.html"), server.url("/b.html")],
            on_error="skip",
            concurrency=2,
            registry=loopback_registry(),
        )
        list(together)
    assert alone.report.read == 0 and alone.report.errors == {"not_a_feed": 1}
    assert together.report.read == 0 and together.report.errors == {"not_a_feed": 2}


class _ExplodingReader:
    """A reader whose behaviour on one file breaks the worker reading it."""

    name = "exploding"
    suffixes = (".boom",)
    url_prefixes: tuple[str, ...] = ()

    def __init__(self, how: str) -> None:
        self.how = how

    def sniff(self, head: bytes) -> bool:
        return False

    def read(self, source: object) -> Iterator[object]:
        if self.how == "exit":
            os._exit(3)  # the worker process dies without a word
        raise ZeroDivisionError(f"reader bug on {source}")


@pytest.mark.parametrize(
    ("how", "error", "message"),
    [
        ("raise", ZeroDivisionError, r"reader bug on .*x\.boom"),  # raised in the caller
        ("exit", WorkerError, r"ingest worker process \d+ died \(exit code 3\)"),  # not waited for
    ],
)
def test_a_worker_s_failure_reaches_the_caller(
    tmp_path: Path, how: str, error: type[Exception], message: str
) -> None:
    corpus(tmp_path, 150)
    (tmp_path / "003" / "x.boom").write_bytes(b"whatever")
    registry = default_registry().copy()
    registry.register(_ExplodingReader(how))
    run = ingest(tmp_path, workers=2, on_error="skip", registry=registry)
    with pytest.raises(error, match=message):
        list(run.json_lines())
    assert multiprocessing.active_children() == []


def test_stopping_early_stops_the_workers(tmp_path: Path) -> None:
    corpus(tmp_path, 600)
    run = ingest(tmp_path, workers=2, on_error="skip")
    first = [next(run) for _ in range(3)]
    run.close()
    assert len(first) == 3
    assert multiprocessing.active_children() == []


def test_workers_without_fork_send_lines_through_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where only 'spawn' exists (no shared arena), workers=2 still equals one process."""
    corpus(tmp_path, 200)
    expected = list(ingest(tmp_path, on_error="skip").json_lines())
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert list(ingest(tmp_path, workers=2, on_error="skip").json_lines()) == expected
