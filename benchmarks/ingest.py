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

    python benchmarks/ingest.py              # N = 20,000, memory at 200,000
    python benchmarks/ingest.py --ci         # small sizes, for CI
    python benchmarks/ingest.py --cold       # as root: each measure on an empty page cache
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
from collections.abc import Iterator
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
        [sys.executable, __file__, "--memory-child", str(count), "--state", str(state)],
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
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, args.state)
        return
    if args.ci:
        args.n, args.memory_n, args.rounds = 1_000, 5_000, 2

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
