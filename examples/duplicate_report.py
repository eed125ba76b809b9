"""A duplicate report: which copies of a story were dropped, and why.

What it shows: newsingest never drops a record silently. Every duplicate is a
:class:`~newsingest.Duplicate` naming the key that matched (URL, content, title)
and the article that was kept. The inputs are the seed, the two shipped feeds,
and two re-exports of the seed written to a temporary directory:

* the same article with its paragraphs in another order, syndicated under a URL
  on another host (only the *content* key can match: it hashes the sorted,
  normalised paragraphs);
* the same URL with ``?utm_source=rss`` and a trailing slash, but an edited body
  (only the *URL* key can match).

The world feed also carries the seed's story under a tracking URL. Run with
``--keys url,content,title`` to add title keys.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections import Counter
from pathlib import Path

from newsingest import Duplicate, ingest
from newsingest.readers.textfile import parse, write

ROOT = Path(__file__).resolve().parent.parent


def make_copies(seed: Path, folder: Path) -> list[Path]:
    """Write two altered re-exports of ``seed`` into ``folder``."""
    original = parse(seed.read_bytes(), str(seed))
    if isinstance(original, Exception):
        raise original
    shuffled = list(original.body)
    random.Random(7).shuffle(shuffled)
    reordered = original.evolve(url="https://syndication.example.net/story/26412341", body=shuffled)
    edited = original.evolve(
        url=f"{original.url}/?utm_source=rss",
        body=[*original.body[:-1], "Editor's note: this story was updated."],
    )
    paths = [folder / "101_reordered.txt", folder / "102_edited.txt"]
    write(reordered, paths[0])
    write(edited, paths[1])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", default="url,content")
    args = parser.parse_args()
    keys = tuple(args.keys.split(","))

    with tempfile.TemporaryDirectory() as tmp:
        copies = make_copies(ROOT / "seeds" / "000_a56ce4c0ebc2a5f5.txt", Path(tmp))
        duplicates: list[Duplicate] = []
        run = ingest(
            [ROOT / "seeds", ROOT / "examples" / "feeds", *copies],
            keys=keys,
            on_duplicate=duplicates.append,
        )
        kept = list(run)

        print(f"kept {len(kept)} articles:")
        for article in kept:
            print(f"  {article.source.where()}: {article.title}")
        print(f"dropped {len(duplicates)} duplicates:")
        for duplicate in duplicates:
            print(f"  {duplicate.source.where()}")
            print(f"    matched {', '.join(duplicate.matched)} (reported as {duplicate.key_type})")
            print(f"    key {duplicate.key}")
            print(f"    kept copy: {duplicate.kept_source}")
        by_key = Counter(duplicate.key_type for duplicate in duplicates)
        print("duplicates by key:", dict(sorted(by_key.items())))
        print("report:", run.report.summary())

        # The same records as JSON lines, the way `newsingest ingest --duplicates` writes them.
        report_path = Path(tmp) / "duplicates.jsonl"
        with report_path.open("w", encoding="utf-8") as handle:
            for duplicate in duplicates:
                handle.write(json.dumps(duplicate.to_dict()) + "\n")
        print(f"wrote {len(duplicates)} JSON lines to a temporary duplicates.jsonl")


if __name__ == "__main__":
    main()
