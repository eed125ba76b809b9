"""ingest() keeps its promises: state from Python, no silently ignored options, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from newsingest import Deduplicator, MemoryStore, ingest
from newsingest.testing import conditional, loopback_registry, serve

DATA = Path(__file__).parent / "data"


def test_state_from_python_sends_validators_on_the_second_poll(tmp_path: Path) -> None:
    """ingest(url, state=path) remembers the feed's ETag: the re-poll is conditional, 304."""
    body = (DATA / "feeds" / "rss20.xml").read_bytes()
    handler = conditional(body, etag='"rev-7"', last_modified="Wed, 06 Mar 2024 07:00:00 GMT")
    state = tmp_path / "state.db"
    with serve({"/feed.xml": handler}) as server:
        url = server.url("/feed.xml")
        first = list(ingest([url], state=state, registry=loopback_registry()))
        second = ingest([url], state=state, registry=loopback_registry())
        again = list(second)
        requests = server.requests_for("/feed.xml")
    assert len(first) == 2
    assert again == []
    assert second.report.errors == {}
    assert requests[0].header("if-none-match") is None
    assert requests[1].header("if-none-match") == '"rev-7"'
    assert requests[1].header("if-modified-since") == "Wed, 06 Mar 2024 07:00:00 GMT"


def test_state_from_python_polls_many_feeds_conditionally(tmp_path: Path) -> None:
    """Several feed URLs polled at once also send their own validators on re-poll."""
    body = (DATA / "feeds" / "rss20.xml").read_bytes()
    routes = {f"/f{n}.xml": conditional(body, etag=f'"v{n}"') for n in range(3)}
    state = tmp_path / "state.db"
    with serve(routes) as server:
        urls = [server.url(path) for path in routes]
        loopback = loopback_registry()
        list(ingest(urls, state=state, dedup=False, registry=loopback))
        assert list(ingest(urls, state=state, dedup=False, registry=loopback)) == []
        sent = [server.requests_for(path)[1].header("if-none-match") for path in routes]
    assert sent == ['"v0"', '"v1"', '"v2"']


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"state": "x.db"}, "state"),
        ({"keys": ("title",)}, "keys"),
        ({"near": 0.5}, "near"),
        ({"state": "x.db", "keys": ("title",), "near": 0.5}, "state and keys and near"),
    ],
)
def test_a_deduplicator_with_its_own_options_is_a_value_error(
    options: dict[str, object], named: str, tmp_path: Path
) -> None:
    """dedup=Deduplicator() together with state/keys/near names what would be ignored."""
    with pytest.raises(ValueError, match=f"so {named} would be ignored"):
        ingest([DATA / "textfile"], dedup=Deduplicator(), **options)  # type: ignore[arg-type]
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("options", [{"keys": ("url",)}, {"near": 0.8}])
def test_dedup_options_without_dedup_are_a_value_error(options: dict[str, object]) -> None:
    """keys or near with dedup off would do nothing: refused, named."""
    with pytest.raises(ValueError, match="need dedup, which is off"):
        ingest([DATA / "textfile"], dedup=False, **options)  # type: ignore[arg-type]


def test_an_explicit_deduplicator_keeps_the_feed_validators_in_its_store() -> None:
    """With dedup=Deduplicator(store=...), that store is the run's state for feeds too."""
    body = (DATA / "feeds" / "rss20.xml").read_bytes()
    store = MemoryStore()
    with serve({"/feed.xml": conditional(body, etag='"e"')}) as server:
        url = server.url("/feed.xml")
        list(ingest([url], dedup=Deduplicator(store=store), registry=loopback_registry()))
    assert store.get_validators(url) == ('"e"', None)


def _children(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.NoSuchProcess:
        return []


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_killing_the_command_leaves_no_worker_process(tmp_path: Path) -> None:
    """SIGKILL to `newsingest ingest -j 3` mid-run: its worker processes exit too."""
    for n in range(4000):
        (tmp_path / f"{n:05d}.txt").write_text(
            f"Title {n}\n20220206\nhttps://example.com/{n}\n" + f"Body of {n}.\n" * 40
        )
    command = [sys.executable, "-m", "newsingest", "ingest", str(tmp_path), "-j", "3"]
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            workers = _children(parent.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the workers never started"
        assert parent.stdout is not None
        parent.stdout.read(1)  # the run is under way
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        if parent.poll() is None:
            parent.kill()
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_dead_worker_is_an_error_message_not_a_traceback(tmp_path: Path) -> None:
    """A worker killed mid-run ends the command with exit 3 (operational) and one 'error:' line."""
    for n in range(3000):
        (tmp_path / f"{n:05d}.txt").write_text(
            f"Title {n}\n20220206\nhttps://example.com/{n}\nBody of {n}.\n"
        )
    command = [sys.executable, "-m", "newsingest", "ingest", str(tmp_path), "-j", "2"]
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while not workers and time.monotonic() < deadline:
        workers = _children(parent.pid)
        time.sleep(0.01)
    assert workers, "the worker never started"
    os.kill(workers[0], signal.SIGKILL)
    out, err = parent.communicate(timeout=60)
    if parent.returncode == 0:
        pytest.skip("the run finished before the worker was killed")
    assert "Traceback" not in err
    assert f"error: ingest worker process {workers[0]} died (exit code -9)" in err
    assert parent.returncode == 3
    assert out.count("\n") < 3000
