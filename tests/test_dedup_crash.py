"""Crash safety: a run killed with SIGKILL and re-run loses no article (at-least-once)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL"),
]

ARTICLES = 20_000
STORIES = 18_000  # the last 2,000 articles repeat earlier stories

# The driver follows the documented order: write kept articles, flush the output, and
# only then flush the Deduplicator. A short pause per batch keeps the run long enough
# to be killed in the middle.
DRIVER = textwrap.dedent(
    f"""
    import sys, time
    from newsingest.dedup import Deduplicator, SQLiteStore
    from newsingest.model import Article, Provenance

    state, out = sys.argv[1], sys.argv[2]
    with open(out, "w", encoding="utf-8") as sink, Deduplicator(store=SQLiteStore(state)) as dedup:
        for n in range({ARTICLES}):
            story = n % {STORIES}
            article = Article(
                url_key=f"u1:https://crash.example/{{story}}",
                body=(f"Story {{story}} first paragraph.", f"Story {{story}} second."),
                source=Provenance(reader="test", location="input", item=n),
            )
            if dedup.check(article) is None:
                sink.write(f"{{story}}\\n")
            if n % 200 == 199:
                sink.flush()
                dedup.flush()
                time.sleep(0.005)
        sink.flush()
        dedup.flush()
    """
)


def _complete_lines(path: Path) -> list[int]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.split("\n")
    return [int(line) for line in lines[:-1]]  # the last piece may be cut mid-line


def _committed_stories(state: Path) -> set[int]:
    if not state.exists():
        return set()
    with sqlite3.connect(state) as db:
        keys = [row[0] for row in db.execute("SELECT key FROM seen WHERE kind = 'url'")]
    db.close()
    return {int(key.rsplit("/", 1)[1]) for key in keys}


def _start(script: Path, state: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), str(state), str(out)], stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("kill_after_lines", [1, 9_000])
def test_sigkill_mid_run_then_rerun_loses_nothing(tmp_path: Path, kill_after_lines: int) -> None:
    """Kill -9 part-way, re-run on the same state: every story is in the union of outputs."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    state = tmp_path / "state.db"
    first_out, second_out = tmp_path / "first.txt", tmp_path / "second.txt"

    proc = _start(script, state, first_out)
    deadline = time.monotonic() + 120
    while len(_complete_lines(first_out)) < kill_after_lines:
        assert proc.poll() is None, "the driver finished before it could be killed"
        assert time.monotonic() < deadline, "the driver made no progress"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    first = _complete_lines(first_out)
    assert kill_after_lines <= len(first) < STORIES
    committed = _committed_stories(state)
    # Keys are committed only after their articles were written out.
    assert committed <= set(first)

    rerun = _start(script, state, second_out)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    second = _complete_lines(second_out)

    assert set(first) | set(second) == set(range(STORIES))
    # The state did its job: what was committed before the kill is not emitted again.
    assert not committed & set(second)
    assert len(second) == len(set(second))
    if kill_after_lines > 1:
        assert committed, "the kill should have come after some commits"
