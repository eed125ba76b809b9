"""Benchmark the normalisers: per-call cost of url_key, parse_date and normalize_text.

Run on demand (``python benchmarks/normalize.py``, 100k inputs) or in CI with a small
size (``--n 5000``). Every figure is printed beside other code timed on the same
inputs in the same run, as a ratio, so the numbers mean something on a noisy
shared machine:

* ``url_key`` against ``urllib.parse.urlsplit`` (a floor: it only splits) and
  ``courlan.normalize_url``. Target: faster than courlan.
* ``parse_date`` on a mix of ISO 8601, RFC 822 and ``YYYYMMDD`` strings against
  ``dateutil.parser.parse`` and ``datetime.fromisoformat`` (which reads only the ISO
  part of the mix; its failures are timed too). Target: 10x faster than dateutil.
* ``normalize_text`` on news paragraphs against ``" ".join(s.split()).lower()``.

Inputs are distinct (random ids and instants), and every cache is cleared before each
timed pass, so the figures are per-call costs, not cache hits. Within a pass the
per-host and per-zone caches do hit, as they do on any real stream (a few dozen
news hosts and zone names cover most inputs).
"""

from __future__ import annotations

import argparse
import random
import time
import urllib.parse
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsingest.normalize import dates as _dates
from newsingest.normalize import normalize_text, parse_date, url_key
from newsingest.normalize import urls as _urls

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

_HOSTS = [
    "www.bbc.co.uk",
    "www.theguardian.com",
    "edition.cnn.com",
    "www.nytimes.com",
    "www.reuters.com",
    "apnews.com",
    "www.spiegel.de",
    "www.lemonde.fr",
    "news.yahoo.com",
    "www.aljazeera.com",
]
_SECTIONS = ["news", "world", "politics", "business", "sport", "world/europe", "uk-news"]
_WORDS = [
    "ukraine",
    "war",
    "talks",
    "minister",
    "says",
    "hospitals",
    "rebuilt",
    "plan",
    "budget",
    "vote",
    "storm",
]
_TRACKING = [
    "utm_source=rss&utm_medium=feed&utm_campaign=world",
    "fbclid=IwAR0xYz123",
    "ref_src=twsrc%5Etfw",
    "at_medium=RSS&at_campaign=KARANGA",
    "smid=tw-share",
    "CMP=share_btn_tw",
]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def make_urls(n: int, rng: random.Random) -> list[str]:
    """URLs as feeds and link lists carry them: mixed schemes, slugs, ids, tracking."""
    urls = []
    for index in range(n):
        host = rng.choice(_HOSTS)
        slug = "-".join(rng.sample(_WORDS, 4))
        path = f"/{rng.choice(_SECTIONS)}/2022/mar/{rng.randint(1, 28):02d}/{slug}-{index}"
        url = f"{rng.choice(['https', 'https', 'http'])}://{host}{path}"
        roll = rng.random()
        if roll < 0.5:
            url += "?" + rng.choice(_TRACKING)
            if rng.random() < 0.3:
                url += f"&amp;page={rng.randint(1, 9)}"
        elif roll < 0.6:
            url += f"?id={rng.randint(1, 10**6)}&section=world"
        if rng.random() < 0.1:
            url += "#comments"
        urls.append(url)
    return urls


def make_dates(n: int, rng: random.Random) -> list[str]:
    """An even mix of ISO 8601 / RFC 3339, RFC 822 and YYYYMMDD strings."""
    start = datetime(2015, 1, 1, tzinfo=timezone.utc)
    dates = []
    for index in range(n):
        instant = start + timedelta(seconds=rng.randint(0, 10 * 365 * 86400))
        kind = index % 3
        if kind == 0:
            offset = rng.choice(["Z", "+00:00", "+01:00", "-05:00", ".000Z"])
            dates.append(instant.strftime("%Y-%m-%dT%H:%M:%S") + offset)
        elif kind == 1:
            zone = rng.choice(["GMT", "+0000", "-0500", "EST", "+0100"])
            dates.append(
                f"{_DAYS[instant.weekday()]}, {instant.day:02d} {_MONTHS[instant.month - 1]} "
                f"{instant.year} {instant:%H:%M:%S} {zone}"
            )
        else:
            dates.append(instant.strftime("%Y%m%d"))
    return dates


def make_paragraphs(n: int, rng: random.Random) -> list[str]:
    """Body segments: the seed file's paragraphs when present, else synthetic ones."""
    paragraphs: list[str] = []
    for seed in sorted(SEEDS.glob("*.txt"))[:5] if SEEDS.is_dir() else []:
        paragraphs.extend(line for line in seed.read_text("utf-8").splitlines()[3:] if line)
    if not paragraphs:
        paragraphs = [" ".join(rng.choice(_WORDS) for _ in range(25)) + " ." for _ in range(27)]
    return [f"{rng.choice(paragraphs)} {index}" for index in range(n)]


def per_call(inputs: Sequence[str], work: Callable[[str], object], repeats: int) -> float:
    """The best of ``repeats`` passes over ``inputs``, in microseconds per call."""
    best = float("inf")
    for _ in range(repeats):
        _urls._canonical.cache_clear()
        _urls._key.cache_clear()
        _urls._host_of.cache_clear()
        _dates._zone_of.cache_clear()
        start = time.perf_counter()
        for item in inputs:
            work(item)
        best = min(best, time.perf_counter() - start)
    return best / len(inputs) * 1e6


def guarded(function: Callable[[str], object]) -> Callable[[str], object]:
    """Time a function that may reject some inputs, counting the rejection's cost."""

    def call(item: str) -> object:
        try:
            return function(item)
        except (ValueError, OverflowError):
            return None

    return call


def report(title: str, ours: tuple[str, float], others: list[tuple[str, float]]) -> None:
    name, cost = ours
    print(f"\n{title}")
    print(f"  {name:<34} {cost:8.2f} us/call")
    for other, other_cost in others:
        print(f"  {other:<34} {other_cost:8.2f} us/call   ratio {other_cost / cost:6.2f}x")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="inputs per function")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; best is kept")
    parser.add_argument("--ci", action="store_true", help="small size for CI (5,000 inputs)")
    args = parser.parse_args(argv)
    if args.ci:
        args.n, args.repeats = 5_000, 2
    rng = random.Random(2022)
    urls = make_urls(args.n, rng)
    dates = make_dates(args.n, rng)
    paragraphs = make_paragraphs(args.n, rng)
    print(f"{args.n} inputs each, best of {args.repeats}; ratio = other / ours (>1: ours faster)")

    import courlan
    from dateutil import parser as dateutil_parser

    report(
        "url_key",
        ("newsingest url_key", per_call(urls, url_key, args.repeats)),
        [
            ("urllib.parse.urlsplit (floor)", per_call(urls, urllib.parse.urlsplit, args.repeats)),
            (
                "courlan.normalize_url",
                per_call(urls, guarded(courlan.normalize_url), args.repeats),
            ),
        ],
    )
    parsed_iso = sum(guarded(datetime.fromisoformat)(item) is not None for item in dates)
    with warnings.catch_warnings():
        # dateutil warns on every "EST" it cannot place; that is its cost, not noise.
        warnings.simplefilter("ignore")
        dateutil_cost = per_call(dates, guarded(dateutil_parser.parse), args.repeats)
    report(
        "parse_date (ISO 8601 / RFC 822 / YYYYMMDD mix)",
        ("newsingest parse_date", per_call(dates, parse_date, args.repeats)),
        [
            ("dateutil.parser.parse", dateutil_cost),
            (
                f"datetime.fromisoformat ({parsed_iso}/{len(dates)} ok)",
                per_call(dates, guarded(datetime.fromisoformat), args.repeats),
            ),
        ],
    )
    report(
        "normalize_text (news paragraphs)",
        ("newsingest normalize_text", per_call(paragraphs, normalize_text, args.repeats)),
        [
            (
                "' '.join(s.split()).lower() (floor)",
                per_call(paragraphs, lambda s: " ".join(s.split()).lower(), args.repeats),
            )
        ],
    )


if __name__ == "__main__":
    main()
