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

import pytest

# Dask is untyped for mypy; importorskip hands the modules over as Any.
dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
distributed = pytest.importorskip("distributed")

from newsingest import ParseError  # noqa: E402 - after the importorskip guards
from newsingest.dask import dedupe, read_bag, read_bags, to_jsonl  # noqa: E402
from newsingest.dedup import Deduplicator  # noqa: E402
from newsingest.dedup.keys import content_key  # noqa: E402
from newsingest.ingest import ingest  # noqa: E402
from newsingest.model import Article, Provenance  # noqa: E402
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
    read_partition = newsingest_dask._read_partition

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return read_partition(*args, **kwargs)

    monkeypatch.setattr(newsingest_dask, "_read_partition", counting)
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
