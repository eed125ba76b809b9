"""The seed text reader and writer: data-driven cases, inputs of every kind, round trips."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from newsingest import Article, NewsIngestWarning, ParseError
from newsingest.readers.textfile import SeedTextReader, dumps, write
from tests.strategies import seed_articles

DATA = Path(__file__).parent / "data" / "textfile"
CASES = sorted(path.name for path in DATA.glob("*.txt"))
SEED = "000_a56ce4c0ebc2a5f5.txt"


def read_case(name: str) -> list[object]:
    return list(SeedTextReader().read(name))


def test_there_are_at_least_twelve_malformed_cases() -> None:
    """The data set covers at least 12 malformed inputs, each with its expectation."""
    malformed = [name for name in CASES if name.startswith("err_")]
    assert len(malformed) >= 12
    assert all((DATA / f"{name}.json").exists() for name in CASES)


@pytest.mark.parametrize("name", CASES)
def test_case_matches_expected_data(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fixture reads to exactly the records, warnings or error in its .json file."""
    monkeypatch.chdir(DATA)
    expected = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    items = read_case(name)
    if "error" in expected:
        assert len(items) == 1
        error = items[0]
        assert isinstance(error, ParseError)
        assert error.reason == expected["error"]["reason"]
        assert error.line == expected["error"]["line"]
        assert error.source == name
        assert str(error).startswith(f"{name}:{expected['error']['line']}: ")
    else:
        got = [item.to_dict() for item in items if isinstance(item, Article)]
        warnings = [
            {"reason": item.reason, "line": item.line}
            for item in items
            if isinstance(item, NewsIngestWarning)
        ]
        assert got == expected["articles"]
        assert warnings == expected["warnings"]


def test_seed_reads_with_its_header_and_27_segments_in_file_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shipped seed gives title, URL, day-precision date, 27 segments and provenance."""
    monkeypatch.chdir(DATA)
    (article,) = read_case(SEED)
    assert isinstance(article, Article)
    lines = (DATA / SEED).read_text(encoding="utf-8").splitlines()
    assert article.title == lines[0]
    assert article.url == lines[2]
    assert article.published is not None
    assert article.published.isoformat() == "2022-02-06T00:00:00+00:00"
    assert (article.published_precision, article.published_raw) == ("day", "20220206")
    assert article.body == tuple(lines[3:])
    assert len(article.body) == 27
    # Scraping artefacts are kept as read.
    assert any("and  hospitals ." in segment for segment in article.body)
    assert (article.source.ordinal, article.source.file_id) == ("000", "a56ce4c0ebc2a5f5")


def test_bom_and_crlf_read_like_plain_lf() -> None:
    """A BOM and CRLF line ends change nothing in the Article but its location."""
    plain = (DATA / "ok_other_name.txt").read_bytes()
    fancy = b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n")
    (one,) = SeedTextReader().read(plain)
    (two,) = SeedTextReader().read(fancy)
    assert one == two


def test_text_and_binary_streams_are_read() -> None:
    """Open text and binary streams are sources too; their name is kept when they have one."""
    data = (DATA / SEED).read_bytes()
    (from_binary,) = SeedTextReader().read(io.BytesIO(data))
    (from_text,) = SeedTextReader().read(io.StringIO(data.decode("utf-8")))
    assert isinstance(from_binary, Article)
    assert from_binary == from_text
    assert from_binary.source.location == "<stream>"
    with (DATA / SEED).open("rb") as handle:
        (named,) = SeedTextReader().read(handle)
    assert isinstance(named, Article)
    assert named.source.location.endswith(SEED)


def test_directory_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    """A directory yields its files depth-first in sorted path order, every time."""
    text = (DATA / "ok_other_name.txt").read_text(encoding="utf-8")
    for relative in ["b/2.txt", "a/1.txt", "c.txt", "a/z/0.txt"]:
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    items = list(SeedTextReader().read(tmp_path))
    locations = [
        Path(item.source.location).relative_to(tmp_path).as_posix()
        for item in items
        if isinstance(item, Article)
    ]
    assert locations == ["a/1.txt", "a/z/0.txt", "b/2.txt", "c.txt"]


def test_glob_selects_matching_files(tmp_path: Path) -> None:
    """A glob pattern reads exactly the files it matches."""
    text = (DATA / "ok_other_name.txt").read_text(encoding="utf-8")
    for name in ["x1.txt", "x2.txt", "y.txt"]:
        (tmp_path / name).write_text(text, encoding="utf-8")
    items = list(SeedTextReader().read(str(tmp_path / "x*.txt")))
    assert [Path(item.source.location).name for item in items if isinstance(item, Article)] == [
        "x1.txt",
        "x2.txt",
    ]


def test_undecodable_input_is_a_parse_error_not_unicode_decode_error() -> None:
    """Bytes that are not UTF-8 give a ParseError with the line, never UnicodeDecodeError."""
    (error,) = SeedTextReader().read(b"Title\n20220101\nhttps://a.example/\n\xff\xfe body\n")
    assert isinstance(error, ParseError)
    assert (error.reason, error.line) == ("undecodable", 4)


def test_sniff_recognises_the_seed_and_rejects_other_text() -> None:
    """Sniffing looks for a date on line 2 and a URL on line 3."""
    reader = SeedTextReader()
    assert reader.sniff((DATA / SEED).read_bytes()[:8192])
    assert reader.sniff(b"\xef\xbb\xbfT\r\n20220101\r\nhttps://x.example/\r\n")
    assert not reader.sniff(b"https://a.example/1\nhttps://a.example/2\nhttps://a.example/3\n")
    assert not reader.sniff(b"<?xml version='1.0'?><rss></rss>")


def test_writer_output_of_the_seed_is_the_seed_file() -> None:
    """Writing the seed back gives the file's exact bytes (it has no artefacts we drop)."""
    (article,) = SeedTextReader().read(DATA / SEED)
    assert isinstance(article, Article)
    assert dumps(article) == (DATA / SEED).read_text(encoding="utf-8")


@given(seed_articles(location="case.txt"))
def test_read_of_write_is_identity(article: Article) -> None:
    """read(write(a)) == a for every Article the seed format can carry."""
    stream = io.BytesIO(dumps(article).encode("utf-8"))
    stream.name = "case.txt"
    items = [item for item in SeedTextReader().read(stream) if isinstance(item, Article)]
    assert items == [article]


def test_write_to_path_round_trips(tmp_path: Path) -> None:
    """write() to a path produces a file the reader turns back into the same Article."""
    (article,) = SeedTextReader().read(DATA / SEED)
    assert isinstance(article, Article)
    target = tmp_path / SEED
    write(article, target)
    (again,) = SeedTextReader().read(target)
    assert isinstance(again, Article)
    assert again.evolve(source=article.source) == article


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "two\nlines"}, "title"),
        ({"body": ("ok", " padded ")}, "body[1]"),
        ({"published_precision": "second"}, "published_precision"),
        ({"url": None}, "url"),
        ({"published": None, "published_precision": None, "published_raw": None}, "published"),
    ],
)
def test_writer_refuses_what_the_format_cannot_carry(change: dict[str, object], field: str) -> None:
    """The writer names the field it cannot represent instead of writing something else."""
    (article,) = SeedTextReader().read(DATA / SEED)
    assert isinstance(article, Article)
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        dumps(article.evolve(**change))


def test_lossy_writer_flattens_instead_of_refusing() -> None:
    """With lossy=True line breaks inside a segment become spaces and empty segments go."""
    (article,) = SeedTextReader().read(DATA / SEED)
    assert isinstance(article, Article)
    text = dumps(article.evolve(body=("a\nb", "  ", "c")), lossy=True)
    assert text.splitlines()[3:] == ["a b", "c"]


def test_segment_limits_name_the_line_that_crossed_them() -> None:
    """An over-long segment and one segment too many are errors at their own line."""
    from newsingest.readers.textfile import LIMITS
    from newsingest.readers.textfile import parse_fields as parse

    header = "T\n20220101\nhttps://a.example/x\n"
    too_long = header + "ok\n\n" + "x" * (LIMITS["segment_chars"] + 1) + "\n"
    error = parse(too_long.encode(), "f.txt")
    assert isinstance(error, ParseError)
    assert (error.line, error.reason) == (6, "field_too_long")
    too_many = header + "\n".join(["s"] * (LIMITS["segments"] + 1)) + "\n"
    error = parse(too_many.encode(), "f.txt")
    assert isinstance(error, ParseError)
    assert (error.line, error.reason) == (4 + LIMITS["segments"], "too_many_segments")


def test_a_long_blank_body_is_an_empty_body_not_a_crash() -> None:
    """A body of whitespace longer than a segment may be is read as no segments."""
    from newsingest.readers.textfile import LIMITS, SeedTextReader

    data = b"T\n20220101\nhttps://a.example/x\n" + b" " * (LIMITS["segment_chars"] + 1) + b"\n"
    items = list(SeedTextReader().read_data(data, "blank.txt"))
    assert [type(item) for item in items] == [NewsIngestWarning, Article]
    assert items[1].body == ()


def _sniff_by_lines(head: bytes) -> bool:
    """The sniffing rule spelled out line by line: the reference for the one regex."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    lines = head.split(b"\n", 3)
    if len(lines) < 3:
        return False
    date, url = lines[1].strip(), lines[2].strip().lower()
    return (
        bool(lines[0].strip())
        and len(date) == 8
        and date.isdigit()
        and url.startswith((b"http://", b"https://"))
    )


_HEAD_PARTS = st.sampled_from(
    [
        *(b"\n", b"\r\n", b" ", b"\t", b"\x0b", b"\x0c", b"\x1c", b"\xef\xbb\xbf", b"\xef"),
        *(b"20220101", b"2022010", b"123456789", b"HTTPS://x", b"hTtP://", b"https:/", b"T", b""),
    ]
)


@given(st.lists(_HEAD_PARTS, max_size=14).map(b"".join) | st.binary(max_size=40))
@example(b"\xef\xbb\xbf \n20220101\nhttp://x")  # a blank title after a BOM is blank
def test_sniff_follows_the_line_by_line_rule(head: bytes) -> None:
    """The sniffer's single match says yes exactly when the header rule does."""
    assert SeedTextReader().sniff(head) == _sniff_by_lines(head)
