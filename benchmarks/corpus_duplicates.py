"""Duplicates found in a corpus of real feeds, by key type, with a sample of content pairs.

    python benchmarks/corpus_duplicates.py [FOLDER] [--sample N]

FOLDER defaults to ``../shared/corpus/feeds`` (absent: the script says so and exits
0). Every file is ingested in one run with default keys; the script prints how many
duplicates each key type found, how many bodies had no content key and why, and a
sample of content-duplicate pairs (the kept story's title and the duplicate's), so a
reader can judge whether each pair is the same story. Not a timing benchmark.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

from newsingest import Article, Deduplicator, ingest

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--ci", action="store_true", help="a sample of 5 (as CI runs it)")
    args = parser.parse_args(argv)
    if args.ci:
        args.sample = 5
    if not args.folder.is_dir():
        print(f"no corpus at {args.folder}; nothing to measure", file=sys.stderr)
        return 0
    files = sorted(p for p in args.folder.rglob("*") if p.is_file() and p.suffix != ".tsv")
    duplicates = []
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    dedup = Deduplicator()
    run = ingest(files, on_error="skip", dedup=dedup, on_duplicate=duplicates.append)
    kept = 0
    withheld: Counter[str] = Counter()
    for article in run:
        if isinstance(article, Article):
            kept += 1
            titles[article.source.where()] = article.title
            bodies[article.source.where()] = " ".join(article.body)
            reason = article.extra.get("content_key_withheld")
            if reason:
                withheld[str(reason).split(":")[0]] += 1
    by_key = Counter(duplicate.key_type for duplicate in duplicates)
    print(f"{len(files)} files, {kept} kept, {len(duplicates)} duplicates: {dict(by_key)}")
    print(f"content keys withheld: {dict(withheld)}")
    print(f"boilerplate matches not counted: {dedup.report().get('boilerplate', 0)}")
    print(f"updates kept as new versions: {dedup.report().get('updates', 0)}")
    pairs = [d for d in duplicates if d.key_type == "content" and d.matched == ("content",)]
    print(f"content-only duplicate pairs: {len(pairs)}")
    for duplicate in random.Random(0).sample(pairs, min(args.sample, len(pairs))):
        kept_title = titles.get(duplicate.kept_source, "?")
        body = bodies.get(duplicate.kept_source, "?")
        print(f"- kept {kept_title[:70]!r} ({duplicate.kept_source})")
        print(f"  dup  {duplicate.title[:70]!r} ({duplicate.source.where()})")
        print(f"  body {body[:90]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
