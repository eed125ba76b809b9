"""Seen-stores: staging and commits, SQLite across runs and processes, info and prune."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsingest.dedup import (
    Candidate,
    Deduplicator,
    MemoryStore,
    SeenEntry,
    SeenStore,
    SQLiteStore,
    StoreError,
    open_store,
    prune,
    state_info,
)
from newsingest.exceptions import SourceNotFoundError
from newsingest.model import Article, Provenance
from newsingest.state import NearSignature, ValidatorStore
from newsingest.testing import make_article

DAY = 86_400
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
NOW_S = int(NOW.timestamp())


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeenStore]:
    made: SeenStore = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "s.db")
    yield made
    made.close()


def entry(
    key: str,
    kind: str = "url",
    kept: str | None = None,
    first_seen: int = NOW_S,
    at: int | None = None,
) -> SeenEntry:
    return SeenEntry(key, kind, kept or key, "in.txt:1", first_seen, at)


def test_both_stores_follow_the_protocols(store: SeenStore) -> None:
    """Both stores are SeenStores and also serve fetch.py as ValidatorStores."""
    assert isinstance(store, SeenStore)
    assert isinstance(store, ValidatorStore)


def test_lookup_returns_only_known_keys(store: SeenStore) -> None:
    """Staged keys answer lookups at once; unknown keys are absent."""
    store.add([entry("u1:a"), entry("c1:b", "content", kept="u1:a")])
    assert store.lookup(["u1:a", "u1:zzz", "c1:b"]) == {
        "u1:a": entry("u1:a"),
        "c1:b": entry("c1:b", "content", kept="u1:a"),
    }
    store.commit()
    assert set(store.lookup(["u1:a", "c1:b", "u1:zzz"])) == {"u1:a", "c1:b"}


def test_first_owner_of_a_key_wins(store: SeenStore) -> None:
    """Adding a known key again never changes who owns it (staged or committed)."""
    store.add([entry("c1:x", "content", kept="u1:first")])
    store.add([entry("c1:x", "content", kept="u1:second")])
    store.commit()
    store.add([entry("c1:x", "content", kept="u1:third")])
    store.commit()
    assert store.lookup(["c1:x"])["c1:x"].kept == "u1:first"


def test_title_keys_follow_the_newest_kept_article(store: SeenStore) -> None:
    """A title key moves to a newer kept article and never back to an older one."""
    store.add([entry("t1:h", "title", kept="u1:old", at=100)])
    store.commit()
    store.add([entry("t1:h", "title", kept="u1:new", at=200)])
    store.commit()
    store.add([entry("t1:h", "title", kept="u1:older", at=50)])
    store.commit()
    found = store.lookup(["t1:h"])["t1:h"]
    assert (found.kept, found.at) == ("u1:new", 200)


def test_memory_store_hands_out_seen_entries(store: SeenStore) -> None:
    """Whatever a store keeps inside, lookups answer SeenEntry values with their fields."""
    store.add([entry("u1:a", at=7)])
    found = store.lookup(["u1:a"])["u1:a"]
    assert type(found) is SeenEntry
    assert (found.key, found.kind, found.kept, found.at) == ("u1:a", "url", "u1:a", 7)


def test_claim_stages_a_new_records_keys_or_reports_the_known_ones() -> None:
    """claim() stages every key when none is known, and nothing when one is."""
    store = MemoryStore()
    pairs = [("url", "u1:a"), ("content", "c2:b")]
    assert store.claim(pairs, "u1:a", "in.txt:1", NOW_S) == {}
    assert store.lookup(["u1:a", "c2:b"]) == {
        "u1:a": SeenEntry("u1:a", "url", "u1:a", "in.txt:1", NOW_S, None),
        "c2:b": SeenEntry("c2:b", "content", "u1:a", "in.txt:1", NOW_S, None),
    }
    again = [("url", "u1:other"), ("content", "c2:b")]
    found = store.claim(again, "u1:other", "in.txt:9", NOW_S + 1)
    assert found == {"c2:b": SeenEntry("c2:b", "content", "u1:a", "in.txt:1", NOW_S, None)}
    assert store.lookup(["u1:other"]) == {}  # nothing of the duplicate was staged


class _WithoutClaim(SQLiteStore):
    """A store offering only the protocol's lookup() and add(), not claim()."""

    claim = None  # type: ignore[assignment]


def test_a_store_without_claim_decides_the_same(tmp_path: Path) -> None:
    """The Deduplicator's lookup-then-add path keeps and reports like claim()."""
    records = [
        ("u1:a", "c2:1", "a.txt:1"),
        ("u1:b", "c2:1", "b.txt:1"),  # same body
        ("u1:a", "c2:2", "c.txt:1"),  # same URL
        ("u1:d", "c2:4", "d.txt:1"),
    ]

    def decide(dedup: Deduplicator) -> list[tuple[str, str] | None]:
        out: list[tuple[str, str] | None] = []
        for url, content, where in records:
            candidate = Candidate(
                keys=[("url", url), ("content", content)],
                where=where,
                at=None,
                body=(),
                identity=None,
            )
            copy = make_article(source=Provenance(reader="t", location=where)).to_dict()
            duplicate = dedup.decide(candidate, lambda copy=copy: copy)
            out.append(None if duplicate is None else (duplicate.key_type, duplicate.kept_source))
        return out

    with_claim = decide(Deduplicator(store=MemoryStore()))
    without = decide(Deduplicator(store=_WithoutClaim(tmp_path / "s.db")))
    assert with_claim == without == [None, ("content", "a.txt:1"), ("url", "a.txt:1"), None]


def test_many_keys_are_looked_up_in_chunks(store: SeenStore) -> None:
    """Lookups of more keys than one SQL statement takes still find every one."""
    keys = [f"c1:{i:032x}" for i in range(2_345)]
    store.add(entry(key, "content") for key in keys[::2])
    store.commit()
    assert set(store.lookup(keys)) == set(keys[::2])


def test_validators_are_staged_committed_and_forgotten(store: SeenStore) -> None:
    """Validators follow the commit rule; both None forgets them."""
    assert store.get_validators("https://a.example/rss") is None
    store.set_validators("https://a.example/rss", '"v1"', "Sat, 01 Jun 2024 00:00:00 GMT")
    assert store.get_validators("https://a.example/rss") == (
        '"v1"',
        "Sat, 01 Jun 2024 00:00:00 GMT",
    )
    store.commit()
    store.set_validators("https://a.example/rss", None, None)
    assert store.get_validators("https://a.example/rss") is None
    store.commit()
    assert store.get_validators("https://a.example/rss") is None


def test_sqlite_keeps_nothing_uncommitted(tmp_path: Path) -> None:
    """Staged keys, signatures and validators not committed are gone after a reopen."""
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        store.add([entry("u1:a")])
        store.commit()
        store.add([entry("u1:b")])
        store.add_signatures([NearSignature("u1:b", "m1:test", b"\x00" * 8, "x", NOW_S)])
        store.set_validators("https://a.example/rss", '"v"', None)
    with SQLiteStore(path) as store:
        assert set(store.lookup(["u1:a", "u1:b"])) == {"u1:a"}
        assert list(store.signatures("m1:test")) == []
        assert store.get_validators("https://a.example/rss") is None


def test_sqlite_persists_everything_committed(tmp_path: Path) -> None:
    """Committed keys, signatures and validators are there in the next run."""
    path = tmp_path / "state.db"
    signature = NearSignature("u1:a", "m1:test", bytes(range(16)), "in.txt:1", NOW_S)
    with SQLiteStore(path) as store:
        store.add([entry("u1:a")])
        store.add_signatures([signature])
        store.set_validators("https://a.example/rss", '"v"', None)
        store.commit()
    with SQLiteStore(path) as store:
        assert store.lookup(["u1:a"]) == {"u1:a": entry("u1:a")}
        assert list(store.signatures("m1:test")) == [signature]
        assert list(store.signatures("m1:other")) == []
        assert store.get_validators("https://a.example/rss") == ('"v"', None)


def test_sqlite_file_is_in_wal_mode(tmp_path: Path) -> None:
    """The state file uses write-ahead logging, so readers never block the writer."""
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_open_store_picks_memory_or_sqlite(tmp_path: Path) -> None:
    """None gives a memory store; a path gives a SQLite file at that path."""
    assert isinstance(open_store(None), MemoryStore)
    store = open_store(tmp_path / "s.db")
    assert isinstance(store, SQLiteStore)
    store.close()
    assert (tmp_path / "s.db").is_file()


def test_foreign_or_newer_files_are_refused(tmp_path: Path) -> None:
    """A file that is not SQLite, or has another layout version, is a StoreError."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(StoreError, match="not a usable newsingest state file"):
        SQLiteStore(junk)
    newer = tmp_path / "newer.db"
    SQLiteStore(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    db.close()
    with pytest.raises(StoreError, match="layout version 99"):
        SQLiteStore(newer)


def _article(n: int, text: str) -> Article:
    return Article(
        url_key=f"u1:news.example/{n}",
        body=(f"Paragraph one of story {text}.", "Paragraph two, long enough for a key. " * 3),
        source=Provenance(reader="test", location="feed.xml", item=n),
    )


def test_rerun_with_same_state_emits_nothing_new(tmp_path: Path) -> None:
    """The same inputs run twice against one state file: the second run keeps zero."""
    path = tmp_path / "state.db"
    inputs = [_article(n, str(n % 7)) for n in range(40)]
    with Deduplicator(store=SQLiteStore(path)) as dedup:
        first = [dedup.check(a) for a in inputs]
        dedup.flush()
    kept_first = [a for a, d in zip(inputs, first, strict=True) if d is None]
    assert len(kept_first) == 7
    with Deduplicator(store=SQLiteStore(path)) as dedup:
        second = [dedup.check(a) for a in inputs]
        dedup.flush()
    assert all(d is not None for d in second)
    assert dedup.report()["duplicates"] == len(inputs)
    kept_keys = {a.url_key for a in kept_first}
    assert {d.kept_key for d in second if d is not None} == kept_keys


def test_state_info_describes_the_file(tmp_path: Path) -> None:
    """state info counts keys by kind and version, signatures, validators and size."""
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        store.add(
            [
                entry("u1:a", first_seen=NOW_S - 10 * DAY),
                entry("c1:b", "content", kept="u1:a", first_seen=NOW_S - 10 * DAY),
                entry("u1:c", first_seen=NOW_S),
                entry("t1:d", "title", kept="u1:c", at=NOW_S),
            ]
        )
        store.add_signatures([NearSignature("u1:a", "m1:v", b"\x01" * 8, "x", NOW_S)])
        store.set_validators("https://a.example/rss", '"e"', None)
        store.commit()
    info = state_info(path)
    assert json.loads(json.dumps(info)) == info
    assert info["keys"] == 4
    assert info["keys_by_kind"] == {"content": 1, "title": 1, "url": 2}
    assert info["key_versions"] == {"c1": 1, "t1": 1, "u1": 2}
    assert info["near_signatures"] == {"m1:v": 1}
    assert info["validators"] == 1
    assert info["oldest_first_seen"] == "2024-05-22T00:00:00Z"
    assert info["newest_first_seen"] == "2024-06-01T00:00:00Z"
    assert info["size_bytes"] >= path.stat().st_size > 0


def test_state_info_and_prune_never_create_a_file(tmp_path: Path) -> None:
    """A missing state file is reported, not silently created."""
    missing = tmp_path / "nope.db"
    with pytest.raises(SourceNotFoundError, match=r"nope\.db"):
        state_info(missing)
    with pytest.raises(SourceNotFoundError):
        prune(missing, timedelta(days=90))
    assert not missing.exists()


def test_prune_forgets_old_keys_and_signatures(tmp_path: Path) -> None:
    """prune removes what was first seen before the cutoff and keeps the rest."""
    path = tmp_path / "state.db"
    with SQLiteStore(path) as store:
        store.add(
            [entry("u1:old", first_seen=NOW_S - 100 * DAY), entry("u1:new", first_seen=NOW_S - DAY)]
        )
        store.add_signatures(
            [
                NearSignature("u1:old", "m1:v", b"\x00" * 8, "x", NOW_S - 100 * DAY),
                NearSignature("u1:new", "m1:v", b"\x00" * 8, "x", NOW_S - DAY),
            ]
        )
        store.set_validators("https://a.example/rss", '"e"', None)
        store.commit()
    assert prune(path, timedelta(days=90), now=NOW) == 2
    assert prune(path, timedelta(days=90), now=NOW) == 0
    with SQLiteStore(path) as store:
        assert set(store.lookup(["u1:old", "u1:new"])) == {"u1:new"}
        assert [s.key for s in store.signatures("m1:v")] == ["u1:new"]
        assert store.get_validators("https://a.example/rss") == ('"e"', None)


@pytest.mark.parametrize(
    ("older_than", "now", "message"),
    [
        (timedelta(days=-1), NOW, "must not be negative"),
        (timedelta(days=1), datetime(2024, 1, 1), "timezone-aware"),
    ],
)
def test_prune_refuses_bad_arguments(
    tmp_path: Path, older_than: timedelta, now: datetime, message: str
) -> None:
    """A negative age or a naive 'now' is an error, not a guess."""
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    with pytest.raises(ValueError, match=message):
        prune(path, older_than, now=now)


WORKER = textwrap.dedent(
    """
    import sys
    from newsingest.dedup import Deduplicator, SQLiteStore
    from newsingest.model import Article, Provenance

    path, name, out = sys.argv[1], sys.argv[2], sys.argv[5]
    start, stop = int(sys.argv[3]), int(sys.argv[4])
    with open(out, "w", encoding="utf-8") as sink, Deduplicator(store=SQLiteStore(path)) as dedup:
        for n in range(start, stop):
            article = Article(
                url_key=f"u1:shared.example/{n}",
                body=(f"Story number {n}.",),
                source=Provenance(reader="test", location=name, item=n),
            )
            if dedup.check(article) is None:
                sink.write(f"{n}\\n")
            if n % 50 == 0:
                sink.flush()
                dedup.flush()
        sink.flush()
        dedup.flush()
    """
)


def _run_workers(path: Path, tmp_path: Path, ranges: list[tuple[int, int]]) -> list[set[int]]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    outs = [tmp_path / f"out{i}.txt" for i in range(len(ranges))]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), f"w{i}", str(a), str(b), str(out)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, ((a, b), out) in enumerate(zip(ranges, outs, strict=True))
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    return [{int(line) for line in out.read_text(encoding="utf-8").split()} for out in outs]


@pytest.mark.slow
def test_two_processes_share_one_store_without_corruption(tmp_path: Path) -> None:
    """Two writers at once: the file stays intact, every key lands, nothing is lost."""
    path = tmp_path / "state.db"
    SQLiteStore(path).close()
    emitted = _run_workers(path, tmp_path, [(0, 6_000), (3_000, 9_000)])
    union = emitted[0] | emitted[1]
    assert union == set(range(9_000))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = {row[0] for row in db.execute("SELECT key FROM seen WHERE kind = 'url'")}
    db.close()
    assert keys == {f"u1:shared.example/{n}" for n in range(9_000)}
    # Both may keep an article neither had committed yet, never more than that overlap.
    assert emitted[0] & emitted[1] <= set(range(3_000, 6_000))
    # A third run over everything now finds only duplicates.
    assert _run_workers(path, tmp_path, [(0, 9_000)]) == [set()]
