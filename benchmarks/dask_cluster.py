"""Dask on a two-worker LocalCluster against ``ingest()`` in one process.

What ``docs/dask.md`` quotes. Generates N seed files (the generator of
``benchmarks/ingest.py``: about 4 KB each, about 8 % duplicates), starts a real
``distributed.LocalCluster`` (2 worker processes, one thread each, on 127.0.0.1), then
measures for each ``files_per_partition``:

* read: ``read_bag(...).count()`` on the cluster, against one process running
  ``ingest(dedup=False)`` over the same files;
* read + dedupe: ``dedupe(read_bag(...)).kept.count()``, against ``ingest()`` with its
  default dedup in one process (streaming, first seen wins: the cheaper one-process
  way, so the stricter floor). ``dedupe`` applies the batch rule; after the timed
  rounds the benchmark checks, untimed, that the cluster kept exactly the articles
  ``Deduplicator().batch()`` keeps in one process over the same files, and prints it.

The cluster counts in its workers and sends back one number, as ``to_jsonl`` with a
``*`` path would write in them; the one-process runs produce every record as a dict.
Each measure is the best of ``--rounds`` rounds, run in turn with the one-process
runs. Ratios above 1 mean the cluster was faster.

What is not timed, and why that is fair: cluster start-up, and one warm-up of every
measure (imports and first-use set-up in this process and in each worker). Before
every timed run, each process (this one and every worker) empties newsingest's
memo caches and collects garbage, so no run finds the URLs of an earlier round
already normalised: without that, a worker that happened to read the same files in
the previous round would be timed on warm caches that one process reading all N
files never has (its caches are smaller than N). The one-process side reads the
folder itself; the cluster side lists it on the client inside the timed run.

    python benchmarks/dask_cluster.py            # N = 20,000; 256 and 1,024 files per partition
    python benchmarks/dask_cluster.py --ci       # N = 1,000, one partition size
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from _rounds import interleaved, rounds_arg  # benchmarks/ is on sys.path as a script
from ingest import generate


def one_process(root: Path, *, dedup: bool) -> int:
    from newsingest import ingest

    return sum(1 for _ in ingest([root], dedup=dedup).records())


def batch_kept(root: Path) -> set[str]:
    """Where every article the one-process batch keeps was read (the reference)."""
    from newsingest import ingest
    from newsingest.dedup import Deduplicator

    kept, _ = Deduplicator().batch(ingest([root], dedup=False))
    return {article.source.where() for article in kept}


def fresh_caches() -> None:
    """Empty the memo caches of every loaded newsingest module, then collect garbage."""
    for name, module in list(sys.modules.items()):
        if name == "newsingest" or name.startswith("newsingest."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()
    gc.collect()


def _where(record: dict[str, Any]) -> str:
    from newsingest.model import Provenance

    return Provenance.from_dict(record["source"]).where()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="documents on disk")
    parser.add_argument("--partition-sizes", default="256,1024", help="files per partition")
    parser.add_argument("--rounds", type=rounds_arg, default=3, help="interleaved rounds")
    parser.add_argument("--ci", action="store_true", help="N=1,000, 256 per partition")
    args = parser.parse_args()
    if args.ci:
        args.n, args.partition_sizes, args.rounds = 1_000, "256", 1

    import dask

    from newsingest.dask import dedupe, read_bag
    from newsingest.testing import local_dask_cluster

    sizes = [int(part) for part in args.partition_sizes.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="newsingest-dask-bench-"))
    try:
        root = workdir / "corpus"
        generate(root, args.n)
        print(f"corpus: {args.n:,} files; LocalCluster: 2 worker processes x 1 thread")
        with local_dask_cluster(workers=2) as client:

            def before() -> None:
                client.run(fresh_caches)
                fresh_caches()

            # Warm both sides once per measure: imports and first use, here and in
            # every worker (untimed).
            one_process(root, dedup=False)
            one_process(root, dedup=True)
            dask.compute(dedupe(read_bag(root, files_per_partition=sizes[0])).kept.count())

            print(f"load average (1, 5, 15 min) before: {load()}")
            print(
                f"\n{'files/partition':>15} {'measure':<15} {'1 process s':>12} "
                f"{'cluster s':>10} {'cluster x':>10}"
            )
            counts: dict[str, int] = {}
            checks: list[str] = []
            reference: set[str] | None = None
            for size in sizes:

                def on_cluster(dedup: bool, per: int = size) -> int:
                    bag = read_bag(root, files_per_partition=per)
                    return int(dask.compute(dedupe(bag).kept.count() if dedup else bag.count())[0])

                runs = interleaved(
                    {
                        "read alone": partial(one_process, root, dedup=False),
                        "read": partial(on_cluster, False),
                        "read + dedupe alone": partial(one_process, root, dedup=True),
                        "read + dedupe": partial(on_cluster, True),
                    },
                    args.rounds,
                    before,
                )
                # Untimed: the articles the cluster kept are the ones the one-process
                # batch keeps, for this partition size.
                if reference is None:
                    reference = batch_kept(root)
                kept_bag = dedupe(read_bag(root, files_per_partition=size)).kept
                (kept,) = dask.compute(kept_bag.map(_where))
                equal = set(kept) == reference and len(kept) == len(reference)
                checks.append(
                    f"{size} per partition: {'equal' if equal else 'DIFFERENT'} "
                    f"({len(kept):,} kept by dedupe on the cluster, "
                    f"{len(reference):,} by Deduplicator.batch in one process)"
                )
                if not equal:
                    raise SystemExit(f"kept sets differ at {size} per partition: {checks[-1]}")
                expected_read = counts.setdefault("read", runs["read alone"][0][1])
                for name, expected in (("read", expected_read), ("read + dedupe", len(kept))):
                    got = {result for _, result in runs[name]}
                    if got != {expected}:
                        raise SystemExit(
                            f"{name}, {size} per partition: the cluster gave {sorted(got)} "
                            f"records, expected {expected}"
                        )
                    alone = min(seconds for seconds, _ in runs[f"{name} alone"])
                    spread = min(seconds for seconds, _ in runs[name])
                    print(
                        f"{size:>15} {name:<15} {alone:12.2f} {spread:10.2f} {alone / spread:9.2f}x"
                    )
            print(f"\nload average (1, 5, 15 min) after: {load()}")
            streamed = one_process(root, dedup=True)
            print("kept sets, cluster dedupe against the one-process batch:")
            for line in checks:
                print(f"  {line}")
            print(f"(ingest()'s streaming dedup, the timed floor, keeps {streamed:,})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
