"""Every script in examples/ runs from the repository root with no arguments.

Each example is run as a subprocess, the way a reader of the docs would run it,
and its output is checked for what its docstring promises. Examples may write
only to a temporary directory: the test points TMPDIR at its own folder, checks
the example cleaned it up, and checks no new file appeared in the repository.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


def _entries() -> set[Path]:
    """Files an example could litter: the repository top level, seeds/ and examples/."""
    found: set[Path] = set()
    for folder in (ROOT, ROOT / "seeds", EXAMPLES, EXAMPLES / "feeds"):
        found.update(
            path
            for path in folder.iterdir()
            # coverage's data files of the measured subprocess are the test run's own
            if path.name != "__pycache__" and not path.name.startswith(".coverage")
        )
    return found


def run_example(name: str, tmp_path: Path) -> str:
    """Run examples/<name> from the repository root; return its stdout."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONDONTWRITEBYTECODE": "1"}
    before = _entries()
    result = subprocess.run(
        [sys.executable, str(Path("examples") / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stderr == "", f"{name} wrote to stderr:\n{result.stderr}"
    created = _entries() - before
    assert not created, f"{name} wrote into the repository: {sorted(map(str, created))}"
    assert list(temp.iterdir()) == [], f"{name} left files in its temporary directory"
    return result.stdout


def test_examples_are_the_ones_tested() -> None:
    """Every example script has a test here, so a new one cannot go unrun."""
    tested = {
        name.removeprefix("test_") + ".py"
        for name, value in globals().items()
        if name.startswith("test_") and callable(value)
    }
    missing = [path.name for path in SCRIPTS if path.name not in tested]
    assert not missing, f"examples without a test: {missing}"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_every_example_says_what_it_shows(path: Path) -> None:
    """Each example opens with a docstring that says what it shows."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no module docstring"
    assert "shows" in docstring, f"{path.name}: the docstring should say what it shows"


def test_ingest_seeds(tmp_path: Path) -> None:
    """The seed becomes one typed article; a bad seed is quarantined with its line."""
    out = run_example("ingest_seeds.py", tmp_path)
    assert "title:     Captured Russian commander begs for forgiveness" in out
    assert "published: 2022-02-06 (precision day, raw '20220206')" in out
    assert "url key:   u1:https://mirror.co.uk/news/world-news/captured-russian-commander" in out
    assert re.search(r"content:   c3:[0-9a-f]{32}  \(27 segments\)", out)
    assert "(reader textfile, ordinal 000, id a56ce4c0ebc2a5f5)" in out
    assert "wrote 1 JSON lines; they read back to 1 equal Articles" in out
    assert re.search(r"quarantined: bad_date: .*001_00000000000000ff\.txt:2: line 2", out)
    assert "report: 2 sources, 2 read, 1 emitted, 0 duplicates, 1 error" in out


def test_poll_feeds(tmp_path: Path) -> None:
    """Poll 1 emits all five, poll 2 is two 304s, poll 3 only the new item."""
    out = run_example("poll_feeds.py", tmp_path)
    polls = re.split(r"^poll \d:$", out, flags=re.MULTILINE)
    assert len(polls) == 4, out
    first, second, third = polls[1:]
    assert first.count("  new: ") == 5
    assert "5 emitted, 0 duplicates" in first
    assert "sent If-None-Match: [None, None]" in first
    assert "new: " not in second
    assert "0 read, 0 emitted" in second
    assert """sent If-None-Match: ['"world-1"', '"science-1"']""" in second
    assert third.count("  new: ") == 1
    assert "new: Ferry timetable restored in full (2022-03-11 07:30 UTC)" in third
    assert "duplicate (url key): Grain exports resume (syndicated)" in third
    assert "1 emitted, 4 duplicates, 0 errors" in third


def test_csv_reader_plugin(tmp_path: Path) -> None:
    """The CSV reader works registered by hand and found through an entry point."""
    out = run_example("csv_reader_plugin.py", tmp_path)
    assert "readers: feed, jsonfeed, sitemap, warc, textfile, urls, csv" in out
    assert (
        "[csv] Library extends opening hours -> u1:https://local.example.net/library-hours\n" in out
    )
    assert "rejected (bad_row): " in out
    assert "'next Tuesday'" in out
    # The CSV's glacier row came first, so the feed's copy is the duplicate.
    assert "[csv] Glacier retreat measured from orbit" in out
    assert "[feed] Glacier retreat" not in out
    assert "3 sources, 8 read, 6 emitted, 1 duplicate, 1 error" in out
    assert "loaded from entry points: ['csv']" in out
    assert "export.csv resolves to reader 'csv' (CsvReader)" in out


def test_duplicate_report(tmp_path: Path) -> None:
    """Each re-export of the seed is dropped by the key that can match it."""
    out = run_example("duplicate_report.py", tmp_path)
    assert "kept 5 articles:" in out
    assert "dropped 3 duplicates:" in out
    blocks = re.findall(r"^  (.+?)(?::\d+| item \d+)\n    matched (\S+) ", out, flags=re.MULTILINE)
    matched = {Path(source).name: key for source, key in blocks}
    assert matched == {
        "101_reordered.txt": "content",
        "102_edited.txt": "url",
        "world-news.rss.xml": "url",
    }
    assert "duplicates by key: {'content': 1, 'url': 2}" in out
    kept_copies = re.findall(r"kept copy: (.+)$", out, flags=re.MULTILINE)
    assert [Path(kept).name for kept in kept_copies] == ["000_a56ce4c0ebc2a5f5.txt:1"] * 3


def test_to_pandas(tmp_path: Path) -> None:
    """Five articles become five rows with an aware UTC datetime column."""
    pytest.importorskip("pandas")
    out = run_example("to_pandas.py", tmp_path)
    assert "published is datetime64[" in out
    assert ", UTC]; 5 rows" in out
    assert re.search(r"^feed\s+4$", out, flags=re.MULTILINE)
    assert re.search(r"^textfile\s+1$", out, flags=re.MULTILINE)
    assert re.search(r"^2022-03-07\s+2$", out, flags=re.MULTILINE)
    assert "2022-02-06 00:00:00+00:00                 day      textfile        27" in out
