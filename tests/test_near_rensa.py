"""The rensa near-duplicate backend: planted pairs, determinism, LSH layout and old stores."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import rensa
from hypothesis import given
from hypothesis import strategies as st

from newsingest.dedup import Deduplicator, SQLiteStore, state_info
from newsingest.dedup.near import (
    NUM_PERM,
    SHINGLE_WORDS,
    NearIndex,
    _lsh_bands,
    _shingle_texts,
    shingles,
)
from newsingest.model import Article, Provenance
from newsingest.normalize.text import normalize_text
from newsingest.state import NearSignature

VOCABULARY = [
    f"{stem}{n}" for stem in ("port", "grain", "vote", "storm", "talk") for n in range(40)
]


def body(seed: int, paragraphs: int = 12, words: int = 60) -> list[str]:
    """A generated body: ``paragraphs`` segments of ``words`` words each."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCABULARY) for _ in range(words)) for _ in range(paragraphs)]


def edit(segments: list[str], count: int) -> list[str]:
    """The body with ``count`` evenly spaced words of each segment replaced, reversed."""
    out = []
    for number, segment in enumerate(segments):
        words = segment.split(" ")
        step = len(words) // (count + 1)
        for place in range(step, step * (count + 1), step):
            words[place] = f"edited{number}x{place}"
        out.append(" ".join(words))
    return out[::-1]


def jaccard(one: list[str], other: list[str]) -> float:
    a, b = shingles(one)[0], shingles(other)[0]
    return len(a & b) / len(a | b)


def article(key: str, segments: list[str]) -> Article:
    return Article(url_key=f"u1:{key}", body=segments, source=Provenance(reader="t", location=key))


def test_a_planted_pair_is_reported_with_its_estimated_similarity() -> None:
    """A copy with one word of 60 replaced per paragraph (true Jaccard 0.87) is a
    near-duplicate at 0.8; the similarity reported is the signatures' share of equal
    values, near the truth."""
    original = body(1)
    copy = edit(original, 1)
    truth = jaccard(original, copy)
    assert 0.85 < truth < 0.9
    dedup = Deduplicator(keys=("url",), near_threshold=0.8)
    assert dedup.check(article("a", original)) is None
    duplicate = dedup.check(article("b", copy))
    assert duplicate is not None
    assert duplicate.key_type == "near"
    assert duplicate.kept_key == "u1:a"
    index = NearIndex(0.8)
    one, other = index.sketch(original), index.sketch(copy)
    assert one is not None and other is not None
    assert duplicate.similarity == index.similarity(one.data, other.data)
    assert duplicate.similarity == one.minhash.jaccard(other.minhash)  # rensa's own estimate
    assert abs(duplicate.similarity - truth) < 0.1


def test_a_distinct_pair_and_a_distant_copy_are_both_kept() -> None:
    """Two unrelated bodies, and a copy with 14 words of 60 replaced per paragraph
    (Jaccard < 0.3), are not near-duplicates of the original."""
    original = body(1)
    distant = edit(original, 14)
    assert jaccard(original, distant) < 0.3
    dedup = Deduplicator(keys=("url",), near_threshold=0.8)
    assert dedup.check(article("a", original)) is None
    assert dedup.check(article("b", body(2))) is None
    assert dedup.check(article("c", distant)) is None
    assert dedup.report()["duplicates_by_key"] == {}


def test_the_signature_is_rensa_minhash_of_the_public_shingles() -> None:
    """The sketch is rensa's RMinHash over shingles()' UTF-8 bytes, fixed seed 1, stored
    as little-endian 32-bit values (non-ASCII text hashes the same as its bytes)."""
    segments = [*body(3), "Zürich café: “quoted” 東京 text in one more paragraph here"]
    sketch = NearIndex(0.8).sketch(segments)
    assert sketch is not None
    expected = rensa.RMinHash(NUM_PERM, 1)
    expected.update(sorted(shingles(segments)[0]))
    assert list(memoryview(sketch.data).cast("I")) == expected.digest()
    assert sketch.data == b"".join(v.to_bytes(4, "little") for v in expected.digest())


def test_signatures_are_the_same_in_another_process() -> None:
    """A signature made in a fresh interpreter with another hash seed equals this one."""
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]\n"
        "from test_near_rensa import body\n"
        "from newsingest.dedup.near import NearIndex\n"
        "print(NearIndex(0.8).sketch(body(5)).data.hex())\n"
    )
    mine = NearIndex(0.8).sketch(body(5))
    assert mine is not None
    for hash_seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", code, str(Path(__file__).parent)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert bytes.fromhex(done.stdout.strip()) == mine.data


def test_a_loaded_signature_matches_like_a_live_one() -> None:
    """Bytes read back from a store index the same article: same match, same similarity."""
    original, copy = body(1), edit(body(1), 1)
    live = NearIndex(0.8)
    kept = live.sketch(original)
    query = live.sketch(copy)
    assert kept is not None and query is not None
    assert live.add("u1:a", kept, "a", 7)
    reloaded = NearIndex(0.8)
    assert reloaded.load("u1:a", kept.data, "a", 7)
    assert not reloaded.load("u1:a", kept.data, "a", 7)  # already indexed
    assert reloaded.best_match(query) == live.best_match(query)
    assert len(reloaded) == 1


def test_equal_similarities_go_to_the_smallest_key() -> None:
    """Several kept articles sharing every band: the most similar wins, ties by key."""
    index = NearIndex(0.8)
    sketch = index.sketch(body(4))
    assert sketch is not None
    for key in ("u1:c", "u1:a", "u1:b"):
        assert index.add(key, sketch, key, 0)
    assert not index.add("u1:a", sketch, "again", 0)
    match = index.best_match(sketch)
    assert match is not None
    assert (match.key, match.similarity, match.source) == ("u1:a", 1.0, "u1:a")


@pytest.mark.parametrize("threshold", [0.05, 0.3, 0.5, 0.8, 0.9, 0.95, 1.0])
def test_lsh_bands_make_a_pair_at_the_threshold_a_candidate(threshold: float) -> None:
    """The layout uses at most NUM_PERM values and finds a pair at the threshold with
    probability >= 0.99, with as many rows per band as allows (one more row would not)."""
    bands, rows = _lsh_bands(threshold, NUM_PERM)
    assert bands * rows <= NUM_PERM
    assert 1 - (1 - threshold**rows) ** bands >= 0.99
    if rows < NUM_PERM:
        more = rows + 1
        assert 1 - (1 - threshold**more) ** (NUM_PERM // more) < 0.99
    index = NearIndex(threshold)
    assert (index.bands, index.rows) == (bands, rows)


def test_the_default_layout_at_0_8() -> None:
    """At 0.8: 256 values in 32 bands of 8 rows."""
    assert _lsh_bands(0.8, 256) == (32, 8)


@pytest.mark.parametrize(
    ("threshold", "num_perm", "message"),
    [(0.0, 256, "near_threshold"), (1.5, 256, "near_threshold"), (0.8, 0, "num_perm")],
)
def test_bad_parameters_are_refused(threshold: float, num_perm: int, message: str) -> None:
    """A threshold outside (0, 1] or no values per signature is a ValueError."""
    with pytest.raises(ValueError, match=message):
        NearIndex(threshold, num_perm=num_perm)


def test_the_version_names_the_algorithm_and_its_parameters() -> None:
    """Signatures are stored under a version naming rensa's algorithm and every parameter."""
    version = NearIndex(0.8).version
    assert version == f"m2:rensa-r{rensa.RMinHash.ALGORITHM_VERSION}:perm256:words4:seed1"
    assert NearIndex(0.5).version == version  # the threshold and LSH do not change signatures
    assert NearIndex(0.8, num_perm=128).version != version


def test_a_store_with_datasketch_signatures_still_works(tmp_path: Path) -> None:
    """A state file holding signatures of the datasketch release (m1) opens and runs: those
    are kept and counted but never compared, and new signatures are stored beside them."""
    path = tmp_path / "state.db"
    old_version = "m1:perm128:words4:seed1:affine32"
    with SQLiteStore(path) as store:
        store.add_signatures([NearSignature("u1:old", old_version, b"\x01" * 512, "old", 1)])
        store.commit()
    original = body(1)
    with Deduplicator(keys=("url",), store=SQLiteStore(path), near_threshold=0.8) as dedup:
        assert dedup.check(article("a", original)) is None
        dedup.flush()
    assert state_info(path)["near_signatures"] == {old_version: 1, NearIndex(0.8).version: 1}
    with Deduplicator(keys=("url",), store=SQLiteStore(path), near_threshold=0.8) as dedup:
        duplicate = dedup.check(article("b", edit(original, 1)))
    assert duplicate is not None and duplicate.kept_key == "u1:a"


def shingles_by_segment(segments: list[str]) -> tuple[list[str], int]:
    """The rule, one segment at a time: normalize_text, then shingles of its words."""
    found: list[str] = []
    total = 0
    for segment in segments:
        words = normalize_text(segment).split(" ")
        if words == [""]:
            continue
        total += len(words)
        if len(words) <= SHINGLE_WORDS:
            found.append(" ".join(words))
        else:
            starts = range(len(words) - SHINGLE_WORDS + 1)
            found += [" ".join(words[i : i + SHINGLE_WORDS]) for i in starts]
    return found, total


SEGMENT_TEXT = st.text(alphabet="aAbB zZ.,;:!?\t\r\x0b\x0c\x00\x1c\x1f\x7f\n", max_size=60)


@given(st.lists(st.one_of(SEGMENT_TEXT, st.text(max_size=20)), max_size=8))
def test_the_one_pass_normalisation_equals_normalize_text_per_segment(
    segments: list[str],
) -> None:
    """However spaced, cased, punctuated or broken a body is, the shingles (and word
    count) are those of normalize_text applied to each segment on its own."""
    assert _shingle_texts(segments) == shingles_by_segment(segments)
    assert _shingle_texts(iter(segments)) == shingles_by_segment(segments)
