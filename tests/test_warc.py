"""The WARC reader: records written here with warcio, read back as extracted articles."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import pytest

pytest.importorskip("warcio")
pytest.importorskip("trafilatura")

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsingest import Article, NewsIngestWarning, ParseError, SourceNotFoundError, ingest
from newsingest.readers import FileRange, default_registry, group_sources, split_source
from newsingest.readers.warc import WarcReader, _charset
from newsingest.state import MemoryStore
from newsingest.warc import find_record, is_warc, parse_warc_date, read_record, split_points
from tests.command import newsingest as run_cli

WORDS = [
    *("harbour", "council", "orchard", "bridge", "library", "ferry", "market", "valley"),
    *("station", "river", "school", "museum", "quarry", "forest", "garden", "tunnel"),
]


def page(number: int, *, canonical: str | None = None, date: str | None = None) -> bytes:
    """An article page whose text is its own (no two pages share a content key)."""
    word = WORDS[number % len(WORDS)]
    paragraph = " ".join(
        f"Report {number}.{line}: the {word} works went on through week {number + line}, "
        f"officials of district {number * 7 + line} said on the record."
        for line in range(5)
    )
    head = f"<title>Story {number} of the {word}</title>"
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    if date:
        head += f'<meta property="article:published_time" content="{date}">'
    return (
        f"<html lang='en'><head>{head}</head><body><article><h1>Story {number} of the {word}"
        f"</h1><p>{paragraph}</p><p>A second paragraph {number} about the {word} closes."
        f"</p></article></body></html>"
    ).encode()


class Written(NamedTuple):
    """One record the test wrote: where and what."""

    kind: str
    uri: str
    record_id: str
    offset: int
    payload: bytes
    article: bool  # an HTTP 200 HTML response: the reader makes an article of it


def write_warc(
    path: Path,
    *,
    gzip: bool = True,
    hosts: tuple[str, ...] = ("news.example", "www.news.example", "other.example"),
    pages: int = 6,
    first: int = 0,
    truncate: bool = True,
) -> list[Written]:
    """A WARC like a crawl's: warcinfo, then per page request, response and metadata,
    a revisit, a 404 page, an image, a WET conversion; a truncated response last."""
    written: list[Written] = []
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)

    def put(record: Any, payload: bytes, article: bool = False) -> None:
        headers = record.rec_headers
        offset = buffer.tell()
        writer.write_record(record)
        written.append(
            Written(
                str(record.rec_type),
                headers.get_header("WARC-Target-URI") or "",
                headers.get_header("WARC-Record-ID"),
                offset,
                payload,
                article,
            )
        )

    def response(uri: str, body: bytes, status: str, ctype: str, day: int) -> Any:
        return writer.create_warc_record(
            uri,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": f"2024-03-{day:02d}T12:00:00Z"},
        )

    put(writer.create_warcinfo_record(path.name, {"software": "test"}), b"")
    for index in range(pages):
        number = first + index
        uri = f"https://{hosts[index % len(hosts)]}/story/{number}"
        request = writer.create_warc_record(
            uri,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"GET /story/{number} HTTP/1.1", [("Host", "x")], is_http_request=True
            ),
        )
        put(request, b"")
        body = page(number)
        put(response(uri, body, "200 OK", "text/html; charset=utf-8", 1 + index), body, True)
        metadata = writer.create_warc_record(
            uri,
            "metadata",
            payload=io.BytesIO(b"fetchTimeMs: 12\r\n"),
            length=len(b"fetchTimeMs: 12\r\n"),
            warc_content_type="application/warc-fields",
        )
        put(metadata, b"fetchTimeMs: 12\r\n")
    revisit = writer.create_revisit_record(
        f"https://{hosts[0]}/story/{first}",
        digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        refers_to_uri=f"https://{hosts[0]}/story/{first}",
        refers_to_date="2024-03-01T12:00:00Z",
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1"),
    )
    put(revisit, b"")
    missing = page(first + 90)
    put(response(f"https://{hosts[0]}/gone", missing, "404 Not Found", "text/html", 9), missing)
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    put(response(f"https://{hosts[0]}/logo.png", image, "200 OK", "image/png", 9), image)
    if truncate:
        last = page(first + 99)
        put(response(f"https://{hosts[0]}/cut", last, "200 OK", "text/html", 9), last, False)
    data = buffer.getvalue()
    if truncate:
        data = data[: written[-1].offset + (len(data) - written[-1].offset) // 2]
    path.write_bytes(data)
    return written


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Written]]:
    path = tmp_path_factory.mktemp("warc") / "crawl.warc.gz"
    return path, write_warc(path)


def articles(items: Any) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def test_records_read_are_the_html_responses_written(archive: tuple[Path, list[Written]]) -> None:
    """Every HTTP 200 HTML response is an article, in file order; nothing else is."""
    path, written = archive
    items = list(WarcReader().read(path))
    got = articles(items)
    expected = [record for record in written if record.article]
    assert [article.url for article in got] == [record.uri for record in expected]
    assert [article.extra["warc"]["offset"] for article in got] == [r.offset for r in expected]
    first = got[0]
    assert first.title.startswith("Story 0 of the harbour")
    assert first.body[0].startswith("Report 0.0: the harbour works")
    assert first.language == "en"
    assert first.source.reader == "warc"
    assert first.source.location == str(path)


def test_passed_over_records_are_counted_in_one_warning(
    archive: tuple[Path, list[Written]],
) -> None:
    """request, metadata, revisit, warcinfo, the 404 and the image are counted by kind."""
    path, _written = archive
    (warning,) = [item for item in WarcReader().read(path) if isinstance(item, Warning)]
    assert isinstance(warning, NewsIngestWarning)
    assert warning.reason == "warc_skipped"
    assert "16 WARC records passed over" in str(warning)
    assert "metadata 6, not_200 1, not_html 1, request 6, revisit 1, warcinfo 1" in str(warning)


def test_the_truncated_tail_is_one_reject(archive: tuple[Path, list[Written]]) -> None:
    """The record the file ends inside is a ParseError naming its offset."""
    path, written = archive
    (error,) = [item for item in WarcReader().read(path) if isinstance(item, ParseError)]
    assert error.reason == "warc_truncated"
    assert f"offset {written[-1].offset}" in str(error)
    assert str(path) in str(error)


def test_the_provenance_offset_reads_back_the_same_record(
    archive: tuple[Path, list[Written]],
) -> None:
    """read_record(path, offset) of an article's extra["warc"] is the record written."""
    path, written = archive
    by_id = {record.record_id: record for record in written}
    for article in articles(WarcReader().read(path)):
        place = article.extra["warc"]
        record = read_record(place["path"], place["offset"])
        original = by_id[place["record_id"]]
        assert (record.type, record.record_id, record.target_uri) == (
            "response",
            original.record_id,
            original.uri,
        )
        assert record.payload == original.payload
        assert record.http_status == 200
        assert record.offset == original.offset
        assert record.length == place["length"]
        assert record.date == place["date"] == record.header("warc-date")
        assert ("Content-Type", "text/html; charset=utf-8") in record.http_headers


def test_read_record_reads_any_record_type(archive: tuple[Path, list[Written]]) -> None:
    """A request or metadata record reads back too (its block as the payload)."""
    path, written = archive
    metadata = next(record for record in written if record.kind == "metadata")
    record = read_record(path, metadata.offset)
    assert record.type == "metadata"
    assert record.payload == metadata.payload
    assert record.http_status is None
    assert record.header("no-such-field") is None


def test_read_record_errors_name_the_file_and_offset(
    archive: tuple[Path, list[Written]], tmp_path: Path
) -> None:
    """No record at the offset, the truncated one, a missing file, a payload too large."""
    path, written = archive
    with pytest.raises(ParseError, match=r"offset 5: no record starts here") as bad:
        read_record(path, 5)
    assert bad.value.reason == "warc_corrupt"
    with pytest.raises(ParseError, match="end of file") as end:
        read_record(path, path.stat().st_size)
    assert end.value.reason == "warc_corrupt"
    with pytest.raises(ParseError) as cut:
        read_record(path, written[-1].offset)
    assert cut.value.reason == "warc_truncated"
    with pytest.raises(ParseError) as large:
        read_record(path, next(r for r in written if r.article).offset, max_bytes=100)
    assert large.value.reason == "too_large"
    with pytest.raises(SourceNotFoundError):
        read_record(tmp_path / "none.warc.gz", 0)


@pytest.mark.parametrize("gzip", [True, False])
def test_uncompressed_and_gzipped_files_read_alike(tmp_path: Path, gzip: bool) -> None:
    """A .warc reads like a .warc.gz; its offsets read back its records too."""
    path = tmp_path / ("a.warc.gz" if gzip else "a.warc")
    written = write_warc(path, gzip=gzip)
    got = articles(WarcReader().read(str(path)))
    assert [a.url for a in got] == [r.uri for r in written if r.article]
    place = got[-1].extra["warc"]
    last = [r for r in written if r.article][-1]
    record = read_record(path, place["offset"])
    assert (record.record_id, record.payload) == (last.record_id, last.payload)


@pytest.mark.parametrize("gzip", [True, False])
@pytest.mark.parametrize("part_bytes", [1, 700, 3000, 1 << 20])
def test_parts_read_every_record_once(tmp_path: Path, gzip: bool, part_bytes: int) -> None:
    """Read part by part, at any part size, a file gives what reading it whole gives."""
    path = tmp_path / ("a.warc.gz" if gzip else "a.warc")
    write_warc(path, gzip=gzip, pages=9)
    whole = [
        (type(i).__name__, str(i)) for i in WarcReader().read(path) if not isinstance(i, Warning)
    ]
    reader = WarcReader(part_bytes=part_bytes)
    parts = reader.split(str(path))
    assert parts[0].start == 0 and parts[-1].end is None
    if part_bytes >= path.stat().st_size:
        assert parts == [FileRange(str(path), 0, None)]
    pieces = [
        (type(item).__name__, str(item))
        for part in parts
        for item in reader.read(part)
        if not isinstance(item, Warning)
    ]
    assert pieces == whole


def test_uncompressed_parts_start_at_records(tmp_path: Path) -> None:
    """An uncompressed WARC splits at exact record starts (hopping over each header)."""
    path = tmp_path / "a.warc"
    written = write_warc(path, gzip=False, truncate=False)
    starts = split_points(path, 2000)
    assert len(starts) > 2
    assert set(starts) <= {record.offset for record in written}


def test_a_corrupt_record_is_rejected_and_the_rest_is_read(tmp_path: Path) -> None:
    """Garbage inside one gzip member: that record is warc_corrupt, later ones are read."""
    source = tmp_path / "good.warc.gz"
    written = write_warc(source, truncate=False)
    data = source.read_bytes()
    third = [r for r in written if r.article][2]
    damaged = data[: third.offset + 40] + b"\x00garbage" * 30 + data[third.offset + 40 :]
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(damaged)
    items = list(WarcReader().read(path))
    errors = [item for item in items if isinstance(item, ParseError)]
    assert [(e.reason, f"offset {third.offset}" in str(e)) for e in errors] == [
        ("warc_corrupt", True)
    ]
    assert "\x00" not in str(errors[0])
    urls = [a.url for a in articles(items)]
    assert urls == [r.uri for r in written if r.article and r is not third]


def test_a_corrupt_uncompressed_header_is_skipped(tmp_path: Path) -> None:
    """A broken Content-Length in a .warc: that record is rejected, the next ones read."""
    path = tmp_path / "a.warc"
    written = write_warc(path, gzip=False, truncate=False)
    data = path.read_bytes()
    second = [r for r in written if r.article][1]
    header_end = data.index(b"\r\n\r\n", second.offset)
    block = data[second.offset : header_end].replace(b"Content-Length: ", b"Content-Length: x")
    path.write_bytes(data[: second.offset] + block + data[header_end:])
    items = list(WarcReader().read(path))
    (error,) = [item for item in items if isinstance(item, ParseError)]
    assert error.reason == "warc_corrupt"
    assert len(articles(items)) == len([r for r in written if r.article]) - 1


def test_host_filter_counts_right(archive: tuple[Path, list[Written]]) -> None:
    """news.example takes its subdomain www.news.example, not other.example."""
    path, written = archive
    reader = WarcReader(hosts=["News.Example."])
    items = list(reader.read(path))
    got = articles(items)
    wanted = [r.uri for r in written if r.article and "other.example" not in r.uri]
    assert [a.url for a in got] == wanted
    assert len(got) == 4
    (warning,) = [item for item in items if isinstance(item, Warning)]
    assert "host_filter 2" in str(warning)
    other = articles(WarcReader(hosts=["other.example"]).read(path))
    assert len(other) == 2


def test_date_filters_use_the_capture_date(archive: tuple[Path, list[Written]]) -> None:
    """since is inclusive, until exclusive, both on WARC-Date."""
    path, _written = archive
    since = parse_warc_date("2024-03-03")
    until = parse_warc_date("2024-03-05T00:00")
    got = articles(WarcReader(since=since, until=until).read(path))
    assert [a.extra["warc"]["date"][:10] for a in got] == ["2024-03-03", "2024-03-04"]
    assert parse_warc_date("2024-03-03T10:11:12.123456789Z") == datetime(
        2024, 3, 3, 10, 11, 12, 123456, tzinfo=timezone.utc
    )
    assert parse_warc_date("2024-02-30") is None
    assert parse_warc_date("yesterday") is None
    assert parse_warc_date(None) is None


def test_page_metadata_is_used_as_with_fetch(tmp_path: Path) -> None:
    """The page's own date and same-site canonical are used; a bad date is a warning."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    pages = [
        ("https://news.example/a?utm_source=x", page(1, canonical="/a", date="2024-02-01")),
        ("https://news.example/b", page(2, canonical="https://elsewhere.example/b")),
        ("https://news.example/c", page(3, date="not a date")),
        ("https://news.example/d", page(4, canonical="https://news.example:99999/d")),
        ("https://news.example/e", b"<html><body><p>Too short.</p></body></html>"),
    ]
    for uri, body in pages:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1")
        record = writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers
        )
        writer.write_record(record)
    path = tmp_path / "meta.warc.gz"
    path.write_bytes(buffer.getvalue())
    items = list(WarcReader().read(path))
    got = articles(items)
    assert got[0].canonical_url == "https://news.example/a"
    assert got[0].url_key is not None
    assert got[0].published == datetime(2024, 2, 1, tzinfo=timezone.utc)
    assert got[1].canonical_url is None
    assert got[1].extra["declared_canonical"] == "https://elsewhere.example/b"
    assert got[2].published is None and got[2].published_raw == "not a date"
    reasons = [item.reason for item in items if not isinstance(item, Article)]
    assert reasons == ["invalid_date", "invalid_canonical", "no_text"]
    assert got[3].canonical_url is None
    (no_text,) = [item for item in items if isinstance(item, ParseError)]
    assert no_text.reason == "no_text"


def test_wet_conversion_records_are_plain_text(tmp_path: Path) -> None:
    """A WET conversion record is a body of its lines, with its identified language."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    text = b"The harbour reopened.\n\nFerries run again on Tuesday.\n"
    record = writer.create_warc_record(
        "https://news.example/wet",
        "conversion",
        payload=io.BytesIO(text),
        length=len(text),
        warc_content_type="text/plain",
        warc_headers_dict={"WARC-Identified-Content-Language": "eng,fra"},
    )
    writer.write_record(record)
    empty = writer.create_warc_record(
        "https://news.example/empty", "conversion", payload=io.BytesIO(b"\n \n"), length=3
    )
    writer.write_record(empty)
    dns = writer.create_warc_record(
        "dns:news.example", "response", payload=io.BytesIO(b"1.2.3.4"), length=7
    )
    writer.write_record(dns)
    items = list(WarcReader().read(buffer.getvalue()))
    (article,) = articles(items)
    assert article.body == ("The harbour reopened.", "Ferries run again on Tuesday.")
    assert article.title == ""
    assert article.language == "eng"
    assert article.extra["warc"]["type"] == "conversion"
    assert [item.reason for item in items if not isinstance(item, Article)] == [
        "no_text",
        "warc_skipped",
    ]


def test_a_payload_over_the_limit_is_too_large(archive: tuple[Path, list[Written]]) -> None:
    """max_record_bytes bounds what one record may cost."""
    path, _written = archive
    items = list(WarcReader(max_record_bytes=200).read(path))
    assert articles(items) == []
    assert {item.reason for item in items if isinstance(item, ParseError)} == {
        "too_large",
        "warc_truncated",
    }


def test_a_failing_extractor_is_a_reject(
    archive: tuple[Path, list[Written]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An extractor exception is extraction_failed for that record; the run goes on."""
    import importlib

    def broken(html: bytes, *, url: str, charset: str | None = None) -> None:
        raise RuntimeError("boom")

    path, _written = archive
    monkeypatch.setattr(importlib.import_module("newsingest.hydrate"), "extract_page", broken)
    items = list(WarcReader().read(path))
    reasons = [item.reason for item in items if isinstance(item, ParseError)]
    assert reasons == ["extraction_failed"] * 6 + ["warc_truncated"]


def test_the_registry_routes_warcs_by_content(archive: tuple[Path, list[Written]]) -> None:
    """Gzipped or not, a WARC resolves to the warc reader; other files do not split."""
    path, _written = archive
    registry = default_registry()
    assert registry.resolve(path).name == "warc"
    assert is_warc(b"WARC/1.1\r\n") and not is_warc(b"\x1f\x8bnot gzip") and not is_warc(b"<rss")
    assert split_source(registry, path) == [FileRange(str(path), 0, None)]
    assert split_source(registry, "seeds/000_a56ce4c0ebc2a5f5.txt") is None
    assert split_source(registry, FileRange(str(path))) is None
    assert split_source(registry, "https://news.example/a.warc") is None
    assert split_source(registry, b"WARC/1.0") is None
    forced = WarcReader(part_bytes=1000)
    assert len(split_source(registry, path, forced) or []) > 1
    assert split_source(registry, path, registry.get("textfile")) is None


def test_find_record_reports_no_record_past_the_last(tmp_path: Path) -> None:
    """Searching past the last record, or in a file of junk, finds nothing."""
    path = tmp_path / "junk.warc"
    path.write_bytes(b"WARC/1.0 but not a header\n" * 10)
    with path.open("rb") as handle:
        assert find_record(handle, 0, gzipped=False) is None
        assert find_record(handle, 0, gzipped=True) is None


def test_the_reader_refuses_a_bad_part_size_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="part_bytes"):
        WarcReader(part_bytes=0)
    with pytest.raises(SourceNotFoundError):
        list(WarcReader().read(tmp_path / "none.warc"))
    with pytest.raises(SourceNotFoundError):
        list(WarcReader().read(tmp_path))


def warc_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "crawl"
    folder.mkdir()
    for number in range(3):
        write_warc(folder / f"part-{number}.warc.gz", first=number * 10, truncate=number == 2)
    return folder


def test_workers_give_the_one_process_output(tmp_path: Path) -> None:
    """ingest(workers=2) over WARCs read in small parts equals workers=1, in order."""
    folder = warc_folder(tmp_path)
    registry = default_registry().copy()
    registry.register(WarcReader(part_bytes=1500), replace=True)

    def run(workers: int) -> tuple[list[str], dict[str, Any]]:
        result = ingest(folder, registry=registry, workers=workers, on_error="skip")
        with result:
            lines = [json.dumps(article.to_dict()) for article in result]
        return lines, result.report.to_dict()

    one, one_report = run(1)
    two, two_report = run(2)
    assert len(one) == 18
    assert two == one
    assert two_report["errors"] == one_report["errors"] == {"warc_truncated": 1}


def test_cli_j2_equals_j1_and_a_second_run_with_state_emits_nothing(tmp_path: Path) -> None:
    """-j 2 writes what -j 1 writes; rerun with --state, every record was done."""
    folder = warc_folder(tmp_path)
    common = ["ingest", str(folder), "--on-error", "quarantine"]
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.jsonl"
        done = run_cli(
            *common, "-j", jobs, "-o", str(out), "--quarantine", str(tmp_path / f"q{jobs}")
        )
        assert done.returncode == 1, done.stderr  # 1: a record was rejected (quarantined)
        outputs[jobs] = out.read_text(encoding="utf-8")
    assert outputs["2"] == outputs["1"]
    assert len(outputs["1"].splitlines()) == 18
    quarantined = (tmp_path / "q1").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["reason"] for line in quarantined] == ["warc_truncated"]

    state = tmp_path / "state.db"
    first = run_cli(*common[:2], "--state", str(state), "-o", str(tmp_path / "r1.jsonl"))
    assert first.returncode == 1, first.stderr
    assert "18 emitted" in first.stderr
    report = tmp_path / "report.json"
    second = run_cli(
        *common[:2],
        "--state",
        str(state),
        "-o",
        str(tmp_path / "r2.jsonl"),
        "--report",
        str(report),
        "--duplicates",
        str(tmp_path / "dups.jsonl"),
    )
    assert second.returncode == 1, second.stderr
    assert "0 emitted" in second.stderr
    counts = json.loads(report.read_text(encoding="utf-8"))
    assert counts["emitted"] == 0
    assert counts["duplicates"] == {"url": 18}
    # not extracted again: each record came as the reader's stub (no title, no body)
    duplicates = (tmp_path / "dups.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["title"] for line in duplicates] == [""] * 18


def test_state_skips_extraction_of_records_done(archive: tuple[Path, list[Written]]) -> None:
    """A record an earlier run kept is not extracted again: a stub the dedup drops."""
    path, _written = archive
    store = MemoryStore()
    first = ingest(path, state=store, on_error="skip")
    with first:
        kept = list(first)
    assert len(kept) == 6
    store.commit()
    reader = WarcReader().with_state(store)
    stubs = articles(reader.read(path))
    assert [stub.extra.get("warc_skipped") for stub in stubs] == ["seen"] * 6
    assert all(stub.body == () for stub in stubs)
    assert WarcReader().with_state(object()).store is None  # type: ignore[arg-type]


def test_cli_filters_reach_the_reader(archive: tuple[Path, list[Written]], tmp_path: Path) -> None:
    """--warc-host and --warc-since/--warc-until select records; a bad date is refused."""
    path, _written = archive
    out = tmp_path / "host.jsonl"
    done = run_cli(
        "ingest",
        str(path),
        "--warc-host",
        "other.example",
        "--warc-since",
        "2024-03-01",
        "--warc-until",
        "2024-03-04",
        "-o",
        str(out),
    )
    assert done.returncode == 1, done.stderr  # the cut-off tail is rejected
    urls = [json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert urls == ["https://other.example/story/2"]
    bad = run_cli("ingest", str(path), "--warc-since", "soon")
    assert bad.returncode == 2
    assert "not a date" in bad.stderr


def test_a_payload_cut_short_is_truncated(tmp_path: Path) -> None:
    """A whole header with fewer bytes than its Content-Length: warc_truncated, both ways."""
    path = tmp_path / "a.warc"
    written = write_warc(path, gzip=False, truncate=False)
    data = path.read_bytes()
    last = [r for r in written if r.article][-1]
    cut = data.index(b"\r\n\r\n", last.offset) + 200
    path.write_bytes(data[:cut])
    items = list(WarcReader().read(path))
    (error,) = [item for item in items if isinstance(item, ParseError)]
    assert (error.reason, f"offset {last.offset}" in str(error)) == ("warc_truncated", True)
    with pytest.raises(ParseError, match="Content-Length") as cut_short:
        read_record(path, last.offset)
    assert cut_short.value.reason == "warc_truncated"
    # a record that is passed over (a metadata record) is checked for truncation too
    metadata = next(r for r in written if r.kind == "metadata" and r.offset > last.offset)
    path.write_bytes(data[: data.index(b"\r\n\r\n", metadata.offset) + 6])
    reasons = [i.reason for i in WarcReader().read(path) if isinstance(i, ParseError)]
    assert reasons == ["warc_truncated"]


def test_bad_compressed_data_in_a_payload_is_corrupt(tmp_path: Path) -> None:
    """Bad deflate data late in one member: that record is warc_corrupt, the rest read."""
    source = tmp_path / "good.warc.gz"
    written = write_warc(source, truncate=False)
    data = bytearray(source.read_bytes())
    records = [r for r in written if r.article]
    second = records[1]
    end = next(r.offset for r in written if r.offset > second.offset)
    at = second.offset + (end - second.offset) * 3 // 4
    data[at : at + 24] = b"\xff" * 24
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(bytes(data))
    items = list(WarcReader().read(path))
    assert [e.reason for e in items if isinstance(e, ParseError)] == ["warc_corrupt"]
    assert [a.url for a in articles(items)] == [r.uri for r in records if r is not second]


def test_a_broken_header_ends_the_splitting_not_the_reading(tmp_path: Path) -> None:
    """An uncompressed WARC splits up to a header it cannot hop over; the rest is one part."""
    path = tmp_path / "a.warc"
    written = write_warc(path, gzip=False, truncate=False)
    data = path.read_bytes()
    third = [r for r in written if r.article][2]
    path.write_bytes(data[: third.offset] + b"WARC/1.0\r\nno length\r\n\r\n" + data[third.offset :])
    starts = split_points(path, 500)
    assert max(starts) <= third.offset  # the unreadable header starts the last part


def test_the_reader_pickles_without_its_store(archive: tuple[Path, list[Written]]) -> None:
    """What a worker process gets: the options, never the parent's store."""
    import pickle

    reader = WarcReader(hosts=["news.example"], part_bytes=999).with_state(MemoryStore())
    assert reader.store is not None
    copy = pickle.loads(pickle.dumps(reader))
    assert (copy.hosts, copy.part_bytes, copy.store) == (("news.example",), 999, None)
    assert _charset('text/html; Charset="ISO-8859-1"') == "ISO-8859-1"
    assert _charset("text/html") is None


def test_a_stream_is_read_from_where_it_is(archive: tuple[Path, list[Written]]) -> None:
    """An open binary stream reads like the file."""
    path, written = archive
    with path.open("rb") as handle:
        got = articles(WarcReader().read(handle))
    assert len(got) == len([r for r in written if r.article])


def test_group_sources_gives_each_part_its_own_group(tmp_path: Path) -> None:
    """Other files go in runs of ``size``; each part of a WARC is a group alone."""
    path = tmp_path / "a.warc.gz"
    write_warc(path)
    registry = default_registry().copy()
    registry.register(WarcReader(part_bytes=3000), replace=True)
    seeds = [f"seeds/{name}" for name in ("a.txt", "b.txt", "c.txt")]
    groups = group_sources([*seeds, str(path), seeds[0]], 2, registry)
    parts = WarcReader(part_bytes=3000).split(str(path))
    assert groups == [seeds[:2], seeds[2:], *([part] for part in parts), seeds[:1]]
    assert group_sources(seeds, 5) == [seeds]


def test_a_dask_partition_per_warc(tmp_path: Path) -> None:
    """read_bag makes a partition of each WARC; together they hold what ingest reads."""
    pytest.importorskip("dask.bag")
    from newsingest.dask import read_bag

    folder = warc_folder(tmp_path)
    bag = read_bag(folder, on_error="skip")
    assert bag.npartitions == 3
    records = bag.compute(scheduler="sync")
    with ingest(folder, dedup=False, on_error="skip") as run:
        expected = [article.to_dict() for article in run]
    assert records == expected


def test_memory_stays_flat_in_the_file_size(tmp_path: Path) -> None:
    """Reading ten times the records does not take ten times the memory (one at a time)."""
    import tracemalloc

    def archive_of(records: int) -> Path:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        for number in range(records):
            text = "\n".join(f"Line {number}.{k} of the harbour report." for k in range(600))
            data = text.encode()
            writer.write_record(
                writer.create_warc_record(
                    f"https://news.example/{number}",
                    "conversion",
                    payload=io.BytesIO(data),
                    length=len(data),
                )
            )
        path = tmp_path / f"{records}.warc.gz"
        path.write_bytes(buffer.getvalue())
        return path

    def peak(path: Path) -> int:
        tracemalloc.start()
        try:
            count = sum(isinstance(item, Article) for item in WarcReader().read(path))
            return tracemalloc.get_traced_memory()[1] if count else -1
        finally:
            tracemalloc.stop()

    small, large = archive_of(20), archive_of(200)
    assert large.stat().st_size > 8 * small.stat().st_size
    peak(small)  # imports and caches, once
    assert peak(large) < 2 * peak(small)
