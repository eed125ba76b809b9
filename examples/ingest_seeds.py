"""Ingest the seed text files and write them as JSON lines.

What it shows: the one call most programs need, ``newsingest.ingest()``, over a
directory of seed files (``seeds/`` by default); the typed fields of each
``Article`` (day-precision date with its raw string, canonical URL, versioned
URL and content keys, provenance from the file name); rejected files quarantined
with their reason instead of stopping the run; and the run report.

Run it from the repository root::

    python examples/ingest_seeds.py            # reads seeds/
    python examples/ingest_seeds.py my/dumps/  # any files, directories or globs

Output goes to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import newsingest

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsingest-example-") as tmp:
        sources = args.sources
        if not sources:
            broken = Path(tmp) / "001_00000000000000ff.txt"
            broken.write_text(
                "A headline\n6 March 2022\nhttps://example.com/a\nBody.\n", encoding="utf-8"
            )
            sources = [str(ROOT / "seeds"), str(broken)]
        out_path = Path(tmp) / "articles.jsonl"
        bad_path = Path(tmp) / "quarantine.jsonl"
        run = newsingest.ingest(sources, on_error="quarantine", quarantine=bad_path)
        articles = []
        with newsingest.JsonlWriter(out_path) as out:
            for article in run:
                out.write(article)
                articles.append(article)
                print(f"title:     {article.title}")
                print(
                    f"published: {article.published.date() if article.published else None} "
                    f"(precision {article.published_precision}, raw {article.published_raw!r})"
                )
                print(f"url:       {article.url}")
                print(f"canonical: {article.canonical_url}")
                print(f"url key:   {article.url_key}")
                print(f"content:   {article.content_key}  ({len(article.body)} segments)")
                source = article.source
                print(
                    f"source:    {source.where()} (reader {source.reader}, "
                    f"ordinal {source.ordinal}, id {source.file_id})"
                )
                print()

        # The JSON lines round-trip to equal Articles.
        lines = out_path.read_text(encoding="utf-8").splitlines()
        again = [newsingest.Article.from_dict(json.loads(line)) for line in lines]
        if again != articles:
            raise SystemExit("JSON lines did not read back to the same Articles")
        print(f"wrote {len(lines)} JSON lines; they read back to {len(again)} equal Articles")
        quarantined = bad_path.read_text(encoding="utf-8").splitlines() if bad_path.exists() else []
        for line in quarantined:
            record = json.loads(line)
            print(f"quarantined: {record['reason']}: {record['message']}")
        print(f"report: {run.report.summary()}")


if __name__ == "__main__":
    main()
