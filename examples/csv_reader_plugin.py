"""A reader plugin for CSV exports, registered from outside the package.

What it shows: everything a reader needs (a ``name``, optional ``suffixes`` and
``sniff``, and ``read(source)`` yielding Articles, or ``ParseError`` objects for
bad rows so one bad row never hides the good ones), and the two ways to plug it
in without touching newsingest:

1. explicitly: copy the default registry and ``register()`` the reader, then pass
   ``registry=`` to ``ingest()``;
2. through the ``newsingest.readers`` entry-point group, the way an installed
   package offers it. The script fakes an installed distribution in a temporary
   directory (a ``.dist-info`` folder with ``entry_points.txt``) and lets
   ``ReaderRegistry.load_entry_points()`` find it.

A package would declare the entry point in its ``pyproject.toml``::

    [project.entry-points."newsingest.readers"]
    csv = "csv_reader_plugin:CsvReader"

The CSV file is written to a temporary directory; nothing is written elsewhere.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import newsingest
from newsingest import Article, ParseError, Provenance, ReaderRegistry
from newsingest.normalize import parse_date
from newsingest.readers import ReaderItem, SourceLike, open_binary

ROOT = Path(__file__).resolve().parent.parent

#: Rows of the example export: title, url, published, body (paragraphs split by "|").
EXAMPLE_ROWS = [
    (
        "Glacier retreat measured from orbit",
        "https://science.example.org/articles/glacier-retreat",
        "2022-03-08T10:30:00+01:00",
        "Satellite images show the glacier lost 2 km in a decade.|"
        "The team used radar to see through cloud.",
    ),
    (
        "Library extends opening hours",
        "https://local.example.net/library-hours?utm_source=newsletter",
        "2022-03-09",
        "The central library will open until 9 pm on weekdays.",
    ),
    (
        "Row with a broken date",
        "https://local.example.net/broken",
        "next Tuesday",
        "This row is rejected and quarantined.",
    ),
]


class CsvReader:
    """Reader ``csv``: one article per row of ``title,url,published,body``.

    ``body`` holds the paragraphs separated by ``|``. Readers report what the
    source says: ``ingest()`` adds canonical URLs and dedup keys afterwards.
    """

    name = "csv"
    suffixes = (".csv",)

    def sniff(self, head: bytes) -> bool:
        """A CSV export starts with exactly this header line."""
        return head.lstrip(b"\xef\xbb\xbf").startswith(b"title,url,published,body")

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        name, data = open_binary(source)  # paths, bytes and streams alike
        rows = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        for index, row in enumerate(rows):
            line = rows.line_num
            try:
                date = parse_date(row["published"])
                yield Article(
                    title=row["title"],
                    url=row["url"],
                    published=date.instant,
                    published_precision=date.precision,
                    published_raw=row["published"],
                    body=[part.strip() for part in row["body"].split("|") if part.strip()],
                    source=Provenance(reader=self.name, location=name, line=line, item=index),
                )
            except (ValueError, KeyError) as error:
                parse_error = ParseError(
                    f"row {index}: {error}", source=name, line=line, item=index, reason="bad_row"
                )
                parse_error.__cause__ = error
                yield parse_error


def explicit_registration(csv_path: Path) -> None:
    """Register the reader on a copy of the default registry and ingest with it."""
    registry = ReaderRegistry()
    for registration in newsingest.default_registry():
        registry.register(
            registration.reader,
            suffixes=registration.suffixes,
            url_prefixes=registration.url_prefixes,
            sniff=registration.sniff,
        )
    registry.register(CsvReader())
    print("readers:", ", ".join(registry.names()))

    rejected: list[dict[str, object]] = []
    run = newsingest.ingest(
        [csv_path, ROOT / "examples" / "feeds"],
        registry=registry,
        on_error="quarantine",
        quarantine=rejected.append,  # a callable receives each quarantine record
    )
    for article in run:
        print(f"  [{article.source.reader}] {article.title} -> {article.url_key}")
    for record in rejected:
        print(f"  rejected ({record['reason']}): {record['message']}")
    print(f"  {run.report.summary()}")


def entry_point_registration(tmp: Path, csv_path: Path) -> None:
    """Install the plugin the way a package would, as far as importlib.metadata sees."""
    dist_info = tmp / "site" / "newsingest_csv_example-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: newsingest-csv-example\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[newsingest.readers]\ncsv = csv_reader_plugin:CsvReader\n", encoding="utf-8"
    )
    sys.path.insert(0, str(tmp / "site"))  # the examples folder is already importable
    try:
        registry = ReaderRegistry()
        loaded = registry.load_entry_points()
        print("loaded from entry points:", loaded)
        reader = registry.resolve(csv_path)
        print(f"  {csv_path.name} resolves to reader {reader.name!r} ({type(reader).__name__})")
    finally:
        sys.path.remove(str(tmp / "site"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "export.csv"
        with csv_path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["title", "url", "published", "body"])
            writer.writerows(EXAMPLE_ROWS)
        print("1. explicit registration")
        explicit_registration(csv_path)
        print("2. entry point")
        entry_point_registration(Path(tmp), csv_path)


if __name__ == "__main__":
    main()
