"""The ``newsingest`` command: argument parsing and output, nothing else.

stdout carries only records (JSON lines); progress, errors and the one-line
summary go to stderr. Exit status: 0 when everything was read, 1 when some
records or sources failed, 2 on a usage error or when nothing could be read.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

from newsingest import __version__
from newsingest.exceptions import NewsIngestError, NewsIngestWarning
from newsingest.ingest import RunReport, ingest
from newsingest.readers import default_registry
from newsingest.sinks import JsonlWriter

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2

_EPILOG = """\
examples:
  newsingest ingest seeds/ -o out/articles.jsonl
  newsingest ingest 'archive/**/*.txt' --on-error quarantine --quarantine bad.jsonl
  newsingest ingest seeds/000_a56ce4c0ebc2a5f5.txt | jq .title
"""


class _Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._last = 0.0
        self._shown = False

    def update(self, report: RunReport) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        self._stream.write(
            f"\r{report.sources} sources, {report.read} read, {report.emitted} emitted, "
            f"{report.error_count} errors"
        )
        self._stream.flush()

    def done(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors exit with EXIT_USAGE (argparse's 2 too)."""


def build_parser() -> argparse.ArgumentParser:
    """The command's parser (also used to generate the CLI reference)."""
    parser = _Parser(
        prog="newsingest",
        description="Ingest news (seed text files, RSS/Atom feeds, URL lists) into clean, "
        "typed, deduplicated Article records as JSON lines.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsingest {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "ingest",
        help="read sources and write articles as JSON lines",
        description="Read SOURCEs (files, directories, globs, '-' for stdin) and write one "
        "JSON object per article to stdout or -o FILE.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("sources", nargs="*", metavar="SOURCE", help="file, directory, glob or '-'")
    run.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="write articles here (default: stdout)"
    )
    run.add_argument(
        "--reader", metavar="NAME", help="force a reader instead of detecting one per source"
    )
    run.add_argument(
        "--on-error",
        choices=("raise", "skip", "quarantine"),
        default="skip",
        help="on a bad record: stop, skip it (default), or quarantine it",
    )
    run.add_argument(
        "--quarantine",
        metavar="FILE",
        help="where quarantine records go (implies --on-error quarantine)",
    )
    run.add_argument(
        "--no-normalize",
        action="store_true",
        help="emit records exactly as the readers produced them",
    )
    run.add_argument(
        "--no-plugins",
        action="store_true",
        help="do not load readers from installed plugins (entry points)",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress, no per-error lines; only the summary",
    )

    commands.add_parser("readers", help="list the registered readers")
    return parser


def _cmd_readers(out: IO[str]) -> int:
    registry = default_registry()
    registry.load_entry_points()
    for registration in registry:
        suffixes = " ".join(registration.suffixes) or "-"
        prefixes = " ".join(registration.url_prefixes) or "-"
        out.write(f"{registration.name}\tsuffixes: {suffixes}\turls: {prefixes}\n")
    return EXIT_OK


def _cmd_ingest(args: argparse.Namespace, err: IO[str]) -> int:
    sources: list[Any] = [sys.stdin.buffer if s == "-" else s for s in args.sources]
    if not sources:
        err.write("newsingest ingest: error: no SOURCE given (try --help)\n")
        return EXIT_USAGE
    on_error = args.on_error
    if args.quarantine is not None:
        on_error = "quarantine"
    elif on_error == "quarantine":
        err.write("newsingest ingest: error: --on-error quarantine needs --quarantine FILE\n")
        return EXIT_USAGE
    registry = default_registry()
    if not args.no_plugins:
        registry.load_entry_points()
    if args.reader is not None and args.reader not in registry:
        err.write(
            f"newsingest ingest: error: no reader named {args.reader!r} "
            f"(registered: {', '.join(registry.names())})\n"
        )
        return EXIT_USAGE

    report = RunReport()
    progress = _Progress(err, enabled=err.isatty() and not args.quiet)

    def show_warning(warning: NewsIngestWarning) -> None:
        if not args.quiet:
            err.write(f"warning: {warning}\n")

    def show_error(record: dict[str, Any]) -> None:
        if not args.quiet:
            err.write(f"error: {record['message']}\n")

    quarantine_writer = JsonlWriter(args.quarantine) if args.quarantine else None

    def on_quarantine(record: dict[str, Any]) -> None:
        show_error(record)
        if quarantine_writer is not None:
            quarantine_writer.write(record)

    failed_hard = False
    with JsonlWriter(args.output) as out:
        run = ingest(
            sources,
            reader=args.reader,
            registry=registry,
            on_error="quarantine" if on_error != "raise" else "raise",
            quarantine=on_quarantine,
            on_warning=show_warning,
            normalize=not args.no_normalize,
            report=report,
        )
        try:
            for article in run:
                out.write(article)
                progress.update(report)
        except NewsIngestError as error:
            failed_hard = True
            progress.done()
            err.write(f"error: {error}\n")
        finally:
            run.close()
            if quarantine_writer is not None:
                quarantine_writer.close()
    progress.done()
    if on_error == "skip":
        report.quarantined = 0  # shown, not written anywhere
    err.write(f"newsingest: {report.summary()}\n")
    nothing_read = report.emitted == 0 and report.duplicate_count == 0
    if nothing_read and (report.error_count or failed_hard):
        return EXIT_USAGE
    if report.error_count or failed_hard:
        return EXIT_SOME_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    err = sys.stderr
    try:
        if args.command == "readers":
            return _cmd_readers(sys.stdout)
        return _cmd_ingest(args, err)
    except NewsIngestError as error:
        err.write(f"newsingest: error: {error}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # e.g. `newsingest ingest … | head`: the reader went away; not our failure.
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
