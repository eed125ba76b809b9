"""Dask on a two-worker LocalCluster against ``ingest()`` in one process.

What ``docs/dask.md`` quotes. Generates N seed files (the generator of
``benchmarks/ingest.py``: about 4 KB each, about 8 % duplicates), starts a real
``distributed.LocalCluster`` (2 worker processes, one thread each, on 127.0.0.1), then
measures for each ``files_per_partition``:

* read: ``read_bag(...).count()`` on the cluster, against one process running
  ``ingest(dedup=False)`` over the same files;
* read + dedupe: ``dedupe(read_bag(...)).kept.count()``, against ``ingest()`` with its
  default dedup (streaming, first seen wins; ``dedupe`` applies the batch rule, so the
  kept counts may differ slightly: both are printed).

The cluster counts in its workers and sends back one number, as ``to_jsonl`` with a
``*`` path would write in them; the one-process runs produce every record as a dict.
Each measure is the best of ``--rounds`` rounds, run in turn with the one-process
runs. Ratios above 1 mean the cluster was faster. Cluster start-up is not timed.

    python benchmarks/dask_cluster.py            # N = 20,000; 64, 256 and 512 files per partition
    python benchmarks/dask_cluster.py --ci       # N = 1,000, one partition size
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from functools import partial
from pathlib import Path

from _rounds import interleaved, rounds_arg  # benchmarks/ is on sys.path as a script
from ingest import files_of, generate


def one_process(root: Path, *, dedup: bool) -> int:
    from newsingest import ingest

    return sum(1 for _ in ingest([root], dedup=dedup).records())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="documents on disk")
    parser.add_argument("--partition-sizes", default="64,256,512", help="files per partition")
    parser.add_argument("--rounds", type=rounds_arg, default=2, help="interleaved rounds")
    parser.add_argument("--ci", action="store_true", help="N=1,000, 256 per partition")
    args = parser.parse_args()
    if args.ci:
        args.n, args.partition_sizes, args.rounds = 1_000, "256", 1

    import dask

    from newsingest.dask import dedupe, read_bag
    from newsingest.testing import local_dask_cluster

    workdir = Path(tempfile.mkdtemp(prefix="newsingest-dask-bench-"))
    try:
        root = workdir / "corpus"
        generate(root, args.n)
        count = len(files_of(root))
        print(f"corpus: {count:,} files; LocalCluster: 2 worker processes x 1 thread")
        with local_dask_cluster(workers=2):
            # Warm both sides: imports in this process and in every worker.
            one_process(root, dedup=False)
            read_bag(root, files_per_partition=64).count().compute()

            print(
                f"\n{'files/partition':>15} {'measure':<15} {'1 process s':>12} "
                f"{'cluster s':>10} {'cluster x':>10}"
            )
            counts: dict[str, int] = {}
            for size in (int(part) for part in args.partition_sizes.split(",")):

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
                )
                # Reading gives one process's records; dedupe keeps what the batch rule
                # keeps, the same for every partition size (a streaming ingest() may keep
                # a different number).
                expected_read = counts.setdefault("read", runs["read alone"][0][1])
                expected_kept = counts.setdefault("read + dedupe", runs["read + dedupe"][0][1])
                for name, expected in (("read", expected_read), ("read + dedupe", expected_kept)):
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
            kept = one_process(root, dedup=True)
            print(f"\nkept: {counts['read + dedupe']:,} by dedupe, {kept:,} by ingest()")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
