"""Sources with their limit applied while reading; directory walks that cannot crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.readers import MAX_WALK_DEPTH, STREAM_BYTES, buffer_stream, expand_sources
from newsingest.readers import textfile as textfile_module
from newsingest.readers.textfile import SeedTextReader
from newsingest.readers.urllist import MAX_LIST_BYTES, UrlListReader
from tests.measure import run_cli

GIB = 1 << 30
SEED_HEAD = b"A title\n20240102\nhttps://example.com/a\n"


def sparse_file(path: Path, head: bytes, size: int) -> Path:
    """``head`` then zeros up to ``size`` bytes, without writing them to disk."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


def test_a_seed_file_over_its_limit_is_refused_after_reading_the_limit(tmp_path: Path) -> None:
    limit = textfile_module.LIMITS["file_bytes"]
    seed = sparse_file(tmp_path / "big.txt", SEED_HEAD, limit + 1)
    (item,) = list(SeedTextReader().read(seed))
    assert isinstance(item, ParseError)
    assert item.reason == "too_large"
    assert item.source == str(seed)
    assert f"over the {limit}-byte limit" in item.message


def test_a_url_list_over_its_limit_is_refused(tmp_path: Path) -> None:
    listing = sparse_file(tmp_path / "big.urls", b"https://example.com/a\n", MAX_LIST_BYTES + 1)
    (item,) = list(UrlListReader().read(listing))
    assert isinstance(item, ParseError)
    assert item.reason == "too_large"


def test_a_stream_is_buffered_up_to_its_limit_and_refused_past_it(tmp_path: Path) -> None:
    small = sparse_file(tmp_path / "small", b"x", 1000)
    with small.open("rb") as handle:
        assert buffer_stream(handle, max_bytes=1000).read() == b"x" + b"\0" * 999  # type: ignore[union-attr]
    with small.open("rb") as handle, pytest.raises(ParseError) as caught:
        buffer_stream(handle, max_bytes=999)
    assert caught.value.reason == "too_large"
    assert STREAM_BYTES >= 16 * 1024 * 1024  # the largest feed document a reader takes


@pytest.mark.slow
def test_a_one_gib_seed_file_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    seed = sparse_file(tmp_path / "huge.txt", SEED_HEAD, GIB)
    run = run_cli("ingest", str(seed))
    assert "limit" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert run.status == 2
    assert run.peak_mb < 100, f"{run.peak_mb} MB"


@pytest.mark.slow
def test_one_gib_on_stdin_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    data = sparse_file(tmp_path / "huge-stream", SEED_HEAD, GIB)
    with data.open("rb") as stdin:
        run = run_cli("ingest", "-", stdin=stdin)
    assert f"<stdin>: document is over the {STREAM_BYTES}-byte limit" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert run.status == 2
    assert run.peak_mb < 100, f"{run.peak_mb} MB"


def _seed(path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{title}\n20240102\nhttps://example.com/{title}\nbody\n", encoding="utf-8")


def test_a_two_thousand_level_tree_is_walked_without_recursion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk keeps its own stack: a tree deeper than Python's recursion limit is read
    to the walk's depth limit, and what lies below is a ``too_deep`` warning."""
    monkeypatch.chdir(tmp_path)  # keep paths short: 2,000 levels of "d/" is near PATH_MAX
    root = Path("tree")
    root.mkdir()
    _seed(root / "top.txt", "top")
    levels = [root]
    try:
        for level in range(2_000):
            levels.append(levels[-1] / "d")
            os.mkdir(levels[-1])  # noqa: PTH102 - one level at a time: makedirs recurses
            if level == 500:
                _seed(levels[-1] / "middle.txt", "middle")
        _seed(levels[-1] / "bottom.txt", "bottom")
        warnings: list[NewsIngestWarning] = []
        found = list(expand_sources(root, on_warning=warnings.append))
    finally:
        _remove_bottom_up(levels)  # shutil.rmtree (and pytest's cleanup) would recurse
    assert [Path(path).name for path in found] == ["middle.txt", "top.txt"]  # "d" < "top"
    assert [w.reason for w in warnings] == ["too_deep"]
    assert f"nested over {MAX_WALK_DEPTH} levels deep" in warnings[0].message
    assert warnings[0].source is not None
    assert warnings[0].source.count("/d") == MAX_WALK_DEPTH + 1


def _remove_bottom_up(levels: list[Path]) -> None:
    for folder in reversed(levels):
        for name in ("middle.txt", "bottom.txt", "top.txt"):
            (folder / name).unlink(missing_ok=True)
        folder.rmdir()


def test_a_folder_reached_twice_is_walked_once_with_a_warning(tmp_path: Path) -> None:
    """A loop the walk can meet (the same folder given twice over a symlink): one warning."""
    real = tmp_path / "real"
    _seed(real / "a.txt", "a")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    (real / "back").symlink_to(tmp_path, target_is_directory=True)  # a loop, not followed
    warnings: list[NewsIngestWarning] = []
    found = list(expand_sources([real, link], on_warning=warnings.append))
    assert [Path(path).name for path in found] == ["a.txt"]
    assert [w.reason for w in warnings] == ["symlink_loop"]
    assert warnings[0].source == str(link)


def test_a_glob_through_a_symlink_loop_does_not_crash(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    _seed(loop / "a.txt", "a")
    (loop / "again").symlink_to(loop, target_is_directory=True)
    warnings: list[NewsIngestWarning] = []
    found = list(expand_sources(str(loop / "**" / "*.txt"), on_warning=warnings.append))
    assert found == [str(loop / "a.txt")]  # once, not once per trip round the loop
    assert [w.reason for w in warnings] == ["symlink_loop"]


def test_an_unlistable_folder_is_a_warning_and_the_rest_is_walked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(tmp_path / "a" / "one.txt", "one")
    closed = tmp_path / "b"
    closed.mkdir()
    real_scandir = os.scandir

    def scandir(path: str) -> object:  # as for a folder without read permission (root has all)
        if Path(path) == closed:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    warnings: list[NewsIngestWarning] = []
    found = list(expand_sources(tmp_path, on_warning=warnings.append))
    assert [Path(path).name for path in found] == ["one.txt"]
    assert [w.reason for w in warnings] == ["unreadable"]
    assert warnings[0].source == str(closed)
    assert "Permission denied" in warnings[0].message


def test_the_walk_order_is_sorted_per_level(tmp_path: Path) -> None:
    for name in ["b/2.txt", "a/z.txt", "a/b/1.txt", "c.txt", ".hidden/x.txt", "a/.h.txt"]:
        _seed(tmp_path / name, "x")
    found = [Path(path).relative_to(tmp_path).as_posix() for path in expand_sources(tmp_path)]
    assert found == ["a/b/1.txt", "a/z.txt", "b/2.txt", "c.txt"]
