"""Near-duplicates: MinHash/LSH over word shingles, opt-in, persisted in the SQLite store.

The rensa backend's own behaviour (planted pairs, determinism, LSH layout, old stores)
is in tests/test_near_rensa.py.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsingest.dedup import Deduplicator, SQLiteStore, state_info
from newsingest.dedup.near import MIN_WORDS, NUM_PERM, NearIndex, shingles
from newsingest.exceptions import MissingExtraError
from newsingest.model import Article, Provenance

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a56ce4c0ebc2a5f5.txt"
SAME_TOPIC = ROOT / "tests" / "data" / "dedup" / "same_topic.txt"


def read(path: Path, *, url: str | None = None) -> Article:
    """Build an Article from a seed-format file, with a URL key derived from its URL."""
    title, date, link, *body = path.read_text(encoding="utf-8").splitlines()
    link = url or link
    return Article(
        title=title,
        url=link,
        url_key=f"u1:{link}",
        published=datetime.strptime(date, "%Y%m%d").replace(tzinfo=timezone.utc),
        published_precision="day",
        body=body,
        source=Provenance(reader="textfile", location=path.name, line=1),
    )


def edited_seed() -> Article:
    """The seed republished elsewhere with its lead paragraph rewritten."""
    seed = read(SEED, url="https://syndicate.example/world/commander")
    body = list(seed.body)
    lead = next(i for i, text in enumerate(body) if text.startswith("A captured Russian commander"))
    body[lead] = (
        "A Russian commander captured in Ukraine has spoken publicly of his deep shame "
        "over the war, and he begged Ukrainians for forgiveness."
    )
    return seed.evolve(body=body)


def test_article_with_one_paragraph_edited_is_a_near_duplicate() -> None:
    """At 0.8 an edited copy is reported as "near" with its estimated similarity."""
    dedup = Deduplicator(near_threshold=0.8)
    seed = read(SEED)
    assert dedup.check(seed) is None
    duplicate = dedup.check(edited_seed())
    assert duplicate is not None
    assert duplicate.key_type == "near"
    assert duplicate.matched == ("near",)
    assert duplicate.kept_key == seed.url_key
    assert duplicate.similarity is not None
    assert 0.8 <= duplicate.similarity < 1.0
    assert duplicate.to_dict()["similarity"] == duplicate.similarity
    assert dedup.report()["duplicates_by_key"] == {"near": 1}


def test_different_articles_on_the_same_topic_are_both_kept() -> None:
    """Two independent reports of the same event are not near-duplicates."""
    dedup = Deduplicator(near_threshold=0.8)
    assert dedup.check(read(SEED)) is None
    assert dedup.check(read(SAME_TOPIC)) is None


def test_near_detection_is_off_by_default() -> None:
    """Without near_threshold the edited copy is a new article."""
    dedup = Deduplicator()
    assert dedup.check(read(SEED)) is None
    assert dedup.check(edited_seed()) is None


def test_short_bodies_are_never_near_deduplicated() -> None:
    """Bodies under MIN_WORDS words are neither matched nor indexed."""
    words = [f"word{i}" for i in range(MIN_WORDS - 1)]
    one = Article(
        url_key="u1:a", body=[" ".join(words)], source=Provenance(reader="t", location="x")
    )
    other = one.evolve(url_key="u1:b", body=[" ".join([*words[:-1], "changed"])])
    dedup = Deduplicator(keys=("url",), near_threshold=0.5)
    assert dedup.check(one) is None
    assert dedup.check(other) is None
    longer = one.evolve(url_key="u1:c", body=[" ".join([*words, "more", "words"])])
    assert dedup.check(longer) is None


def test_shingles_ignore_paragraph_order_and_spacing() -> None:
    """Shingles never span two segments, so shuffled and re-spaced bodies match exactly."""
    body = read(SEED).body
    shuffled = [f" {segment.upper()}  " for segment in reversed(body)]
    assert shingles(body) == shingles(shuffled)
    found, words = shingles(["one two three four five", "Six."])
    assert words == 6
    assert found == {b"one two three four", b"two three four five", b"six."}


def test_copies_of_a_near_duplicate_point_at_the_kept_article() -> None:
    """The edited copy's exact keys are remembered, so its own re-posts name the original."""
    dedup = Deduplicator(near_threshold=0.8)
    seed = read(SEED)
    dedup.check(seed)
    edited = edited_seed()
    dedup.check(edited)
    again = dedup.check(edited.evolve(source=Provenance(reader="feed", location="f", item=1)))
    assert again is not None
    assert again.key_type == "url"
    assert again.kept_key == seed.url_key


def test_signatures_persist_across_runs_only_after_flush(tmp_path: Path) -> None:
    """A flushed signature catches the edited copy in the next run; an unflushed one does not."""
    path = tmp_path / "state.db"
    with Deduplicator(store=SQLiteStore(path), near_threshold=0.8) as dedup:
        assert dedup.check(read(SEED)) is None
    with Deduplicator(store=SQLiteStore(path), near_threshold=0.8) as dedup:
        assert dedup.check(edited_seed()) is None  # nothing was flushed before
    with Deduplicator(store=SQLiteStore(path), near_threshold=0.8) as dedup:
        assert dedup.check(read(SEED)) is None
        dedup.flush()
    assert sum(state_info(path)["near_signatures"].values()) == 1
    with Deduplicator(store=SQLiteStore(path), near_threshold=0.8) as dedup:
        duplicate = dedup.check(edited_seed())
    assert duplicate is not None and duplicate.key_type == "near"


def test_similarity_is_deterministic() -> None:
    """Two runs estimate exactly the same similarity."""
    values = set()
    for _ in range(2):
        dedup = Deduplicator(near_threshold=0.8)
        dedup.check(read(SEED))
        duplicate = dedup.check(edited_seed())
        assert duplicate is not None
        values.add(duplicate.similarity)
    assert len(values) == 1


def test_signature_of_the_wrong_size_is_refused() -> None:
    """Bytes that are not a signature of this index's size are an error naming the key."""
    index = NearIndex(0.8)
    expected = rf"'u1:x' has 12 bytes, expected {4 * NUM_PERM} \({NUM_PERM} 32-bit values\)"
    with pytest.raises(ValueError, match=expected):
        index.load("u1:x", b"\x00" * 12, "x", 0)


def test_missing_rensa_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without rensa, asking for near-duplicates says which package and extra to install."""
    monkeypatch.setitem(sys.modules, "rensa", None)
    with pytest.raises(MissingExtraError, match=r"'rensa'.*newsingest\[near\]") as caught:
        Deduplicator(near_threshold=0.8)
    assert isinstance(caught.value, ImportError)
    assert isinstance(caught.value.__cause__, ImportError)
