"""Near-duplicate detection: MinHash signatures with LSH over word shingles (opt-in).

Exact keys miss a story re-published with one paragraph edited. With a threshold
(``Deduplicator(near_threshold=0.8)``, CLI ``--near 0.8``) each kept article's body is
reduced to a MinHash signature of its word shingles, and a new article whose estimated
Jaccard similarity to a kept one reaches the threshold is reported as a duplicate with
that similarity.

* Shingles are :data:`SHINGLE_WORDS` consecutive words *within one normalised segment*:
  segment order is meaningless in our sources, so no shingle spans two segments.
* Bodies under :data:`MIN_WORDS` words are never near-deduplicated (neither matched nor
  indexed): short texts share too many shingles by chance.
* Everything is deterministic: fixed seed, SHA-1 based shingle hashing, ties broken by key.
* Signatures persist in the seen-store under :attr:`NearIndex.version`, which names the
  algorithm and every parameter, so signatures made differently are never compared.

``datasketch`` (extra ``newsingest[near]``) is imported only when a :class:`NearIndex`
is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from newsingest.exceptions import MissingExtraError
from newsingest.normalize.text import normalize_text

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
NEAR_VERSION: Final = "m1"
#: Bodies with fewer words than this are never near-deduplicated.
MIN_WORDS: Final = 50
#: Words per shingle.
SHINGLE_WORDS: Final = 4
#: MinHash permutations per signature (the estimate's standard error is about 0.04).
NUM_PERM: Final = 128
_SEED: Final = 1


def _import_datasketch() -> Any:
    try:
        import datasketch  # noqa: PLC0415 - heavy and optional: imported on first use
    except ImportError as error:
        raise MissingExtraError.for_extra(
            "near-duplicate detection", "near", "datasketch"
        ) from error
    return datasketch


def shingles(body: Iterable[str]) -> tuple[set[bytes], int]:
    """Return the word shingles of a body and its word count (after normalisation)."""
    found: set[bytes] = set()
    words_total = 0
    for segment in body:
        normalised = normalize_text(segment)
        if not normalised:
            continue
        words = normalised.split(" ")
        words_total += len(words)
        if len(words) <= SHINGLE_WORDS:
            found.add(normalised.encode("utf-8"))
            continue
        for start in range(len(words) - SHINGLE_WORDS + 1):
            found.add(" ".join(words[start : start + SHINGLE_WORDS]).encode("utf-8"))
    return found, words_total


class Sketch(NamedTuple):
    """A body's MinHash: the datasketch object and its persistable bytes."""

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
        num_perm: permutations per signature.

    Raises:
        MissingExtraError: ``datasketch`` is not installed (``pip install 'newsingest[near]'``).
        ValueError: the threshold is out of range.
    """

    def __init__(self, threshold: float, *, num_perm: int = NUM_PERM) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"near_threshold must be in (0, 1], got {threshold!r}")
        datasketch = _import_datasketch()
        import numpy  # noqa: PLC0415 - a dependency of datasketch, needed only here

        self.threshold = threshold
        self.num_perm = num_perm
        self._np: Any = numpy
        self._minhash_type: Any = datasketch.MinHash
        template = datasketch.MinHash(num_perm=num_perm, seed=_SEED)
        # datasketch >= 2 names its permutation scheme; older releases only had "legacy".
        self._scheme: str | None = getattr(template, "scheme", None)
        self._permutations = template.permutations
        self._dtype = template.hashvalues.dtype
        self._lsh: Any = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._entries: dict[str, tuple[Any, str, int]] = {}
        self.version = (
            f"{NEAR_VERSION}:perm{num_perm}:words{SHINGLE_WORDS}:seed{_SEED}"
            f":{self._scheme or 'legacy'}"
        )

    def __len__(self) -> int:
        return len(self._entries)

    def _minhash(self, hashvalues: Any = None) -> Any:
        options: dict[str, Any] = {"num_perm": self.num_perm, "seed": _SEED}
        options["permutations"] = self._permutations
        if hashvalues is not None:
            options["hashvalues"] = hashvalues
        if self._scheme is not None:
            options["scheme"] = self._scheme
        return self._minhash_type(**options)

    def sketch(self, body: Sequence[str]) -> Sketch | None:
        """Return the signature of a body, or ``None`` when it is under :data:`MIN_WORDS`."""
        found, words = shingles(body)
        if words < MIN_WORDS:
            return None
        minhash = self._minhash()
        minhash.update_batch(list(found))  # MinHash is a minimum: order cannot matter
        return Sketch(minhash, minhash.hashvalues.tobytes())

    def best_match(self, sketch: Sketch) -> NearMatch | None:
        """Return the most similar indexed article at or above the threshold, if any.

        Candidates come from LSH; each is confirmed by its estimated similarity, the
        highest wins, and equal similarities go to the smallest key.
        """
        best: NearMatch | None = None
        mine = sketch.minhash.hashvalues
        for key in self._lsh.query(sketch.minhash):
            values, source, first_seen = self._entries[key]
            similarity = float(self._np.count_nonzero(values == mine)) / self.num_perm
            if similarity < self.threshold:
                continue
            if best is None or (-similarity, key) < (-best.similarity, best.key):
                best = NearMatch(key, similarity, source, first_seen)
        return best

    def add(self, key: str, sketch: Sketch, source: str, first_seen: int) -> bool:
        """Index a kept article's signature; return ``False`` if ``key`` is already indexed."""
        if key in self._entries:
            return False
        self._lsh.insert(key, sketch.minhash)
        self._entries[key] = (sketch.minhash.hashvalues, source, first_seen)
        return True

    def load(self, key: str, data: bytes, source: str, first_seen: int) -> bool:
        """Index a signature read back from a store (bytes made by :meth:`sketch`)."""
        values = self._np.frombuffer(data, dtype=self._dtype)
        if len(values) != self.num_perm:
            raise ValueError(
                f"near signature of {key!r} has {len(values)} values, expected {self.num_perm}"
            )
        return self.add(key, Sketch(self._minhash(values.copy()), data), source, first_seen)
