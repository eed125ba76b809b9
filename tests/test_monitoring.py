"""Monitoring feeds over months: schedules, politeness and health, against real
loopback servers, with the clock injected (nothing here sleeps to wait for a poll)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsingest.exceptions import NewsIngestWarning
from newsingest.model import Article
from newsingest.readers.feed import FeedReader
from newsingest.schedule import FeedStatus, PollOutcome, PollPolicy, after_poll, due, is_due
from newsingest.state import MemoryStore, SQLiteStore, feed_statuses
from newsingest.testing import RecordedRequest, Response, serve
from tests.command import newsingest as _newsingest

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def rss(*items: str, ttl: str = "") -> bytes:
    body = "".join(
        f"<item><title>{item}</title><link>https://news.example/{item}</link>"
        f"<guid>{item}</guid></item>"
        for item in items
    )
    return (f'<rss version="2.0"><channel><title>T</title>{ttl}{body}</channel></rss>').encode()


def _poll(feeds: Path, state: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return _newsingest(
        "ingest", "--feeds", str(feeds), "--state", str(state), "--due-only",
        "--allow-private-addresses", "-o", str(out), "--force",
    )  # fmt: skip


def _statuses(state: Path) -> dict[str, dict[str, object]]:
    done = _newsingest("state", "feeds", str(state), "--json")
    assert done.returncode == 0, done.stderr
    return {row["url"]: row for row in map(json.loads, done.stdout.splitlines())}


def _seconds_between(later: object, earlier: object) -> float:
    parse = lambda text: datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return (parse(later) - parse(earlier)).total_seconds()


def test_retry_after_and_max_age_keep_the_next_due_only_poll_away(tmp_path: Path) -> None:
    """429 + Retry-After 3600 and Cache-Control max-age=7200: the next --due-only poll
    sends neither feed a request; state feeds --json matches the server's log."""
    routes = {
        "/limited.xml": Response(status=429, headers={"Retry-After": "3600"}),
        "/cached.xml": Response(body=rss("a", "b"), headers={"Cache-Control": "max-age=7200"}),
    }
    feeds, state = tmp_path / "feeds.txt", tmp_path / "state.db"
    with serve(routes) as server:
        urls = [server.url(path) for path in routes]
        feeds.write_text("\n".join(urls) + "\n", encoding="utf-8")
        first = _poll(feeds, state, tmp_path / "1.jsonl")
        second = _poll(feeds, state, tmp_path / "2.jsonl")
        log = Counter(request.path for request in server.requests)
    assert first.returncode == 1, first.stderr  # one feed failed, the other was read
    assert second.returncode == 0, second.stderr
    assert "0 of 2 feeds due" in second.stderr
    assert log == {"/limited.xml": 1, "/cached.xml": 1}
    rows = _statuses(state)
    limited, cached = rows[urls[0]], rows[urls[1]]
    assert (limited["polls"], limited["last_status"], limited["failures"]) == (1, 429, 1)
    assert _seconds_between(limited["next_poll"], limited["last_poll"]) >= 3600
    assert (cached["polls"], cached["last_status"], cached["last_reason"]) == (1, 200, "ok")
    assert _seconds_between(cached["next_poll"], cached["last_poll"]) >= 7200
    assert [(h["status"], h["items"], h["new"]) for h in cached["history"]] == [(200, 2, 2)]


def test_one_host_gets_one_request_at_a_time_while_hosts_run_concurrently() -> None:
    """8 feeds on one host: never 2 in flight there (server-side count); 4 hosts at once."""
    lock = threading.Lock()
    active: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    overall = {"active": 0, "peak": 0}

    def slow(request: RecordedRequest) -> Response:
        host = request.header("Host") or ""
        name = host.split(":")[0]
        with lock:
            active[name] += 1
            overall["active"] += 1
            peak[name] = max(peak[name], active[name])
            overall["peak"] = max(overall["peak"], overall["active"])
        time.sleep(0.05)
        with lock:
            active[name] -= 1
            overall["active"] -= 1
        return Response(body=rss(request.path.strip("/")))

    hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
    servers = [serve({f"/f{n}": slow for n in range(8)}, host=host) for host in hosts]
    for server in servers:
        server.start()
    try:
        one_host = [servers[0].url(f"/f{n}") for n in range(8)]
        many = [server.url(f"/f{n}") for n in range(2) for server in servers]
        reader = FeedReader(allow_private=True)
        list(reader.read_many(sorted(one_host), concurrency=8))
        assert peak["127.0.0.1"] == 1
        peak.clear()
        overall["peak"] = 0
        items = list(reader.read_many(sorted(many), concurrency=8))  # sorted: host by host
    finally:
        for server in servers:
            server.stop()
    assert max(peak.values()) == 1
    assert overall["peak"] >= 2  # feeds of other hosts went ahead of the queued ones
    assert sum(isinstance(item, Article) for item in items) == 8


def test_failures_back_off_exponentially_and_disable_the_feed() -> None:
    """500s: 5, 10, 20 minutes between polls; after max_failures the feed is disabled."""
    clock = Clock()
    store = MemoryStore()
    policy = PollPolicy(max_failures=4, jitter=0)
    with serve({"/broken.xml": Response(status=500)}) as server:
        url = server.url("/broken.xml")
        reader = FeedReader(validators=store, allow_private=True, clock=clock, policy=policy)
        gaps = []
        for _ in range(6):
            status = store.feed_status(url)
            if not is_due(status, clock.now):
                assert status is not None
                if status.disabled:
                    break
                clock.now = status.next_poll  # type: ignore[assignment]
            list(reader.read_many([url, url + "?other"], concurrency=2))
            status = store.feed_status(url)
            assert status is not None
            gaps.append(status.next_poll - clock.now)  # type: ignore[operator]
        requests = len(server.requests_for("/broken.xml"))
    assert gaps[:3] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert status.disabled == "4 consecutive failures, the last http_500"
    assert status.failures == 4 and requests == 2 * 4  # the ?other URL is a second feed
    assert not is_due(status, clock.now + timedelta(days=365))


def test_gone_disables_at_once_and_an_answer_enables_again() -> None:
    clock = Clock()
    store = MemoryStore()
    with serve({"/feed.xml": Response(status=410)}) as server:
        url = server.url("/feed.xml")
        reader = FeedReader(validators=store, allow_private=True, clock=clock)
        list(reader.read_many([url, url + "?b"], concurrency=2))
        status = store.feed_status(url)
        assert status is not None and status.disabled == "gone: the server answered 410 Gone"
        server.set_route("/feed.xml", Response(body=rss("back")))
        clock.now += timedelta(hours=1)
        list(reader.read_many([url, url + "?b"], concurrency=2))  # polled by hand: it answers
    again = store.feed_status(url)
    assert again is not None and again.disabled is None and again.failures == 0


def test_a_poll_sharing_no_item_with_the_last_warns_of_a_possible_gap() -> None:
    clock = Clock()
    store = MemoryStore()
    with serve({"/feed.xml": Response(body=rss("a", "b", "c"))}) as server:
        url = server.url("/feed.xml")
        reader = FeedReader(validators=store, allow_private=True, clock=clock)
        first = list(reader.read(url))
        server.set_route("/feed.xml", Response(body=rss("b", "c", "d")))
        clock.now += timedelta(hours=1)
        overlapping = list(reader.read(url))
        server.set_route("/feed.xml", Response(body=rss("x", "y", "z")))
        clock.now += timedelta(hours=1)
        jumped = list(reader.read(url))
    warned = [
        [item.reason for item in items if isinstance(item, NewsIngestWarning)]
        for items in (first, overlapping, jumped)
    ]
    assert warned == [[], [], ["possible_gap"]]
    status = store.feed_status(url)
    assert status is not None
    assert [(record.items, record.new) for record in status.history] == [(3, 3), (3, 1), (3, 3)]
    assert status.interval == PollPolicy().min_interval  # come back soon after a gap


def test_feed_hints_and_unchanged_feeds_stretch_the_interval() -> None:
    """<ttl> sets a floor; 304s make the interval grow (x1.5 a poll, up to the maximum)."""
    clock = Clock()
    store = MemoryStore()
    policy = PollPolicy(jitter=0)
    body = rss("a", ttl="<ttl>180</ttl>")
    with serve() as server:
        from newsingest.testing import conditional

        server.set_route("/feed.xml", conditional(body, etag='"1"'))
        url = server.url("/feed.xml")
        reader = FeedReader(validators=store, allow_private=True, clock=clock, policy=policy)
        list(reader.read(url))
        status = store.feed_status(url)
        assert status is not None and status.next_poll == clock.now + timedelta(minutes=180)
        intervals = []
        for _ in range(3):
            clock.now = status.next_poll  # type: ignore[assignment]
            list(reader.read(url))
            status = store.feed_status(url)
            assert status is not None and status.last_reason == "not_modified"
            intervals.append(status.interval)
    assert intervals == [timedelta(minutes=45), timedelta(minutes=67.5), timedelta(minutes=101.25)]


def test_a_state_file_of_layout_1_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with SQLiteStore(path):
        pass
    db = sqlite3.connect(path)
    db.execute("DROP TABLE feed_status")
    db.execute("DROP TABLE feeds")
    db.execute("UPDATE meta SET value = '1' WHERE name = 'schema_version'")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        store.set_feed_status(FeedStatus("https://a.example/feed", polls=3))
        store.commit()
    (status,) = feed_statuses(path)
    assert status.polls == 3
    version = sqlite3.connect(path).execute("SELECT value FROM meta WHERE name='schema_version'")
    assert version.fetchone() == ("3",)


def test_statuses_survive_a_round_trip_through_the_state_file(tmp_path: Path) -> None:
    clock = Clock()
    status, _ = after_poll(None, "https://a.example/f", PollOutcome(200, "ok", ("x", "y")), START)
    status, _ = after_poll(
        status,
        "https://a.example/f",
        PollOutcome(200, "ok", ("y", "z")),
        START + timedelta(hours=1),
    )
    with SQLiteStore(tmp_path / "s.db") as store:
        store.set_feed_status(status)
        assert store.feed_status(status.url) is status  # staged
        store.commit()
    with SQLiteStore(tmp_path / "s.db") as store:
        assert store.feed_status(status.url) == status
    assert clock.now == START


# -- a simulated month --------------------------------------------------------

MINUTE = timedelta(minutes=1)
SCHEDULES = {"tenminutes": 10 * MINUTE, "hourly": 60 * MINUTE, "daily": 24 * 60 * MINUTE}
WINDOW = 20  # items a feed shows


def _published(name: str, now: datetime) -> list[str]:
    """The items a feed shows at ``now``: its latest WINDOW, newest first."""
    if name == "never":
        return ["never-0"]
    every = SCHEDULES[name]
    count = int((now - START) / every) + 1
    return [f"{name}-{n}" for n in range(count - 1, max(count - 1 - WINDOW, -1), -1)]


def _published_at(title: str) -> datetime:
    name, number = title.rsplit("-", 1)
    return START if name == "never" else START + int(number) * SCHEDULES[name]


@pytest.mark.slow
def test_a_month_of_due_only_polling_misses_nothing_with_far_fewer_requests() -> None:
    """Feeds publishing every 10 minutes, hourly, daily and never, polled every 10
    minutes for 30 days with --due-only logic on a fake clock: the union of items
    equals what polling every feed every time would see, with >= 50 % fewer requests."""
    clock = Clock()
    store = MemoryStore()

    def route(name: str):  # type: ignore[no-untyped-def]
        def answer(_request: RecordedRequest) -> Response:
            return Response(body=rss(*_published(name, clock.now)))

        return answer

    names = [*SCHEDULES, "never"]
    seen: set[str] = set()
    every_time: set[str] = set()
    month = 30 * 24 * 6  # 10-minute steps
    # After the month, due-only polling goes on for a day (no new baseline): what was
    # published in the month's last hours is collected by the polls then due.
    steps = month + 24 * 6
    with serve({f"/{name}.xml": route(name) for name in names}) as server:
        urls = [server.url(f"/{name}.xml") for name in names]
        reader = FeedReader(validators=store, allow_private=True, clock=clock)
        for step in range(steps):
            clock.now = START + step * 10 * MINUTE
            if step < month:
                for name in names:  # what polling every feed now would see (no request)
                    every_time.update(_published(name, clock.now))
            todo = due(store.feed_statuses(), urls, clock.now)
            for item in reader.read_many(todo, concurrency=4):
                if isinstance(item, Article):
                    seen.add(item.title)
            if step == month - 1:
                in_month = len(server.requests)
        requests = len(server.requests)
    baseline = month * len(names)
    end = START + month * 10 * MINUTE
    assert {title for title in seen if _published_at(title) < end} == every_time
    assert in_month <= baseline / 2
    print(
        f"\nmonth: {in_month} due-only requests against {baseline} polling every feed "
        f"every 10 minutes ({in_month / baseline:.1%}); {requests - in_month} more in the day after"
    )
    polls = {url.rsplit("/", 1)[1]: store.feed_status(url).polls for url in urls}  # type: ignore[union-attr]
    assert polls["tenminutes.xml"] > polls["hourly.xml"] > polls["daily.xml"]


@pytest.mark.parametrize("answer", ["seconds", "http-date"])
def test_retry_after_is_read_as_seconds_or_a_date(answer: str) -> None:
    until = START + timedelta(hours=2)
    value = "7200" if answer == "seconds" else until.strftime("%a, %d %b %Y %H:%M:%S GMT")
    status, _ = after_poll(
        None, "https://a.example/", PollOutcome(503, "http_503", (), {"retry-after": value}), START
    )
    assert status.next_poll is not None and status.next_poll >= until


# -- newsingest watch -----------------------------------------------------------


def _ticking_feed(started: float, every: float):  # type: ignore[no-untyped-def]
    """A feed that gains an item every ``every`` seconds of real time (last 5 shown)."""

    def answer(request: RecordedRequest) -> Response:
        count = int((time.monotonic() - started) / every) + 1
        name = request.path.strip("/").split(".")[0]
        return Response(body=rss(*(f"{name}-{n}" for n in range(max(count - 5, 0), count))))

    return answer


def _watch(feeds: Path, state: Path, out: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "newsingest", "watch", "--feeds", str(feeds),
            "--state", str(state), "-o", str(out), "--rotate", "1s", "--min-interval", "1s",
            "--max-interval", "1s", "--max-sleep", "1s", "--allow-private-addresses", "-q",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(seconds)
    return process


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    import signal

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def _lines(folder: Path) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


@pytest.mark.slow
def test_watch_polls_rotates_stops_on_sigterm_and_resumes_without_repeats(tmp_path: Path) -> None:
    started = time.monotonic()
    routes = {f"/{name}.xml": _ticking_feed(started, 0.5) for name in ("a", "b")}
    feeds, state = tmp_path / "feeds.txt", tmp_path / "state.db"
    first_out, second_out = tmp_path / "first", tmp_path / "second"
    with serve(routes) as server:
        feeds.write_text(f"{server.url('/a.xml')}\n{server.url('/b.xml')}\n", encoding="utf-8")
        status, stderr = _stop(_watch(feeds, state, first_out, 5.0))
        assert status == 0, stderr
        after_first = len(server.requests)
        status, stderr = _stop(_watch(feeds, state, second_out, 3.5))
        assert status == 0, stderr
        log = Counter(request.path for request in server.requests)
    first, second = _lines(first_out), _lines(second_out)
    assert len(list(first_out.glob("*.jsonl"))) >= 2  # rotated every second
    titles = [record["title"] for record in first + second]
    assert len(titles) == len(set(titles))  # the restart emitted nothing twice
    assert second and len(server.requests) > after_first  # and went on polling
    rows = _statuses(state)
    # Every recorded poll was served. A poll whose answer was still being read when
    # SIGTERM came is deliberately not recorded (its validators are not kept, so its
    # items are asked for again rather than lost): at most one such poll per feed and
    # stop, and there were two stops.
    polls = {url.rsplit("/", 1)[1]: row["polls"] for url, row in rows.items()}
    assert set(polls) == {"a.xml", "b.xml"}
    for name, recorded in polls.items():
        assert 0 <= log[f"/{name}"] - recorded <= 2, (name, recorded, log)
    assert all(row["failures"] == 0 and row["last_status"] == 200 for row in rows.values())
