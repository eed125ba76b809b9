"""Where else a kept story was seen: on the survivor (batch, Dask), in the state (streaming)."""

from __future__ import annotations

import json
from pathlib import Path

import dask
import pytest

from newsingest import Article, Deduplicator
from newsingest.cli import main
from newsingest.dask import dedupe, read_bag
from newsingest.dedup import SQLiteStore, also_seen
from newsingest.model import Provenance
from newsingest.pipeline.normalise import normalise_article

BODY = (
    "The harbour reopened on Monday after a week of repairs to the main quay, the "
    "port authority said, and the first ferries are expected on Tuesday morning."
)


def _copy(location: str, url: str, *, title: str = "Harbour reopens") -> Article:
    return normalise_article(
        Article(
            title=title,
            url=url,
            body=(BODY,),
            source=Provenance(reader="test", location=location, line=1),
        )
    )


COPIES = [
    _copy("wire.txt", "https://wire.example/harbour"),
    _copy("paper.txt", "https://paper.example/local/harbour"),
    _copy("blog.txt", "https://blog.example/2024/harbour"),
]


def test_batch_survivors_name_the_sources_of_their_copies() -> None:
    kept, duplicates = Deduplicator().batch(COPIES, also_seen=True)
    assert len(kept) == 1
    assert len(duplicates) == 2
    assert kept[0].extra["also_seen"] == sorted(d.source.where() for d in duplicates)
    plain, _ = Deduplicator().batch(COPIES)
    assert "also_seen" not in plain[0].extra  # only when asked


def _seed(folder: Path, name: str, url: str) -> None:
    (folder / name).write_text(f"Harbour reopens\n20240506\n{url}\n{BODY}\n", encoding="utf-8")


def test_the_dask_path_names_them_as_the_batch_does(tmp_path: Path) -> None:
    for copy in COPIES:
        _seed(tmp_path, copy.source.location, str(copy.url))
    with dask.config.set(scheduler="sync"):
        result = dedupe(read_bag(tmp_path, files_per_partition=1), also_seen=True)
        (kept,) = result.kept.compute()
    reference, _ = Deduplicator().batch(
        [Article.from_dict(r) for r in read_bag(tmp_path).compute(scheduler="sync")],
        also_seen=True,
    )
    assert kept["extra"]["also_seen"] == reference[0].extra["also_seen"]
    assert len(kept["extra"]["also_seen"]) == 2
    assert kept["source"]["location"] not in " ".join(kept["extra"]["also_seen"])


def test_streaming_records_each_other_source_once_in_the_state(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    for _run in range(2):  # a second run over the same sources adds nothing
        with Deduplicator(store=SQLiteStore(state), also_seen=True) as dedup:
            results = [dedup.check(copy) for copy in COPIES]
            results.append(dedup.check(COPIES[0]))  # the kept story's own source again
            dedup.flush()
    assert results[0] is not None  # second run: all duplicates
    (story,) = also_seen(state)
    assert story["kept"] == COPIES[0].url_key
    assert story["kept_source"] == "wire.txt:1"
    assert story["also_seen"] == ["blog.txt:1", "paper.txt:1"]


def test_the_command_records_and_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for copy in COPIES:
        _seed(tmp_path, copy.source.location, str(copy.url))
    state = tmp_path.parent / f"{tmp_path.name}-state.db"
    out = tmp_path.parent / f"{tmp_path.name}-out.jsonl"
    assert (
        main(["ingest", str(tmp_path), "--state", str(state), "--also-seen", "-o", str(out)]) == 0
    )
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    capsys.readouterr()
    assert main(["state", "also-seen", str(state)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    story = json.loads(line)
    assert story["kept_source"] == f"{tmp_path / 'blog.txt'}:1"  # sorted walk: blog first
    assert story["also_seen"] == [f"{tmp_path / 'paper.txt'}:1", f"{tmp_path / 'wire.txt'}:1"]


def test_also_seen_without_a_state_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(tmp_path, "a.txt", "https://a.example/x")
    assert main(["ingest", str(tmp_path), "--also-seen"]) == 2
    assert "--also-seen needs --state" in capsys.readouterr().err
