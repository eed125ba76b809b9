"""ingest(): streaming, error policies, quarantine records and the run report."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsingest import ParseError, SourceNotFoundError
from newsingest.ingest import RunReport, ingest
from newsingest.readers.textfile import dumps

DATA = Path(__file__).parent / "data" / "textfile"
SEED = DATA / "000_a56ce4c0ebc2a5f5.txt"


@pytest.fixture
def mixed_dir(tmp_path: Path) -> Path:
    """A directory with two good seed files, one empty-bodied one and three bad ones."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "000_a56ce4c0ebc2a5f5.txt").write_bytes(SEED.read_bytes())
    (root / "sub" / "good.txt").write_bytes((DATA / "ok_bom_crlf.txt").read_bytes())
    (root / "sub" / "nobody.txt").write_bytes(
        (DATA / "ok_empty_body.txt").read_bytes().replace(b"/harbour", b"/harbour-brief")
    )
    (root / "bad_date.txt").write_bytes((DATA / "err_date_feb_30.txt").read_bytes())
    (root / "binary.txt").write_bytes((DATA / "err_binary_junk.txt").read_bytes())
    (root / "sub" / "no_url.txt").write_bytes((DATA / "err_missing_url.txt").read_bytes())
    return root


def test_seed_through_ingest_has_canonical_url_key_and_published() -> None:
    """The seed comes out normalised: canonical URL, u1 key, day-precision UTC date."""
    (article,) = list(ingest(SEED))
    assert article.canonical_url == article.url
    assert article.url_key is not None
    assert article.url_key.startswith("u1:")
    assert article.published is not None
    assert article.published.isoformat() == "2022-02-06T00:00:00+00:00"
    assert article.published_precision == "day"


def test_raise_is_the_default_and_stops_at_the_first_bad_record(mixed_dir: Path) -> None:
    """on_error='raise' raises the ParseError of the first bad file in path order."""
    with pytest.raises(ParseError) as caught:
        list(ingest(mixed_dir))
    assert caught.value.source is not None
    assert caught.value.source.endswith("bad_date.txt")
    assert caught.value.line == 2


def test_skip_counts_errors_by_reason(mixed_dir: Path) -> None:
    """on_error='skip' emits every good article and counts each bad one by reason."""
    run = ingest(mixed_dir, on_error="skip")
    articles = list(run)
    assert len(articles) == 3
    report = run.report
    assert report.sources == 6
    assert report.read == 6
    assert report.emitted == 3
    assert report.errors == {"bad_date": 1, "binary": 1, "missing_url": 1}
    assert report.warnings == {"empty_body": 1}


def test_quarantine_writes_one_record_per_bad_file(mixed_dir: Path, tmp_path: Path) -> None:
    """Quarantine records carry source, line and reason, one JSON line each."""
    target = tmp_path / "q" / "quarantine.jsonl"
    run = ingest(mixed_dir, on_error="quarantine", quarantine=target)
    assert len(list(run)) == 3
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert sorted((Path(r["source"]).name, r["line"], r["reason"]) for r in records) == [
        ("bad_date.txt", 2, "bad_date"),
        ("binary.txt", 7, "binary"),
        ("no_url.txt", 3, "missing_url"),
    ]
    assert run.report.quarantined == 3
    assert all(r["reader"] == "textfile" and r["message"] for r in records)


def test_quarantine_to_a_callable(mixed_dir: Path) -> None:
    """A callable receives the quarantine records instead of a file."""
    seen: list[dict[str, object]] = []
    list(ingest(mixed_dir, on_error="quarantine", quarantine=seen.append))
    assert len(seen) == 3


def test_missing_path_is_an_error_by_policy(tmp_path: Path) -> None:
    """A source that does not exist is raised, or counted and skipped."""
    with pytest.raises(SourceNotFoundError):
        list(ingest(tmp_path / "nope.txt"))
    run = ingest([tmp_path / "nope.txt", SEED], on_error="skip")
    assert len(list(run)) == 1
    assert run.report.errors == {"not_found": 1}


def test_bad_options_are_refused() -> None:
    """Unknown policies and a quarantine without target fail before reading anything."""
    with pytest.raises(ValueError, match="on_error"):
        ingest(SEED, on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quarantine target"):
        ingest(SEED, on_error="quarantine")


def test_streams_and_bytes_are_sources() -> None:
    """An open stream and raw bytes ingest like files."""
    data = SEED.read_bytes()
    articles = list(ingest([io.BytesIO(data), data], dedup=False))
    assert len(articles) == 2
    assert articles[0].source.location == "<stream>"
    assert articles[1].source.location == "<bytes>"


def test_no_normalize_leaves_records_as_read() -> None:
    """normalize=False yields exactly what the reader produced."""
    (article,) = list(ingest(SEED, normalize=False))
    assert article.canonical_url is None and article.url_key is None


def test_report_summary_line() -> None:
    """The summary names every count."""
    report = RunReport(sources=2, read=3, emitted=2)
    report.errors["bad_date"] += 1
    assert report.summary() == ("2 sources, 3 read, 2 emitted, 0 duplicates, 1 error, 0 warnings")


def _many_seed_files(count: int) -> Iterator[bytes]:
    (article,) = list(ingest(SEED, normalize=False))
    for number in range(count):
        yield dumps(article.evolve(url=f"https://news.example.com/{number}")).encode("utf-8")


def test_memory_stays_flat_in_the_number_of_articles() -> None:
    """ingest() streams: peak traced memory for 2,000 articles is close to that for 200."""

    def peak(count: int) -> int:
        tracemalloc.start()
        for _ in ingest(_many_seed_files(count)):
            pass
        _, high = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return high

    small, large = peak(200), peak(2_000)
    # Each article holds ~4 KB of body; what may grow per article is bounded caches
    # and the in-memory seen-store's two keys, far below the article itself.
    assert (large - small) / 1_800 < 1_024
