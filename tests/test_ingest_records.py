"""Seed files take a record path in ingest(): it must give exactly what the object path gives.

``ingest()`` turns a seed file straight into a record (parse → normalise → keys →
dict) without building Articles, when the dedup in use needs only URL and content
keys. The object path (reader → Article → ``normalise_article`` → ``Deduplicator.check``
→ ``to_dict``) is what every other reader takes. A registry whose seed reader is a
subclass sends seed files down the object path, so the two can be compared on the same
files: records, order, reports, rejects, warnings and duplicates must all be equal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest import Duplicate, NewsIngestWarning, ingest
from newsingest.ingest import _Stage
from newsingest.readers import ReaderRegistry, default_registry
from newsingest.readers.textfile import SeedTextReader
from tests.strategies import http_urls, seed_line


class ObjectPathSeedReader(SeedTextReader):
    """The seed reader under another type, so ingest() takes the object path for it."""


def object_path_registry() -> ReaderRegistry:
    """The default registry, in the same order, with the seed reader swapped."""
    registry = default_registry().copy()
    seed = next(registration for registration in registry if registration.name == "textfile")
    registry.register(
        ObjectPathSeedReader(), suffixes=seed.suffixes, sniff=seed.sniff, replace=True
    )
    return registry


def run(root: Path, *, objects: bool, **options: Any) -> dict[str, Any]:
    """Ingest ``root``; return everything observable about the run."""
    rejects: list[dict[str, Any]] = []
    duplicates: list[Duplicate] = []
    warnings: list[NewsIngestWarning] = []
    result = ingest(
        [root],
        registry=object_path_registry() if objects else None,
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
@given(corpus=corpora())
def test_record_path_equals_object_path_on_any_seed_files(corpus: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root, corpus)
        assert run(root, objects=False) == run(root, objects=True)


@settings(max_examples=40)
@given(corpus=corpora())
def test_articles_from_the_record_path_equal_the_object_path(
    corpus: list[tuple[str, bytes]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root, corpus)
        fast = list(ingest([root], on_error="skip"))
        slow = list(ingest([root], on_error="skip", registry=object_path_registry()))
        assert fast == slow


@settings(max_examples=40)
@given(corpus=corpora(), keys=st.sampled_from([("url",), ("content",), ("content", "url")]))
def test_record_path_applies_every_url_and_content_key_order(
    corpus: list[tuple[str, bytes]], keys: tuple[str, ...]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write(root, corpus)
        assert run(root, objects=False, keys=keys) == run(root, objects=True, keys=keys)


def test_record_path_reports_a_duplicate_with_the_copy_s_provenance(tmp_path: Path) -> None:
    body = "First paragraph.\nSecond paragraph.\n"
    (tmp_path / "001_0000000000000001.txt").write_text(
        f"A title\n20220206\nhttps://example.com/a\n{body}"
    )
    (tmp_path / "002_0000000000000002.txt").write_text(
        f"Another title\n20220207\nhttps://example.com/b\n{body.upper()}"
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


def test_title_keys_take_the_object_path_and_still_work(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Same title\n20220206\nhttps://example.com/a\nOne.\n")
    (tmp_path / "b.txt").write_text("Same title\n20220207\nhttps://example.com/b\nTwo.\n")
    result = ingest([tmp_path], keys=("title",))
    assert [article.url for article in result] == ["https://example.com/a"]
    assert result.report.duplicates == {"title": 1}


def test_seed_files_take_the_record_path_unless_title_keys_need_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("Title\n20220206\nhttps://example.com/a\nOne.\n")
    calls: list[str] = []
    original = _Stage._seed

    def counting(self: _Stage, data: bytes, name: str, *, serialise: bool) -> list[Any]:
        calls.append(name)
        return original(self, data, name, serialise=serialise)

    monkeypatch.setattr(_Stage, "_seed", counting)
    assert len(list(ingest([tmp_path]))) == 1
    assert calls == [str(tmp_path / "a.txt")]
    assert len(list(ingest([tmp_path], keys=("url", "title")))) == 1
    assert len(calls) == 1


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
