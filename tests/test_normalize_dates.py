"""Tests for newsingest.normalize.dates: strict parsing, no guessing, no clock."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from newsingest.exceptions import InvalidDateError, NormalizationError
from newsingest.model import PRECISIONS
from newsingest.normalize import ParsedDate, parse_date

UTC = timezone.utc
CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "dates" / "cases.json").read_text(encoding="utf-8")
)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=UTC)


def _options(case: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if "now" in case:
        options["now"] = _utc(case["now"])
    if "default_tz_minutes" in case:
        options["default_tz"] = timezone(timedelta(minutes=case["default_tz_minutes"]))
    return options


def test_table_is_large_enough() -> None:
    """The data table holds at least 60 cases, successes and failures both."""
    assert len(CASES) >= 60
    assert sum("reason" in case for case in CASES) >= 20
    assert sum("expected" in case for case in CASES) >= 40


@pytest.mark.parametrize("case", [c for c in CASES if "expected" in c], ids=repr)
def test_table_parses(case: dict[str, Any]) -> None:
    """Each accepted layout gives the expected instant, precision and zone provenance."""
    parsed = parse_date(case["input"], **_options(case))
    assert parsed.instant == _utc(case["expected"])
    assert parsed.instant.tzinfo is UTC
    assert parsed.precision == case["precision"]
    assert parsed.zone == case["zone"]
    assert parsed.raw == str(case["input"])


@pytest.mark.parametrize("case", [c for c in CASES if "reason" in c], ids=repr)
def test_table_rejects(case: dict[str, Any]) -> None:
    """Each rejected input raises InvalidDateError with the documented reason code."""
    with pytest.raises(InvalidDateError) as info:
        parse_date(case["input"], **_options(case))
    assert info.value.reason == case["reason"]
    assert info.value.value is not None
    assert isinstance(info.value, NormalizationError)
    assert isinstance(info.value, ValueError)


def test_aware_datetime_is_converted_and_explicit() -> None:
    """An aware datetime keeps its instant, moves to UTC and says its zone was explicit."""
    value = datetime(2022, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    parsed = parse_date(value)
    assert parsed == ParsedDate(
        instant=datetime(2022, 3, 1, 8, 0, tzinfo=UTC),
        precision="second",
        zone="explicit",
        raw=str(value),
    )


def test_naive_datetime_gets_default_tz_and_is_assumed() -> None:
    """A naive datetime is read in default_tz, never the machine's zone."""
    value = datetime(2022, 3, 1, 10, 0, 0, 5)
    parsed = parse_date(value, default_tz=timezone(timedelta(hours=-5)))
    assert parsed.instant == datetime(2022, 3, 1, 15, 0, 0, 5, tzinfo=UTC)
    assert (parsed.precision, parsed.zone) == ("microsecond", "assumed")


def test_date_object_is_day_precision() -> None:
    """A date is midnight in default_tz at day precision."""
    parsed = parse_date(date(2022, 2, 6))
    assert (parsed.instant, parsed.precision, parsed.zone) == (
        datetime(2022, 2, 6, tzinfo=UTC),
        "day",
        "assumed",
    )


def test_struct_time_from_gmtime_is_explicit_utc() -> None:
    """A struct_time with tm_gmtoff (as feedparser's, from gmtime) is an explicit instant."""
    parsed = parse_date(time.gmtime(1646128800))
    assert parsed.instant == datetime(2022, 3, 1, 10, tzinfo=UTC)
    assert (parsed.precision, parsed.zone) == ("second", "explicit")


def test_struct_time_without_offset_is_assumed() -> None:
    """A struct_time built from a tuple has no offset: default_tz, marked assumed."""
    value = time.struct_time((2022, 3, 1, 10, 0, 0, 1, 60, 0))
    parsed = parse_date(value, default_tz=timezone(timedelta(hours=1)))
    assert parsed.instant == datetime(2022, 3, 1, 9, tzinfo=UTC)
    assert parsed.zone == "assumed"


def test_struct_time_never_rolls_over() -> None:
    """A struct_time naming 30 February is an error, not 2 March."""
    with pytest.raises(InvalidDateError) as info:
        parse_date(time.struct_time((2022, 2, 30, 10, 0, 0, 1, 60, 0)))
    assert info.value.reason == "invalid_field"


@pytest.mark.parametrize("value", [True, None, [2022, 3, 1], b"20220301", float("nan")])
def test_other_types_are_rejected(value: Any) -> None:
    """Types that are not dates raise InvalidDateError, never a bare TypeError."""
    with pytest.raises(InvalidDateError) as info:
        parse_date(value)
    assert info.value.reason in {"unsupported_type", "invalid_field"}


def test_naive_now_is_a_programming_error() -> None:
    """now must be aware: a naive now would smuggle in the machine's zone."""
    with pytest.raises(TypeError, match="aware"):
        parse_date("2022-03-01", now=datetime(2022, 3, 1))


def test_max_future_is_configurable() -> None:
    """A smaller max_future rejects what the default tolerates."""
    now = datetime(2022, 3, 1, tzinfo=UTC)
    assert parse_date("2022-03-02", now=now).instant == datetime(2022, 3, 2, tzinfo=UTC)
    with pytest.raises(InvalidDateError) as info:
        parse_date("2022-03-02", now=now, max_future=timedelta(hours=1))
    assert info.value.reason == "out_of_range_future"


def test_precisions_come_from_the_model_vocabulary() -> None:
    """Every precision in the table is one the Article model accepts."""
    assert {case["precision"] for case in CASES if "expected" in case} <= set(PRECISIONS)


def test_error_pickles_with_reason() -> None:
    """An InvalidDateError survives pickling with its reason and value (worker processes)."""
    import pickle

    with pytest.raises(InvalidDateError) as info:
        parse_date("2022-02-30")
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.reason, copy.value, str(copy)) == ("invalid_field", "2022-02-30", str(info.value))


# --- properties ---------------------------------------------------------------------


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FULL_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_NAMED = {"EST": -300, "PDT": -420, "CET": 60, "CEST": 120, "JST": 540, "AEST": 600, "MSK": 180}


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _truncate(value: datetime, precision: str) -> datetime:
    """The instant a format of that precision states, in the value's own zone."""
    if precision == "day":
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    if precision == "minute":
        return value.replace(second=0, microsecond=0)
    if precision == "second":
        return value.replace(microsecond=0)
    return value


def _formats(local: datetime, name: str) -> list[tuple[str | int, str, datetime]]:
    """Every layout of ``local`` (aware) as (text, precision, the zone it is written in)."""
    utc = local.astimezone(UTC)
    minutes = int(local.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
    off = _offset(minutes)
    named = local.astimezone(timezone(timedelta(minutes=_NAMED[name])))
    y, mo, d = local.year, local.month, local.day
    hms = f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    frac = f"{local.microsecond:06d}"
    wd, mon = _DAYS[local.weekday()], _MONTHS[mo - 1]
    u = utc
    u_hms = f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    hour12 = u.hour % 12 or 12
    ampm = "AM" if u.hour < 12 else "PM"
    n_hms = f"{named.hour:02d}:{named.minute:02d}:{named.second:02d}"
    return [
        (f"{y:04d}-{mo:02d}-{d:02d}T{hms}.{frac}{off[:3]}:{off[3:]}", "microsecond", local),
        (f"{y:04d}-{mo:02d}-{d:02d}T{hms}{off}", "second", local),
        (f"{y:04d}{mo:02d}{d:02d}T{hms.replace(':', '')}.{frac}{off}", "microsecond", local),
        (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u_hms}Z", "second", u),
        (f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}:{u.minute:02d}", "minute", u),
        (f"{u.year:04d}{u.month:02d}{u.day:02d}", "day", u),
        (f"{u.year:04d}{u.month:02d}{u.day:02d}{u.hour:02d}{u.minute:02d}", "minute", u),
        (
            f"{u.year:04d}{u.month:02d}{u.day:02d}{u.hour:02d}{u.minute:02d}{u.second:02d}",
            "second",
            u,
        ),
        (f"{wd}, {d:02d} {mon} {y:04d} {hms} {off}", "second", local),
        (f"{d} {_FULL_MONTHS[mo - 1]} {y:04d} {hms[:5]} {off}", "minute", local),
        (
            f"{_DAYS[named.weekday()]}, {named.day} {_MONTHS[named.month - 1]} {named.year} "
            f"{n_hms} {name}",
            "second",
            named,
        ),
        (
            f"{_FULL_DAYS[u.weekday()]}, {u.day:02d}-{_MONTHS[u.month - 1]}-{u.year % 100:02d} "
            f"{u_hms} GMT",
            "second",
            u,
        ),
        (
            f"{_DAYS[u.weekday()]} {_MONTHS[u.month - 1]} {u.day:2d} {u_hms} {u.year}",
            "second",
            u,
        ),
        (
            f"{_FULL_MONTHS[u.month - 1]} {u.day}, {u.year} {hour12}:{u.minute:02d} {ampm} UTC",
            "minute",
            u,
        ),
        (f"{_FULL_MONTHS[u.month - 1]} {u.day}, {u.year}", "day", u),
    ]


def _epochs(utc: datetime) -> list[tuple[str | int, str, datetime]]:
    """Epoch seconds (int, and str where it has 9 to 11 digits) and milliseconds."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    seconds = (utc - epoch) // timedelta(seconds=1)
    millis = (utc - epoch) // timedelta(milliseconds=1)
    whole = utc.replace(microsecond=0)
    forms: list[tuple[str | int, str, datetime]] = [(seconds, "second", whole)]
    if seconds > 0 and 9 <= len(str(seconds)) <= 11:
        forms.append((str(seconds), "second", whole))
    if abs(millis) > 1e11:
        in_millis = utc.replace(microsecond=utc.microsecond // 1000 * 1000)
        forms.append((millis, "second" if millis % 1000 == 0 else "microsecond", in_millis))
    return forms


_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@given(
    st.datetimes(
        min_value=datetime(1950, 1, 2),
        max_value=datetime(2049, 12, 30),
        timezones=_offsets,
    ),
    st.sampled_from(sorted(_NAMED)),
)
def test_every_format_round_trips_at_its_precision(local: datetime, name: str) -> None:
    """Each supported layout of a random aware instant parses back to it, at that precision."""
    for text, precision, written_in in [
        *_formats(local, name),
        *_epochs(local.astimezone(UTC)),
    ]:
        parsed = parse_date(text)
        assert parsed.precision == precision, text
        assert parsed.instant == _truncate(written_in, precision).astimezone(UTC), text
        assert parsed.instant.tzinfo is UTC


@given(st.text(max_size=60))
def test_parse_date_raises_only_its_own_error_on_text(text: str) -> None:
    """Arbitrary text gives a ParsedDate or InvalidDateError, nothing else."""
    try:
        parsed = parse_date(text)
    except InvalidDateError as error:
        assert error.reason
    else:
        assert parsed.instant.tzinfo is UTC
        assert parsed.precision in PRECISIONS


_date_alphabet = st.sampled_from(
    [*"0123456789 -:+,./TZ", "Mar", "March", "Tue", "GMT", "EST", "IST", "PM", "st", "at", "of"]
)


@given(st.lists(_date_alphabet, max_size=14).map("".join))
def test_parse_date_raises_only_its_own_error_on_date_like_text(text: str) -> None:
    """Date-shaped noise reaches the deeper layers and still only raises InvalidDateError."""
    try:
        parsed = parse_date(text, now=datetime(2022, 3, 1, tzinfo=UTC))
    except InvalidDateError as error:
        assert error.reason
    else:
        assert parsed.instant - datetime(2022, 3, 1, tzinfo=UTC) <= timedelta(hours=48)


@given(st.integers(min_value=-(10**20), max_value=10**20) | st.floats(allow_nan=True))
def test_parse_date_on_any_number(value: float) -> None:
    """Any int or float is an epoch or an InvalidDateError."""
    assume(not isinstance(value, bool))
    try:
        parsed = parse_date(value)
    except InvalidDateError as error:
        assert error.reason in {"out_of_range", "invalid_field"}
    else:
        assert parsed.zone == "explicit"


def test_a_wrong_weekday_keeps_the_date_and_says_what_contradicts_what() -> None:
    parsed = parse_date("Sat, 04 Oct 2013 10:00:00 +0400")  # 4 October 2013 was a Friday
    assert parsed.instant == datetime(2013, 10, 4, 6, 0, tzinfo=timezone.utc)
    assert parsed.weekday_mismatch == "weekday Sat contradicts 2013-10-04, a Friday"
    assert parse_date("Fri, 04 Oct 2013 10:00:00 +0400").weekday_mismatch is None


def test_a_feed_entry_with_a_wrong_weekday_keeps_its_date_with_a_warning() -> None:
    from newsingest.exceptions import NewsIngestWarning
    from newsingest.model import Article
    from newsingest.readers.feed import FeedReader

    feed = (
        b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<link>https://e.example/1</link><pubDate>Sat, 04 Oct 2013 10:00:00 +0400</pubDate>"
        b"</item></channel></rss>"
    )
    items = list(FeedReader().parse(feed, location="f.xml"))
    (article,) = [i for i in items if isinstance(i, Article)]
    assert article.published == datetime(2013, 10, 4, 6, 0, tzinfo=timezone.utc)
    (warning,) = [i for i in items if isinstance(i, NewsIngestWarning)]
    assert warning.reason == "weekday_mismatch"
    assert warning.item == 0


def test_one_digit_hours_need_a_colon_after_them() -> None:
    """'T540' is no ISO time; 'T5:40' is what feeds write for 05:40."""
    with pytest.raises(InvalidDateError):
        parse_date("2009-01-12T540")
    assert parse_date("2009-01-12T5:40").instant.hour == 5
