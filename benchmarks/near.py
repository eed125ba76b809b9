"""Benchmark near-duplicates: ``ingest(near=0.8)`` on rensa against the datasketch code it replaced.

One corpus, made in memory: distinct generated articles (about 500 words each), among
them the originals of planted pairs whose copy, later in the stream, has had words
replaced until the exact Jaccard similarity of the two bodies' shingle sets (as
:func:`newsingest.dedup.near.shingles` makes them) lands at a target drawn uniformly in
its band: 0.30-0.50 ... 0.90-1.00. Then, in interleaved rounds:

* ``ingest(near=None)``: the same run without near-duplicates (the floor);
* ``ingest(near=0.8)`` with today's :class:`~newsingest.dedup.near.NearIndex` (rensa);
* ``ingest(near=0.8)`` with :class:`DatasketchNearIndex` below: the datasketch-based
  index this project shipped before (MinHash of 128 permutations, datasketch's LSH),
  kept here as the comparator and put in place of ``NearIndex`` for its runs only.

It prints each run's cost per document and the speed ratio of the two near runs, then,
for both indexes, the share of planted pairs reported as near-duplicates by band (the
recall for bands at or above the threshold), the false positives (any near report whose
true similarity is below 0.6, planted or not), and how the reported (estimated)
similarity strays from the true one. Acceptance (#22): rensa at least 2.5x faster,
recall at least 0.75 on 0.80-0.85, no false positive below 0.6.

With ``--candidates`` it also compares the MinHash packages themselves on the planted
pairs (sketch time per body, recall by band at the threshold): datasketch, rensa's
R-MinHash and C-MinHash, and gaoya, each when it is installed. (minhashlib is not among
them: it makes its own character shingles of a whole string, so it cannot sign ours.)

    python benchmarks/near.py               # 4,000 documents, 250 pairs per band
    python benchmarks/near.py --ci          # 600 documents, 40 pairs per band
    python benchmarks/near.py --candidates  # and the package comparison
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from _rounds import interleaved, rounds_arg  # benchmarks/ is on sys.path as a script
from _text import WORDS

from newsingest import ingest
from newsingest.dedup import near as near_module
from newsingest.dedup.near import MIN_WORDS, SHINGLE_WORDS, NearIndex, NearMatch, shingles

THRESHOLD = 0.8
BANDS = ((0.30, 0.50), (0.50, 0.60), (0.60, 0.70), (0.70, 0.80), (0.80, 0.85), (0.85, 0.90))
BANDS = (*BANDS, (0.90, 1.00))
FALSE_BELOW = 0.6
DOC_URL = re.compile(r"/doc/(\d+)")


class DatasketchNearIndex:
    """The near-duplicate index as it was before rensa: datasketch MinHash + MinHashLSH.

    The same interface as :class:`NearIndex` (sketch, best_match, add, load), the same
    shingles, 128 permutations, seed 1, candidates confirmed by their estimate.
    """

    def __init__(self, threshold: float, *, num_perm: int = 128) -> None:
        import datasketch
        import numpy

        self.threshold = threshold
        self.num_perm = num_perm
        self._np = numpy
        self._minhash_type = datasketch.MinHash
        template = datasketch.MinHash(num_perm=num_perm, seed=1)
        self._scheme: str | None = getattr(template, "scheme", None)
        self._permutations = template.permutations
        self._dtype = template.hashvalues.dtype
        self._lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._entries: dict[str, tuple[Any, str, int]] = {}
        self.version = f"m1:perm{num_perm}:words{SHINGLE_WORDS}:seed1:{self._scheme or 'legacy'}"

    def __len__(self) -> int:
        return len(self._entries)

    def _minhash(self, hashvalues: Any = None) -> Any:
        options: dict[str, Any] = {"num_perm": self.num_perm, "seed": 1}
        options["permutations"] = self._permutations
        if hashvalues is not None:
            options["hashvalues"] = hashvalues
        if self._scheme is not None:
            options["scheme"] = self._scheme
        return self._minhash_type(**options)

    def sketch(self, body: Sequence[str]) -> near_module.Sketch | None:
        found, words = shingles(body)
        if words < MIN_WORDS:
            return None
        minhash = self._minhash()
        minhash.update_batch(list(found))
        return near_module.Sketch(minhash, minhash.hashvalues.tobytes())

    def best_match(self, sketch: near_module.Sketch) -> NearMatch | None:
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

    def add(self, key: str, sketch: near_module.Sketch, source: str, first_seen: int) -> bool:
        if key in self._entries:
            return False
        self._lsh.insert(key, sketch.minhash)
        self._entries[key] = (sketch.minhash.hashvalues, source, first_seen)
        return True

    def load(self, key: str, data: bytes, source: str, first_seen: int) -> bool:
        values = self._np.frombuffer(data, dtype=self._dtype)
        sketch = near_module.Sketch(self._minhash(values.copy()), data)
        return self.add(key, sketch, source, first_seen)


@contextmanager
def index_class(cls: Any) -> Iterator[None]:
    """Put ``cls`` in place of ``newsingest.dedup.near.NearIndex`` while the block runs."""
    saved = near_module.NearIndex
    near_module.NearIndex = cls
    try:
        yield
    finally:
        near_module.NearIndex = saved


# -- the corpus -------------------------------------------------------------------------


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def body_of(rng: random.Random) -> list[str]:
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 2))) for _ in range(24)]


def jaccard(one: Sequence[str], other: Sequence[str]) -> float:
    a, b = shingles(one)[0], shingles(other)[0]
    return len(a & b) / len(a | b)


def replaced(body: list[str], places: list[tuple[int, int]], fresh: list[str]) -> list[str]:
    """``body`` with the word at each of ``places`` replaced by the matching ``fresh`` one,
    its paragraphs in another order (order is meaningless: it must not matter)."""
    paragraphs = [text.split(" ") for text in body]
    for (p, w), word in zip(places, fresh, strict=False):
        paragraphs[p][w] = word
    out = [" ".join(words) for words in paragraphs]
    random.Random(len(places)).shuffle(out)
    return out


def edited(rng: random.Random, body: list[str], low: float, high: float) -> tuple[list[str], float]:
    """A copy of ``body`` with words replaced until its similarity is in [low, high)."""
    places = [(p, w) for p, text in enumerate(body) for w in range(len(text.split(" ")))]
    for _ in range(50):
        target = rng.uniform(low, high)
        rng.shuffle(places)
        fresh = [f"{rng.choice(WORDS)}{rng.randint(10, 99)}" for _ in places]
        lo, hi = 0, len(places)  # similarity falls as more words are replaced
        while lo < hi:
            mid = (lo + hi) // 2
            if jaccard(body, replaced(body, places[:mid], fresh)) > target:
                lo = mid + 1
            else:
                hi = mid
        for count in (lo, max(lo - 1, 0)):
            copy = replaced(body, places[:count], fresh)
            similarity = jaccard(body, copy)
            if low <= similarity < high or (high == 1.0 and similarity == 1.0):
                return copy, similarity
    raise RuntimeError(f"could not plant a pair in [{low}, {high})")


class Corpus(NamedTuple):
    documents: list[bytes]
    bodies: dict[int, list[str]]  # document number -> body
    pairs: dict[int, tuple[int, float, int]]  # copy's number -> (original's, similarity, band)


def make_corpus(distinct: int, per_band: int, seed: int = 11) -> Corpus:
    rng = random.Random(seed)
    bodies = {number: body_of(rng) for number in range(distinct)}
    originals = rng.sample(range(distinct), len(BANDS) * per_band)
    pairs: dict[int, tuple[int, float, int]] = {}
    number = distinct
    for band, (low, high) in enumerate(BANDS):
        for original in originals[band * per_band : (band + 1) * per_band]:
            body, similarity = edited(rng, bodies[original], low, high)
            bodies[number] = body
            pairs[number] = (original, similarity, band)
            number += 1
    # Copies come after their originals: originals in the first part, copies spread
    # through the rest among the other distinct documents.
    order = sorted(originals)
    rest = [n for n in range(distinct) if n not in set(originals)] + list(pairs)
    rng.shuffle(rest)
    documents = []
    for n in order + rest:
        title = f"Report {n}"
        text = "\n".join([title, "20240301", f"https://news.example/doc/{n}", *bodies[n]])
        documents.append((text + "\n").encode("utf-8"))
    return Corpus(documents, bodies, pairs)


# -- the runs ---------------------------------------------------------------------------


class Found(NamedTuple):
    copy: int
    kept: int
    similarity: float


def run(corpus: Corpus, near: float | None) -> list[Found]:
    """ingest() the corpus as JSON lines; return the near-duplicates it reported."""
    found: list[Found] = []

    def note(duplicate: Any) -> None:
        if duplicate.key_type == "near":
            copy = DOC_URL.search(duplicate.url)
            kept = DOC_URL.search(duplicate.kept_key)
            assert copy is not None and kept is not None, duplicate
            found.append(Found(int(copy[1]), int(kept[1]), duplicate.similarity))

    lines = sum(1 for _ in ingest(corpus.documents, near=near, on_duplicate=note).json_lines())
    assert lines + len(found) == len(corpus.documents), (lines, len(found))
    return found


def with_index(cls: Any, corpus: Corpus) -> Callable[[], list[Found]]:
    def measure() -> list[Found]:
        with index_class(cls):
            return run(corpus, THRESHOLD)

    return measure


def quality(corpus: Corpus, found: list[Found]) -> dict[str, Any]:
    """Reported share per band, false positives below 0.6, and estimate errors."""
    reported = {f.copy: f for f in found}
    per_band = [0] * len(BANDS)
    size = [0] * len(BANDS)
    for copy, (original, _similarity, band) in corpus.pairs.items():
        size[band] += 1
        hit = reported.get(copy)
        if hit is not None and hit.kept == original:
            per_band[band] += 1
    false = 0
    errors: list[float] = []
    for f in found:
        truth = jaccard(corpus.bodies[f.kept], corpus.bodies[f.copy])
        false += truth < FALSE_BELOW
        errors.append(f.similarity - truth)
    return {"band": per_band, "size": size, "false": false, "errors": errors}


def main_run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    corpus = make_corpus(args.docs, args.per_band)
    made = time.perf_counter() - started
    docs = len(corpus.documents)
    print(
        f"corpus: {docs} documents ({args.docs} distinct, {len(corpus.pairs)} planted copies, "
        f"{args.per_band} per band), made in {made:.1f} s; threshold {THRESHOLD}"
    )
    new = NearIndex(THRESHOLD)
    print(f"  rensa index: {new.num_perm} values, LSH {new.bands} bands x {new.rows} rows")
    measures: dict[str, Callable[[], list[Found]]] = {
        "ingest(near=None)": lambda: run(corpus, None),
        "ingest(near=0.8) datasketch": with_index(DatasketchNearIndex, corpus),
        "ingest(near=0.8) rensa": with_index(NearIndex, corpus),
    }
    run(corpus, None)  # warm: imports and caches ingest() makes once
    DatasketchNearIndex(THRESHOLD)  # and each index's imports (datasketch's take 0.5 s)
    runs = interleaved(measures, args.rounds)
    best = {name: min(seconds for seconds, _ in timed) for name, timed in runs.items()}
    print(f"speed: {args.rounds} interleaved rounds, best (median) per document")
    for name, timed in runs.items():
        median = statistics.median(seconds for seconds, _ in timed)
        print(
            f"  {name:<30} {best[name] / docs * 1e6:8.1f} us/doc "
            f"({median / docs * 1e6:.1f})  {best[name] / best['ingest(near=None)']:5.2f}x floor"
        )
    ratio = best["ingest(near=0.8) datasketch"] / best["ingest(near=0.8) rensa"]
    print(f"  ratio rensa / datasketch speed = {ratio:.2f}x  (acceptance >= 2.50)")
    results = {
        "datasketch": quality(corpus, runs["ingest(near=0.8) datasketch"][0][1]),
        "rensa": quality(corpus, runs["ingest(near=0.8) rensa"][0][1]),
    }
    for name, timed in runs.items():  # every round reports the same duplicates
        assert all(result == timed[0][1] for _, result in timed), name
    print("recall: planted pairs reported as near-duplicates of their original, by true Jaccard")
    print(f"  {'band':<11} {'pairs':>5} {'datasketch':>11} {'rensa':>11}")
    for band, (low, high) in enumerate(BANDS):
        size = results["rensa"]["size"][band]
        cells = [f"{results[name]['band'][band] / size:11.3f}" for name in results]
        print(f"  {low:.2f}-{high:.2f}   {size:>5} {' '.join(cells)}")
    for name, result in results.items():
        errors = result["errors"]
        spread = (
            f"estimate - true: mean {statistics.fmean(errors):+.4f}, "
            f"max |.| {max(abs(e) for e in errors):.4f}"
            if errors
            else "no reports"
        )
        print(f"  {name:<11} false positives below {FALSE_BELOW}: {result['false']}; {spread}")
    band = BANDS.index((0.80, 0.85))
    recall = results["rensa"]["band"][band] / results["rensa"]["size"][band]
    met = ratio >= 2.5 and recall >= 0.75 and results["rensa"]["false"] == 0
    print(
        f"acceptance: speed {ratio:.2f}x >= 2.5, recall 0.80-0.85 {recall:.3f} >= 0.75, "
        f"false positives {results['rensa']['false']} == 0: {'met' if met else 'NOT met'}"
    )
    return 0


# -- the packages themselves ------------------------------------------------------------

Backend = Callable[[dict[int, list[str]], list[tuple[int, int]]], tuple[float, list[float]]]


def sketches(make: Callable[[list[str]], Any]) -> Backend:
    """A MinHash package measured by sketching every body, then each pair's estimate."""

    def measure(texts: dict[int, list[str]], pairs: list[tuple[int, int]]) -> Any:
        make(next(iter(texts.values())))  # warm: the import and any set-up
        start = time.perf_counter()
        made = {n: make(tokens) for n, tokens in texts.items()}
        seconds = (time.perf_counter() - start) / len(texts)
        return seconds, [made[original].jaccard(made[copy]) for copy, original in pairs]

    return measure


def datasketch_sketch(tokens: list[str]) -> Any:
    import datasketch

    minhash = datasketch.MinHash(num_perm=128, seed=1)
    minhash.update_batch([token.encode("utf-8") for token in tokens])
    return minhash


def rensa_sketch(kind: str, size: int) -> Callable[[list[str]], Any]:
    def make(tokens: list[str]) -> Any:
        import rensa

        minhash = getattr(rensa, kind)(size, 1)
        minhash.update(tokens)
        return minhash

    return make


def gaoya_index(texts: dict[int, list[str]], pairs: list[tuple[int, int]]) -> Any:
    """gaoya keeps signatures inside its index (none can be read back from bytes):
    originals are inserted, copies queried, both timed."""
    import gaoya

    index = gaoya.minhash.MinHashStringIndex(
        hash_size=32, jaccard_threshold=THRESHOLD, num_bands=32, band_size=8, analyzer=list
    )
    originals = {original for _, original in pairs}
    start = time.perf_counter()
    for n in originals:
        index.insert_document(n, texts[n])
    found = [dict(index.query(texts[copy], return_similarity=True)) for copy, _ in pairs]
    seconds = (time.perf_counter() - start) / (len(originals) + len(pairs))
    estimates = [hits.get(original, 0.0) for hits, (_, original) in zip(found, pairs, strict=True)]
    return seconds, estimates


BACKENDS: dict[str, Backend] = {
    "datasketch MinHash 128": sketches(datasketch_sketch),
    "rensa RMinHash 128": sketches(rensa_sketch("RMinHash", 128)),
    "rensa RMinHash 256": sketches(rensa_sketch("RMinHash", 256)),
    "rensa CMinHash 128": sketches(rensa_sketch("CMinHash", 128)),
    "gaoya 256 (index, 32x8)": gaoya_index,
}


def candidates(corpus: Corpus) -> None:
    """Time per body and share of planted pairs estimated at >= 0.8, per package."""
    pairs = [(copy, original) for copy, (original, _, _) in corpus.pairs.items()]
    bands = [band for _, _, band in corpus.pairs.values()]
    texts = {n: [t.decode("utf-8") for t in shingles(body)[0]] for n, body in corpus.bodies.items()}
    print(f"packages: the planted pairs, estimate >= {THRESHOLD} by band (shingles given)")
    header = " ".join(f"{low:.2f}-{high:.2f}" for low, high in BANDS)
    print(f"  {'package':<24} {'us/body':>8}  {header}")
    for name, measure in BACKENDS.items():
        try:
            seconds, estimates = measure(texts, pairs)
        except ImportError as error:
            print(f"  {name:<24} not installed ({error})")
            continue
        hits = [0] * len(BANDS)
        size = [0] * len(BANDS)
        for band, estimate in zip(bands, estimates, strict=True):
            size[band] += 1
            hits[band] += estimate >= THRESHOLD
        cells = " ".join(f"{hits[b] / size[b]:9.3f}" for b in range(len(BANDS)))
        print(f"  {name:<24} {seconds * 1e6:8.1f}  {cells}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=4_000, help="distinct documents")
    parser.add_argument("--per-band", type=int, default=250, help="planted pairs per band")
    parser.add_argument("--rounds", type=rounds_arg, default=3, help="interleaved rounds")
    parser.add_argument("--candidates", action="store_true", help="compare the packages too")
    parser.add_argument("--ci", action="store_true", help="small size for CI")
    args = parser.parse_args(argv)
    if args.ci:
        args.docs, args.per_band, args.rounds = 600, 40, 1
    status = main_run(args)
    if args.candidates:
        candidates(make_corpus(args.docs, args.per_band))
    return status


if __name__ == "__main__":
    sys.exit(main())
