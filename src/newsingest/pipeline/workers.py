"""Worker processes: an ordered map over chunks of work, here or in N processes.

This module owns the processes of a parallel run (starting them, feeding them,
reading their results back in input order, noticing deaths, stopping them) and
knows nothing of what a chunk or a result is. Each worker has its own two pipes;
the parent has no helper threads, and runs a chunk itself when all workers are busy.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar

from newsingest.exceptions import WorkerError

__all__ = ["ordered_map"]

T = TypeVar("T")
R = TypeVar("R")

#: Chunks in flight per worker: one being worked on, the rest queued behind it.
DEPTH = 3
#: Seconds between a worker's checks that its parent is still alive.
POLL = 0.2

#: What a worker (or the parent) makes of one chunk: (True, results) or (False, error).
_Reply = tuple[bool, Any]


def ordered_map(
    work: Callable[[T], Iterable[R]],
    chunks: Iterable[T],
    *,
    workers: int = 1,
    portable: Callable[[T], bool] | None = None,
) -> Generator[R, None, None]:
    """Yield ``work(chunk)``'s results for every chunk, in chunk order.

    The output equals ``for c in chunks: yield from work(c)``. With ``workers > 1``,
    ``workers - 1`` processes run the portable chunks (``list(work(chunk))``) while
    this process runs the others, in place, and portable ones whenever all the
    workers are busy. An error raised by ``work`` surfaces at its chunk's place.

    Args:
        work: turns one chunk into its results; with ``workers > 1`` it must pickle
            (or be inherited by forking), as must chunks, results and its errors.
        chunks: the work, in order; may be endless (a bounded number is in flight).
        workers: processes that work, this one included; 1 runs everything here.
        portable: says whether a chunk may go to a worker (default: every chunk).

    Returns:
        An iterator over the results; closing it stops every worker at once.

    Raises:
        ValueError: ``workers`` is less than 1.
        WorkerError: (while iterating) a worker process died.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        return _sequential(work, chunks)
    return _Pool(work, workers - 1).run(chunks, portable)


def _sequential(work: Callable[[T], Iterable[R]], chunks: Iterable[T]) -> Generator[R, None, None]:
    """The plain loop, lazily."""
    for chunk in chunks:
        yield from work(chunk)


def _attempt(work: Callable[[T], Iterable[R]], chunk: T) -> _Reply:
    """Run one chunk to the end: its results, or the error it raised."""
    try:
        return (True, list(work(chunk)))
    except Exception as error:
        return (False, error)


class _Pool(Generic[T, R]):
    """The parent's side: worker processes, their pipes and the chunks in flight."""

    def __init__(self, work: Callable[[T], Iterable[R]], helpers: int) -> None:
        self.forking = "fork" in multiprocessing.get_all_start_methods()
        self.context: Any = multiprocessing.get_context("fork" if self.forking else "spawn")
        self.work = work
        self.helpers = helpers
        self.window = helpers * DEPTH
        self.tasks: list[Connection] = []
        self.results: list[Connection] = []
        self.processes: list[BaseProcess] = []
        # In chunk order: a worker's index for a chunk sent to it, or the reply of
        # a chunk this process ran itself.
        self.pending: deque[int | _Reply] = deque()
        self.sent = 0
        self.remote = 0  # chunks at the workers

    def run(
        self, chunks: Iterable[T], portable: Callable[[T], bool] | None
    ) -> Generator[R, None, None]:
        """Map over ``chunks``; stop every worker however the iteration ends."""
        finished = False
        try:
            self.start()
            for chunk in chunks:
                if portable is None or portable(chunk):
                    yield from self.place(chunk)
                else:  # here, in place: after every chunk before it
                    yield from self.drain()
                    yield from self.work(chunk)
            yield from self.drain()
            finished = True
        finally:
            self.stop(graceful=finished)

    def start(self) -> None:
        """Start the workers with SIGINT blocked (a pending one reaches this process after)."""
        masked = hasattr(signal, "pthread_sigmask")
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masked else set()
        try:
            for _ in range(self.helpers):
                task_out, task_in = self.context.Pipe(duplex=False)
                result_out, result_in = self.context.Pipe(duplex=False)
                self.tasks.append(task_in)
                self.results.append(result_out)
                # A forked child inherits the parent's ends of every pipe so far: it
                # must close them, or it would never see EOF when the parent dies.
                inherited = (*self.tasks, *self.results) if self.forking else ()
                process = self.context.Process(
                    target=_worker_main,
                    args=(self.work, task_out, result_in, inherited, os.getpid()),
                    daemon=True,
                )
                process.start()
                self.processes.append(process)
                task_out.close()
                result_in.close()
        finally:
            if masked:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def place(self, chunk: T) -> Iterator[R]:
        """Send a chunk to a worker, or run it here rather than wait; yield what is done."""
        while True:
            if self.remote < self.window:
                self._submit(chunk)
                break
            if len(self.pending) < 2 * self.window and not self._head_ready():
                self.pending.append(_attempt(self.work, chunk))
                break
            yield from self._take()
        while self.pending and self._head_ready():
            yield from self._take()

    def drain(self) -> Iterator[R]:
        """Yield the results of every chunk in flight, in order."""
        while self.pending:
            yield from self._take()

    def _submit(self, chunk: T) -> None:
        worker = self.sent % self.helpers
        self.sent += 1
        self.remote += 1
        # A dead worker's pipe refuses the chunk; its death is reported when its
        # first missing chunk is due, after the results it did send.
        with contextlib.suppress(OSError):
            self.tasks[worker].send(chunk)
        self.pending.append(worker)

    def _head_ready(self) -> bool:
        head = self.pending[0]
        try:
            return isinstance(head, tuple) or self.results[head].poll()
        except OSError:
            return True  # the worker is gone: receiving says so

    def _take(self) -> list[R]:
        reply = self.pending.popleft()
        if not isinstance(reply, tuple):
            self.remote -= 1
            try:
                reply = self.results[reply].recv()
            except (EOFError, OSError):
                raise self._died(reply) from None
        ok, payload = reply
        if not ok:
            raise payload
        return payload  # type: ignore[no-any-return]

    def _died(self, worker: int) -> WorkerError:
        process = self.processes[worker]
        process.join(timeout=5)  # reap it, for its exit code
        return WorkerError(
            f"ingest worker process {process.pid} died (exit code {process.exitcode})"
        )

    def stop(self, *, graceful: bool) -> None:
        """Stop and reap every worker; at once unless every chunk is done (``graceful``)."""
        for conn in (*self.tasks, *self.results):
            conn.close()  # idle workers see EOF and return
        if not graceful:
            for process in self.processes:
                process.terminate()
        deadline = time.monotonic() + 2
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join()
            process.close()


def _worker_main(
    work: Callable[[Any], Iterable[Any]],
    tasks: Connection,
    results: Connection,
    inherited: Sequence[Connection],
    parent: int,
) -> None:
    """A worker process: run the chunks from ``tasks`` in order, reply on ``results``.

    A daemon thread reads ``tasks`` (so the parent never blocks sending a large chunk
    while this process computes) and ends the process once the parent is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for conn in inherited:
        conn.close()
    inbox: queue.SimpleQueue[tuple[Any] | None] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(tasks, inbox, parent), daemon=True).start()
    # Replies leave through a thread of their own: a chunk's results are larger than a
    # pipe's buffer, and the parent reads them when it is ready, so sending here would
    # stop this process until then instead of letting it work on the next chunk.
    outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send, args=(results, outbox), daemon=True)
    sender.start()
    while (task := inbox.get()) is not None:
        reply = _attempt(work, task[0])
        try:
            outbox.put(bytes(ForkingPickler.dumps(reply)))
        except Exception as error:  # the results or the error do not pickle
            message = f"ingest worker process {os.getpid()} cannot send back {error!r}"
            outbox.put(bytes(ForkingPickler.dumps((False, WorkerError(message)))))
    outbox.put(None)
    sender.join()


def _send(results: Connection, outbox: queue.SimpleQueue[bytes | None]) -> None:
    """Write each pickled reply of ``outbox`` to the parent, in order."""
    while (blob := outbox.get()) is not None:
        try:
            results.send_bytes(blob)
        except OSError:
            os._exit(0)  # the parent has gone


def _receive(tasks: Connection, inbox: queue.SimpleQueue[tuple[Any] | None], parent: int) -> None:
    """Move chunks from the pipe to ``inbox``; end the process once ``parent`` is gone."""
    try:
        while os.getppid() == parent:
            if tasks.poll(POLL):
                inbox.put((tasks.recv(),))
    except (EOFError, OSError):
        inbox.put(None)  # no more chunks: finish the current one, then return
        while os.getppid() == parent:
            time.sleep(POLL)
    os._exit(0)  # orphaned: nobody wants the results
