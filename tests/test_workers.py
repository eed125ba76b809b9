"""ordered_map(): order, errors, dead workers and stopping, with real processes."""

from __future__ import annotations

import itertools
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.exceptions import WorkerError
from newsingest.pipeline.workers import ordered_map

ROOT = Path(__file__).resolve().parent.parent

#: A chunk: (index, how many results, portable, pid of the test process).
Chunk = tuple[int, int, bool, int]


def numbered(chunk: Chunk) -> Iterator[tuple[int, int]]:
    """Yield ``size`` results naming the chunk and their place in it."""
    index, size, _, _ = chunk
    for j in range(size):
        yield (index, j)


def is_portable(chunk: Chunk) -> bool:
    """The chunk's own portable flag."""
    return chunk[2]


def pid_of(chunk: int) -> list[tuple[int, int]]:
    """Name the chunk and the process that ran it."""
    return [(chunk, os.getpid())]


def fails_at_two(chunk: int) -> list[tuple[int, int]]:
    """Like pid_of, but chunk 2 raises, naming the process that ran it."""
    if chunk == 2:
        raise ValueError(f"chunk 2 failed in {os.getpid()}")
    return pid_of(chunk)


def dies_at_three(chunk: tuple[int, int]) -> list[tuple[int, int]]:
    """Name the chunk and the process; chunk 3 kills its process unless that is ``chunk[1]``."""
    index, parent = chunk
    if index == 3 and os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return pid_of(index)


def slow_in_worker(chunk: tuple[int, int, float]) -> list[tuple[int, int]]:
    """Name the chunk and the process; sleep ``chunk[2]`` seconds unless in the test process."""
    index, parent, delay = chunk
    if os.getpid() != parent:
        time.sleep(delay)
    return pid_of(index)


def slow_or_fails_here_at_four(chunk: tuple[int, int, float]) -> list[tuple[int, int]]:
    """Like slow_in_worker, but chunk 4 raises when run in the test process."""
    if chunk[0] == 4 and os.getpid() == chunk[1]:
        raise ValueError("chunk 4 failed here")
    return slow_in_worker(chunk)


def sequential(chunks: list[Chunk]) -> list[tuple[int, int]]:
    """The reference: the plain loop."""
    return [result for chunk in chunks for result in numbered(chunk)]


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def new_children(before: set[int]) -> list[psutil.Process]:
    """Children of this process that were not there ``before``, zombies included."""
    return [child for child in psutil.Process().children() if child.pid not in before]


def test_workers_below_one_is_refused() -> None:
    """workers=0 raises ValueError at the call, before anything runs."""
    with pytest.raises(ValueError, match="at least 1"):
        ordered_map(pid_of, [1], workers=0)


@settings(max_examples=25)
@given(
    sizes=st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=30),
    workers=st.sampled_from([1, 2, 3]),
)
def test_output_equals_the_sequential_loop(sizes: list[tuple[int, bool]], workers: int) -> None:
    """Uneven chunks, some not portable, give the sequential loop's output for 1-3 workers."""
    me = os.getpid()
    chunks = [(i, size, flag, me) for i, (size, flag) in enumerate(sizes)]
    got = list(ordered_map(numbered, chunks, workers=workers, portable=is_portable))
    assert got == sequential(chunks)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_endless_chunk_iterator_is_pulled_lazily(workers: int) -> None:
    """Taking a few results from an endless iterator pulls only a bounded number of chunks."""
    pulled = itertools.count()
    chunks = (next(pulled) for _ in itertools.count())
    results = ordered_map(pid_of, chunks, workers=workers)
    first = list(itertools.islice(results, 10))
    results.close()  # type: ignore[attr-defined]
    assert [index for index, _ in first] == list(range(10))
    assert next(pulled) < 50


def test_non_portable_chunks_run_in_this_process() -> None:
    """Chunks that are not portable run here, in their place."""
    got = list(ordered_map(pid_of, range(12), workers=3, portable=lambda c: c % 3 != 0))
    assert [index for index, _ in got] == list(range(12))
    assert all(pid == os.getpid() for index, pid in got if index % 3 == 0)


def test_the_parent_runs_chunks_when_the_workers_are_busy() -> None:
    """With one slow worker, this process runs some portable chunks itself."""
    chunks = [(i, os.getpid(), 0.3) for i in range(6)]
    got = list(ordered_map(slow_in_worker, chunks, workers=2))
    assert [index for index, _ in got] == list(range(6))
    pids = {pid for _, pid in got}
    assert os.getpid() in pids
    assert len(pids) == 2


def test_an_error_in_a_worker_is_raised_at_its_chunk() -> None:
    """A worker's exception reaches the caller as itself, after every earlier chunk's results."""
    got: list[tuple[int, int]] = []
    with pytest.raises(ValueError, match=r"chunk 2 failed in (\d+)") as caught:
        got.extend(ordered_map(fails_at_two, range(5), workers=3))
    assert [index for index, _ in got] == [0, 1]
    raised_in = int(re.findall(r"\d+$", str(caught.value))[0])
    assert raised_in != os.getpid()


def test_an_error_in_a_non_portable_chunk_is_raised_at_its_chunk() -> None:
    """An exception in a chunk that must run here comes after every earlier chunk's results."""
    got: list[tuple[int, int]] = []
    with pytest.raises(ValueError, match="chunk 2 failed"):
        got.extend(ordered_map(fails_at_two, range(5), workers=3, portable=lambda c: c != 2))
    assert [index for index, _ in got] == [0, 1]


def test_an_error_in_a_chunk_the_parent_took_over_waits_for_its_turn() -> None:
    """A portable chunk this process ran early and that failed raises after the chunks before it."""
    chunks = [(i, os.getpid(), 0.3) for i in range(6)]
    got: list[tuple[int, int]] = []
    with pytest.raises(ValueError, match="chunk 4 failed here"):
        got.extend(ordered_map(slow_or_fails_here_at_four, chunks, workers=2))
    assert [index for index, _ in got] == [0, 1, 2, 3]


def test_a_killed_worker_gives_worker_error() -> None:
    """A worker killed mid-run ends the run with WorkerError naming its pid and exit code.

    What came before is delivered in order; results the dead worker had made but not
    yet sent (its chunk 1, at most) die with it, so the error comes at its first
    missing chunk.
    """
    got: list[tuple[int, int]] = []
    with pytest.raises(WorkerError) as caught:
        got.extend(ordered_map(dies_at_three, [(i, os.getpid()) for i in range(6)], workers=3))
    assert [index for index, _ in got] in ([0], [0, 1, 2])
    found = re.fullmatch(r"ingest worker process (\d+) died \(exit code -9\)", str(caught.value))
    assert found is not None, str(caught.value)
    assert int(found.group(1)) != os.getpid()


def test_workers_ignore_sigint() -> None:
    """SIGINT sent to the workers does not stop them: the run completes."""
    chunks = [(i, os.getpid(), 0.05) for i in range(20)]
    results = ordered_map(slow_in_worker, chunks, workers=3)
    got = list(itertools.islice(results, 4))
    for pid in {pid for _, pid in got} - {os.getpid()}:
        os.kill(pid, signal.SIGINT)
    got.extend(results)
    assert [index for index, _ in got] == list(range(20))


def unpicklable_at_one(chunk: int) -> list[object]:
    """Chunk 1 gives a result that cannot be pickled (a lock)."""
    return [threading.Lock()] if chunk == 1 else [chunk]


def test_a_result_that_cannot_be_sent_back_gives_worker_error() -> None:
    """A result that does not pickle gives WorkerError at its chunk, naming the pickling error."""
    got: list[object] = []
    with pytest.raises(WorkerError, match=r"cannot send back .*pickle"):
        got.extend(ordered_map(unpicklable_at_one, range(4), workers=3))
    assert got == [0]


def echo(chunk: bytes) -> list[bytes]:
    """Give the chunk back, whole."""
    return [chunk]


def test_large_chunks_and_results_do_not_block_the_pipes() -> None:
    """Chunks and results far larger than a pipe's buffer still flow both ways."""
    chunks = [bytes([i]) * (1 << 20) for i in range(16)]
    assert list(ordered_map(echo, chunks, workers=3)) == chunks


def _fail_while_consuming(chunks: list[tuple[int, int, float]], before: set[int]) -> None:
    """Consume ``ordered_map`` in a for loop whose body raises at the first result."""
    for _ in ordered_map(slow_in_worker, chunks, workers=3):
        assert len(new_children(before)) == 2
        raise RuntimeError("the consumer failed")


@pytest.mark.parametrize("how", ["close", "garbage", "consumer error"])
def test_stopping_early_leaves_no_child_process(how: str) -> None:
    """Closing, dropping or failing to consume the iterator reaps busy workers at once."""
    before = {child.pid for child in psutil.Process().children()}
    chunks = [(i, os.getpid(), 0.0 if i == 0 else 30.0) for i in range(50)]
    started = time.monotonic()
    if how == "consumer error":
        with pytest.raises(RuntimeError, match="consumer failed"):
            _fail_while_consuming(chunks, before)
    else:
        results = ordered_map(slow_in_worker, chunks, workers=3)
        assert next(results)[0] == 0
        assert len(new_children(before)) == 2
        if how == "close":
            results.close()  # type: ignore[attr-defined]
        else:
            del results  # the last reference: CPython finalises the generator now
    assert time.monotonic() - started < 5
    assert new_children(before) == []


CHILD = """
import os
from newsingest.pipeline.workers import ordered_map
from tests.test_workers import slow_in_worker
print("parent", os.getpid(), flush=True)
chunks = [(i, os.getpid(), 0.0 if i < 6 else 60.0) for i in range(30)]
for _, pid in ordered_map(slow_in_worker, chunks, workers=3):
    print("pid", pid, flush=True)
"""


def _pump(child: subprocess.Popen[str], lines: queue.SimpleQueue[str]) -> None:
    """Copy the child's output lines to ``lines`` until EOF, then close it."""
    assert child.stdout is not None
    with child.stdout:
        for line in child.stdout:
            lines.put(line)


def _worker_pids(lines: queue.SimpleQueue[str], deadline: float) -> set[int]:
    """Read the child's output until it has named two worker pids, or fail at the deadline."""
    parent, pids = 0, set[int]()
    while len(pids - {parent}) < 2:
        try:
            kind, number = lines.get(timeout=max(0.0, deadline - time.monotonic())).split()
        except queue.Empty:
            pytest.fail("the child process did not report its workers in time")
        if kind == "parent":
            parent = int(number)
        else:
            pids.add(int(number))
    return pids - {parent}


@pytest.mark.slow
def test_a_killed_parent_leaves_no_worker_behind() -> None:
    """Workers of a parent killed by SIGKILL exit by themselves within seconds."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    pump = threading.Thread(target=_pump, args=(child, lines), daemon=True)
    pump.start()
    pids: set[int] = set()
    try:
        pids = _worker_pids(lines, time.monotonic() + 20)
        assert all(psutil.Process(pid).ppid() == child.pid for pid in pids)
        child.kill()
        child.wait()
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in pids if alive(pid)] == []
    finally:
        child.kill()
        child.wait()
        for pid in pids:
            if alive(pid):
                psutil.Process(pid).kill()
        pump.join(timeout=5)
