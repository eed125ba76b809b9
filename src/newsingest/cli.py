"""The ``newsingest`` command: argument parsing and output, nothing else.

stdout carries only records (JSON lines); progress, errors and the one-line
summary go to stderr. Exit status: 0 when everything was read, 1 when some
records or sources failed, 2 on a usage error or when nothing could be read.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

from newsingest._version import __version__
from newsingest.dedup import Deduplicator, Duplicate
from newsingest.exceptions import NewsIngestError, NewsIngestWarning, StoreError, WorkerError
from newsingest.ingest import DEFAULT_KEYS, ingest
from newsingest.pipeline.output import IngestRun
from newsingest.pipeline.policy import OnError, RunReport
from newsingest.readers import ReaderRegistry, default_registry
from newsingest.sinks import JsonlWriter, WriteMode
from newsingest.state import open_store

if TYPE_CHECKING:
    from newsingest.readers.opml import Subscription

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_OPERATIONAL = 3  # an I/O error, a full disk, a corrupt state file, a worker died
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)

#: Version of the ``--report`` document's layout.
REPORT_SCHEMA_VERSION = 1

_EPILOG = """\
examples:
  newsingest ingest seeds/ -o out/articles.jsonl
  newsingest ingest 'archive/**/*.txt' --on-error quarantine --quarantine bad.jsonl
  newsingest ingest https://example.com/feed.xml --feeds feeds.txt --state state.db
  newsingest ingest urls.txt --fetch --duplicates dups.jsonl
  newsingest ingest archive/ -j auto --near 0.8 -o out.jsonl
  newsingest state info state.db
  newsingest state prune state.db --older-than 90d
"""


class _Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, stream: IO[str], enabled: bool) -> None:
        self._stream = stream
        self._enabled = enabled
        self._last = 0.0
        self._shown = False
        self._started = time.monotonic()

    def update(self, report: RunReport) -> None:
        if not self._enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        rate = report.read / max(now - self._started, 1e-3)
        self._stream.write(
            f"\r\033[K{_plural(report.sources, 'source')}, {report.read} read "
            f"({rate:,.0f}/s), {report.emitted} emitted, "
            f"{_plural(report.duplicate_count, 'duplicate')}, "
            f"{_plural(report.error_count, 'error')}"
        )
        self._stream.flush()

    def done(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def build_parser() -> argparse.ArgumentParser:
    """The command's parser (also used to generate the CLI reference)."""
    parser = argparse.ArgumentParser(
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
        "--feeds",
        metavar="FILE",
        action="append",
        default=[],
        help="a file of feed URLs to poll, one per line, '#' comments (repeatable)",
    )
    run.add_argument(
        "--state",
        metavar="DB",
        help="SQLite seen-store: remembers keys across runs and feed "
        "validators (ETag / Last-Modified) for conditional polling",
    )
    _add_polling_options(run)
    _add_fetch_options(run)
    run.add_argument(
        "--warc-host",
        metavar="HOST",
        action="append",
        default=[],
        help="read only WARC pages of this host or its subdomains (repeatable)",
    )
    run.add_argument(
        "--warc-since",
        type=_warc_date,
        metavar="DATE",
        help="read only WARC records captured at or after DATE (YYYY-MM-DD[THH:MM[:SS]], UTC)",
    )
    run.add_argument(
        "--warc-until",
        type=_warc_date,
        metavar="DATE",
        help="read only WARC records captured before DATE (UTC)",
    )
    run.add_argument(
        "--due-only",
        action="store_true",
        help="with --state: poll only the feeds that are due (see newsingest state feeds); "
        "local files are always read",
    )
    run.add_argument(
        "--also-seen",
        action="store_true",
        help="record in --state the other sources each kept story's copies came from "
        "(list them with: newsingest state also-seen DB)",
    )
    run.add_argument(
        "--duplicates",
        metavar="FILE",
        help="write a JSON line per duplicate (what matched, what was kept)",
    )
    run.add_argument("--no-dedup", action="store_true", help="emit duplicates too")
    run.add_argument(
        "--keys",
        default=None,
        metavar="K1,K2",
        help="dedup keys from url, entry, content, title (default: url,entry,content)",
    )
    run.add_argument(
        "--near",
        type=_fraction,
        metavar="THRESHOLD",
        help="also drop near-duplicates at this similarity, e.g. 0.8 (needs newsingest[near])",
    )
    run.add_argument(
        "--fetch",
        action="store_true",
        help="fetch each listed URL's page and extract the article (needs newsingest[extract])",
    )
    run.add_argument(
        "--concurrency",
        type=_positive_int,
        default=4,
        metavar="N",
        help="pages or feeds fetched at once (default 4)",
    )
    run.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="let --feeds, feed URLs and --fetch connect to loopback, private and other "
        "non-public addresses (refused by default; see docs/security.md)",
    )
    run.add_argument(
        "-j",
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help=(
            "processes reading local files, this one included (default 1; "
            "'auto': one per core this process may use)"
        ),
    )
    run.add_argument(
        "--append",
        action="store_true",
        help="add to existing -o / --duplicates / --quarantine files instead of refusing them",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace existing non-empty output files (replaced only once the run has "
        "something to write)",
    )
    run.add_argument(
        "--write-empty",
        action="store_true",
        help="create output files even when the run has nothing to write",
    )
    run.add_argument(
        "--report",
        metavar="FILE",
        help="write the run report as JSON (counts by reason, skipped files, exit status)",
    )
    run.add_argument(
        "--debug", action="store_true", help="show the traceback of an operational failure"
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also say each file a folder walk passes over, and why",
    )
    run.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress, no per-error lines; only the summary",
    )

    commands.add_parser("readers", help="list the registered readers")

    find = commands.add_parser(
        "discover",
        help="find the feeds of pages (declared links, Link headers, robots.txt sitemaps, "
        "the usual places) and print a feeds file",
    )
    find.add_argument("pages", nargs="+", metavar="URL")
    find.add_argument("--opml", action="store_true", help="print OPML instead of a plain list")
    find.add_argument(
        "--max-requests",
        type=_positive_int,
        default=None,
        metavar="N",
        help="requests sent per page asked about, all steps together (default 10)",
    )
    find.add_argument(
        "--allow-private-addresses",
        action="store_true",
        help="let the requests reach loopback, private and other non-public addresses",
    )

    watch = commands.add_parser(
        "watch",
        help="poll --feeds for as long as it runs: each feed when it is due, articles into "
        "one JSON-lines file per hour (or --rotate) in DIR; SIGTERM or Ctrl-C stops it",
    )
    watch.add_argument(
        "--feeds", metavar="FILE", action="append", required=True, help="feed list (repeatable)"
    )
    watch.add_argument("--state", metavar="DB", required=True, help="the SQLite state")
    watch.add_argument("-o", "--output-dir", required=True, metavar="DIR")
    watch.add_argument(
        "--rotate",
        type=_age,
        default=timedelta(hours=1),
        metavar="AGE",
        help="start a new output file this often (default 1h; e.g. 10m, 1d)",
    )
    watch.add_argument(
        "--max-sleep",
        type=_age,
        default=timedelta(minutes=1),
        metavar="AGE",
        help="look at the feed list and the state at least this often (default 1m)",
    )
    watch.add_argument("--fetch", action="store_true", help="as for ingest")
    watch.add_argument("--concurrency", type=_positive_int, default=4, metavar="N")
    watch.add_argument("--allow-private-addresses", action="store_true")
    watch.add_argument("-q", "--quiet", action="store_true")
    _add_polling_options(watch)
    _add_fetch_options(watch)

    feeds = commands.add_parser("feeds", help="feed lists: export what a state file polls")
    feeds_commands = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    export = feeds_commands.add_parser(
        "export",
        help="write the feeds of state files (recorded by ingest --feeds --state) or of "
        "feed lists (plain or OPML) as one feed list",
    )
    export.add_argument("lists", nargs="+", metavar="STATE_OR_LIST")
    export.add_argument(
        "--opml", action="store_true", help="write OPML 2.0 (titles, sites, folders kept)"
    )
    export.add_argument(
        "-o", "--output", default="-", metavar="FILE", help="write here (default: stdout)"
    )
    export.add_argument("--force", action="store_true", help="replace an existing -o FILE")
    add = feeds_commands.add_parser(
        "import",
        help="record the feeds of feed lists (plain or OPML) in a state file, without polling",
    )
    add.add_argument("lists", nargs="+", metavar="LIST")
    add.add_argument("--state", required=True, metavar="DB")

    state = commands.add_parser("state", help="inspect or prune a seen-store")
    state_commands = state.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    info = state_commands.add_parser("info", help="counts, size and key versions as JSON")
    info.add_argument("db", metavar="DB")
    seen_cmd = state_commands.add_parser(
        "also-seen",
        help="JSON lines: each kept story and the other sources its copies came from "
        "(recorded by ingest --also-seen)",
    )
    seen_cmd.add_argument("db", metavar="DB")
    feeds_cmd = state_commands.add_parser(
        "feeds",
        help="each polled feed's health and schedule: last status, failures, last new "
        "item, next poll, disabled",
    )
    feeds_cmd.add_argument("db", metavar="DB")
    feeds_cmd.add_argument(
        "--json", action="store_true", help="one JSON object a feed, with its poll history"
    )
    prune_cmd = state_commands.add_parser("prune", help="forget keys first seen long ago")
    prune_cmd.add_argument("db", metavar="DB")
    prune_cmd.add_argument(
        "--older-than", required=True, type=_age, metavar="AGE", help="e.g. 90d, 12h, 30m"
    )
    return parser


def _add_polling_options(parser: argparse.ArgumentParser) -> None:
    """Options of every command that polls feeds: politeness and scheduling."""
    parser.add_argument(
        "--user-agent",
        metavar="UA",
        help="the User-Agent header (default: newsingest/VERSION (+project URL))",
    )
    parser.add_argument(
        "--per-host",
        type=_positive_int,
        default=1,
        metavar="N",
        help="requests in flight to one host at most (default 1); hosts run concurrently",
    )
    parser.add_argument(
        "--per-host-delay",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="pause between the end of one request to a host and the next "
        "(default: 0 for feeds, 1 for --fetch pages)",
    )
    parser.add_argument(
        "--min-interval",
        type=_age,
        default=timedelta(minutes=5),
        metavar="AGE",
        help="with --state: the shortest interval between polls of one feed (default 5m)",
    )
    parser.add_argument(
        "--max-interval",
        type=_age,
        default=timedelta(hours=24),
        metavar="AGE",
        help="with --state: the longest interval between polls of one feed (default 24h)",
    )
    parser.add_argument(
        "--max-failures",
        type=_positive_int,
        default=30,
        metavar="N",
        help="with --state: disable a feed after N consecutive failures (default 30; "
        "410 Gone disables at once)",
    )


def _add_fetch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ignore-robots",
        action="store_true",
        help="with --fetch: fetch pages even where the site's robots.txt disallows it",
    )
    parser.add_argument(
        "--on-fetch-error",
        choices=("keep", "drop"),
        default="keep",
        help="with --fetch: a feed item whose page fails is kept as the feed gave it, "
        "with a warning (default), or dropped for the error; a bare listed URL is an error",
    )
    parser.add_argument(
        "--fast-dates",
        action="store_true",
        help="with --fetch: take a page's date from its markup and URL only, without "
        "htmldate's search of the whole text (faster, finds fewer dates)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86_400:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 86400, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _warc_date(text: str) -> datetime:
    from newsingest.warc import parse_warc_date  # noqa: PLC0415

    value = parse_warc_date(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD[THH:MM[:SS]]: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _workers(text: str) -> int:
    """``-j``: a positive number, or ``auto`` for the cores this process may run on."""
    if text.strip().lower() == "auto":
        return _usable_cores()
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{error} (or 'auto')") from None


def _usable_cores() -> int:
    """The CPUs this process may run on: its affinity mask where the OS has one (a
    container or ``taskset`` limits it), else every core the machine has."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return max(len(affinity(0)), 1)
    return os.cpu_count() or 1


_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _age(text: str) -> timedelta:
    """Parse ``90d`` / ``12h`` / ``30m`` / ``45s`` / ``2w`` into a timedelta."""
    unit = text[-1:].lower()
    if unit not in _AGE_UNITS or not text[:-1].isdigit():
        raise argparse.ArgumentTypeError(
            f"age must be a number followed by s, m, h, d or w (e.g. 90d), got {text!r}"
        )
    return timedelta(seconds=int(text[:-1]) * _AGE_UNITS[unit])


def _cmd_state(args: argparse.Namespace, out: IO[str]) -> int:
    from newsingest.dedup import also_seen, prune, state_info  # noqa: PLC0415

    if args.state_command == "info":
        out.write(json.dumps(state_info(args.db), indent=2, sort_keys=True) + "\n")
    elif args.state_command == "feeds":
        _feed_table(args.db, args.json, out)
    elif args.state_command == "also-seen":
        for story in also_seen(args.db):
            out.write(json.dumps(story, sort_keys=True) + "\n")
    else:
        removed = prune(args.db, args.older_than)
        seconds = int(args.older_than.total_seconds())
        out.write(json.dumps({"removed": removed, "older_than_seconds": seconds}) + "\n")
    return EXIT_OK


def _feed_table(db: str, as_json: bool, out: IO[str]) -> None:
    from newsingest.state import feed_statuses  # noqa: PLC0415

    statuses = feed_statuses(db)
    if as_json:
        for status in statuses:
            out.write(json.dumps(status.to_json(), sort_keys=True) + "\n")
        return
    header = ("STATUS", "FAILS", "LAST NEW", "NEXT POLL", "FEED")
    rows = [header]
    for status in statuses:
        shown = f"{status.last_status or '-'} {status.last_reason or ''}".strip()
        if status.disabled is not None:
            shown = "disabled"
        rows.append(
            (
                shown,
                str(status.failures),
                _short_time(status.last_new),
                "-" if status.disabled is not None else _short_time(status.next_poll),
                status.url + (f"  ({status.disabled})" if status.disabled else ""),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)))
        out.write(f"  {row[-1]}\n")


def _short_time(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _cmd_readers(out: IO[str]) -> int:
    registry = default_registry()
    registry.load_entry_points()
    for registration in registry:
        suffixes = " ".join(registration.suffixes) or "-"
        prefixes = " ".join(registration.url_prefixes) or "-"
        out.write(f"{registration.name}\tsuffixes: {suffixes}\turls: {prefixes}\n")
    return EXIT_OK


_WATCHED: Final = (
    "feeds",
    "state",
    "fetch",
    "concurrency",
    "allow_private_addresses",
    "quiet",
    "user_agent",
    "per_host",
    "per_host_delay",
    "min_interval",
    "max_interval",
    "max_failures",
    "ignore_robots",
    "on_fetch_error",
    "fast_dates",
)


def _cmd_watch(args: argparse.Namespace, err: IO[str]) -> int:
    """Poll the due feeds, sleep until the next is due, again, until a signal."""
    ingest_args = build_parser().parse_args(["ingest"])
    for name in _WATCHED:
        setattr(ingest_args, name, getattr(args, name))
    ingest_args.due_only = True
    ingest_args.append = True
    if args.min_interval > args.max_interval or not args.min_interval:
        err.write(
            "newsingest watch: error: --min-interval must be above 0 and at most --max-interval\n"
        )
        return EXIT_USAGE
    folder = Path(args.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    period = max(args.rotate.total_seconds(), 1.0)
    with _Stop() as stop:
        while not stop.requested:
            now = datetime.now(timezone.utc)
            ingest_args.output = str(folder / _rotated_name(now, period))
            status = _watch_once(ingest_args, err, stop)
            if status == EXIT_OPERATIONAL:
                return status  # the disk or the state failed: a supervisor should see it
            _sleep_until_due(args, stop)
    return EXIT_OK


def _rotated_name(now: datetime, period: float) -> str:
    start = datetime.fromtimestamp(now.timestamp() // period * period, tz=timezone.utc)
    return f"newsingest-{start.strftime('%Y%m%dT%H%M%SZ')}.jsonl"


def _watch_once(args: argparse.Namespace, err: IO[str], stop: _Stop) -> int:
    try:
        sources = _due_only(args.state, _sources(args, err), None)
    except NewsIngestError as error:  # the feed list or state cannot be read now
        err.write(f"newsingest: error: {error}\n")
        return EXIT_USAGE
    if not sources:
        return EXIT_OK
    try:
        outputs = _Outputs(args)
    except OSError as error:
        err.write(f"newsingest: error: {_os_failure(error)}\n")
        return EXIT_OPERATIONAL
    return _run(_Job(args, err, sources, _registry(args), RunReport(), outputs), stop)


def _sleep_until_due(args: argparse.Namespace, stop: _Stop) -> None:
    """Sleep until the next feed is due (at most --max-sleep), waking for a signal."""
    from newsingest.state import SQLiteStore  # noqa: PLC0415

    with SQLiteStore(args.state) as store:
        statuses = store.feed_statuses()
    now = datetime.now(timezone.utc)
    upcoming = [
        status.next_poll
        for status in statuses.values()
        if status.disabled is None and status.next_poll is not None
    ]
    wait = args.max_sleep.total_seconds()
    if upcoming:
        wait = min(wait, max((min(upcoming) - now).total_seconds(), 0.0))
    deadline = time.monotonic() + wait
    while not stop.requested and time.monotonic() < deadline:
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0.0)))


def _cmd_discover(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from newsingest.discover import discover  # noqa: PLC0415 - imports httpx
    from newsingest.readers.opml import write_opml  # noqa: PLC0415

    try:
        limit = {} if args.max_requests is None else {"max_requests": args.max_requests}
        found = discover(args.pages, allow_private=args.allow_private_addresses, **limit)
    except ValueError as error:
        err.write(f"newsingest discover: error: {error}\n")
        return EXIT_USAGE
    feeds: dict[str, Subscription] = {}
    for result in found:
        for problem in result.problems:
            err.write(f"warning: {problem}\n")
        err.write(
            f"{result.page}: {_plural(len(result.feeds), 'feed')}, "
            f"{_plural(len(result.sitemaps), 'sitemap')} ({_plural(result.requests, 'request')})\n"
        )
        for feed in result.feeds:
            feeds.setdefault(feed.url, feed)
    if args.opml:
        write_opml(list(feeds.values()), out, title="newsingest discover")
    else:
        out.writelines(f"{url}\n" for url in feeds)
        sitemaps = dict.fromkeys(url for result in found for url in result.sitemaps)
        out.writelines(f"# sitemap: {url}\n" for url in sitemaps)
    missed = any(not (result.feeds or result.sitemaps) for result in found)
    return EXIT_SOME_FAILED if missed else EXIT_OK


def _cmd_feeds(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from newsingest.readers.opml import write_opml  # noqa: PLC0415

    found: dict[str, Subscription] = {}
    for name in args.lists:
        for subscription in _feed_list(name, err):
            found.setdefault(subscription.url, subscription)
    subscriptions = list(found.values())
    if args.feeds_command == "import":
        _remember(args.state, subscriptions)
        out.write(f"{_plural(len(subscriptions), 'feed')} recorded in {args.state}\n")
        return EXIT_OK
    buffer = io.StringIO()
    if args.opml:
        write_opml(subscriptions, buffer)
    else:
        buffer.writelines(f"{subscription.url}\n" for subscription in subscriptions)
    if args.output == "-":
        out.write(buffer.getvalue())
        return EXIT_OK
    target = Path(args.output)
    if target.exists() and not args.force:
        err.write(f"newsingest feeds export: error: {target} exists; --force replaces it\n")
        return EXIT_USAGE
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(buffer.getvalue(), encoding="utf-8")
    partial.replace(target)  # whole or not at all
    return EXIT_OK


def _feed_list(name: str, err: IO[str]) -> list[Subscription]:
    """The feeds of a state file or a feed list (plain or OPML)."""
    from newsingest.readers.feed import read_feed_subscriptions  # noqa: PLC0415
    from newsingest.readers.opml import Subscription  # noqa: PLC0415
    from newsingest.state import subscribed_feeds  # noqa: PLC0415

    with contextlib.suppress(OSError), Path(name).open("rb") as stream:
        if stream.read(16) == b"SQLite format 3\x00":
            return [Subscription(*row) for row in subscribed_feeds(name)]
    return read_feed_subscriptions(name, on_skip=_warner(err))


def _warner(err: IO[str]) -> Callable[[str], None]:
    def warn(message: str) -> None:
        err.write(f"warning: {message}\n")

    return warn


def _sources(args: argparse.Namespace, err: IO[str]) -> list[Any]:
    sources: list[Any] = [sys.stdin.buffer if s == "-" else s for s in args.sources]
    subscriptions: list[Subscription] = []
    for feed_list in args.feeds:
        from newsingest.readers.feed import read_feed_subscriptions  # noqa: PLC0415

        subscriptions += read_feed_subscriptions(
            feed_list,
            on_skip=None if args.quiet else _warner(err),
        )
    sources += [subscription.url for subscription in subscriptions]
    if args.state is not None and subscriptions:
        _remember(args.state, subscriptions)
    return sources


def _due_only(state: str, sources: list[Any], err: IO[str] | None) -> list[Any]:
    """The sources to read now: local ones, and the feed URLs that are due."""
    from newsingest.readers import is_url  # noqa: PLC0415
    from newsingest.schedule import is_due  # noqa: PLC0415
    from newsingest.state import SQLiteStore  # noqa: PLC0415

    now = datetime.now(timezone.utc)
    with SQLiteStore(state) as store:
        statuses = store.feed_statuses()
    kept = [s for s in sources if not is_url(s) or is_due(statuses.get(str(s)), now)]
    feeds = [str(s) for s in sources if is_url(s)]
    if err is not None and feeds:
        waiting = [statuses[url] for url in feeds if url not in kept and url in statuses]
        disabled = sum(1 for status in waiting if status.disabled is not None)
        upcoming = [st.next_poll for st in waiting if st.disabled is None and st.next_poll]
        line = f"newsingest: {len(feeds) - len(waiting)} of {_plural(len(feeds), 'feed')} due"
        if upcoming:
            line += f"; the next at {min(upcoming).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        if disabled:
            line += f"; {disabled} disabled (newsingest state feeds {state})"
        err.write(line + "\n")
    return kept


def _remember(state: str, subscriptions: list[Subscription]) -> None:
    from newsingest.state import SQLiteStore  # noqa: PLC0415

    with SQLiteStore(state) as store:
        store.remember_feeds(
            (sub.url, sub.title, sub.html_url, sub.folders, sub.categories) for sub in subscriptions
        )


def _registry(args: argparse.Namespace) -> ReaderRegistry:
    """The built-in readers and, unless ``--no-plugins``, the installed plugins."""
    registry = default_registry().copy()
    if not args.no_plugins:
        registry.load_entry_points()
    from newsingest.readers.feed import FeedReader  # noqa: PLC0415
    from newsingest.readers.sitemap import SitemapReader  # noqa: PLC0415

    # Only the built-in readers are swapped; a plugin keeps its own policy.
    if "feed" in registry and type(registry.get("feed")) is FeedReader:
        registry.register(_feed_reader(args), replace=True)
    if args.allow_private_addresses and type(registry.get("sitemap")) is SitemapReader:
        registry.register(SitemapReader(allow_private=True), replace=True)
    hosts: list[str] = getattr(args, "warc_host", None) or []
    since, until = getattr(args, "warc_since", None), getattr(args, "warc_until", None)
    if hosts or since or until:
        from newsingest.readers.warc import WarcReader  # noqa: PLC0415

        if "warc" in registry and type(registry.get("warc")) is WarcReader:
            registry.register(WarcReader(hosts=hosts, since=since, until=until), replace=True)
    return registry


def _feed_reader(args: argparse.Namespace) -> Any:
    """The feed reader the options ask for: address policy, politeness, schedule."""
    from newsingest.readers.feed import FeedReader  # noqa: PLC0415
    from newsingest.schedule import PollPolicy  # noqa: PLC0415

    return FeedReader(
        allow_private=args.allow_private_addresses,
        per_host=args.per_host,
        per_host_delay=args.per_host_delay or 0.0,
        user_agent=args.user_agent,
        policy=PollPolicy(
            min_interval=args.min_interval,
            max_interval=args.max_interval,
            first_interval=max(args.min_interval, min(args.max_interval, timedelta(minutes=30))),
            max_failures=args.max_failures,
        ),
    )


def _usage_problem(args: argparse.Namespace, sources: list[Any], registry: ReaderRegistry) -> str:
    """What is wrong with the command line before anything is read ("" when nothing)."""
    if not sources:
        return "no SOURCE given (try --help)"
    if args.quarantine is None and args.on_error == "quarantine":
        return "--on-error quarantine needs --quarantine FILE"
    if args.due_only and args.state is None:
        return "--due-only needs --state DB (that is where each feed's schedule is kept)"
    if args.min_interval > args.max_interval or not args.min_interval:
        return "--min-interval must be above 0 and at most --max-interval"
    if args.also_seen and args.state is None:
        return "--also-seen needs --state DB (that is where the sources are recorded)"
    if args.reader is not None and args.reader not in registry:
        return f"no reader named {args.reader!r} (registered: {', '.join(registry.names())})"
    return ""


def _exit_code(report: RunReport, failed_hard: bool) -> int:
    failed = bool(report.error_count) or failed_hard
    nothing_kept = report.emitted == 0 and report.duplicate_count == 0
    # Sources that failed beside others that answered with nothing to read (feeds
    # unchanged since the last poll): a partial failure, not "nothing could be read".
    unchanged_beside = report.read == 0 and report.failed_sources < report.sources
    if failed and nothing_kept and not unchanged_beside:
        return EXIT_USAGE  # nothing could be read
    return EXIT_SOME_FAILED if failed else EXIT_OK


class _Stop:
    """Ctrl-C and SIGTERM during a run: the first asks the run to stop after the record
    being written (it then commits, so nothing written is read again); a second
    Ctrl-C stops at once (``KeyboardInterrupt``; what was written since the last
    commit is read again next time)."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, _frame: object) -> None:
        if self.requested is not None and number == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = "terminated" if number == signal.SIGTERM else "interrupted"


class _Outputs:
    """The files a run writes, each published only when it holds something (or on
    ``--write-empty``): a failed or empty run leaves earlier files as they were."""

    def __init__(self, args: argparse.Namespace) -> None:
        mode: WriteMode = "append" if args.append else "replace"

        def writer(target: str) -> JsonlWriter:
            return JsonlWriter(target, mode=mode, keep_empty=args.write_empty)

        self.writers: list[JsonlWriter] = []
        self.out = writer(args.output)
        self.writers.append(self.out)
        self.duplicates = writer(args.duplicates) if args.duplicates else None
        self.quarantine = writer(args.quarantine) if args.quarantine else None
        self.writers += [w for w in (self.duplicates, self.quarantine) if w is not None]

    def commit(self) -> None:
        """Before keys are recorded as seen: every line so far on disk, in place."""
        for writer in self.writers:
            writer.flush()
            if writer.count:
                writer.publish()

    def close(self) -> None:
        problem: OSError | None = None
        for writer in self.writers:
            try:
                writer.close()
            except OSError as error:
                problem = problem or error
        if problem is not None:
            raise problem


def _cmd_ingest(args: argparse.Namespace, err: IO[str]) -> int:
    sources = _sources(args, err)
    registry = _registry(args)
    problem = _usage_problem(args, sources, registry) or _output_problem(args)
    if problem:
        err.write(f"newsingest ingest: error: {problem}\n")
        return EXIT_USAGE
    if args.due_only:
        sources = _due_only(args.state, sources, None if args.quiet else err)
        if not sources:
            return EXIT_OK  # nothing due: a cheap run, as cron every minute wants
    report = RunReport(per_source=[] if args.report else None)
    started = time.monotonic()
    try:
        outputs = _Outputs(args)
    except OSError as error:
        err.write(f"newsingest: error: {_os_failure(error)}\n")
        return EXIT_OPERATIONAL
    job = _Job(args, err, sources, registry, report, outputs)
    with _Stop() as stop:
        status = _run(job, stop)
    if args.report:
        _write_report(args.report, report, status, time.monotonic() - started)
    return status


@attrs.frozen
class _Job:
    """One ``newsingest ingest``: what it reads and where it writes."""

    args: argparse.Namespace
    err: IO[str]
    sources: list[Any]
    registry: ReaderRegistry
    report: RunReport
    outputs: _Outputs


def _run(job: _Job, stop: _Stop) -> int:
    """Run the ingest; its exit status (the summary line always printed)."""
    args, err, report, outputs = job.args, job.err, job.report, job.outputs
    # On a terminal only, and not when the articles themselves go to that terminal.
    to_terminal = args.output == "-" and sys.stdout.isatty()
    progress = _Progress(err, enabled=err.isatty() and not args.quiet and not to_terminal)
    failure: str | None = None
    status: int | None = None
    run = None
    owned: Deduplicator | None = None
    try:
        options = _dedup_options(args)
        owned = options["dedup"] if isinstance(options["dedup"], Deduplicator) else None
        run = _start(job, options)
        for line in run.json_lines():
            outputs.out.write_line(line)
            progress.update(report)
            if stop.requested:
                run.stop()  # what was written is committed: the next run goes on from here
                break
    except KeyboardInterrupt:
        stop.requested = stop.requested or "interrupted"
    except NewsIngestError as error:
        failure = str(error)
        status = EXIT_OPERATIONAL if isinstance(error, (StoreError, WorkerError)) else None
    except ValueError as error:  # options ingest() refuses
        failure, status = f"{error}", EXIT_USAGE
    except OSError as error:
        failure, status = _os_failure(error), EXIT_OPERATIONAL
    except MemoryError:
        failure, status = "out of memory (try fewer --workers or smaller inputs)", EXIT_OPERATIONAL
    finally:
        if run is not None:
            run.close()
        if owned is not None:
            owned.close()  # a Deduplicator given to ingest() is the caller's to close
    try:
        outputs.close()
    except OSError as error:
        failure, status = failure or _os_failure(error), EXIT_OPERATIONAL
    progress.done()
    if failure is not None:
        if args.debug:
            traceback.print_exc(file=err)
        err.write(f"newsingest: error: {failure}\n")
    report.stopped = stop.requested or (None if failure is None else "failed")
    err.write(f"newsingest: {report.summary()}\n")
    if stop.requested:
        return EXIT_TERMINATED if stop.requested == "terminated" else EXIT_INTERRUPTED
    if status is not None:
        return status
    return _exit_code(report, failed_hard=failure is not None)


def _start(job: _Job, options: dict[str, Any]) -> IngestRun:
    args, err, outputs = job.args, job.err, job.outputs

    def show(item: NewsIngestError | NewsIngestWarning) -> None:
        if not args.quiet:
            kind = "warning" if isinstance(item, NewsIngestWarning) else "error"
            err.write(f"{kind}: {item}\n")

    on_error: OnError = "quarantine" if args.quarantine is not None else args.on_error
    own_files = [p for p in (args.output, args.duplicates, args.quarantine, args.state) if p]
    return ingest(
        job.sources,
        reader=args.reader,
        registry=job.registry,
        on_error=on_error,
        quarantine=None if outputs.quarantine is None else outputs.quarantine.write,
        on_warning=show,
        # With "raise" the error ends the run and is shown once, below.
        on_reject=show if on_error != "raise" else None,
        normalize=not args.no_normalize,
        **options,
        on_duplicate=None if outputs.duplicates is None else _writes(outputs.duplicates),
        before_commit=outputs.commit,
        fetch=_fetch_options(args) if args.fetch else False,
        concurrency=args.concurrency,
        workers=args.workers,
        report=job.report,
        exclude=[p for p in own_files if p != "-"],
        on_skip=_said_skip(err) if args.verbose and not args.quiet else None,
    )


def _fetch_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "concurrency": args.concurrency,
        "allow_private": args.allow_private_addresses,
        "per_host": args.per_host,
        "on_page_error": args.on_fetch_error,
    }
    if args.per_host_delay is not None:
        options["per_host_delay"] = args.per_host_delay
    if args.ignore_robots:
        options["robots"] = False
    if args.fast_dates:
        options["extensive_dates"] = False
    if args.user_agent is not None:
        options["user_agent"] = args.user_agent
    return options


def _said_skip(err: IO[str]) -> Callable[[str, str], None]:
    def say(path: str, reason: str) -> None:
        err.write(f"skipped: {path} ({_SKIP_REASONS.get(reason, reason)})\n")

    return say


_SKIP_REASONS = {
    "unsupported": "no reader reads it",
    "hidden": "hidden",
    "broken_link": "a broken symbolic link",
    "own_output": "this run's own output",
}


def _os_failure(error: OSError) -> str:
    """What went wrong with a file or the disk, and what to do."""
    where = f"{error.filename}: " if error.filename else ""
    reason = error.strerror or str(error)
    hint = ""
    if error.errno == errno.ENOSPC:
        hint = " (free some space and run again: what was written is kept)"
    elif error.errno in (errno.EACCES, errno.EPERM):
        hint = " (check the permissions of the file and its folder)"
    return f"{where}{reason}{hint}"


def _output_problem(args: argparse.Namespace) -> str:
    """What is wrong with the output options before anything is opened ("" when nothing)."""
    if args.append and args.force:
        return "--append and --force contradict each other: add to the files, or replace them"
    named = {"-o": args.output, "--duplicates": args.duplicates, "--quarantine": args.quarantine}
    for option, target in named.items():
        if target == "-" and option != "-o" and args.output == "-":
            return f"{option} - would mix its records into the articles on stdout; give a FILE"
    for option, target in [*named.items(), ("--report", args.report)]:
        if not target or target == "-":
            continue
        path = Path(target)
        if path.is_dir():
            return f"{option} {target} is a folder; give a file name"
        folder = next((p for p in path.absolute().parents if p.exists()), Path("/"))
        if not os.access(folder, os.W_OK):
            return f"{option} {target}: cannot write in {folder} (permission denied)"
        replaceable = option == "--report" or args.append or args.force
        if not replaceable and path.is_file() and path.stat().st_size > 0:
            return (
                f"{option} {target} exists and is not empty: add --append to add to it, "
                "or --force to replace it"
            )
    if args.state and not Path(args.state).absolute().parent.is_dir():
        return f"--state {args.state}: the folder {Path(args.state).parent} does not exist"
    return ""


def _write_report(path: str, report: RunReport, status: int, seconds: float) -> None:
    """``--report FILE``: the run report as one JSON object (see docs/cli.md)."""
    document = {
        "schema_version": REPORT_SCHEMA_VERSION,
        **report.to_dict(),
        "exit_status": status,
        "seconds": round(seconds, 3),
    }
    with JsonlWriter(path, mode="replace") as writer:
        writer.write(document)


def _dedup_options(args: argparse.Namespace) -> dict[str, Any]:
    """The dedup arguments of ``ingest()`` for the command line."""
    keys = None if args.keys is None else [k.strip() for k in args.keys.split(",") if k.strip()]
    dedup = not (args.no_dedup or args.no_normalize)
    if dedup and args.also_seen:
        deduplicator = Deduplicator(
            keys=keys or DEFAULT_KEYS,
            store=open_store(args.state),
            near_threshold=args.near,
            also_seen=True,
        )
        return {"dedup": deduplicator}
    return {"dedup": dedup, "keys": keys, "state": args.state, "near": args.near}


def _writes(writer: JsonlWriter) -> Callable[[Duplicate], None]:
    def write(duplicate: Duplicate) -> None:
        writer.write(duplicate.to_dict())

    return write


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    err = sys.stderr
    try:
        if args.command == "readers":
            return _cmd_readers(sys.stdout)
        if args.command == "state":
            return _cmd_state(args, sys.stdout)
        if args.command == "feeds":
            return _cmd_feeds(args, sys.stdout, err)
        if args.command == "discover":
            return _cmd_discover(args, sys.stdout, err)
        if args.command == "watch":
            return _cmd_watch(args, err)
        return _cmd_ingest(args, err)
    except NewsIngestError as error:
        err.write(f"newsingest: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:  # before the run's own handler was in place
        err.write("newsingest: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # e.g. `newsingest ingest … | head`: the reader went away; not our failure.
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
