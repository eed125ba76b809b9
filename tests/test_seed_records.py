"""The seed reader's record fast path, checked against the general rule.

``SeedTextReader.read_records`` builds records in ``Article.to_dict()`` layout without
Article objects; the pipeline does not re-validate them. So every record it makes must
pass the validated constructor unchanged, and a run must not depend on the number of
worker processes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest import Article, Duplicate, NewsIngestWarning, ingest
from newsingest.readers.textfile import SeedTextReader
from tests.strategies import http_urls, seed_line


def run(root: Path, **options: Any) -> dict[str, Any]:
    """Ingest ``root``; return everything observable about the run."""
    rejects: list[dict[str, Any]] = []
    duplicates: list[Duplicate] = []
    warnings: list[NewsIngestWarning] = []
    result = ingest(
        [root],
        on_error="quarantine",
        quarantine=rejects.append,
        on_duplicate=duplicates.append,
        on_warning=warnings.append,
        **options,
    )
    lines = list(result.json_lines())
    return {
        "lines": lines,
        "report": result.report.to_dict(),
        "messages": result.report.messages,
        "rejects": rejects,
        # When the kept copy was first seen is a clock reading: two runs may straddle a second.
        "duplicates": [duplicate.to_dict() | {"kept_first_seen": None} for duplicate in duplicates],
        "warnings": [str(warning) for warning in warnings],
    }


titles = (
    st.sampled_from(["Title", "  Spaced  title ", "", "Ünïcode “title”", "\ufeffBOM"]) | seed_line
)
dates = st.sampled_from(
    ["20220206", " 20220206 ", "2022026", "20221345", "20230229", "", "２０２２０２０６"]
) | st.from_regex(r"[0-9]{8}", fullmatch=True)
urls = (
    st.sampled_from(
        [
            "https://example.com/a",
            "http://WWW.Example.com/x/?utm_source=a&id=3",
            "https://www.example.com/a/",
            "https://exa_mple.com/a",
            "https://[::1/a",
            "https://999.1.1.1/a",
            "https://xn--bcher-kva.example/a",
            "https://bücher.example/a",
            "ftp://example.com/a",
            "https://example.com:443/./a/../b",
            "",
        ]
    )
    | http_urls
)
body_lines = st.lists(
    seed_line
    | st.sampled_from(["", "   ", "\t", "A  spaced ,  line .", "ALL CAPS LINE", "zero\u200bwidth"]),
    max_size=6,
)


@st.composite
def seed_files(draw: st.DrawFn) -> bytes:
    """Seed-format bytes, good and bad: spacing, CRLF, BOM, blank lines, bad fields."""
    lines = [draw(titles), draw(dates), draw(urls), *draw(body_lines)]
    if draw(st.booleans()):
        lines = lines[: draw(st.integers(0, len(lines)))]  # a truncated file
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 19)) == 0:
        data += b"\xff"  # not UTF-8
    return data


@st.composite
def corpora(draw: st.DrawFn) -> list[tuple[str, bytes]]:
    """A few files, some copies of others under another name."""
    files = draw(st.lists(seed_files(), min_size=1, max_size=6))
    files += draw(st.lists(st.sampled_from(files), max_size=3))
    names = [
        f"{index:03d}_{draw(st.from_regex(r'[0-9a-f]{16}', fullmatch=True))}.txt"
        if draw(st.booleans())
        else f"plain name {index}.txt"
        for index in range(len(files))
    ]
    return list(zip(names, files, strict=True))


def write(root: Path, corpus: list[tuple[str, bytes]]) -> None:
    for name, data in corpus:
        (root / name).write_bytes(data)


@settings(max_examples=150)
@given(data=seed_files(), name=st.sampled_from(["001_00000000000000ab.txt", "plain.txt"]))
def test_seed_records_pass_the_validated_constructor_unchanged(data: bytes, name: str) -> None:
    """Every record the fast path builds is what Article.from_dict accepts and gives back."""
    for item in SeedTextReader().read_records(data, name):
        if isinstance(item, dict):
            assert Article.from_dict(item).to_dict() == item


@settings(max_examples=150)
@given(data=seed_files())
def test_read_data_gives_the_articles_of_the_records(data: bytes) -> None:
    """read_data's Articles equal the validated Articles of read_records' records."""
    reader = SeedTextReader()
    records = list(reader.read_records(data, "a.txt"))
    articles = list(reader.read_data(data, "a.txt"))
    expected = [Article.from_dict(i) if isinstance(i, dict) else i for i in records]
    assert [type(i) for i in articles] == [type(i) for i in expected]
    assert [a for a in articles if isinstance(a, Article)] == [
        a for a in expected if isinstance(a, Article)
    ]


@settings(max_examples=60)
@given(corpus=corpora(), keys=st.sampled_from([("url",), ("content",), ("content", "url")]))
def test_any_seed_corpus_runs_whatever_the_key_order(
    corpus: list[tuple[str, bytes]], keys: tuple[str, ...]
) -> None:
    """Every file ends in one bucket: emitted + duplicates + rejected records = files."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root, corpus)
        outcome = run(root, keys=keys)
        report = outcome["report"]
        assert report["read"] == len(corpus)
        rejected = sum(report["errors"].values())
        assert report["emitted"] + sum(report["duplicates"].values()) + rejected == len(corpus)
        assert len(outcome["lines"]) == report["emitted"]


def test_two_workers_give_exactly_the_run_of_one_process(tmp_path: Path) -> None:
    """Lines, report, rejects, warnings and duplicates are equal with workers=2."""
    texts = [
        "Title {n}\n20220206\nhttps://example.com/{n}?utm_source=x\nBody {n}.\nMore.\n",
        "Copy {n}\n20220206\nhttps://example.com/{n}\nMore.\nBody {n}.\n",
        "Bad {n}\n2022\nhttps://example.com/b{n}\nBody.\n",
        "Empty {n}\n20220206\nhttps://example.com/e{n}\n",
    ]
    for n in range(150):
        (tmp_path / f"{n:04d}.txt").write_text(texts[n % 4].format(n=n // 2))
    assert run(tmp_path, workers=2) == run(tmp_path)


def test_a_duplicate_is_reported_with_the_copy_s_provenance(tmp_path: Path) -> None:
    """The Duplicate names the copy (title, file, ordinal) and where the kept one was."""
    body = "First paragraph.\nSecond paragraph, long enough to identify the story.\n" * 2
    (tmp_path / "001_0000000000000001.txt").write_text(
        f"A title\n20220206\nhttps://example.com/a\n{body}"
    )
    (tmp_path / "002_0000000000000002.txt").write_text(
        f"Another title\n20220207\nhttps://mirror.example/b\n{body.upper()}"
    )
    duplicates: list[Duplicate] = []
    lines = list(ingest([tmp_path], on_duplicate=duplicates.append).json_lines())
    assert len(lines) == 1
    (duplicate,) = duplicates
    assert duplicate.key_type == "content"
    assert duplicate.title == "Another title"
    assert duplicate.source.location == str(tmp_path / "002_0000000000000002.txt")
    assert duplicate.source.ordinal == "002"
    assert duplicate.kept_source == f"{tmp_path / '001_0000000000000001.txt'}:1"


def test_title_keys_dedup_seed_files(tmp_path: Path) -> None:
    """Equal titles of one host within the window are duplicates by title."""
    (tmp_path / "a.txt").write_text("Same title\n20220206\nhttps://example.com/a\nOne.\n")
    (tmp_path / "b.txt").write_text("Same title\n20220207\nhttps://example.com/b\nTwo.\n")
    result = ingest([tmp_path], keys=("title",))
    assert [article.url for article in result] == ["https://example.com/a"]
    assert result.report.duplicates == {"title": 1}


@pytest.mark.parametrize("workers", [1, 2])
def test_records_equal_the_articles_dicts_whatever_made_them(tmp_path: Path, workers: int) -> None:
    """records() gives Article.to_dict() of every emitted record: seed, feed, workers."""
    root = Path(__file__).parent.parent
    sources = [root / "seeds", root / "examples" / "feeds", tmp_path]
    (tmp_path / "extra.txt").write_text("Extra\n20240101\nhttps://example.org/x\nBody.\n")
    expected = [article.to_dict() for article in ingest(sources)]
    records = list(ingest(sources, workers=workers).records())
    assert records == expected
    assert {record["source"]["reader"] for record in records} == {"textfile", "feed"}
