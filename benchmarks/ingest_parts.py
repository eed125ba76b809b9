"""Where one process's ingest time goes: each part swapped for its precomputed result.

Generates the corpus of ``benchmarks/ingest.py``, computes every file's bytes, parsed
fields, canonical URL and key, content key and JSON line once, then times the floor and
one-process ``ingest()`` in interleaved rounds: the real pipeline, and the pipeline
with one part at a time replaced by a dict lookup of its result (the reading stays
replaced too when a later part is swapped, since the lookups are keyed by the bytes
read). What a part saves when it is swapped is what it costs in place, with the
pipeline's caches and memory traffic around it, which a microbenchmark of the part
alone does not show. Output is checked equal to the real pipeline's.

    python benchmarks/ingest_parts.py            # N = 20,000, 5 rounds
    python benchmarks/ingest_parts.py --ci       # N = 1,000, 2 rounds
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from _rounds import interleaved, rounds_arg  # benchmarks/ is on sys.path as a script
from ingest import files_of, floor, generate

PARTS = {
    # name: (the module whose global ingest() calls for it, the function's name)
    "read the file": ("newsingest.pipeline.read", "_read_small_file"),
    "parse the seed format": ("newsingest.readers.textfile", "parse_fields"),
    "canonical URL and key": ("newsingest.pipeline.normalise", "canonical_url_and_key"),
    "content key": ("newsingest.pipeline.normalise", "content_key"),
    "JSON line": ("newsingest.pipeline.items", "dumps_line"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="documents on disk")
    parser.add_argument("--rounds", type=rounds_arg, default=5, help="interleaved rounds")
    parser.add_argument("--ci", action="store_true", help="N=1,000, 2 rounds")
    args = parser.parse_args()
    if args.ci:
        args.n, args.rounds = 1_000, 2

    from newsingest import ingest

    modules = {name: importlib.import_module(module) for module, name in PARTS.values()}
    real = {name: getattr(modules[name], name) for name in modules}

    workdir = Path(tempfile.mkdtemp(prefix="newsingest-parts-"))
    try:
        root = workdir / "corpus"
        generate(root, args.n)
        paths = files_of(root)
        names = [os.fspath(path) for path in paths]

        # Every part's result, computed once by the real functions.
        data = {name: real["_read_small_file"](name) for name in names}
        fields = {name: real["parse_fields"](data[name], name) for name in names}
        urls = {fields[name].url: real["canonical_url_and_key"](fields[name].url) for name in names}
        keys = {tuple(fields[name].body): real["content_key"](fields[name].body) for name in names}
        json_lines: dict[str, str] = {}  # by the record's location, filled below

        swaps: dict[str, Callable[..., Any]] = {
            "_read_small_file": lambda source: data[os.fspath(source)],
            "parse_fields": lambda content, name: fields[name],
            "canonical_url_and_key": lambda url: urls[url],
            "content_key": lambda body: keys[tuple(body)],
            "dumps_line": lambda record: json_lines[record["source"]["location"]],
        }

        def run(swapped: str | None) -> list[str]:
            if swapped is not None:
                modules["_read_small_file"]._read_small_file = swaps["_read_small_file"]
                setattr(modules[swapped], swapped, swaps[swapped])
            try:
                return list(ingest([root]).json_lines())
            finally:
                for name, function in real.items():
                    setattr(modules[name], name, function)

        expected = run(None)
        for line in expected:  # every kept record's line, by its file
            json_lines[json.loads(line)["source"]["location"]] = line
        for _, swapped in PARTS.values():
            if run(swapped) != expected:
                raise SystemExit(f"swapping {swapped} changed the output")

        floor(paths[: min(len(paths), 2000)])  # warm the page cache
        measures: dict[str, Callable[[], object]] = {
            "floor": lambda: floor(paths),
            "ingest": lambda: run(None),
        }
        measures.update({part: partial(run, swapped) for part, (_, swapped) in PARTS.items()})
        timings = {
            name: [seconds for seconds, _ in timed]
            for name, timed in interleaved(measures, args.rounds).items()
        }

        count = len(paths)
        best = {name: min(runs) / count * 1e6 for name, runs in timings.items()}
        middle = {name: statistics.median(runs) / count * 1e6 for name, runs in timings.items()}
        print(f"corpus: {count:,} files; best of {args.rounds} interleaved rounds (median)\n")
        print(f"{'floor (read+decode+split+blake2b)':<44} {best['floor']:6.1f} us/doc")
        print(
            f"{'ingest, 1 process':<44} {best['ingest']:6.1f} us/doc "
            f"({best['floor'] / best['ingest']:.2f}x floor)"
        )
        reading = best["ingest"] - best["read the file"]
        print(f"\n{'part swapped for a lookup':<32} {'ingest us/doc':>14} {'part costs':>11}")
        for part in PARTS:
            saved = best["ingest"] - best[part]
            if part != "read the file":
                saved -= reading  # those runs have the reading swapped as well
            print(
                f"{part:<32} {best[part]:8.1f} ({middle[part]:5.1f}) {saved:8.1f} us "
                f"{saved / best['ingest']:5.0%}"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
