"""Benchmark the WARC reader: records per second against warcio alone and trafilatura alone.

Run on demand (``python benchmarks/warc.py``, 1,000 pages) or in CI with a small size
(``--ci``). A gzipped WARC laid out as CC-NEWS is (per page: request, response,
metadata; a record per gzip member) is written first, then timed in interleaved
rounds (best of ``--rounds``), each figure beside the others of the same run:

* **warcio** (the floor): iterate the file and read every response's payload,
  nothing else. No reader can be faster than the parser it stands on.
* **trafilatura**: ``bare_extraction`` over the same payloads, already in memory,
  with the options :func:`newsingest.hydrate.extract_page` uses. Extraction is most
  of a WARC reader's work; this is its cost alone.
* **reader**: ``WarcReader().read(path)``: parsing, filtering, extraction (title,
  body, metadata, dates, canonical link) and the Articles with their provenance.
* **ingest**: ``newsingest.ingest(path)``: the reader plus normalisation and dedup.

Ratios are records per second of a measure over those of the floor and of
trafilatura; a reader ratio near the trafilatura one means that the reader adds
little beyond the extraction it needs. The reader's articles are checked against
the number of responses written.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import interleaved, rounds_arg
from _text import WORDS


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 24))
    return " ".join(words).capitalize() + "."


def _page(number: int, rng: random.Random) -> bytes:
    """A news page as sites serve them: navigation, the article, related links, footer."""
    paragraphs = "".join(
        f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(2, 4)))}</p>"
        for _ in range(rng.randint(6, 14))
    )
    nav = "".join(f'<li><a href="/section/{word}">{word}</a></li>' for word in WORDS[:20])
    related = "".join(
        f'<li><a href="/story/{number + k}">{_sentence(rng)}</a></li>' for k in range(1, 8)
    )
    title = _sentence(rng)[:-1]
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title} | News"
        f"</title><link rel='canonical' href='https://news{number % 7}.example/story/{number}'>"
        f"<meta property='article:published_time' content='2024-03-{1 + number % 28:02d}"
        f"T08:00:00Z'><script>var tracking = {number};</script></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{title}</h1>"
        f"<p class='byline'>By Staff Reporter</p>{paragraphs}</article>"
        f"<aside><h2>Related</h2><ul>{related}</ul></aside></main>"
        f"<footer><p>Copyright 2024 News Example. All rights reserved.</p></footer>"
        f"</body></html>"
    ).encode()


def write_archive(path: Path, pages: int, seed: int = 21) -> list[tuple[str, bytes]]:
    """A CC-NEWS-like ``.warc.gz`` of ``pages`` pages; returns (URI, payload) of each."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    written = []
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for number in range(pages):
            uri = f"https://news{number % 7}.example/story/{number}"
            request = StatusAndHeaders(
                f"GET /story/{number} HTTP/1.1",
                [("Host", f"news{number % 7}.example")],
                is_http_request=True,
            )
            writer.write_record(
                writer.create_warc_record(
                    uri, "request", payload=io.BytesIO(b""), length=0, http_headers=request
                )
            )
            body = _page(number, rng)
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    uri, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
                )
            )
            fields = b"fetchTimeMs: 120\r\ncharset-detected: UTF-8\r\n"
            writer.write_record(
                writer.create_warc_record(
                    uri,
                    "metadata",
                    payload=io.BytesIO(fields),
                    length=len(fields),
                    warc_content_type="application/warc-fields",
                )
            )
            written.append((uri, body))
    return written


def _warcio_floor(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    count = 0
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                record.content_stream().read()
                count += 1
    return count


def _trafilatura(payloads: list[tuple[str, bytes]]) -> int:
    import trafilatura

    count = 0
    for uri, body in payloads:
        document = trafilatura.bare_extraction(
            body.decode("utf-8"),
            url=uri,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
        )
        count += document is not None
    return count


def _reader(path: Path) -> int:
    from newsingest import Article
    from newsingest.readers.warc import WarcReader

    return sum(isinstance(item, Article) for item in WarcReader().read(path))


def _ingest(path: Path) -> int:
    import newsingest

    with newsingest.ingest(path, on_error="skip") as run:
        return sum(1 for _ in run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=1000, help="pages in the archive")
    parser.add_argument("--rounds", type=rounds_arg, default=3, help="interleaved rounds")
    parser.add_argument("--ci", action="store_true", help="a small, fast run (CI)")
    args = parser.parse_args(argv)
    if args.ci:
        args.pages, args.rounds = 40, 1
    try:
        import trafilatura  # noqa: F401
        import warcio  # noqa: F401
    except ImportError as error:
        print(f"skipped: {error.name} is not installed (pip install 'newsingest[warc,extract]')")
        return 0

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "news.warc.gz"
        payloads = write_archive(path, args.pages)
        size = path.stat().st_size
        measures: dict[str, Any] = {
            "warcio (floor)": lambda: _warcio_floor(path),
            "trafilatura": lambda: _trafilatura(payloads),
            "reader": lambda: _reader(path),
            "ingest": lambda: _ingest(path),
        }
        runs = interleaved(measures, args.rounds)
    counts = {name: {result for _seconds, result in results} for name, results in runs.items()}
    for name in ("warcio (floor)", "reader", "ingest"):
        if counts[name] != {args.pages}:
            print(f"FAILED: {name} gave {sorted(counts[name])} records, {args.pages} written")
            return 1

    best = {name: min(seconds for seconds, _ in results) for name, results in runs.items()}
    floor = args.pages / best["warcio (floor)"]
    extraction = args.pages / best["trafilatura"]
    print(
        f"{args.pages} pages ({3 * args.pages} records, {size / 1e6:.1f} MB gzipped), "
        f"best of {args.rounds} interleaved rounds"
    )
    print(
        "| measure | best s | median s | pages/s | x warcio (floor) | x trafilatura |\n"
        "|---|---:|---:|---:|---:|---:|"
    )
    for name, results in runs.items():
        rate = args.pages / best[name]
        median = statistics.median(seconds for seconds, _ in results)
        print(
            f"| {name} | {best[name]:.3f} | {median:.3f} | {rate:,.0f} | "
            f"{rate / floor:.3f} | {rate / extraction:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
