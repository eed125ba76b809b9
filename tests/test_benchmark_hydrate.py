"""The hydrate benchmark's scoring (token F1, day match, local day) and its gold file."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
DATA = BENCHMARKS / "data" / "hydrate"


def _load(name: str, path: Path) -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


bench = _load("benchmark_hydrate", BENCHMARKS / "hydrate.py")


def test_token_f1_counts_repeated_words_and_ignores_case_and_punctuation() -> None:
    """F1 is over case-folded word tokens as a multiset."""
    assert bench.token_f1("The cat, the CAT.", "the cat the cat") == 1.0
    assert bench.token_f1("", "") == 1.0
    assert bench.token_f1("dog", "cat") == 0.0
    assert bench.token_f1("", "cat") == 0.0
    # 2 of 3 predicted tokens right, 2 of 4 gold tokens found: P=2/3, R=1/2.
    assert bench.token_f1("a b x", "a b c d") == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert bench.token_f1("grÃ¼n", "grün") == 0.0


def test_day_match_needs_both_days_and_ignores_a_time_part() -> None:
    """A day matches only when both are given and the YYYY-MM-DD parts are equal."""
    assert bench.day_matches("2025-03-14", "2025-03-14")
    assert bench.day_matches("2025-03-14T23:00:00", "2025-03-14")
    assert not bench.day_matches("2025-03-15", "2025-03-14")
    assert not bench.day_matches(None, "2025-03-14")
    assert not bench.day_matches("2025-03-14", None)


def test_local_day_is_the_day_in_the_zone_the_raw_string_names() -> None:
    """A UTC instant counts on the publisher's day: offsets and zone names are applied."""
    instant = datetime(2025, 3, 10, 4, 40, tzinfo=timezone.utc)
    assert bench.local_day(instant, "2025-03-09T23:40:00-05:00") == "2025-03-09"
    assert bench.local_day(instant, "2025-03-10T04:40:00Z") == "2025-03-10"
    assert bench.local_day(instant, "Mar 9, 2025 11:40 PM EST") == "2025-03-09"
    assert bench.local_day(instant, None) == "2025-03-10"
    assert bench.local_day(None, "x") is None
    assert bench.local_day(date(2025, 3, 9), None) == "2025-03-09"
    assert bench.local_day(datetime(2025, 3, 9, 23, 0), None) == "2025-03-09"
    zoned = datetime(2025, 3, 9, 23, 40, tzinfo=timezone(timedelta(hours=-5)))
    assert bench.local_day(zoned, None) == "2025-03-09"


def test_scores_count_right_wrong_missing_and_extra_dates() -> None:
    """scores() splits gold-dated and undated pages."""
    page = bench.Page
    pages = [
        page("a", "u", None, b"", "one two", "2025-01-01"),
        page("b", "u", None, b"", "one two", "2025-01-02"),
        page("c", "u", None, b"", "one two", "2025-01-03"),
        page("d", "u", None, b"", "one two", None),
    ]
    results = [
        bench.Result(["one two"], "2025-01-01"),
        bench.Result(["one"], "2025-01-05"),
        bench.Result(["one two"], None),
        bench.Result(["one two"], "2025-01-09"),
    ]
    figures = bench.scores(pages, results)
    assert (figures["right"], figures["given"], figures["wrong"], figures["extra"]) == (1, 2, 1, 1)
    assert (figures["dated"], figures["undated"]) == (3, 1)
    assert figures["f1_90"] == 0.75


def test_every_gold_row_has_its_page_and_every_page_its_row() -> None:
    """The gold file and the pages agree one to one, and every row is complete."""
    rows = [json.loads(line) for line in (DATA / "gold.jsonl").read_text("utf-8").splitlines()]
    files = {path.name for path in (DATA / "pages").glob("*.html")}
    assert sorted(row["file"] for row in rows) == sorted(files)
    assert len(rows) >= 60
    for row in rows:
        assert row["url"].startswith("https://")
        assert row["body"].strip()
        assert row["date"] is None or date.fromisoformat(row["date"])
    assert any(row["date"] is None for row in rows)
    assert len(bench.load_corpus(DATA)) == len(rows)


def test_the_committed_pages_are_what_the_generator_writes(tmp_path: Path) -> None:
    """make_pages.py is deterministic and the committed pages are its output."""
    maker = _load("hydrate_make_pages", DATA / "make_pages.py")
    maker.HERE = tmp_path
    maker.main()
    assert (tmp_path / "gold.jsonl").read_bytes() == (DATA / "gold.jsonl").read_bytes()
    for path in (DATA / "pages").glob("*.html"):
        assert (tmp_path / "pages" / path.name).read_bytes() == path.read_bytes()


def test_a_corpus_without_its_page_or_gold_file_is_a_clear_error(tmp_path: Path) -> None:
    """load_corpus names the missing gold file, or the gold line whose page is missing."""
    with pytest.raises(SystemExit, match="no gold file"):
        bench.load_corpus(tmp_path)
    (tmp_path / "gold.jsonl").write_text('{"file": "x.html", "body": "b", "date": null}\n')
    with pytest.raises(SystemExit, match=r"gold.jsonl:1: page x.html"):
        bench.load_corpus(tmp_path)
