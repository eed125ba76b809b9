"""Ingest throughput and memory against a floor measured in the same run.

Generates N seed-format files (about 4 KB each, varied text, some duplicates:
the same URL with tracking parameters, the same body with its paragraphs
shuffled), then measures:

* floor: read each file, decode UTF-8, split lines, blake2b the body;
* ingest, one process: ``ingest()`` with normalisation and dedup, producing JSON lines;
* ingest, all cores: the same with ``workers=os.cpu_count()``;
  (in ``--rounds`` rounds of floor, one process, all cores, interleaved so that a
  machine that speeds up or slows down during the run touches each measure alike;
  each measure's best round is its figure, its median is printed beside it)
* with ``--cold`` (Linux, root), each of them right after the page cache is emptied:
  an archive read for the first time in a while, where waiting for the disk dominates;
* peak RSS of a streaming run over ``--memory-n`` documents (a separate process,
  generated in memory, seen-store on disk), and of a run over N/10 for comparison.

Prints documents per second, ratios to the floor and to one process, and peak RSS.

With ``--state``, it measures instead what a SQLite seen-store (``state=``) costs per
document as the store grows: documents generated in memory (a pool of bodies, each
document made unique by its first paragraph and URL) are ingested at each size of
``--state-sizes`` (10,000 and 300,000 by default) with the in-memory store and with a
fresh SQLite file, in interleaved rounds, timed in CPU seconds. Making the documents
is measured alone in the same rounds and taken off both, so the figures are what
``ingest()`` costs. It prints each run's cost per document, the state's cost against
the in-memory run at the same size, and each size's state cost against the smallest;
a last line gives both at the largest size, beside the #22 acceptance bounds.

    python benchmarks/ingest.py              # N = 20,000, memory at 200,000
    python benchmarks/ingest.py --ci         # small sizes, for CI
    python benchmarks/ingest.py --cold       # as root: each measure on an empty page cache
    python benchmarks/ingest.py --state      # SQLite state against memory, 10k and 300k docs
    python benchmarks/ingest.py --state --ci # the same at 1,000 and 5,000 documents
    python benchmarks/ingest.py --against /tmp/before/src  # one process, another checkout

``--against SRC`` times one-process ``ingest()`` of the generated corpus in fresh
processes, this checkout's ``src`` and ``SRC`` in turn (CPU seconds of a second, warm
run in each), and compares their JSONL outputs byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import cache, partial
from pathlib import Path

from _rounds import interleaved, rounds_arg  # benchmarks/ is on sys.path as a script
from _text import WORDS

HOSTS = ["news.example.com", "www.daily.example.co.uk", "world.example.org", "local.example.net"]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    words[0] = words[0].capitalize()
    if rng.random() < 0.2:
        words.insert(rng.randrange(1, len(words)), f"{rng.randint(2, 9999):,}")
    return " ".join(words) + rng.choice([".", ".", ".", "?", "!"])


def document(rng: random.Random, number: int) -> tuple[str, str, str, list[str]]:
    title = sentence(rng).rstrip(".?!")
    date = f"{rng.randint(2015, 2024)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    url = f"https://{rng.choice(HOSTS)}/news/{number // 100}/{number}-{title.split()[0].lower()}"
    body = [" ".join(sentence(rng) for _ in range(rng.randint(1, 2))) for _ in range(24)]
    return title, date, url, body


def generate(root: Path, count: int, seed: int = 7) -> None:
    """Write ``count`` seed files below root (100 per folder); ~8% are duplicates."""
    rng = random.Random(seed)
    made: list[tuple[str, str, str, list[str]]] = []
    for number in range(count):
        roll = rng.random()
        if made and roll < 0.04:
            title, date, url, body = rng.choice(made)
            url = url.replace("https://", "http://") + "?utm_source=rss&utm_medium=feed"
        elif made and roll < 0.08:
            title, date, url, body = rng.choice(made)
            body = body[:]
            rng.shuffle(body)
            body = [segment.replace(" ", "  ", 1) for segment in body]
            url = url + "-copy"
        else:
            title, date, url, body = document(rng, number)
            if len(made) < 2000:
                made.append((title, date, url, body))
        folder = root / f"{number // 100:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = "\n".join([title, date, url, *body]) + "\n"
        (folder / f"{number:06d}_{rng.getrandbits(64):016x}.txt").write_text(text, encoding="utf-8")


def files_of(root: Path) -> list[Path]:
    return sorted(root.rglob("*.txt"))


def floor(paths: list[Path]) -> float:
    """Seconds to read, decode, split and blake2b the body of every file."""
    start = time.perf_counter()
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        lines = text.split("\n")
        hashlib.blake2b("\n".join(lines[3:]).encode("utf-8"), digest_size=16).digest()
    return time.perf_counter() - start


def drop_page_cache() -> None:
    """Write dirty pages out, then empty Linux's page cache (needs root)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as error:
        raise SystemExit(f"--cold needs root on Linux to empty the page cache: {error}") from None


def run_ingest(root: Path, workers: int) -> tuple[float, int, int]:
    """Seconds for ingest() → JSON lines; return (seconds, emitted, duplicates).

    The lines are produced and measured, not written anywhere: the floor writes
    nothing either (writing a JSONL file is the same cost for any producer).
    """
    from newsingest import ingest

    start = time.perf_counter()
    run = ingest([root], workers=workers)
    size = 0
    for line in run.json_lines():
        size += len(line)
    seconds = time.perf_counter() - start
    assert size > 0
    return seconds, run.report.emitted, run.report.duplicate_count


@cache
def document_pool() -> list[tuple[str, str, str, list[str]]]:
    rng = random.Random(5)
    return [document(rng, number) for number in range(500)]


def state_documents(count: int) -> Iterator[bytes]:
    """``count`` distinct seed documents made in memory, cheaply (a pool of bodies)."""
    pool = document_pool()
    for number in range(count):
        title, date, url, body = pool[number % len(pool)]
        lead = f"Dispatch {number}: {body[0]}"
        text = "\n".join([title, date, f"{url}-{number}", lead, *body[1:]]) + "\n"
        yield text.encode("utf-8")


def run_state(count: int, state: Path | None) -> tuple[float, int]:
    """CPU seconds of ingest() over ``count`` generated documents, and how many it emitted."""
    from newsingest import ingest

    if state is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
    start = time.process_time()
    emitted = 0
    for _ in ingest(state_documents(count), state=state).json_lines():
        emitted += 1
    return time.process_time() - start, emitted


def make_only(count: int) -> tuple[float, int]:
    """CPU seconds of making the documents alone (taken off both ingest runs)."""
    start = time.process_time()
    made = sum(1 for _ in state_documents(count))
    return time.process_time() - start, made


def state_main(sizes: list[int], rounds: int, workdir: Path) -> None:
    """The ``--state`` mode: SQLite seen-store against the in-memory one, by store size."""
    state = workdir / "state.db"
    run_state(min(sizes), state)  # imports and caches, once
    measures: dict[str, Callable[[], tuple[float, int]]] = {}
    for count in sizes:
        measures[f"make {count}"] = partial(make_only, count)
        measures[f"memory {count}"] = partial(run_state, count, None)
        measures[f"state {count}"] = partial(run_state, count, state)
    runs = interleaved(measures, rounds)
    cpu = {name: [result[0] for _, result in timed] for name, timed in runs.items()}
    emitted = {name: {result[1] for _, result in timed} for name, timed in runs.items()}
    print(
        f"CPU us/doc, best of {rounds} interleaved rounds (median); making the documents "
        "taken off\n"
    )
    print(
        f"{'documents':>10} {'make':>6} {'memory':>14} {'state':>14} {'state/memory':>13} "
        f"{'state/state@' + format(sizes[0], ','):>18}"
    )
    base = None
    ratios: tuple[float, float] = (0.0, 0.0)
    for count in sizes:
        if emitted[f"memory {count}"] != emitted[f"state {count}"]:
            raise SystemExit(f"memory and state runs emitted {emitted} at {count}")
        make = min(cpu[f"make {count}"]) / count * 1e6
        mem = [seconds / count * 1e6 - make for seconds in cpu[f"memory {count}"]]
        sql = [seconds / count * 1e6 - make for seconds in cpu[f"state {count}"]]
        base = min(sql) if base is None else base
        print(
            f"{count:>10,} {make:6.1f} {min(mem):7.1f} ({statistics.median(mem):5.1f}) "
            f"{min(sql):7.1f} ({statistics.median(sql):5.1f}) {min(sql) / min(mem):13.2f} "
            f"{min(sql) / base:18.2f}"
        )
        ratios = (min(sql) / min(mem), min(sql) / base)
    print(
        f"\nat {sizes[-1]:,} documents (best rounds): state / memory {ratios[0]:.2f} "
        f"(acceptance <= 1.30), state / state at {sizes[0]:,} {ratios[1]:.2f} "
        "(acceptance <= 1.10)"
    )


def one_process_child(root: str, out: str) -> None:
    """Ingest ``root`` in one process into the JSONL file ``out``; print CPU seconds.

    Run with another checkout's ``src`` on ``PYTHONPATH`` by ``--against``. A first run
    warms the page cache and the imports; the second is timed and written.
    """
    from newsingest import ingest

    for _ in ingest([root]).json_lines():
        pass
    start = time.process_time()
    lines = list(ingest([root]).json_lines())
    seconds = time.process_time() - start
    Path(out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    print(seconds)


def against_main(other: str, count: int, rounds: int, workdir: Path) -> None:
    """The ``--against`` mode: one-process ingest of this checkout and of ``other``
    (a ``src`` folder) in interleaved rounds of fresh processes, outputs compared."""
    root = workdir / "corpus"
    generate(root, count)
    here = str(Path(__file__).resolve().parent.parent / "src")
    seconds: dict[str, list[float]] = {"this checkout": [], other: []}
    outputs: dict[str, bytes] = {}
    for _ in range(rounds):
        for name, src in (("this checkout", here), (other, other)):
            out = workdir / "out.jsonl"
            done = subprocess.run(
                [sys.executable, __file__, "--one-process-child", str(root), str(out)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": src},
            )
            seconds[name].append(float(done.stdout))
            data = out.read_bytes()
            if outputs.setdefault(name, data) != data:
                raise SystemExit(f"{name}: two runs wrote different output")
    same = outputs["this checkout"] == outputs[other]
    print(f"corpus: {count:,} files; CPU us/doc, best of {rounds} interleaved rounds (median)\n")
    best = {name: min(runs) / count * 1e6 for name, runs in seconds.items()}
    for name, runs in seconds.items():
        print(f"{name:<40} {best[name]:7.1f} ({statistics.median(runs) / count * 1e6:6.1f})")
    print(
        f"\nthis checkout vs {other}: {best[other] / best['this checkout']:.2f}x as fast, "
        f"{1 - best['this checkout'] / best[other]:.1%} less CPU per document"
    )
    lines = outputs["this checkout"].count(b"\n")
    verdict = "identical" if same else "DIFFERENT"
    print(f"JSONL output ({lines:,} lines, {len(outputs[other]):,} bytes): byte for byte {verdict}")
    if not same:
        raise SystemExit(1)


def memory_child(count: int, state: str) -> None:
    """Ingest ``count`` generated documents from memory; print peak RSS in MB."""
    import resource

    from newsingest import ingest

    def sources() -> Iterator[bytes]:
        rng = random.Random(11)
        for number in range(count):
            title, date, url, body = document(rng, number)
            yield ("\n".join([title, date, url, *body]) + "\n").encode("utf-8")

    emitted = 0
    run = ingest(sources(), state=state)
    for _ in run.json_lines():
        emitted += 1
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{emitted} {peak_kb / 1024:.1f}")


def measure_memory(count: int, workdir: Path) -> tuple[int, float]:
    state = workdir / f"state-{count}.db"
    done = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(count), "--state-file", str(state)],
        capture_output=True,
        text=True,
        check=True,
    )
    emitted, peak = done.stdout.split()
    return int(emitted), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="documents on disk")
    parser.add_argument("--memory-n", type=int, default=200_000, help="documents for the RSS run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=rounds_arg, default=3, help="interleaved rounds")
    parser.add_argument("--ci", action="store_true", help="small sizes (N=1,000, memory 5,000)")
    parser.add_argument(
        "--cold", action="store_true", help="empty the page cache before each measure (root)"
    )
    parser.add_argument(
        "--state", action="store_true", help="SQLite seen-store against memory, by store size"
    )
    parser.add_argument(
        "--state-sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[10_000, 300_000],
        help="documents per --state run, comma-separated (default 10000,300000)",
    )
    parser.add_argument(
        "--against",
        metavar="SRC",
        help="one-process ingest against another checkout's src folder: CPU time, output",
    )
    parser.add_argument("--one-process-child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--state-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, args.state_file)
        return
    if args.one_process_child is not None:
        one_process_child(*args.one_process_child)
        return
    if args.ci:
        args.n, args.memory_n, args.rounds = 1_000, 5_000, 2
        args.state_sizes = [1_000, 5_000]
    if args.against:
        workdir = Path(tempfile.mkdtemp(prefix="newsingest-against-"))
        try:
            against_main(args.against, args.n, args.rounds, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    if args.state:
        workdir = Path(tempfile.mkdtemp(prefix="newsingest-state-"))
        try:
            state_main(args.state_sizes, args.rounds, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return

    workdir = Path(tempfile.mkdtemp(prefix="newsingest-bench-"))
    try:
        root = workdir / "corpus"
        started = time.perf_counter()
        generate(root, args.n)
        paths = files_of(root)
        size = sum(path.stat().st_size for path in paths)
        print(
            f"corpus: {len(paths):,} files, {size / len(paths) / 1024:.1f} KB average, "
            f"generated in {time.perf_counter() - started:.1f} s"
        )
        floor(paths[: min(len(paths), 2000)])  # warm the page cache
        run_ingest(paths[0].parent, workers=1)  # and the imports ingest() makes once
        # Rounds of all three measures, interleaved (see _rounds.py). --cold empties the
        # page cache before every measure, as for an archive nobody has read lately
        # (the floor then lists its files cold too).
        many = f"ingest, {args.workers} workers"
        runs = interleaved(
            {
                "floor (read+decode+split+blake2b)": lambda: floor(
                    files_of(root) if args.cold else paths
                ),
                "ingest, 1 process": lambda: run_ingest(root, workers=1)[1:],
                many: lambda: run_ingest(root, workers=args.workers)[1:],
            },
            args.rounds,
            before=drop_page_cache if args.cold else (lambda: None),
        )
        counts = {result for _, result in runs["ingest, 1 process"] + runs[many]}
        if len(counts) != 1:
            raise SystemExit(f"runs disagree on (emitted, duplicates): {sorted(counts)}")
        ((emitted, dups),) = counts
        seconds_of = {name: [seconds for seconds, _ in timed] for name, timed in runs.items()}
        floor_s = min(seconds_of["floor (read+decode+split+blake2b)"])
        one_s, many_s = min(seconds_of["ingest, 1 process"]), min(seconds_of[many])
        count = len(paths)
        print(
            f"\n{'measure (best of ' + str(args.rounds) + ' rounds)':<36} {'docs/s':>10} "
            f"{'us/doc':>8} {'x floor':>8} {'median us/doc':>14}"
        )
        for name, timed in seconds_of.items():
            seconds = min(timed)
            print(
                f"{name:<36} {count / seconds:10,.0f} {seconds / count * 1e6:8.1f} "
                f"{floor_s / seconds:8.2f} {statistics.median(timed) / count * 1e6:14.1f}"
            )
        print(f"\n{args.workers} workers vs 1 process: {one_s / many_s:.2f}x")
        print(f"emitted {emitted:,}, duplicates {dups:,} (identical with {args.workers} workers)")
        small = max(args.memory_n // 10, 1)
        small_emitted, small_peak = measure_memory(small, workdir)
        big_emitted, big_peak = measure_memory(args.memory_n, workdir)
        print(
            f"\npeak RSS, streaming {small_emitted:>9,} docs (SQLite state): {small_peak:7.1f} MB"
        )
        print(f"peak RSS, streaming {big_emitted:>9,} docs (SQLite state): {big_peak:6.1f} MB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
