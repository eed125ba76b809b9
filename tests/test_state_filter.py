"""The SQLite store's key filter: lookups that skip SQLite for new keys, and stay right.

The filter may only ever say "not seen" for a key the file does not hold: these tests
hold it to that across reopen, growth, another connection's commits and claim().
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsingest import state
from newsingest.dedup import (
    Deduplicator,
    MemoryStore,
    SeenEntry,
    SeenStore,
    SQLiteStore,
    StoreError,
)
from newsingest.state import _KeyFilter
from newsingest.testing import make_article

NOW_S = 1_717_200_000


def entry(key: str, kind: str = "url") -> SeenEntry:
    return SeenEntry(key, kind, key, "in.txt:1", NOW_S, None)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeenStore]:
    made: SeenStore = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "s.db")
    yield made
    made.close()


def test_the_filter_never_forgets_a_key_and_rarely_claims_one() -> None:
    """Every key added is in the filter; few of 20,000 other keys seem to be."""
    known = _KeyFilter(50_000)
    added = [f"c1:{n:032x}" for n in range(50_000)]
    known.add_all(added)
    assert known.count == 50_000 <= known.capacity
    assert all(key in known for key in added)
    false = sum(f"u1:{n:032x}" in known for n in range(20_000))
    assert false < 200  # under 1 %


def test_a_filter_for_many_keys_is_made_larger() -> None:
    """Sized for the keys it will hold, with room to grow before a rebuild."""
    small, big = _KeyFilter(0), _KeyFilter(10_000_000)
    assert len(small.bits) * 8 == _KeyFilter.MIN_BITS
    assert big.capacity >= 40_000_000 > small.capacity


def test_a_full_filter_grows_a_layer_and_still_knows_every_key() -> None:
    """grown() keeps the full layer answering behind a larger front layer: no key is
    forgotten, new keys go to the front, and false positives stay rare."""
    first = _KeyFilter(0)
    old = [f"c1:{n:032x}" for n in range(first.capacity + 1)]
    first.add_all(old)
    front = first.grown()
    assert front.older == [first] and first.older == []
    assert front.count == 0 and front.keys == len(old) and front.capacity > first.capacity
    new = [f"t1:{n:032x}" for n in range(10_000)]
    front.add_all(new)
    assert front.keys == len(old) + len(new)
    assert all(key in front for key in old[::97]) and all(key in front for key in new)
    again = front.grown()
    assert again.older == [first, front] and all(key in again for key in new)
    false = sum(f"u1:{n:032x}" in again for n in range(20_000))
    assert false < 400  # under 2 % with three layers


def test_claim_behaves_alike_in_both_stores(store: SeenStore) -> None:
    """claim() stages every key of a new record, and nothing when one key is known."""
    claim = store.claim  # type: ignore[attr-defined]
    assert claim([("url", "u1:a"), ("content", "c3:b")], "u1:a", "a.txt:1", NOW_S) == {}
    found = claim([("url", "u1:z"), ("content", "c3:b")], "u1:z", "z.txt:1", NOW_S)
    assert list(found) == ["c3:b"] and found["c3:b"].kept == "u1:a"
    assert store.lookup(["u1:z"]) == {}
    store.commit()
    assert set(store.lookup(["u1:a", "c3:b", "u1:z"])) == {"u1:a", "c3:b"}


def test_committed_keys_are_found_after_reopening(tmp_path: Path) -> None:
    """A new store over a file finds what earlier runs committed, and nothing else."""
    path = tmp_path / "s.db"
    keys = [f"u1:{n}" for n in range(3_000)]
    with SQLiteStore(path) as first:
        assert first.lookup(["u1:nothing"]) == {}  # empty file: the filter is built now
        first.add(entry(key) for key in keys)
        first.commit()
        assert set(first.lookup([*keys[:5], "u1:new"])) == set(keys[:5])
    with SQLiteStore(path) as second:
        assert set(second.lookup(keys)) == set(keys)
        assert second.lookup([f"u1:other{n}" for n in range(100)]) == {}


def test_a_big_file_is_asked_in_sql_until_a_filter_pays_off(tmp_path: Path) -> None:
    """A short run over a big file never scans it; a long one builds the filter once."""
    path = tmp_path / "s.db"
    keys = [f"c1:{n:032x}" for n in range(20_000)]
    with SQLiteStore(path) as first:
        first.add(entry(key, "content") for key in keys)
        first.commit()
    with SQLiteStore(path) as again:
        assert set(again.lookup(keys[:10])) == set(keys[:10])
        assert again._filter is None  # ten keys: cheaper in SQL than a scan of the file
        asked = 10
        while again._filter is None:
            again.lookup([f"u1:{asked}"])
            asked += 1
        assert asked > 1_000
        assert set(again.lookup(keys)) == set(keys)
        assert again.lookup(["u1:never"]) == {}


def test_a_full_filter_grows_larger_without_a_rescan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its capacity the filter grows a layer in memory (no scan of the file, whose
    cost grows with the store), and still knows every key."""
    monkeypatch.setattr(_KeyFilter, "MIN_BITS", 1 << 10)  # room for 64 keys
    with SQLiteStore(tmp_path / "s.db") as store:
        store.lookup(["u1:x"])
        first = store._filter
        assert first is not None and first.capacity == 64
        scans = 0
        build = store._build_filter

        def counting() -> None:
            nonlocal scans
            scans += 1
            build()

        monkeypatch.setattr(store, "_build_filter", counting)
        keys = [f"u1:{n}" for n in range(500)]
        for start in range(0, 500, 100):
            store.add(entry(key) for key in keys[start : start + 100])
            store.commit()
        grown = store._filter
        assert grown is not None and grown is not first and grown.capacity >= 500
        assert set(store.lookup([*keys, "u1:none"])) == set(keys)
        assert first in grown.older and scans == 0


def test_another_connections_commit_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys another store committed to the same file are found, though this store's
    filter never saw them; and this store's own commit then keeps lookups right."""
    monkeypatch.setattr(state, "_FRESH_S", 0.0)  # check the file on every lookup
    path = tmp_path / "s.db"
    with SQLiteStore(path) as mine, SQLiteStore(path) as other:
        assert mine.lookup(["u1:a"]) == {}
        assert mine._filter is not None
        other.add([entry("u1:a"), entry("u1:b")])
        other.commit()
        assert set(mine.lookup(["u1:a", "u1:c"])) == {"u1:a"}
        # The other commits between this store's staging and its commit.
        mine.add([entry("u1:c")])
        other.add([entry("u1:d")])
        other.commit()
        mine.commit()
        assert set(mine.lookup(["u1:a", "u1:b", "u1:c", "u1:d", "u1:e"])) == {
            "u1:a",
            "u1:b",
            "u1:c",
            "u1:d",
        }


def test_a_commit_after_another_connections_drops_the_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter that may have missed another store's commit is not trusted after ours."""
    monkeypatch.setattr(state, "_FRESH_S", 3600.0)  # no check between lookups
    path = tmp_path / "s.db"
    with SQLiteStore(path) as mine, SQLiteStore(path) as other:
        mine.lookup(["u1:x"])
        assert mine._filter is not None
        other.add([entry("u1:theirs")])
        other.commit()
        mine.add([entry("u1:mine")])
        mine.commit()
        assert mine._filter is None
        assert set(mine.lookup(["u1:theirs", "u1:mine"])) == {"u1:theirs", "u1:mine"}


def test_reruns_with_a_state_file_find_every_article(tmp_path: Path) -> None:
    """A Deduplicator over a reopened file reports every article of the first run."""
    path = tmp_path / "s.db"
    articles = [make_article(url_key=f"u1:x/{n}", body=(f"Story {n} " * 40,)) for n in range(300)]
    with Deduplicator(store=SQLiteStore(path)) as first:
        assert all(first.check(article) is None for article in articles)
        first.flush()
    with Deduplicator(store=SQLiteStore(path)) as second:
        assert all(second.check(article) is not None for article in articles)


class _Broken:
    """A connection whose every statement fails, as a damaged file's would."""

    def execute(self, *_args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    def close(self) -> None:
        """Nothing to close."""


def test_a_file_that_cannot_be_read_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the filter or checking the file's version fails with a StoreError."""
    monkeypatch.setattr(state, "_FRESH_S", 0.0)
    with SQLiteStore(tmp_path / "a.db") as store:
        store._db = _Broken()  # type: ignore[assignment]
        with pytest.raises(StoreError, match="cannot read the state file"):
            store.lookup(["u1:a"])  # the filter of an empty file is built now
    with SQLiteStore(tmp_path / "b.db") as store:
        store.lookup(["u1:a"])
        assert store._filter is not None
        store._db = _Broken()  # type: ignore[assignment]
        with pytest.raises(StoreError, match="cannot read the state file"):
            store.lookup(["u1:a"])  # the version check
