"""Reader registry: registration rules, resolution, and plugins from outside the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest import Article, Provenance, RegistryError, UnsupportedSourceError
from newsingest.ingest import ingest
from newsingest.readers import ReaderItem, ReaderRegistry, SourceLike, default_registry
from newsingest.readers.textfile import SeedTextReader

SEED = Path(__file__).parent / "data" / "textfile" / "000_a56ce4c0ebc2a5f5.txt"


class LinesReader:
    """A toy reader: every non-empty line is a title."""

    name = "lines"
    suffixes = (".lines",)

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"#lines")

    def read(self, source: SourceLike) -> Iterator[ReaderItem]:
        text = Path(str(source)).read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if line and not line.startswith("#"):
                yield Article(
                    title=line,
                    source=Provenance(reader=self.name, location=str(source), line=number),
                )


def test_duplicate_names_are_refused_unless_replacing() -> None:
    """Registering a second reader under a taken name is an error."""
    registry = ReaderRegistry()
    registry.register(LinesReader())
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(LinesReader())
    registry.register(LinesReader(), replace=True)
    assert registry.names() == ["lines"]


def test_objects_without_name_or_read_are_refused() -> None:
    """A registration must be a reader."""
    registry = ReaderRegistry()
    with pytest.raises(RegistryError, match="name"):
        registry.register(object())  # type: ignore[arg-type]


def test_bad_suffix_is_refused() -> None:
    """Suffixes start with a dot."""
    with pytest.raises(RegistryError, match="suffix"):
        ReaderRegistry().register(LinesReader(), suffixes=["txt"])


def test_resolve_by_suffix_and_by_content(tmp_path: Path) -> None:
    """A reader is chosen by sniffing first, then by suffix."""
    registry = ReaderRegistry()
    registry.register(SeedTextReader())
    registry.register(LinesReader())
    by_suffix = tmp_path / "a.lines"
    by_suffix.write_text("x\n", encoding="utf-8")
    by_content = tmp_path / "a.dat"
    by_content.write_text("#lines\nx\n", encoding="utf-8")
    seed_without_suffix = tmp_path / "article"
    seed_without_suffix.write_bytes(SEED.read_bytes())
    assert registry.resolve(by_suffix).name == "lines"
    assert registry.resolve(by_content).name == "lines"
    assert registry.resolve(seed_without_suffix).name == "textfile"


def test_unknown_source_raises_unsupported(tmp_path: Path) -> None:
    """No reader for a source is an UnsupportedSourceError naming it."""
    mystery = tmp_path / "blob.bin"
    mystery.write_bytes(b"\x00\x01\x02")
    with pytest.raises(UnsupportedSourceError, match=r"blob\.bin"):
        ReaderRegistry().resolve(mystery)


def test_get_unknown_name_lists_known_ones() -> None:
    """Asking for an unregistered reader says which ones exist."""
    registry = ReaderRegistry()
    registry.register(LinesReader())
    with pytest.raises(RegistryError, match=r"registered: lines"):
        registry.get("csv")


def test_default_registry_has_the_seed_reader() -> None:
    """The default registry holds the built-in readers."""
    assert "textfile" in default_registry()


PLUGIN = '''
"""A reader shipped by a third party: one article per CSV row (title,url)."""
import csv
import io
from newsingest import Article, ParseError, Provenance
from newsingest.readers import open_binary


class CsvReader:
    name = "democsv"
    suffixes = (".csv",)

    def read(self, source):
        name, data = open_binary(source)
        rows = csv.reader(io.StringIO(data.decode("utf-8")))
        for number, row in enumerate(rows, start=1):
            if len(row) != 2:
                yield ParseError("expected title,url", source=name, line=number, reason="columns")
                continue
            yield Article(title=row[0], url=row[1],
                          source=Provenance(reader=self.name, location=name, line=number))
'''


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    """A directory holding an installed-looking distribution with a reader entry point."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "demo_csv_reader.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = root / "demo_csv_reader-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo-csv-reader\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[newsingest.readers]\ndemocsv = demo_csv_reader:CsvReader\n", encoding="utf-8"
    )
    return root


def test_entry_point_reader_is_loaded_on_request_and_ingests(
    plugin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader installed outside newsingest registers via its entry point and is used."""
    monkeypatch.syspath_prepend(str(plugin_dir))
    registry = ReaderRegistry()
    assert "democsv" not in registry
    assert registry.load_entry_points() == ["democsv"]
    table = tmp_path / "links.csv"
    table.write_text(
        "Harbour reopens,https://news.example.com/a?utm_source=x\nbroken row\n", encoding="utf-8"
    )
    run = ingest([table], registry=registry, on_error="skip")
    (article,) = list(run)
    assert article.title == "Harbour reopens"
    assert article.source.reader == "democsv"
    assert run.report.errors == {"columns": 1}


def test_cli_uses_an_installed_plugin(plugin_dir: Path, tmp_path: Path) -> None:
    """The command loads plugin readers, so a third-party format works from the shell."""
    table = tmp_path / "links.csv"
    table.write_text("Harbour reopens,https://news.example.com/a\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(plugin_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "newsingest", "ingest", str(table)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["source"]["reader"] == "democsv"


def test_a_copied_registry_changes_apart_from_its_original() -> None:
    original = default_registry()
    copied = original.copy()
    assert copied.names() == original.names()
    copied.unregister("urls")
    assert "urls" in original and "urls" not in copied
    copied.register(SeedTextReader(), replace=True)
    assert original.get("textfile") is not copied.get("textfile")


@given(st.text(alphabet="ab.T/\\", max_size=12))
def test_suffix_routing_reads_the_suffix_as_splitext_does(path: str) -> None:
    """The registry's own suffix reading agrees with os.path.splitext on any path."""
    from newsingest.readers import _suffix_of

    assert _suffix_of(path) == os.path.splitext(path)[1].lower()  # noqa: PTH122
