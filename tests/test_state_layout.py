"""The state file's layout 3: v2 files upgraded without losing a key, newer ones refused,
and keys found by their full text even when two share the index's 8-byte hash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from newsingest import state
from newsingest.dedup import SeenEntry, SQLiteStore, StoreError
from newsingest.state import NearSignature, also_seen, state_info, subscribed_feeds

NOW_S = 1_717_200_000

# The layout a newsingest of layout version 2 wrote (copied from it as data).
V2_DDL = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE seen (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, kept TEXT, source TEXT NOT NULL,
    first_seen INTEGER NOT NULL, at INTEGER
) WITHOUT ROWID;
CREATE TABLE near (
    key TEXT PRIMARY KEY, version TEXT NOT NULL, signature BLOB NOT NULL,
    source TEXT NOT NULL, first_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE validators (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, updated INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE feeds (
    url TEXT PRIMARY KEY, title TEXT, html_url TEXT, folders TEXT NOT NULL,
    categories TEXT NOT NULL, position INTEGER NOT NULL, added INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE feed_status (
    url TEXT PRIMARY KEY, next_poll INTEGER, disabled TEXT, status TEXT NOT NULL,
    recent TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta VALUES ('schema_version', '2'), ('created', '1717000000');
"""

V2_ROWS = [
    ("u1:a.example/1", "url", None, "a.txt:1", NOW_S, None),
    ("c1:" + "ab" * 16, "content", "u1:a.example/1", "a.txt:1", NOW_S, None),
    ("t1:breaking", "title", "u1:a.example/1", "a.txt:1", NOW_S, NOW_S),
    ("u1:b.example/2", "copy", "u1:a.example/1", "b.txt:4", NOW_S + 5, None),
] + [(f"u1:old/{n}", "url", None, f"old.txt:{n}", NOW_S - n, None) for n in range(2_000)]


def write_v2(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(V2_DDL)
    db.executemany("INSERT INTO seen VALUES (?, ?, ?, ?, ?, ?)", V2_ROWS)
    db.execute(
        "INSERT INTO near VALUES ('u1:a.example/1', 'm1:v', x'0102', 'a.txt:1', ?)", (NOW_S,)
    )
    db.execute(
        "INSERT INTO validators VALUES ('https://a.example/rss', '\"e\"', NULL, ?)", (NOW_S,)
    )
    db.execute("INSERT INTO feeds VALUES ('https://a.example/rss', 'A', NULL, '[]', '[]', 0, 1)")
    db.commit()
    db.close()


def expected(row: tuple[str, str, str | None, str, int, int | None]) -> SeenEntry:
    key, kind, kept, source, first_seen, at = row
    return SeenEntry(key, kind, key if kept is None else kept, source, first_seen, at)


def test_a_layout_2_file_is_upgraded_with_every_key(tmp_path: Path) -> None:
    """Every key, signature, validator and feed of a v2 file is there after the upgrade,
    and the upgraded file takes new keys and moves title keys as before."""
    path = tmp_path / "v2.db"
    write_v2(path)
    with SQLiteStore(path) as store:
        keys = [row[0] for row in V2_ROWS]
        assert store.lookup(keys) == {row[0]: expected(row) for row in V2_ROWS}
        assert list(store.signatures("m1:v")) == [
            NearSignature("u1:a.example/1", "m1:v", b"\x01\x02", "a.txt:1", NOW_S)
        ]
        assert store.get_validators("https://a.example/rss") == ('"e"', None)
        store.add([SeenEntry("t1:breaking", "title", "u1:new", "n.txt:1", NOW_S, NOW_S + 60)])
        store.add([SeenEntry("u1:new", "url", "u1:new", "n.txt:1", NOW_S, None)])
        store.add([SeenEntry("u1:old/7", "url", "u1:other", "x.txt:1", NOW_S, None)])
        store.commit()
    with SQLiteStore(path) as store:
        found = store.lookup(["t1:breaking", "u1:new", "u1:old/7"])
        assert found["t1:breaking"].kept == "u1:new"
        assert found["t1:breaking"].at == NOW_S + 60
        assert found["u1:new"].source == "n.txt:1"
        assert found["u1:old/7"] == expected(V2_ROWS[4 + 7])  # the first owner stays
    info = state_info(path)
    assert info["schema_version"] == 3
    assert info["keys"] == len(V2_ROWS) + 1
    assert subscribed_feeds(path) == [("https://a.example/rss", "A", None, (), ())]
    assert list(also_seen(path)) == [
        {"kept": "u1:a.example/1", "kept_source": "a.txt:1", "also_seen": ["b.txt:4"]}
    ]
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == ("3",)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "seen_v2" not in tables and "seen_h" in tables
    db.close()


def test_a_failed_upgrade_leaves_the_v2_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade that fails half-way is rolled back: the file is still a whole v2 file."""
    path = tmp_path / "v2.db"
    write_v2(path)

    def broken(_key: str) -> int:
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(state, "_key_hash", broken)
    with pytest.raises(StoreError, match="disk full"):
        SQLiteStore(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == ("2",)
    assert db.execute("SELECT count(*) FROM seen").fetchone() == (len(V2_ROWS),)
    db.close()


def test_a_newer_layout_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    """A file written by a newer newsingest is a StoreError saying so; it is not touched."""
    path = tmp_path / "v4.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '4' WHERE name = 'schema_version'")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"layout version 4.*a newer newsingest wrote it"):
        SQLiteStore(path)
    assert path.read_bytes() == before


def test_keys_sharing_a_hash_stay_two_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every key hashing alike, each key still finds only its own entry, a new key
    with that hash is not seen, and committing it adds a row instead of merging."""
    monkeypatch.setattr(state, "_key_hash", lambda _key: 42)
    path = tmp_path / "s.db"
    first = SeenEntry("c1:one", "content", "u1:one", "one.txt:1", NOW_S, None)
    second = SeenEntry("c1:two", "content", "u1:two", "two.txt:1", NOW_S, None)
    with SQLiteStore(path) as store:
        store.add([first])
        store.commit()
        assert store.lookup(["c1:two"]) == {}
        store.add([second])
        store.commit()
    with SQLiteStore(path) as store:
        assert store.lookup(["c1:one", "c1:two", "c1:three"]) == {
            "c1:one": first,
            "c1:two": second,
        }
    assert state_info(path)["keys"] == 2


def test_a_commit_without_a_filter_checks_the_file(tmp_path: Path) -> None:
    """A store that never built its filter still keeps a known key's first owner."""
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        store.add([SeenEntry("u1:a", "url", "u1:a", "a.txt:1", NOW_S, None)])
        store.commit()
    with SQLiteStore(path) as store:
        assert store._filter is None
        store.add([SeenEntry("u1:a", "url", "u1:b", "b.txt:1", NOW_S, None)])
        store.commit()
        assert store.lookup(["u1:a"])["u1:a"].source == "a.txt:1"
    assert state_info(path)["keys"] == 1
