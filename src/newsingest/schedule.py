"""When to poll a feed next, and how it has been doing: the monitoring room.

A monitor polls the same feeds for months. After every poll, :func:`after_poll`
turns the feed's previous :class:`FeedStatus` and what the poll gave
(:class:`PollOutcome`) into its new status: health (last status and reason,
consecutive failures, when an item was last new, a short history) and
``next_poll``, the earliest time it is worth asking again:

* **adaptive interval** (:class:`PollPolicy`): from how many of the feed's items
  were new since the last poll, aim to come back when about a quarter of the
  feed's window has turned over (a feed of 20 items publishing every 10 minutes
  is polled about every 50 minutes; one that never changes drifts out to the
  maximum), halving or doubling at most per poll, within ``min_interval`` and
  ``max_interval``, with a little deterministic jitter so feeds spread out;
* **what the server and the feed ask for**: ``Retry-After`` on ``429``/``503``
  (seconds or an HTTP date, honoured up to ``max_retry_after``),
  ``Cache-Control: max-age`` and ``Expires``, the feed's ``<ttl>`` and
  ``sy:updatePeriod``/``sy:updateFrequency`` (these three capped at
  ``max_interval``): the next poll is the latest of them and the interval;
* **failures**: exponential backoff from ``min_interval``; after
  ``max_failures`` consecutive failures (default 30) the feed is disabled with
  the reason kept; ``410 Gone`` disables it at once. A feed that answers again is
  enabled again.

A poll whose items share none with the previous poll's, while the feed is as
full as it usually is, may have missed stories in between: the outcome says so
(``possible_gap``) and the interval drops to the minimum.

Everything here is pure: the clock is passed in (``now``), so a month of polling
can be simulated in a test without sleeping.
"""

from __future__ import annotations

import email.utils
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import attrs

__all__ = [
    "HISTORY",
    "FeedStatus",
    "PollOutcome",
    "PollPolicy",
    "PollRecord",
    "after_poll",
    "due",
    "feed_hint",
    "is_due",
]

#: Polls kept in a feed's history.
HISTORY: Final = 20
#: Item identities remembered from a feed's last poll (what "new" is measured against).
RECENT_ITEMS: Final = 500

_PERIODS: Final = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}


@attrs.frozen
class PollPolicy:
    """How polls are spaced.

    Attributes:
        min_interval: the shortest interval between polls of one feed.
        max_interval: the longest (a feed that never changes is still asked this often).
        first_interval: the interval before anything is known of a feed.
        jitter: the interval is moved by up to this fraction, up or down.
        window_fill: the share of a feed's items that should be new at a poll.
        max_failures: consecutive failures after which a feed is disabled.
        max_retry_after: the longest ``Retry-After`` honoured.
    """

    min_interval: timedelta = timedelta(minutes=5)
    max_interval: timedelta = timedelta(hours=24)
    first_interval: timedelta = timedelta(minutes=30)
    jitter: float = 0.1
    window_fill: float = 0.25
    max_failures: int = 30
    max_retry_after: timedelta = timedelta(days=7)

    def __attrs_post_init__(self) -> None:
        if not timedelta(0) < self.min_interval <= self.max_interval:
            raise ValueError("need 0 < min_interval <= max_interval")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")


@attrs.frozen
class PollRecord:
    """One poll in a feed's history."""

    at: datetime
    status: int | None
    reason: str
    items: int
    new: int


@attrs.frozen
class PollOutcome:
    """What one poll of a feed gave.

    Attributes:
        status: the HTTP status (``None`` when no answer came: timeout, refused...).
        reason: ``"ok"``, ``"not_modified"``, or the failure's reason code.
        items: identities of the feed's items, in feed order (``ok`` only).
        headers: the response's headers, names lower-cased.
        hint: how often the feed says it changes (``<ttl>``, ``sy:updatePeriod``).
    """

    status: int | None
    reason: str
    items: tuple[str, ...] = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    hint: timedelta | None = None

    @property
    def failed(self) -> bool:
        return self.reason not in ("ok", "not_modified")


@attrs.frozen
class FeedStatus:
    """A feed's health and schedule, as the state file keeps it."""

    url: str
    polls: int = 0
    last_poll: datetime | None = None
    last_status: int | None = None
    last_reason: str | None = None
    failures: int = 0
    last_new: datetime | None = None
    interval: timedelta | None = None
    next_poll: datetime | None = None
    disabled: str | None = None
    usual_items: int = 0
    history: tuple[PollRecord, ...] = ()
    recent: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (times as ISO 8601 UTC, intervals in seconds)."""
        return {
            "url": self.url,
            "polls": self.polls,
            "last_poll": _iso(self.last_poll),
            "last_status": self.last_status,
            "last_reason": self.last_reason,
            "failures": self.failures,
            "last_new": _iso(self.last_new),
            "interval_seconds": None
            if self.interval is None
            else int(self.interval.total_seconds()),
            "next_poll": _iso(self.next_poll),
            "disabled": self.disabled,
            "usual_items": self.usual_items,
            "history": [
                {
                    "at": _iso(r.at),
                    "status": r.status,
                    "reason": r.reason,
                    "items": r.items,
                    "new": r.new,
                }
                for r in self.history
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], recent: Sequence[str] = ()) -> FeedStatus:
        interval = data.get("interval_seconds")
        return cls(
            url=data["url"],
            polls=int(data.get("polls") or 0),
            last_poll=_parse_iso(data.get("last_poll")),
            last_status=data.get("last_status"),
            last_reason=data.get("last_reason"),
            failures=int(data.get("failures") or 0),
            last_new=_parse_iso(data.get("last_new")),
            interval=None if interval is None else timedelta(seconds=int(interval)),
            next_poll=_parse_iso(data.get("next_poll")),
            disabled=data.get("disabled"),
            usual_items=int(data.get("usual_items") or 0),
            history=tuple(
                PollRecord(
                    _parse_iso(r["at"]) or _EPOCH, r["status"], r["reason"], r["items"], r["new"]
                )
                for r in data.get("history") or ()
            ),
            recent=tuple(recent),
        )


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def is_due(status: FeedStatus | None, now: datetime) -> bool:
    """True when a feed should be polled at ``now`` (never polled, or its time came)."""
    if status is None:
        return True
    if status.disabled is not None:
        return False
    return status.next_poll is None or status.next_poll <= now


def feed_hint(feed: Mapping[str, Any]) -> timedelta | None:
    """How often a feed says it changes: ``<ttl>`` minutes, else ``sy:updatePeriod`` /
    ``sy:updateFrequency`` (feedparser's ``feed`` mapping)."""
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return timedelta(minutes=int(ttl))
    period = _PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency") or "1").strip()
    times = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
    return period / times


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """When a ``Retry-After`` (seconds or an HTTP date) says to come back; ``None``: unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when


def _cache_until(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When the response says it stays fresh: ``max-age`` over ``Expires``."""
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        seconds = value.strip().strip('"')
        if name.lower() in ("max-age", "s-maxage") and seconds.isdigit():
            return now + timedelta(seconds=int(seconds))
    expires = headers.get("expires", "").strip()
    return None if not expires or expires.isdigit() else parse_retry_after(expires, now)


def _jittered(url: str, now: datetime, interval: timedelta, jitter: float) -> timedelta:
    """``interval`` moved by up to ``jitter`` of itself, the same for the same feed and poll."""
    if not jitter:
        return interval
    fraction = zlib.crc32(f"{url} {now.timestamp():.0f}".encode()) / 0xFFFFFFFF  # 0..1
    return interval * (1 + jitter * (2 * fraction - 1))


def _whole_second(value: datetime) -> datetime:
    """``value`` rounded up to a whole second (what the state file keeps)."""
    whole = value.replace(microsecond=0)
    return whole if whole == value else whole + timedelta(seconds=1)


def _clamp(value: timedelta, policy: PollPolicy) -> timedelta:
    return max(policy.min_interval, min(policy.max_interval, value))


def _adaptive(
    previous: FeedStatus | None, outcome: PollOutcome, new: int, now: datetime, policy: PollPolicy
) -> timedelta:
    """The interval after a successful poll."""
    interval = (
        policy.first_interval
        if previous is None or previous.interval is None
        else previous.interval
    )
    if previous is None or previous.last_poll is None:
        return _clamp(interval, policy)
    if outcome.reason == "not_modified" or new == 0:
        return _clamp(interval * 1.5, policy)
    elapsed = max(now - previous.last_poll, policy.min_interval)
    window = max(len(outcome.items), 1)
    wanted = elapsed * (policy.window_fill * window / new)
    wanted = max(interval / 2, min(interval * 2, wanted))
    return _clamp(wanted, policy)


def after_poll(
    previous: FeedStatus | None,
    url: str,
    outcome: PollOutcome,
    now: datetime,
    policy: PollPolicy | None = None,
) -> tuple[FeedStatus, bool]:
    """The feed's status after ``outcome`` at ``now``, and whether stories may have
    been missed since the previous poll (``possible_gap``)."""
    policy = policy or PollPolicy()
    base = previous or FeedStatus(url)
    if outcome.failed:
        return _after_failure(base, outcome, now, policy), False
    seen = set(base.recent)
    if outcome.reason == "not_modified":
        items, new, recent = base.history[-1].items if base.history else 0, 0, base.recent
    else:
        items = len(outcome.items)
        new = sum(1 for identity in dict.fromkeys(outcome.items) if identity not in seen)
        recent = tuple(dict.fromkeys(outcome.items))[:RECENT_ITEMS]
    gap = bool(
        outcome.reason == "ok"
        and base.recent
        and new == len(set(outcome.items)) > 0
        and items >= base.usual_items > 0
    )
    interval = policy.min_interval if gap else _adaptive(previous, outcome, new, now, policy)
    hinted = [
        parse_retry_after(outcome.headers.get("retry-after"), now),
        _cache_until(outcome.headers, now),
        None if outcome.hint is None else now + outcome.hint,
    ]
    ceiling = now + policy.max_interval
    next_poll = max(
        [now + _jittered(url, now, interval, policy.jitter)]
        + [min(when, ceiling) for when in hinted if when is not None]
    )
    next_poll = _whole_second(next_poll)
    record = PollRecord(now, outcome.status, outcome.reason, items, new)
    status = attrs.evolve(
        base,
        polls=base.polls + 1,
        last_poll=now,
        last_status=outcome.status,
        last_reason=outcome.reason,
        failures=0,
        last_new=now if new else base.last_new,
        interval=interval,
        next_poll=next_poll,
        disabled=None,
        usual_items=max(base.usual_items, items),
        history=(*base.history, record)[-HISTORY:],
        recent=recent,
    )
    return status, gap


def _after_failure(
    base: FeedStatus, outcome: PollOutcome, now: datetime, policy: PollPolicy
) -> FeedStatus:
    failures = base.failures + 1
    backoff = min(policy.min_interval * (2 ** min(failures - 1, 30)), policy.max_interval)
    next_poll = now + _jittered(base.url, now, backoff, policy.jitter)
    retry = parse_retry_after(outcome.headers.get("retry-after"), now)
    if retry is not None and outcome.status in (429, 503):
        next_poll = max(next_poll, min(retry, now + policy.max_retry_after))
    next_poll = _whole_second(next_poll)
    disabled = base.disabled
    if outcome.status == 410:
        disabled = "gone: the server answered 410 Gone"
    elif failures >= policy.max_failures:
        disabled = f"{failures} consecutive failures, the last {outcome.reason}"
    record = PollRecord(now, outcome.status, outcome.reason, 0, 0)
    return attrs.evolve(
        base,
        polls=base.polls + 1,
        last_poll=now,
        last_status=outcome.status,
        last_reason=outcome.reason,
        failures=failures,
        next_poll=next_poll,
        disabled=disabled,
        history=(*base.history, record)[-HISTORY:],
    )


def due(statuses: Mapping[str, FeedStatus], urls: Iterable[str], now: datetime) -> list[str]:
    """The ``urls`` due at ``now``, in their order (unknown feeds are due)."""
    return [url for url in urls if is_due(statuses.get(url), now)]
