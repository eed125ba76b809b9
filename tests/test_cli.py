"""The newsingest command: output on stdout, summary on stderr, exit statuses."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from newsingest import __version__
from newsingest.cli import main
from tests.command import newsingest as run_cli

DATA = Path(__file__).parent / "data" / "textfile"
SEED = DATA / "000_a56ce4c0ebc2a5f5.txt"


def test_seed_to_stdout_is_one_json_line_and_summary_on_stderr() -> None:
    """stdout carries only the record; the summary goes to stderr; exit 0."""
    done = run_cli("ingest", str(SEED))
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    record = json.loads(line)
    assert record["published"] == "2022-02-06T00:00:00Z"
    assert record["source"]["ordinal"] == "000"
    assert "1 emitted" in done.stderr


def test_output_file_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o writes the JSON lines to a file and nothing to stdout."""
    target = tmp_path / "out" / "a.jsonl"
    assert main(["ingest", str(SEED), "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert len(target.read_text(encoding="utf-8").splitlines()) == 1


def test_quarantine_over_mixed_directory_exits_1(tmp_path: Path) -> None:
    """Good files are emitted, each bad one quarantined, and the exit status is 1."""
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_bytes(SEED.read_bytes())
    (root / "b.txt").write_bytes((DATA / "err_relative_url.txt").read_bytes())
    (root / "c.txt").write_bytes((DATA / "ok_other_name.txt").read_bytes())
    (root / "d.txt").write_bytes((DATA / "err_latin1.txt").read_bytes())
    quarantine = tmp_path / "bad.jsonl"
    done = run_cli("ingest", str(root), "--on-error", "quarantine", "--quarantine", str(quarantine))
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 2
    records = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert [(Path(r["source"]).name, r["line"], r["reason"]) for r in records] == [
        ("b.txt", 3, "bad_url"),
        ("d.txt", 4, "undecodable"),
    ]
    assert "b.txt:3:" in done.stderr


def test_nothing_readable_exits_2(tmp_path: Path) -> None:
    """When no record could be read the status is 2."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes((DATA / "err_empty_file.txt").read_bytes())
    done = run_cli("ingest", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""


def test_missing_file_exits_2_with_its_name(tmp_path: Path) -> None:
    """A path that does not exist is named on stderr; nothing was read: exit 2."""
    done = run_cli("ingest", str(tmp_path / "missing.txt"))
    assert done.returncode == 2
    assert "missing.txt" in done.stderr
    assert "Traceback" not in done.stderr


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """No source, or an unknown option, is a usage error."""
    assert main(["ingest"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["ingest", "--bogus"])
    assert exited.value.code == 2
    assert main(["ingest", str(SEED), "--reader", "nope"]) == 2
    assert "no reader named 'nope'" in capsys.readouterr().err


def test_stdin_is_a_source() -> None:
    """'-' reads from standard input."""
    done = run_cli("ingest", "-", stdin=SEED.read_bytes())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"]["location"] == "<stdin>"


def test_version_and_help() -> None:
    """--version prints the package version; --help shows examples."""
    assert run_cli("--version").stdout.strip() == f"newsingest {__version__}"
    help_text = run_cli("ingest", "--help").stdout
    assert "examples:" in help_text and "--on-error" in help_text


def test_on_error_raise_stops_and_exits_1(tmp_path: Path) -> None:
    """--on-error raise stops at the first bad record after emitting earlier ones."""
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_bytes(SEED.read_bytes())
    (root / "b.txt").write_bytes((DATA / "err_relative_url.txt").read_bytes())
    (root / "c.txt").write_bytes(SEED.read_bytes())
    done = run_cli("ingest", str(root), "--on-error", "raise")
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 1
    assert "b.txt:3:" in done.stderr


def test_on_error_raise_shows_the_error_once(tmp_path: Path) -> None:
    """The error that ends a --on-error raise run is printed exactly once."""
    bad = tmp_path / "b.txt"
    bad.write_bytes((DATA / "err_relative_url.txt").read_bytes())
    done = run_cli("ingest", str(bad), "--on-error", "raise")
    assert done.stderr.count("b.txt:3:") == 1


def test_workers_auto_is_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """-j auto means one process per core this process may run on (its affinity mask)."""
    from newsingest import cli

    if hasattr(os, "sched_getaffinity"):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5})
        assert cli._workers("auto") == 3
        assert cli._workers(" AUTO ") == 3
        monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown: one process
    assert cli._workers("auto") == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cli._workers("auto") == 6
    assert cli._workers("2") == 2


@pytest.mark.parametrize("bad", ["0", "-1", "two", "autox", ""])
def test_workers_rejects_what_is_not_a_count(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    """-j takes a positive whole number or 'auto'; anything else is a usage error."""
    with pytest.raises(SystemExit) as exited:
        main(["ingest", str(SEED), "-j", bad])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "-j/--workers" in err and "auto" in err and "Traceback" not in err
