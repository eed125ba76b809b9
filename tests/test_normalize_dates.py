"""Tests for newsingest.normalize.dates: strict parsing, no guessing, no clock."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

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
