"""Near-duplicate detection: MinHash signatures with LSH over word shingles (opt-in).

Exact keys miss a story re-published with one paragraph edited. With a threshold
(``Deduplicator(near_threshold=0.8)``, CLI ``--near 0.8``) each kept article's body is
reduced to a MinHash signature of its word shingles, and a new article whose estimated
Jaccard similarity to a kept one reaches the threshold is reported as a duplicate with
that similarity: the share of the :data:`NUM_PERM` signature values the two have in
common.

* Shingles are :data:`SHINGLE_WORDS` consecutive words *within one normalised segment*:
  segment order is meaningless in our sources, so no shingle spans two segments.
* Bodies under :data:`MIN_WORDS` words are never near-deduplicated (neither matched nor
  indexed): short texts share too many shingles by chance.
* Signatures are rensa's R-MinHash (compiled, a fixed seed, a hash of each shingle's
  UTF-8 text that does not depend on the process), so every run and every process makes
  the same signature. Candidates come from LSH over bands of the signature
  (:attr:`NearIndex.bands` bands of :attr:`NearIndex.rows` values), chosen so that a
  pair exactly at the threshold shares a band with probability of at least 0.99; each
  candidate is then confirmed by its estimated similarity, the highest wins and ties
  go to the smallest key.
* Signatures persist in the seen-store (32-bit little-endian values) under
  :attr:`NearIndex.version`, which names the algorithm and every parameter, so
  signatures made differently are never compared: those an earlier release made with
  datasketch (version ``m1:…``) stay in the store, counted by ``state_info()``, but
  are not matched.

``rensa`` (extra ``newsingest[near]``) is imported only when a :class:`NearIndex` is
built.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from operator import eq
from typing import Any, Final, NamedTuple

from newsingest.exceptions import MissingExtraError
from newsingest.normalize.text import _ASCII_CONTROLS, normalize_text

__all__ = [
    "MIN_WORDS",
    "NEAR_VERSION",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "NearIndex",
    "NearMatch",
    "Sketch",
    "shingles",
]

#: Algorithm version of near-duplicate signatures.
NEAR_VERSION: Final = "m2"
#: Bodies with fewer words than this are never near-deduplicated.
MIN_WORDS: Final = 50
#: Words per shingle.
SHINGLE_WORDS: Final = 4
#: MinHash values per signature (the estimate's standard error is at most 0.03).
NUM_PERM: Final = 256
_SEED: Final = 1
#: A pair exactly at the threshold shares at least one LSH band this often.
_BAND_RECALL: Final = 0.99


def _import_rensa() -> Any:
    try:
        import rensa  # noqa: PLC0415 - compiled and optional: imported on first use
    except ImportError as error:
        raise MissingExtraError.for_extra("near-duplicate detection", "near", "rensa") from error
    return rensa


# The ASCII path of normalize_text for a whole body at once (segments joined by "\n"):
# one translate deletes the controls it deletes and maps A-Z to a-z and the other ASCII
# whitespace to a space, so the words of each line are those of normalize_text(segment)
# (\x1c-\x1f, which str.split() takes for whitespace, are among the controls deleted),
# unless a space comes before one of ". , ; : ! ?" and normalize_text would close it up:
# a second translate marks those six, one search finds whether that happens, and such a
# body takes the per-segment path.
_ASCII_TABLE: Final = bytes(
    code + 32 if ord("A") <= code <= ord("Z") else 32 if code in b"\t\x0b\x0c\r" else code
    for code in range(256)
)
_ASCII_DELETE: Final = bytes(_ASCII_CONTROLS)
_MARK_PROBE: Final = bytes(1 if code in b".,;:!?" else code for code in range(256))
# The words from i on, for i in 0 .. SHINGLE_WORDS-1 (zipped, the words of each shingle).
_TAILS: Final = tuple(slice(start, None) for start in range(SHINGLE_WORDS))


def _segment_words(body: Iterable[str]) -> Iterable[list[str]]:
    """The words of normalize_text(segment) for every segment (``[]`` for an empty one)."""
    segments = body if isinstance(body, (list, tuple)) else list(body)
    joined = "\n".join(segments)
    # A segment holding a line break itself takes the per-segment path (it is one segment).
    if joined.isascii() and joined.count("\n") == len(segments) - 1:
        text = joined.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE)
        if b" \x01" not in text.translate(_MARK_PROBE):
            return list(map(str.split, text.decode("ascii").split("\n")))
    return [
        normalised.split(" ") if normalised else [] for normalised in map(normalize_text, segments)
    ]


def _shingle_texts(body: Iterable[str]) -> tuple[list[str], int]:
    """The shingles of a body as text (repeats possible), and its word count."""
    found: list[str] = []
    words_total = 0
    for words in _segment_words(body):
        if not words:
            continue
        words_total += len(words)
        if len(words) <= SHINGLE_WORDS:
            found.append(" ".join(words))
        else:
            # Word i of every shingle: the words from i on (zip stops at the shortest).
            found += map(" ".join, zip(*map(words.__getitem__, _TAILS), strict=False))
    return found, words_total


def shingles(body: Iterable[str]) -> tuple[set[bytes], int]:
    """Return the word shingles of a body and its word count (after normalisation)."""
    found, words_total = _shingle_texts(body)
    return {text.encode("utf-8") for text in found}, words_total


def _lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """The LSH layout ``(bands, rows)`` for a threshold: the most rows per band that
    still make a pair whose similarity is the threshold share a band with probability
    of at least 0.99 (more rows, fewer chance candidates)."""
    rows = num_perm
    while rows > 1:
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= _BAND_RECALL:
            break
        rows -= 1
    return num_perm // rows, rows


class Sketch(NamedTuple):
    """A body's MinHash: the rensa ``RMinHash`` and its persistable bytes."""

    minhash: Any
    data: bytes


class NearMatch(NamedTuple):
    """The kept article a body is closest to, at or above the threshold."""

    key: str
    similarity: float
    source: str
    first_seen: int


class NearIndex:
    """An in-process LSH index of the signatures of kept articles.

    Args:
        threshold: the estimated Jaccard similarity (0 < t ≤ 1) from which a body is a
            near-duplicate.
        num_perm: values per signature.

    Raises:
        MissingExtraError: ``rensa`` is not installed (``pip install 'newsingest[near]'``).
        ValueError: the threshold or ``num_perm`` is out of range.
    """

    def __init__(self, threshold: float, *, num_perm: int = NUM_PERM) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"near_threshold must be in (0, 1], got {threshold!r}")
        if num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, got {num_perm!r}")
        rensa = _import_rensa()
        self.threshold = threshold
        self.num_perm = num_perm
        self._minhash_type: Any = rensa.RMinHash
        self._pack = struct.Struct(f"<{num_perm}I").pack
        self.bands, self.rows = _lsh_bands(threshold, num_perm)
        # One table per band: a band's bytes -> the key holding it (a list when several).
        self._tables: list[dict[bytes, str | list[str]]] = [{} for _ in range(self.bands)]
        self._entries: dict[str, tuple[bytes, str, int]] = {}
        self.version = (
            f"{NEAR_VERSION}:rensa-r{rensa.RMinHash.ALGORITHM_VERSION}:perm{num_perm}"
            f":words{SHINGLE_WORDS}:seed{_SEED}"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def _band_keys(self, data: bytes) -> list[bytes]:
        width = 4 * self.rows
        return [data[start : start + width] for start in range(0, width * self.bands, width)]

    def sketch(self, body: Sequence[str]) -> Sketch | None:
        """Return the signature of a body, or ``None`` when it is under :data:`MIN_WORDS`."""
        found, words = _shingle_texts(body)
        if words < MIN_WORDS:
            return None
        minhash = self._minhash_type(self.num_perm, _SEED)
        minhash.update(found)  # a set's MinHash: order and repeats cannot matter
        return Sketch(minhash, self._pack(*minhash.digest()))

    def similarity(self, one: bytes, other: bytes) -> float:
        """The estimated Jaccard similarity of two signatures' bytes."""
        same = list(map(eq, memoryview(one).cast("I"), memoryview(other).cast("I")))
        return same.count(True) / self.num_perm

    def best_match(self, sketch: Sketch) -> NearMatch | None:
        """Return the most similar indexed article at or above the threshold, if any.

        Candidates come from LSH; each is confirmed by its estimated similarity, the
        highest wins, and equal similarities go to the smallest key.
        """
        candidates: set[str] = set()
        for table, band in zip(self._tables, self._band_keys(sketch.data), strict=True):
            holder = table.get(band)
            if holder is None:
                continue
            if isinstance(holder, str):
                candidates.add(holder)
            else:
                candidates.update(holder)
        best: NearMatch | None = None
        for key in candidates:
            data, source, first_seen = self._entries[key]
            similarity = self.similarity(sketch.data, data)
            if similarity < self.threshold:
                continue
            if best is None or (-similarity, key) < (-best.similarity, best.key):
                best = NearMatch(key, similarity, source, first_seen)
        return best

    def add(self, key: str, sketch: Sketch, source: str, first_seen: int) -> bool:
        """Index a kept article's signature; return ``False`` if ``key`` is already indexed."""
        return self._index(key, sketch.data, source, first_seen)

    def load(self, key: str, data: bytes, source: str, first_seen: int) -> bool:
        """Index a signature read back from a store (bytes made by :meth:`sketch`)."""
        if len(data) != 4 * self.num_perm:
            raise ValueError(
                f"near signature of {key!r} has {len(data)} bytes, expected "
                f"{4 * self.num_perm} ({self.num_perm} 32-bit values)"
            )
        return self._index(key, bytes(data), source, first_seen)

    def _index(self, key: str, data: bytes, source: str, first_seen: int) -> bool:
        if key in self._entries:
            return False
        self._entries[key] = (data, source, first_seen)
        for table, band in zip(self._tables, self._band_keys(data), strict=True):
            holder = table.get(band)
            if holder is None:
                table[band] = key
            elif isinstance(holder, str):
                table[band] = [holder, key]
            else:
                holder.append(key)
        return True
