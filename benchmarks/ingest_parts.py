"""Where one process's ingest time goes: a sampling profile, summed by part of the pipeline.

Generates the corpus of ``benchmarks/ingest.py`` and times the floor and one-process
``ingest()`` (JSON lines) in interleaved rounds of CPU time, unprofiled. Then it runs
the same ingest under a sampling profiler of its own: ``SIGPROF`` fires every
millisecond of CPU time (or every tick of the kernel's clock, when that is coarser)
and the handler records the Python stack, so every part is
measured in place, with the pipeline's caches and memory traffic around it, and the
parts add up to the whole (no part can come out negative). A sample belongs to the
innermost frame on its stack that is one of the parts below (a C call such as a hash
counts for the Python function that made it); samples in none of them are the
pipeline's own bookkeeping. Each part's share of the samples times the unprofiled
CPU time per document is its cost. Output of the profiled runs is checked equal to
the unprofiled run's. Unix only (``SIGPROF``).

    python benchmarks/ingest_parts.py            # N = 20,000, 3 rounds
    python benchmarks/ingest_parts.py --ci       # N = 1,000, 2 rounds
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import FrameType

from _rounds import interleaved, rounds_arg  # benchmarks/ is on sys.path as a script
from ingest import files_of, floor, generate

# (file name, function) -> part; the innermost such frame of a sample names its part.
PARTS: dict[tuple[str, str], str] = {
    ("__init__.py", "read_file"): "read the file",
    ("__init__.py", "expand_sources"): "walk the folders",
    ("textfile.py", "parse_fields"): "parse the seed format",
    ("urls.py", "canonical_url_and_key"): "canonical URL and key",
    ("keys.py", "content_key"): "content key",
    ("keys.py", "loose_key"): "dedup: loose key (versions)",
    ("keys.py", "boilerplate_keys"): "dedup: boilerplate keys",
    ("__init__.py", "candidate_of"): "dedup: other keys of a record",
    ("__init__.py", "decide"): "dedup: the decision and the store",
    ("sinks.py", "dumps_line"): "JSON line",
}
OTHER = "pipeline bookkeeping (the rest)"


class Sampler:
    """Count samples by part while running."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.parts: Counter[str] = Counter()

    def _sample(self, _signum: int, frame: FrameType | None) -> None:
        while frame is not None:
            code = frame.f_code
            part = PARTS.get((Path(code.co_filename).name, code.co_name))
            if part is not None:
                self.parts[part] += 1
                return
            frame = frame.f_back
        self.parts[OTHER] += 1

    def __enter__(self) -> Sampler:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *_exc: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)


def cpu(action: object) -> float:
    """CPU seconds of ``action()``."""
    start = time.process_time()
    action()  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="documents on disk")
    parser.add_argument("--rounds", type=rounds_arg, default=3, help="interleaved rounds")
    parser.add_argument("--ci", action="store_true", help="N=1,000, 2 rounds")
    args = parser.parse_args()
    if args.ci:
        args.n, args.rounds = 1_000, 2
    if not hasattr(signal, "setitimer"):
        print("no SIGPROF on this platform: nothing to sample")
        return

    from newsingest import ingest

    workdir = Path(tempfile.mkdtemp(prefix="newsingest-parts-"))
    try:
        root = workdir / "corpus"
        generate(root, args.n)
        paths = files_of(root)
        count = len(paths)

        def run() -> list[str]:
            return list(ingest([root]).json_lines())

        expected = run()  # warms the page cache and the imports
        timed = interleaved(
            {"floor": lambda: cpu(lambda: floor(paths)), "ingest": lambda: cpu(run)},
            args.rounds,
        )
        seconds = {name: [result for _, result in runs] for name, runs in timed.items()}
        best = {name: min(runs) / count * 1e6 for name, runs in seconds.items()}
        median = {name: statistics.median(runs) / count * 1e6 for name, runs in seconds.items()}

        sampler = Sampler()
        with sampler:
            for _ in range(args.rounds):
                if run() != expected:
                    raise SystemExit("the profiled run changed the output")
        total = sum(sampler.parts.values())

        print(
            f"corpus: {count:,} files; CPU us/doc, best of {args.rounds} interleaved "
            "rounds (median)\n"
        )
        name = "floor (read+decode+split+blake2b)"
        print(f"{name:<36} {best['floor']:6.1f} ({median['floor']:.1f})")
        print(
            f"{'ingest, 1 process':<36} {best['ingest']:6.1f} ({median['ingest']:.1f}) "
            f"{best['floor'] / best['ingest']:.2f}x floor"
        )
        print(f"\nsampling profile: {total:,} samples over {args.rounds} runs\n")
        print(f"{'part':<36} {'share':>6} {'us/doc':>7}")
        for part, samples in sorted(sampler.parts.items(), key=lambda item: -item[1]):
            share = samples / total
            print(f"{part:<36} {share:6.1%} {share * best['ingest']:7.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
