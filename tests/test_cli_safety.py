"""A command that never loses a user's data: a scripted session of real runs.

Every mistake gets its documented exit status and one clear message with no
traceback; the previous output is byte-identical after every failed run; a
repeated run with --state and --append leaves each article on disk once; Ctrl-C
and SIGTERM stop cleanly with state and outputs agreeing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from tests.command import newsingest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))


def seeds(folder: Path, count: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(start, start + count):
        (folder / f"{n:05d}.txt").write_text(
            f"Story {n}\n20240506\nhttps://news.example/{n}\n"
            f"The body of story {n} says something of its own, long enough to be keyed.\n",
            encoding="utf-8",
        )
    return folder


def one_message(done: subprocess.CompletedProcess[str], status: int, *needles: str) -> None:
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, done.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


@pytest.fixture
def session(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A folder of 5 seeds, and an output file from a first good run."""
    folder = seeds(tmp_path / "in", 5)
    out = tmp_path / "out" / "articles.jsonl"
    first = newsingest("ingest", str(folder), "-o", str(out))
    assert first.returncode == 0, first.stderr
    return folder, out, out.read_bytes()


MISTAKES = {
    # --force: the user means to replace the output; the mistake must still keep it.
    "a path that does not exist": (["{folder}x", "--force"], 2, "no such file"),
    "a glob that matches nothing": (["{folder}/*.nothing", "--force"], 2, "glob matched no"),
    "an unknown dedup key": (["{folder}", "--keys", "url,bogus", "--force"], 2, "unknown key"),
    "the same command again": (["{folder}"], 2, "exists and is not empty: add --append"),
    "--append with --force": (["{folder}", "--append", "--force"], 2, "contradict"),
    "a state file in a missing folder": (
        ["{folder}", "--state", "{tmp}/nowhere/state.db", "--force"],
        2,
        "does not exist",
    ),
    "a quarantine that names a folder": (
        ["{folder}", "--quarantine", "{tmp}", "--force"],
        2,
        "is a folder",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_has_its_status_one_message_and_keeps_the_output(
    mistake: str, session: tuple[Path, Path, bytes], tmp_path: Path
) -> None:
    folder, out, before = session
    args, status, needle = MISTAKES[mistake]
    filled = [arg.format(folder=folder, tmp=tmp_path) for arg in args]
    done = newsingest("ingest", *filled, "-o", str(out))
    one_message(done, status, needle)
    assert out.read_bytes() == before


def test_a_quarantine_on_stdout_beside_the_articles_is_refused(tmp_path: Path) -> None:
    done = newsingest("ingest", str(seeds(tmp_path / "in", 1)), "--quarantine", "-")
    one_message(done, 2, "would mix its records into the articles on stdout")


def test_force_replaces_only_once_there_is_something_to_write(
    session: tuple[Path, Path, bytes], tmp_path: Path
) -> None:
    _, out, before = session
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = newsingest("ingest", str(empty), "-o", str(out), "--force")
    assert nothing.returncode == 0, nothing.stderr
    assert out.read_bytes() == before  # a run with nothing to write replaces nothing
    assert "no file to read" in nothing.stderr
    other = seeds(tmp_path / "other", 2, start=100)
    replaced = newsingest("ingest", str(other), "-o", str(out), "--force")
    assert replaced.returncode == 0, replaced.stderr
    assert [json.loads(line)["title"] for line in out.read_text().splitlines()] == [
        "Story 100",
        "Story 101",
    ]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_repeated_run_with_state_and_append_keeps_each_article_once(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 5)
    out, state = tmp_path / "out.jsonl", tmp_path / "state.db"
    for _ in range(2):
        done = newsingest("ingest", str(folder), "-o", str(out), "--state", str(state), "--append")
        assert done.returncode == 0, done.stderr
    seeds(folder, 3, start=5)  # new stories arrive
    done = newsingest("ingest", str(folder), "-o", str(out), "--state", str(state), "--append")
    assert done.returncode == 0, done.stderr
    titles = [json.loads(line)["title"] for line in out.read_text().splitlines()]
    assert sorted(titles) == sorted(f"Story {n}" for n in range(8))


def test_an_output_inside_the_input_folder_is_not_read_back(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 3)
    out = folder / "zz-out.jsonl"
    for flag in ("--force", "--force"):
        done = newsingest("ingest", str(folder), "-o", str(out), flag)
        assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 3


def test_a_corrupt_state_file_is_an_operational_failure(session: tuple[Path, Path, bytes]) -> None:
    folder, out, before = session
    state = out.parent / "state.db"
    state.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    done = newsingest("ingest", str(folder), "-o", str(out), "--force", "--state", str(state))
    one_message(done, 3, str(state), "state file")
    assert done.stderr.splitlines()[-1].startswith("newsingest: ")  # the summary, last
    assert out.read_bytes() == before


def test_an_empty_state_file_is_not_taken_for_a_new_one(session: tuple[Path, Path, bytes]) -> None:
    folder, out, before = session
    state = out.parent / "state.db"
    state.write_bytes(b"")
    done = newsingest("ingest", str(folder), "-o", str(out), "--force", "--state", str(state))
    one_message(done, 3, "empty (0 bytes)", "delete it")
    assert out.read_bytes() == before


def test_a_full_disk_is_an_operational_failure(tmp_path: Path) -> None:
    """/dev/full answers every write with ENOSPC, as a full disk does."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this platform")
    folder = seeds(tmp_path / "in", 50)
    done = newsingest("ingest", str(folder), "-o", "/dev/full", "--append")
    one_message(done, 3, "No space left on device", "free some space")
    assert done.stderr.splitlines()[-1].startswith("newsingest: ")  # the summary, last


def test_a_folder_of_seeds_readme_pdf_and_hidden_files_reads_the_seeds(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 3)
    (folder / "README.md").write_text("# notes about this archive\n", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "gone.txt").symlink_to(folder / "missing.txt")
    report = tmp_path / "report.json"
    done = newsingest(
        "ingest", str(folder), "-o", str(tmp_path / "o.jsonl"), "--report", str(report)
    )
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 3
    summary = done.stderr.splitlines()[-1]
    assert "skipped: 4 (" in summary
    document = json.loads(report.read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["skipped"] == {"broken_link": 1, "hidden": 1, "unsupported": 2}
    assert document["errors"] == {}
    assert document["exit_status"] == 0
    told = newsingest("ingest", str(folder), "-v")
    assert f"skipped: {folder / 'README.md'} (no reader reads it)" in told.stderr
    assert f"skipped: {folder / '.DS_Store'} (hidden)" in told.stderr
    assert f"skipped: {folder / 'gone.txt'} (a broken symbolic link)" in told.stderr
    assert "skipped: " not in newsingest("ingest", str(folder)).stderr.replace("skipped: 4", "")


def test_the_report_follows_its_schema_for_a_failed_run_too(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 2)
    (folder / "bad.txt").write_text("Title\nnot a date\nhttps://x.example/\n", encoding="utf-8")
    report = tmp_path / "report.json"
    done = newsingest("ingest", str(folder), "--report", str(report))
    assert done.returncode == 1
    document = json.loads(report.read_text())
    jsonschema.validate(document, SCHEMA)
    assert document["errors"] == {"bad_date": 1}
    assert document["exit_status"] == 1
    with pytest.raises(jsonschema.ValidationError):  # the schema is strict enough to fail
        jsonschema.validate({**document, "exit_status": 7}, SCHEMA)


def _seen_urls(state: Path) -> set[str]:
    with sqlite3.connect(state) as db:
        rows = db.execute("SELECT key FROM seen WHERE kind = 'url'").fetchall()
    return {key for (key,) in rows}


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeds(tmp_path_factory.mktemp("big") / "in", 20_000)


def _wait_for(ready: Callable[[], bool], child: subprocess.Popen[str]) -> bool:
    """Wait until ``ready()`` (True) or the child has ended (False)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if ready():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "moment", "status"),
    [
        (signal.SIGINT, "writing", 130),  # the first lines are being written
        (signal.SIGINT, "committed", 130),  # past the first commit (5,000 records)
        (signal.SIGTERM, "committed", 143),
    ],
    ids=["SIGINT-early", "SIGINT-late", "SIGTERM"],
)
def test_a_signal_stops_the_run_with_state_and_outputs_agreeing(
    big_folder: Path, tmp_path: Path, signum: int, moment: str, status: int
) -> None:
    out, state = tmp_path / "out.jsonl", tmp_path / "state.db"
    command = [sys.executable, "-m", "newsingest", "ingest", str(big_folder)]
    command += ["-o", str(out), "--state", str(state)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def writing() -> bool:  # the hidden temporary holds a line
        return any(p.stat().st_size for p in tmp_path.glob(".out.jsonl.tmp-*"))

    if not _wait_for(writing if moment == "writing" else out.exists, child):
        child.communicate(timeout=120)
        pytest.skip("the run ended before the moment to signal it")
    child.send_signal(signum)
    _, err = child.communicate(timeout=120)
    assert child.returncode == status, err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("newsingest: ")
    assert "stopped: " in err.splitlines()[-1]
    lines = out.read_text().splitlines() if out.exists() else []
    records = [json.loads(line) for line in lines]  # no torn line
    written = {record["url_key"] for record in records}
    seen = _seen_urls(state) if state.exists() else set()
    assert seen <= written  # nothing marked seen that is in no output
    # The next run goes on where this one stopped: every story on disk exactly once.
    again = newsingest("ingest", str(big_folder), "-o", str(out), "--state", str(state), "--append")
    assert again.returncode == 0, again.stderr
    keys = [json.loads(line)["url_key"] for line in out.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 20_000


def test_the_temporary_file_of_a_killed_run_is_hidden_and_the_old_output_kept(
    session: tuple[Path, Path, bytes], tmp_path: Path
) -> None:
    """SIGKILL cannot be caught: before its first commit a run has replaced nothing."""
    _, out, before = session
    big = seeds(tmp_path / "big", 3000)
    command = [sys.executable, "-m", "newsingest", "ingest", str(big), "-o", str(out), "--force"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.3)
    child.kill()
    child.communicate(timeout=60)
    if child.returncode == 0:
        pytest.skip("the run finished before it was killed")
    assert out.read_bytes() == before
    for leftover in out.parent.glob(".articles.jsonl.tmp-*"):
        leftover.unlink()
    shutil.rmtree(big)


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the command with stderr on a pseudo-terminal; its status and what it drew."""
    import pty

    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "newsingest", *args], stdout=subprocess.DEVNULL, stderr=follower
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the child
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    return child.wait(timeout=120), drawn.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_progress_is_drawn_on_a_terminal_and_cleared_before_the_summary(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 3000)
    status, drawn = _on_a_terminal("ingest", str(folder), "-o", str(tmp_path / "o.jsonl"))
    assert status == 0
    assert "\r\x1b[K" in drawn  # a counter drawn over itself
    assert "/s)" in drawn  # with its rate
    summary = drawn.rsplit("\r\x1b[K", 1)[-1]  # cleared, then the summary alone
    assert summary.strip().startswith("newsingest: 3000 sources, 3000 read")
    assert "1 sources" not in drawn


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    done = newsingest("ingest", str(seeds(tmp_path / "in", 200)), "-o", str(tmp_path / "o.jsonl"))
    assert "\r" not in done.stderr
    assert done.stderr.startswith("newsingest: 200 sources")


def test_seed_files_joined_on_stdin_are_refused_not_merged(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 2)
    joined = b"".join(path.read_bytes() for path in sorted(folder.iterdir()))
    done = subprocess.run(
        [sys.executable, "-m", "newsingest", "ingest", "-"],
        input=joined,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"<stdin>:5: line 5 starts another seed document" in done.stderr


def test_a_list_of_feed_urls_without_feeds_gets_a_hint(tmp_path: Path) -> None:
    listing = tmp_path / "feeds.txt"
    listing.write_text(
        "https://a.example/feed/\nhttps://b.example/rss.xml\nhttps://c.example/atom.xml\n",
        encoding="utf-8",
    )
    done = newsingest("ingest", str(listing))
    assert done.returncode == 0
    assert "3 of the 3 URLs look like feeds" in done.stderr
    assert "--feeds FILE" in done.stderr
    pages = tmp_path / "pages.txt"
    pages.write_text("https://a.example/2024/story.html\nhttps://b.example/news/1\n")
    assert "look like feeds" not in newsingest("ingest", str(pages)).stderr


def _feed(title: str) -> str:
    return (
        f'<rss version="2.0"><channel><title>{title}</title><item><title>{title} one</title>'
        f"<link>https://news.example/{title}/1</link></item></channel></rss>"
    )


def test_the_report_counts_each_feed_of_a_poll_and_its_304(tmp_path: Path) -> None:
    from newsingest.testing import Response, serve

    routes = {
        "/a.xml": Response(body=_feed("a"), headers={"ETag": '"a1"'}),
        "/b.xml": Response(body=_feed("b")),
        "/gone.xml": Response(status=404),
    }
    with serve(routes) as server:
        urls = [server.url(path) for path in ("/a.xml", "/gone.xml", "/b.xml")]
        feeds = tmp_path / "feeds.txt"
        feeds.write_text("\n".join(urls) + "\n", encoding="utf-8")
        state, report = tmp_path / "state.db", tmp_path / "report.json"
        common = ["--feeds", str(feeds), "--state", str(state), "--allow-private-addresses"]
        first = newsingest("ingest", *common, "--report", str(report), "-o", str(tmp_path / "1"))
        assert first.returncode == 1, first.stderr  # the 404 is an error
        server.set_route("/a.xml", Response(status=304))
        second = newsingest("ingest", *common, "--report", str(report), "-o", str(tmp_path / "2"))
    document = json.loads(report.read_text())
    jsonschema.validate(document, SCHEMA)
    entries = {entry["source"]: entry for entry in document["per_source"]}
    assert list(entries) == urls
    assert entries[urls[0]]["status"] == "no_items"  # 304 Not Modified on the second poll
    assert entries[urls[1]]["status"] == "failed"
    assert entries[urls[1]]["errors"] == 1
    assert entries[urls[2]]["status"] == "ok"
    assert entries[urls[2]]["duplicates"] == 1  # b's item again, already seen
    assert second.returncode == 1


def test_the_report_counts_each_file(tmp_path: Path) -> None:
    folder = seeds(tmp_path / "in", 3)
    (folder / "00000.txt").write_text("Title\nnot a date\nhttps://x.example/\n", encoding="utf-8")
    report = tmp_path / "report.json"
    newsingest("ingest", str(folder), str(tmp_path / "missing.txt"), "--report", str(report))
    document = json.loads(report.read_text())
    jsonschema.validate(document, SCHEMA)
    by_name = {Path(entry["source"]).name: entry for entry in document["per_source"]}
    assert by_name["00000.txt"]["errors"] == 1
    assert by_name["00001.txt"]["emitted"] == 1
    assert by_name["00001.txt"]["seconds"] is not None
    assert by_name["missing.txt"]["status"] == "failed"
