"""newsingest.dask: bags of articles, a distributed dedupe equal to the batch run, JSONL out."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest

# Dask is untyped for mypy; importorskip hands the modules over as Any.
dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")

from newsingest import NewsIngestError, ParseError  # noqa: E402 - after the importorskip guards
from newsingest.dask import dedupe, read_bag, read_bags, to_jsonl  # noqa: E402
from newsingest.dedup import Deduplicator  # noqa: E402
from newsingest.dedup.keys import WITHHELD, content_key  # noqa: E402
from newsingest.ingest import ingest  # noqa: E402
from newsingest.model import Article, Provenance  # noqa: E402
from newsingest.pipeline.normalise import normalise_article  # noqa: E402
from newsingest.readers.textfile import dumps  # noqa: E402
from newsingest.testing import local_dask_cluster  # noqa: E402

DATE0 = datetime(2022, 3, 1, tzinfo=timezone.utc)
WORDS = (
    "council",
    "budget",
    "river",
    "bridge",
    "vote",
    "mayor",
    "school",
    "strike",
    "harbour",
    "rail",
    "storm",
    "court",
    "ruling",
    "hospital",
    "union",
    "wage",
    "market",
    "museum",
    "festival",
    "drought",
    "farmers",
    "election",
    "minister",
    "border",
    "police",
    "report",
    "energy",
    "prices",
    "housing",
    "climate",
)


def _seed(title: str, url: str, day: int, body: list[str]) -> Article:
    return Article(
        title=title,
        url=url,
        published=DATE0 + timedelta(days=day),
        published_precision="day",
        published_raw=(DATE0 + timedelta(days=day)).strftime("%Y%m%d"),
        body=tuple(body),
        source=Provenance(reader="test", location="<generated>"),
    )


def _paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 14))]
    return " ".join(words).capitalize() + f" ({rng.randrange(10**6)})."


def _write_corpus(root: Path, stories: int = 70, seed: int = 7) -> Path:
    """Write a seed-format corpus with duplicates spread across partitions.

    Per story: the original; sometimes a re-post of the same URL with tracking
    parameters and a revised body; sometimes a syndicated copy (other URL, same body
    shuffled and re-spaced) of either; sometimes a byte-identical copy; dates vary so
    the survivor is sometimes the copy. Plus a few rejected files and an empty body.
    """
    rng = random.Random(seed)
    articles: list[Article] = []
    for number in range(stories):
        title = f"Story {number}: {rng.choice(WORDS)} {rng.choice(WORDS)}"
        url = f"https://news{number % 5}.example/2022/story-{number}"
        body = [_paragraph(rng) for _ in range(rng.randint(2, 6))]
        original = _seed(title, url, rng.randint(0, 3), body)
        articles.append(original)
        revised = None
        if rng.random() < 0.6:
            revised_body = [*body[:-1], _paragraph(rng)]
            revised = _seed(
                title,
                f"{url}?utm_source=rss&utm_medium=feed",
                rng.randint(0, 4),
                revised_body,
            )
            articles.append(revised)
        if rng.random() < 0.6:
            base = revised if revised is not None and rng.random() < 0.7 else original
            shuffled = list(base.body)
            rng.shuffle(shuffled)
            shuffled = [segment.replace(" ", "  ", 1).upper() for segment in shuffled]
            articles.append(
                _seed(
                    f"{title} (syndicated)",
                    f"https://wire.example/{number}",
                    rng.randint(0, 4),
                    shuffled,
                )
            )
        if rng.random() < 0.15:
            articles.append(original)
    texts = [dumps(article) for article in articles]
    texts.append("No body here\n20220301\nhttps://news9.example/empty\n")
    texts += [
        "Bad date\n20220230\nhttps://news9.example/bad\nSome text.\n",
        "Bad url\n20220301\nftp://news9.example/x\nSome text.\n",
        "Bad date again\n2022-03-01\nhttps://news9.example/bad2\nText.\n",
    ]
    rng.shuffle(texts)
    corpus = root / "corpus"
    corpus.mkdir()
    for ordinal, text in enumerate(texts):
        name = f"{ordinal:03d}_{rng.getrandbits(64):016x}.txt"
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def _batch_reference(corpus: Path, keys: tuple[str, ...]) -> tuple[list[Article], int]:
    """The one-process answer: ingest() then Deduplicator.batch over everything."""
    articles = list(ingest(corpus, on_error="skip", dedup=False))
    kept, duplicates = Deduplicator(keys=keys).batch(articles)
    return kept, len(duplicates)


def _locations(records: list[dict[str, object]]) -> list[str]:
    return sorted(str(record["source"]["location"]) for record in records)  # type: ignore[index]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("dask"))


@pytest.fixture(scope="module")
def cluster_client() -> Iterator[object]:
    """A real two-process LocalCluster on 127.0.0.1, started and stopped by the tests."""
    with local_dask_cluster(workers=2) as client:
        yield client


@pytest.mark.slow
def test_cluster_dedupe_equals_the_one_process_batch(corpus: Path, cluster_client: object) -> None:
    """On a LocalCluster, read_bag + dedupe keeps exactly what Deduplicator.batch keeps."""
    keys = ("url", "content")
    bag = read_bag(corpus, files_per_partition=16, on_error="skip")
    assert bag.npartitions >= 10
    result = dedupe(bag, keys=keys)
    kept, duplicates = dask.compute(result.kept, result.duplicates)
    expected, expected_duplicates = _batch_reference(corpus, keys)

    assert expected_duplicates > 40  # the corpus really holds many duplicates
    assert _locations(kept) == sorted(article.source.location for article in expected)
    assert len(duplicates) == expected_duplicates
    by_location = {record["source"]["location"]: record for record in kept}
    for article in expected:
        # read_bag always sets content_key (None only for an empty body).
        with_key = article.evolve(content_key=content_key(article.body))
        assert Article.from_dict(by_location[article.source.location]) == with_key


@pytest.mark.slow
def test_cluster_dedupe_is_not_a_per_partition_dedupe(corpus: Path, cluster_client: object) -> None:
    """The corpus puts copies in different partitions: deduping partitions alone keeps more."""
    bag = read_bag(corpus, files_per_partition=16, on_error="skip")
    naive = bag.map_partitions(
        lambda records: [
            article.to_dict()
            for article in Deduplicator().batch([Article.from_dict(r) for r in records])[0]
        ]
    )
    naive_kept = naive.compute()
    kept = dedupe(bag).kept.compute()
    assert len(naive_kept) > len(kept)


@pytest.mark.slow
def test_cluster_read_bags_carries_rejects_and_warnings(
    corpus: Path, cluster_client: object
) -> None:
    """Rejected files come back as quarantine records, counted like ingest() counts them."""
    bags = read_bags(corpus, files_per_partition=16)
    articles, errors, warnings = dask.compute(bags.articles, bags.errors, bags.warnings)
    run = ingest(corpus, on_error="skip", dedup=False)
    assert len(articles) == len(list(run))
    assert sorted(error["reason"] for error in errors) == sorted(run.report.errors.elements())
    assert {error["reader"] for error in errors} == {"textfile"}
    assert all(Path(error["source"]).parent == corpus for error in errors)
    assert [warning["reason"] for warning in warnings] == ["empty_body"]


def _spread_records(seed: int = 11) -> tuple[list[Article], int]:
    """Articles whose duplicate clusters lie across partitions, with every batch subtlety.

    Returns the articles (normalised, in input order) and a partition size such that
    the members of each cluster fall in different partitions. Per story: an original
    in ``feed-N.xml`` item 0; a re-post of its URL in the same feed with a revised body
    (an update: same identity, same source, new text); a syndicated copy of the
    revised body (other URL, paragraphs shuffled: a chain to the original through the
    re-post); and two reads of one place (``<bytes>`` line 1, same URL and date, the
    same paragraphs in two orders) that only the body, the rule's last criterion, can
    order. Plus boilerplate: one body under two titles on one host. Dates vary, so
    the survivor is sometimes a copy.
    """
    rng = random.Random(seed)
    clusters: list[list[Article]] = []
    for number in range(12):
        url = f"https://news{number % 3}.example/2022/story-{number}"
        body = [_paragraph(rng) for _ in range(4)]
        feed = Provenance(reader="test", location=f"feed-{number}.xml", item=0)
        original = _seed(f"Story {number}", url, rng.randint(0, 3), body).evolve(source=feed)
        revised_body = [*body[:-1], _paragraph(rng)]
        revised = _seed(f"Story {number}", url, rng.randint(0, 3), revised_body).evolve(
            source=attrs.evolve(feed, item=1)
        )
        shuffled = revised_body[:]
        rng.shuffle(shuffled)
        wire = _seed(f"Story {number} (wire)", f"https://wire.example/{number}", 2, shuffled)
        place = Provenance(reader="test", location="<bytes>", line=1)
        twice = [_paragraph(rng) for _ in range(3)]
        first = _seed(f"Twice {number}", f"https://twice.example/{number}", 1, twice)
        second = first.evolve(body=tuple(reversed(twice)))
        clusters.append(
            [
                original,
                revised,
                wire.evolve(source=Provenance(reader="test", location=f"wire-{number}.txt")),
                first.evolve(source=place),
                second.evolve(source=place),
            ]
        )
    stub = [_paragraph(rng) for _ in range(3)]
    for number in range(4):  # one host's boilerplate under four headlines
        clusters.append(
            [
                _seed(f"Headline {number}", f"https://paywall.example/{number}", number, stub),
                _seed(f"Single {number}", f"https://single.example/{number}", 0, [_paragraph(rng)]),
            ]
        )
    width = max(map(len, clusters))
    ordered: list[Article] = []
    for member in range(width):  # member k of every cluster goes to partition k
        ordered += [cluster[member] for cluster in clusters if member < len(cluster)]
        ordered += [
            _seed(f"Filler {member}-{n}", f"https://filler.example/{member}/{n}", 0, ["X y z."])
            for n in range(len(clusters) - sum(member < len(c) for c in clusters))
        ]
    articles = [normalise_article(article) for article in ordered]
    return articles, len(clusters)


def _without_clock(record: dict[str, Any]) -> dict[str, Any]:
    """A record without the clock times dedup stamps (they differ between processes)."""
    out = {key: value for key, value in record.items() if key != "kept_first_seen"}
    if "update" in record.get("extra", {}):
        update = {k: v for k, v in record["extra"]["update"].items() if k != "first_seen"}
        out["extra"] = {**record["extra"], "update": update}
    return out


@pytest.mark.slow
def test_cluster_dedupe_equals_batch_with_duplicates_across_partitions(
    cluster_client: object,
) -> None:
    """Clusters spread over partitions (chains, updates, boilerplate, same-place ties):
    kept articles (with their extra), duplicates and also_seen equal the batch's."""
    articles, per_partition = _spread_records()
    keys = ("url", "content")
    bag = db.from_sequence(
        [article.to_dict() for article in articles], partition_size=per_partition
    )
    assert bag.npartitions == 5
    result = dedupe(bag, keys=keys, also_seen=True, npartitions=3)
    kept, duplicates = dask.compute(result.kept, result.duplicates)
    expected, expected_duplicates = Deduplicator(keys=keys).batch(articles, also_seen=True)

    assert [_without_clock(Article.from_dict(r).to_dict()) for r in kept] == [
        _without_clock(article.to_dict()) for article in expected
    ]  # in input order too
    assert sorted(map(_without_clock, duplicates), key=repr) == sorted(
        (_without_clock(duplicate.to_dict()) for duplicate in expected_duplicates), key=repr
    )
    extras = [article.extra for article in expected]
    assert any("update" in extra for extra in extras)  # the corpus holds each subtlety
    assert any("also_seen" in extra for extra in extras)
    assert any(WITHHELD in extra for extra in extras)
    twice = [article for article in expected if article.title.startswith("Twice")]
    assert len(twice) == 12
    assert all(article.body == min(article.body, article.body[::-1]) for article in twice)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_sync_same_place_reads_are_ordered_by_body_as_the_batch_orders_them(
    tmp_path: Path, order: tuple[int, int]
) -> None:
    """Two streams (both read as ``<bytes>`` line 1) with one story in two paragraph
    orders, in two partitions: the kept one is the batch's, whatever the input order."""
    body = ["Paragraph alpha of the story is here.", "Paragraph beta follows it now."]
    texts = [
        dumps(_seed("Same", "https://same.example/a", 0, lines)).encode()
        for lines in (body, body[::-1])
    ]
    sources = [texts[index] for index in order]
    with dask.config.set(scheduler="sync"):
        kept = dedupe(read_bag(sources, files_per_partition=1)).kept.compute()
    expected, _ = Deduplicator().batch(ingest(sources, dedup=False))
    assert [Article.from_dict(record) for record in kept] == expected
    assert len(kept) == 1
    assert list(expected[0].body) == min(body, body[::-1])


def test_match_keys_are_the_candidate_keys() -> None:
    """Clustering uses the keys the Deduplicator matches on, for every key type."""
    from newsingest.dask import _match_keys
    from newsingest.dedup import candidate_of

    feed = Provenance(
        reader="feed", location="f.xml", item=3, feed_url="https://f.example/rss", entry_id="g-1"
    )
    base = normalise_article(_seed("A title", "https://a.example/x", 0, ["Some body text here."]))
    records = [
        base.to_dict(),
        base.evolve(source=feed).to_dict(),
        base.evolve(content_key=None).to_dict(),  # the candidate computes it
        base.evolve(content_key=None, body=()).to_dict(),  # no body, no content key
        base.evolve(title="  ").to_dict(),  # no title key
    ]
    for keys in [
        ("url", "entry", "content", "title"),
        ("content",),
        ("title",),
        ("entry", "content"),
    ]:
        for record in records:
            wanted = [key for kind, key in candidate_of(record, keys).keys if kind in keys]
            assert sorted(_match_keys(record, keys)) == sorted(wanted)


def test_sync_walked_files_no_reader_claims_are_passed_over_named_ones_are_not(
    tmp_path: Path,
) -> None:
    """A folder's unreadable file is passed over; the same file named is an error."""
    (tmp_path / "a.txt").write_text(
        dumps(_seed("T", "https://x.example/a", 0, ["Body one."])), encoding="utf-8"
    )
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01\x02 not an article")
    with dask.config.set(scheduler="sync"):
        assert read_bag(tmp_path).count().compute() == 1
        mixed = [tmp_path / "a.txt", (tmp_path / "a.txt").read_bytes(), str(tmp_path)]
        assert read_bag(mixed, files_per_partition=10).count().compute() == 3
        with pytest.raises(NewsIngestError, match=r"notes\.bin"):
            read_bag([tmp_path / "notes.bin"]).compute()


def test_groups_travel_packed_and_come_back_as_they_were() -> None:
    """Runs of paths travel as one string; walked and named paths, bytes keep their kind."""
    from newsingest.dask import _pack, _unpack
    from newsingest.readers import WalkedPath

    sources: list[Any] = [
        WalkedPath("/a/1.txt"),
        WalkedPath("/a/2.txt"),
        "/named.txt",
        "https://x.example/feed",
        b"raw bytes",
        WalkedPath("/a/3.txt"),
    ]
    packed = _pack(sources)
    assert len(packed) == 4  # two walked, named + URL, bytes, one walked
    back = _unpack(packed)
    assert back == sources
    assert [type(item) for item in back] == [type(item) for item in sources]


def test_union_find_joins_long_chains() -> None:
    """Keys joined one by one into a chain end in one cluster, paths compressed."""
    from newsingest.dask import _find

    parent = {0: 0, **{key: key - 1 for key in range(1, 6)}}  # 5 -> 4 -> ... -> 0
    assert _find(parent, 5) == 0
    assert all(parent[key] == 0 for key in range(6))  # every step now points at the root
    assert _find(parent, 9) == 9  # an unseen key is its own cluster


def test_sync_an_empty_folder_is_an_empty_bag(tmp_path: Path) -> None:
    """No source file at all: an empty bag, and dedupe of it is empty too."""
    with dask.config.set(scheduler="sync"):
        bag = read_bag(tmp_path)
        assert bag.count().compute() == 0
        assert dedupe(bag).kept.compute() == []


def test_dedupe_split_every_is_deprecated(corpus: Path) -> None:
    """split_every no longer does anything, and says so."""
    bag = read_bag(corpus, on_error="skip")
    with pytest.warns(DeprecationWarning, match="split_every"):
        dedupe(bag, split_every=4)


@pytest.mark.parametrize(
    ("files_per_partition", "npartitions"), [(1, None), (7, 1), (7, 3), (500, None)]
)
def test_sync_dedupe_does_not_depend_on_partitioning(
    corpus: Path, files_per_partition: int, npartitions: int | None
) -> None:
    """However files are grouped and however many shuffle partitions, the batch set is kept."""
    bag = read_bag(corpus, files_per_partition=files_per_partition, on_error="skip")
    with dask.config.set(scheduler="sync"):
        kept = dedupe(bag, npartitions=npartitions).kept.compute()
    expected, _ = _batch_reference(corpus, ("url", "content"))
    assert _locations(kept) == sorted(article.source.location for article in expected)


def test_sync_dedupe_reads_each_partition_once(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Computing kept and duplicates together reads every group of files exactly once."""
    import newsingest.dask as newsingest_dask

    calls: list[int] = []
    read_group = newsingest_dask.ingest  # what every partition task reads its files with

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return read_group(*args, **kwargs)

    monkeypatch.setattr(newsingest_dask, "ingest", counting)
    bag = read_bag(corpus, files_per_partition=16, on_error="skip")
    result = dedupe(bag)
    with dask.config.set(scheduler="sync"):
        dask.compute(result.kept, result.duplicates)
    assert len(calls) == bag.npartitions


def _chain_dir(root: Path, days: tuple[int, int, int]) -> Path:
    """A -url- B -content- C, one file each: A and C share no key directly."""
    a_body = [" ".join(["Alpha paragraph one."] * 4), " ".join(["Alpha paragraph two."] * 4)]
    b_body = [" ".join(["Beta paragraph one is longer."] * 4), " ".join(["Beta two."] * 4)]
    folder = root / f"chain-{'-'.join(map(str, days))}"
    folder.mkdir()
    for name, article in {
        "a.txt": _seed("A", "https://site.example/a", days[0], a_body),
        "b.txt": _seed("B", "https://site.example/a?utm_source=x", days[1], b_body),
        "c.txt": _seed("C", "https://other.example/c", days[2], list(reversed(b_body))),
    }.items():
        (folder / name).write_text(dumps(article), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("days", "survivors"),
    [
        ((1, 2, 0), ["a.txt", "c.txt"]),  # C first keeps b's body; A's keys are unseen
        ((2, 0, 1), ["b.txt"]),  # B first: A by URL, C by content
        ((0, 1, 2), ["a.txt"]),  # A first: B by URL, C by B's remembered body
    ],
)
def test_sync_dedupe_follows_batch_through_chains(
    tmp_path: Path, days: tuple[int, int, int], survivors: list[str]
) -> None:
    """With one file per partition, chained duplicates resolve as the batch resolves them."""
    folder = _chain_dir(tmp_path, days)
    with dask.config.set(scheduler="sync"):
        result = dedupe(read_bag(folder, files_per_partition=1))
        kept, duplicates = dask.compute(result.kept, result.duplicates)
    expected, _ = _batch_reference(folder, ("url", "content"))
    assert sorted(Path(article.source.location).name for article in expected) == survivors
    assert [Path(location).name for location in _locations(kept)] == survivors
    assert len(duplicates) == 3 - len(survivors)


def test_sync_read_bag_sets_keys_and_normalises(tmp_path: Path) -> None:
    """read_bag yields Article dicts with canonical URL, URL key and content key."""
    folder = _chain_dir(tmp_path, (0, 1, 2))
    records = read_bag(folder, files_per_partition=2).compute(scheduler="sync")
    assert len(records) == 3
    for record in records:
        article = Article.from_dict(record)
        assert article.url_key is not None
        assert article.url_key.startswith("u1:")
        assert article.content_key is not None
        assert article.content_key.startswith("c3:")
        assert article.canonical_url is not None
    by_name = {Path(record["source"]["location"]).name: record for record in records}
    assert by_name["a.txt"]["url_key"] == by_name["b.txt"]["url_key"]
    assert by_name["b.txt"]["content_key"] == by_name["c.txt"]["content_key"]


def test_sync_read_bag_raises_the_parse_error_by_default(tmp_path: Path) -> None:
    """on_error='raise' surfaces the ParseError naming the file and line at compute time."""
    (tmp_path / "bad.txt").write_text("T\n20220230\nhttps://x.example/\nBody.\n", encoding="utf-8")
    bag = read_bag(tmp_path)
    with pytest.raises(ParseError) as caught:
        bag.compute(scheduler="sync")
    assert caught.value.source is not None
    assert caught.value.source.endswith("bad.txt")
    assert caught.value.line == 2


def test_read_bag_rejects_bad_options(tmp_path: Path) -> None:
    """Unknown on_error values, empty partitions and unknown key types fail on the client."""
    (tmp_path / "a.txt").write_text(
        dumps(_seed("T", "https://x.example/", 0, ["B."])), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="read_bags"):
        read_bag(tmp_path, on_error="quarantine")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="files_per_partition"):
        read_bag(tmp_path, files_per_partition=0)
    with pytest.raises(ValueError, match="files_per_partition"):
        read_bags(tmp_path, files_per_partition=0)
    bag = read_bag(tmp_path)
    with pytest.raises(ValueError, match="unknown key types"):
        dedupe(bag, keys=("url", "near"))
    with pytest.raises(ValueError, match="not the string"):
        dedupe(bag, keys="url")
    with pytest.raises(ValueError, match="npartitions"):
        dedupe(bag, npartitions=0)


def test_sync_title_keys_cluster_too(tmp_path: Path) -> None:
    """keys=('title',) groups same-host same-headline copies exactly as the batch does."""
    folder = tmp_path / "titles"
    folder.mkdir()
    for index, day in enumerate((3, 1, 30, 2)):
        article = _seed("Same headline", f"https://site.example/{index}", day, [f"B{index}."])
        (folder / f"{index}.txt").write_text(dumps(article), encoding="utf-8")
    with dask.config.set(scheduler="sync"):
        kept = dedupe(read_bag(folder, files_per_partition=1), keys=("title",)).kept.compute()
    expected, _ = _batch_reference(folder, ("title",))
    assert _locations(kept) == sorted(article.source.location for article in expected)
    assert len(kept) == 2  # day 1 survives; day 30 is outside the 7-day title window


def test_sync_to_jsonl_single_file_round_trips(tmp_path: Path) -> None:
    """to_jsonl writes one JSON object per line that Article.from_dict reads back."""
    folder = _chain_dir(tmp_path, (0, 1, 2))
    bag = read_bag(folder, files_per_partition=1)
    out = tmp_path / "out" / "articles.jsonl"
    with dask.config.set(scheduler="sync"):
        written = to_jsonl(bag, out)
        expected = bag.compute()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert written == len(lines) == 3
    assert [Article.from_dict(json.loads(line)) for line in lines] == [
        Article.from_dict(record) for record in expected
    ]


def test_sync_to_jsonl_part_files_and_non_ascii(tmp_path: Path) -> None:
    """A '*' path writes one zero-padded file per partition; text stays unescaped UTF-8."""
    records = [
        _seed(f"Título {index}", f"https://x.example/{index}", index, ["Ünïcode — ok."]).to_dict()
        for index in range(33)
    ]
    bag = db.from_sequence(records, partition_size=3)
    assert bag.npartitions == 11
    with dask.config.set(scheduler="sync"):
        written = to_jsonl(bag, tmp_path / "parts" / "part-*.jsonl")
    files = sorted((tmp_path / "parts").iterdir())
    assert written == 33
    assert [path.name for path in files] == [f"part-{index:02d}.jsonl" for index in range(11)]
    text = "".join(path.read_text(encoding="utf-8") for path in files)
    assert "Título" in text
    assert [Article.from_dict(json.loads(line)).to_dict() for line in text.splitlines()] == records
    with pytest.raises(ValueError, match="at most one"):
        to_jsonl(bag, tmp_path / "a*b*.jsonl")


@pytest.mark.slow
def test_cluster_reads_warc_parts_as_one_process_does(
    tmp_path: Path, cluster_client: object
) -> None:
    """On the LocalCluster, WARCs split into parts read to exactly what ingest() reads."""
    pytest.importorskip("warcio")
    pytest.importorskip("trafilatura")
    from tests.test_warc import warc_folder

    folder = warc_folder(tmp_path)
    bag = read_bag(folder, on_error="skip")
    assert bag.npartitions == 3  # one partition per archive
    records = bag.compute()  # the cluster's client is the default scheduler here
    with ingest(folder, dedup=False, on_error="skip") as run:
        expected = [article.to_dict() for article in run]
    assert len(expected) > 10
    assert records == expected


def test_importing_newsingest_does_not_import_dask() -> None:
    """The integration is opt-in: `import newsingest` loads neither dask nor newsingest.dask."""
    code = (
        "import sys, newsingest; "
        "bad = [m for m in ('dask', 'distributed', 'newsingest.dask') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_local_dask_cluster_names_the_extra_when_distributed_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the dask extra, the test helper says which extra to install."""
    from newsingest.exceptions import MissingExtraError

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(MissingExtraError, match=r"newsingest\[dask\]"), local_dask_cluster():
        pass
