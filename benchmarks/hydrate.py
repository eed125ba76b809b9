"""Benchmark page extraction: body F1 and date accuracy against a gold file, beside trafilatura.

Run on demand (``python benchmarks/hydrate.py``: the 90 pages of our own making in
``benchmarks/data/hydrate/``, written by ``make_pages.py`` there) or on any corpus
(``--corpus DIR``), or in CI with a small size (``--ci``: every fifth page, one round).

A corpus is a directory with ``*.html`` pages (or a ``pages/`` folder of them) and a
``gold.jsonl``, one JSON object a line: ``file`` (the page's name), ``url`` (where it was
served), optionally ``charset`` (what the HTTP header declared), ``body`` (the article's
text, headline excluded, lines joined by ``\\n``) and ``date`` (``YYYY-MM-DD``, the day the
publisher states as first publication, in its own zone; ``null`` when the page has none).

Measured on the same bytes:

* **ours**: ``extract_page(bytes, url=..., charset=...)`` (``newsingest.extract`` when it
  exists, else ``newsingest.hydrate``). The date is the page's parsed ``published``
  when the result has one, else ``published_raw`` parsed by ``parse_date``; its day is
  taken in the zone the raw string names (a numeric offset or a known abbreviation), so
  ``23:40-05:00`` counts as that local day, as the gold states it.
* **trafilatura** (the floor): ``bare_extraction(bytes, url=..., with_metadata=True,
  include_comments=False, include_tables=True)``, the options ``extract_page`` uses, but
  trafilatura decoding and parsing the bytes itself; its date is its own metadata date.
* **htmldate fast / extensive**: ``find_date(bytes, url=..., original_date=True,
  extensive_search=False/True)``.

Scores: body token F1 (case-folded ``\\w+`` tokens as a multiset, mean and share of pages
at 0.9 or more); dates: right day over gold-dated pages, any date given over gold-dated
pages, wrong days, and dates given on pages the gold says have none.

Equality (the issue's "no text lost in our own parse"): our body segments, each with
whitespace runs collapsed, against trafilatura's text split into lines the same way, empty
lines dropped, and its first line dropped when it equals its own title (the rule
``extract_page`` applies to the headline). Every page that differs is listed with both F1
figures. trafilatura takes bytes only, so it is not told the HTTP header's charset: on a
page whose header is the only true declaration a difference can be trafilatura's error
(the listing says so); a second count compares those pages again with trafilatura
given the text the header's charset decodes (what ``response.text`` of an HTTP client
hands it). Pages per second of ours over trafilatura alone come from interleaved
rounds of the same run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _rounds import interleaved, rounds_arg

DATA = Path(__file__).resolve().parent / "data" / "hydrate"
_TOKEN = re.compile(r"\w+")
_OFFSET = re.compile(r"(?:([+-])(\d{2}):?(\d{2})|(Z)|\b([A-Z]{2,5}))\s*$")


class Page(NamedTuple):
    """One corpus page and its gold row."""

    name: str
    url: str
    charset: str | None
    content: bytes
    body: str
    day: str | None


def load_corpus(folder: Path) -> list[Page]:
    """The pages of ``folder`` with their gold rows; a gold row without its page is an error."""
    gold_path = folder / "gold.jsonl"
    if not gold_path.is_file():
        raise SystemExit(
            f"{gold_path}: no gold file (one JSON object a line: file, url, body, date)"
        )
    pages_dir = folder / "pages" if (folder / "pages").is_dir() else folder
    pages = []
    for number, line in enumerate(gold_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        path = pages_dir / row["file"]
        if not path.is_file():
            raise SystemExit(f"{gold_path}:{number}: page {row['file']} is not in {pages_dir}")
        pages.append(
            Page(
                row["file"],
                row.get("url") or f"https://corpus.example/{row['file']}",
                row.get("charset"),
                path.read_bytes(),
                row.get("body") or "",
                row.get("date"),
            )
        )
    return pages


def tokens(text: str) -> Counter[str]:
    """The case-folded word tokens of ``text``, counted."""
    return Counter(_TOKEN.findall(text.casefold()))


def token_f1(predicted: str, gold: str) -> float:
    """Bag-of-tokens F1 of ``predicted`` against ``gold`` (1.0 when both are empty)."""
    got, want = tokens(predicted), tokens(gold)
    if not got and not want:
        return 1.0
    common = sum((got & want).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def local_day(instant: datetime | date | None, raw: str | None) -> str | None:
    """``YYYY-MM-DD`` of ``instant`` in the zone ``raw`` names (UTC when it names none)."""
    if instant is None:
        return None
    if not isinstance(instant, datetime):
        return instant.isoformat()
    if instant.tzinfo is not None and instant.utcoffset() != timedelta(0):
        return instant.date().isoformat()  # already in the page's own zone
    match = _OFFSET.search(raw or "")
    offset = timedelta(0)
    if match and match.group(1):
        sign = -1 if match.group(1) == "-" else 1
        offset = sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
    elif match and match.group(5):
        from newsingest.normalize.dates import ZONE_ABBREVIATIONS

        offset = timedelta(minutes=ZONE_ABBREVIATIONS.get(match.group(5), 0))
    if instant.tzinfo is None:
        return instant.date().isoformat()
    return (instant.astimezone(timezone.utc) + offset).date().isoformat()


def day_matches(predicted: str | None, gold: str | None) -> bool:
    """True when both days are given and equal (``YYYY-MM-DD``, a time part ignored)."""
    return bool(predicted and gold and predicted[:10] == gold[:10])


def lines(text: str) -> list[str]:
    """``text``'s non-empty lines with whitespace runs collapsed."""
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def _our_extractor() -> Callable[..., Any]:
    for module in ("newsingest.extract", "newsingest.hydrate"):
        try:
            found = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(found, "extract_page"):
            return found.extract_page  # type: ignore[no-any-return]
    raise SystemExit("newsingest has no extract_page")


def our_day(page: Any) -> str | None:
    """The publication day ``extract_page``'s result gives, in the page's own zone."""
    raw = getattr(page, "published_raw", None)
    published = getattr(page, "published", None)
    if published is not None:
        instant = getattr(published, "instant", published)
        return local_day(instant, getattr(published, "raw", raw))
    if not raw:
        return None
    from newsingest.exceptions import InvalidDateError
    from newsingest.normalize.dates import parse_date

    try:
        return local_day(parse_date(raw).instant, raw)
    except InvalidDateError:
        return None


class Result(NamedTuple):
    """What one extractor gave for one page."""

    lines: list[str]
    day: str | None


def run_ours(pages: Sequence[Page]) -> list[Result]:
    extract_page = _our_extractor()
    results = []
    for page in pages:
        found = extract_page(page.content, url=page.url, charset=page.charset)
        body = [" ".join(segment.split()) for segment in found.body if segment.strip()]
        results.append(Result(body, our_day(found)))
    return results


def run_trafilatura(pages: Sequence[Page], told: bool = False) -> list[Result]:
    """trafilatura on each page's bytes; ``told``: on the text an HTTP client decodes
    with the header's charset (``response.text``) where the header declares one."""
    import trafilatura

    results = []
    for page in pages:
        given: str | bytes = page.content
        if told and page.charset:
            given = page.content.decode(page.charset, errors="replace")
        document = trafilatura.bare_extraction(
            given,
            url=page.url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
        )
        if document is None:
            results.append(Result([], None))
            continue
        found = lines(document.text or "")
        title = " ".join((document.title or "").split())
        if found and title and found[0] == title:
            found = found[1:]
        results.append(Result(found, document.date))
    return results


def run_htmldate(pages: Sequence[Page], extensive: bool) -> list[Result]:
    from htmldate import find_date

    return [
        Result(
            [],
            find_date(page.content, url=page.url, original_date=True, extensive_search=extensive),
        )
        for page in pages
    ]


def scores(pages: Sequence[Page], results: Sequence[Result]) -> dict[str, Any]:
    """Body F1 and date figures of ``results`` against the gold of ``pages``."""
    f1 = [token_f1("\n".join(r.lines), p.body) for p, r in zip(pages, results, strict=True)]
    dated = [(p, r) for p, r in zip(pages, results, strict=True) if p.day]
    undated = [r for p, r in zip(pages, results, strict=True) if not p.day]
    return {
        "f1": statistics.fmean(f1) if f1 else 0.0,
        "f1_90": sum(v >= 0.9 for v in f1) / len(f1) if f1 else 0.0,
        "right": sum(day_matches(r.day, p.day) for p, r in dated),
        "given": sum(bool(r.day) for _, r in dated),
        "wrong": sum(bool(r.day) and not day_matches(r.day, p.day) for p, r in dated),
        "extra": sum(bool(r.day) for r in undated),
        "dated": len(dated),
        "undated": len(undated),
    }


def _row(name: str, figures: dict[str, Any], body: bool = True) -> str:
    dated = figures["dated"] or 1
    f1 = f"{figures['f1']:.3f} | {figures['f1_90']:.1%}" if body else "– | –"
    return (
        f"| {name} | {f1} | {figures['right'] / dated:.1%} | {figures['given'] / dated:.1%} | "
        f"{figures['wrong']} | {figures['extra']}/{figures['undated']} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DATA, help="directory with gold.jsonl")
    parser.add_argument("--rounds", type=rounds_arg, default=3, help="interleaved timing rounds")
    parser.add_argument("--ci", action="store_true", help="a small, fast run (CI)")
    args = parser.parse_args(argv)
    try:
        import htmldate  # noqa: F401
        import trafilatura  # noqa: F401
    except ImportError as error:
        print(f"skipped: {error.name} is not installed (pip install 'newsingest[extract]')")
        return 0
    pages = load_corpus(args.corpus)
    if args.ci:
        pages, args.rounds = pages[::5], 1
    run_trafilatura(pages)  # warm up: imports and first-call caches are not timed
    run_ours(pages)
    runs = interleaved(
        {"trafilatura (floor)": lambda: run_trafilatura(pages), "ours": lambda: run_ours(pages)},
        args.rounds,
    )
    ours, theirs = runs["ours"][0][1], runs["trafilatura (floor)"][0][1]
    best = {name: min(seconds for seconds, _ in results) for name, results in runs.items()}
    print(f"{len(pages)} pages from {args.corpus}, best of {args.rounds} interleaved rounds")
    print(
        "| extractor | body F1 | F1 ≥ 0.9 | right day | any date | wrong day | date, no gold |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    print(_row("ours (extract_page)", scores(pages, ours)))
    print(_row("trafilatura", scores(pages, theirs)))
    print(_row("htmldate fast", scores(pages, run_htmldate(pages, False)), body=False))
    print(_row("htmldate extensive", scores(pages, run_htmldate(pages, True)), body=False))
    rate = {name: len(pages) / seconds for name, seconds in best.items()}
    print(
        f"\npages/s: ours {rate['ours']:.1f}, trafilatura alone {rate['trafilatura (floor)']:.1f}"
        f" (x trafilatura {rate['ours'] / rate['trafilatura (floor)']:.2f})"
    )
    differ = [p.name for p, a, b in zip(pages, ours, theirs, strict=True) if a.lines != b.lines]
    print(f"body equal to trafilatura's on the same bytes: {len(pages) - len(differ)}/{len(pages)}")
    told = [p for p in pages if p.name in differ and p.charset]
    still = [
        p.name
        for p, a, b in zip(told, run_ours(told), run_trafilatura(told, told=True), strict=True)
        if a.lines != b.lines
    ]
    same = len(pages) - len(differ) + len(told) - len(still)
    print(
        "body equal to trafilatura's when it is told the HTTP charset too (the header's "
        f"decoding, as response.text): {same}/{len(pages)}"
    )
    for page, mine, other in zip(pages, ours, theirs, strict=True):
        if page.name in differ:
            header = (
                f", HTTP charset {page.charset} (trafilatura is not told)" if page.charset else ""
            )
            mine_f1 = token_f1("\n".join(mine.lines), page.body)
            other_f1 = token_f1("\n".join(other.lines), page.body)
            print(
                f"  differs: {page.name}{header} (ours {sum(map(len, mine.lines))} chars, "
                f"trafilatura {sum(map(len, other.lines))}; F1 ours {mine_f1:.3f}"
                f" vs {other_f1:.3f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
