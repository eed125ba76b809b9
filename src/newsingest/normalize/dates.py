"""Parse the dates news sources write into aware UTC instants, without guessing.

This module owns :func:`parse_date` and its result, :class:`ParsedDate`. It is pure:
no clock (pass ``now=`` to check for dates in the future), no locale (English month
and weekday names only), and never the machine's time zone (a date without a zone
gets ``default_tz``, UTC unless told otherwise, and says so with ``zone="assumed"``).

Layers, tried in this order; the first that recognises the layout decides, and a
layout that is recognised but wrong is an error, never a hand-off to a looser layer:

1. digits only: ``YYYYMMDD``, ``YYYYMMDDhhmm``, ``YYYYMMDDhhmmss``; 9 to 11 or 13
   digits (optionally with a fraction) are Unix epoch seconds or milliseconds;
2. ISO 8601 / RFC 3339 / W3CDTF, extended or basic, with fractions and zones;
3. ``D/M/YYYY``, ``M/D/YYYY``, ``YYYY/M/D`` and ``D.M.YYYY``, accepted only when the
   order is certain (``01/02/2022`` is ``ambiguous``; ``13/02/2022`` is not);
4. RFC 822 / 2822 / 1123 / 850, asctime and English month-name layouts;
5. ``python-dateutil``, guarded: only for text holding an English month name and a
   four-digit year, parsed twice with different defaults so a part it would have
   filled in is detected, and with zone names resolved through our table only.

Rules that hold in every layer: fields never roll over (30 February is
``invalid_field``), missing parts are never taken from today, hour 24 and leap
second 60 are rejected, trailing text is rejected, and a bare year is ``ambiguous``.

Zone names come from :data:`ZONE_ABBREVIATIONS`; names that mean several offsets
(:data:`AMBIGUOUS_ZONES`, e.g. ``IST``) are ``ambiguous`` and names we do not know are
``unknown_zone``. ``Z``, ``UT``, ``UTC``, ``GMT`` and numeric offsets give
``zone="explicit"``; any other name gives ``zone="named"``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import Final

import attrs

from newsingest.exceptions import InvalidDateError, _WeekdayMismatch

__all__ = [
    "AMBIGUOUS_ZONES",
    "DEFAULT_MAX_FUTURE",
    "ZONE_ABBREVIATIONS",
    "ParsedDate",
    "parse_date",
]

UTC: Final = timezone.utc

#: How far after ``now`` a date may lie before it is rejected as ``out_of_range_future``.
DEFAULT_MAX_FUTURE: Final = timedelta(hours=48)

#: Longest string we try to read as a date; dates in feeds are far shorter.
MAX_DATE_LENGTH: Final = 200

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

#: Zone names meaning exactly UTC; they make the zone ``explicit``.
_UTC_NAMES: Final = frozenset({"Z", "UT", "UTC", "GMT"})

#: Zone abbreviations and their offsets in minutes east of UTC. RFC 822 fixes the US
#: names (so ``CST`` is US Central, not China); the rest are the common ones in news
#: feeds, each with the one meaning it has in practice (``BST`` is British Summer Time).
ZONE_ABBREVIATIONS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "Z": 0,
        "UT": 0,
        "UTC": 0,
        "GMT": 0,
        # RFC 822 US zones
        "EST": -5 * 60,
        "EDT": -4 * 60,
        "CST": -6 * 60,
        "CDT": -5 * 60,
        "MST": -7 * 60,
        "MDT": -6 * 60,
        "PST": -8 * 60,
        "PDT": -7 * 60,
        # other North American zones
        "AKST": -9 * 60,
        "AKDT": -8 * 60,
        "HST": -10 * 60,
        "NST": -(3 * 60 + 30),
        "NDT": -(2 * 60 + 30),
        "ADT": -3 * 60,
        # Europe and Africa
        "WET": 0,
        "WEST": 60,
        "BST": 60,
        "CET": 60,
        "CEST": 2 * 60,
        "MET": 60,
        "MEST": 2 * 60,
        "EET": 2 * 60,
        "EEST": 3 * 60,
        "MSK": 3 * 60,
        "WAT": 60,
        "CAT": 2 * 60,
        "EAT": 3 * 60,
        "SAST": 2 * 60,
        # Asia and Oceania
        "PKT": 5 * 60,
        "NPT": 5 * 60 + 45,
        "ICT": 7 * 60,
        "WIB": 7 * 60,
        "HKT": 8 * 60,
        "SGT": 8 * 60,
        "AWST": 8 * 60,
        "JST": 9 * 60,
        "KST": 9 * 60,
        "ACST": 9 * 60 + 30,
        "ACDT": 10 * 60 + 30,
        "AEST": 10 * 60,
        "AEDT": 11 * 60,
        "NZST": 12 * 60,
        "NZDT": 13 * 60,
    }
)

#: Abbreviations with several meanings in use (``IST``: India, Ireland or Israel;
#: ``AST``: Atlantic or Arabia; ``SST``: Samoa or Singapore; ``GST``: Gulf or South
#: Georgia). A date naming one of them is ``ambiguous`` rather than guessed. RFC 2822
#: also voids the military single letters other than ``Z`` (their signs were
#: published backwards), so those are ambiguous too.
AMBIGUOUS_ZONES: Final = frozenset(
    {"IST", "AST", "SST", "GST", "ECT", "BDT", "CCT"} | {chr(c) for c in range(ord("A"), ord("Z"))}
)

_MONTHS: Final[Mapping[str, int]] = MappingProxyType(
    {
        name: number
        for number, full in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
            start=1,
        )
        for name in (full, full[:3])
    }
    | {"sept": 9}
)

_WEEKDAYS: Final[Mapping[str, int]] = MappingProxyType(
    {
        name: number
        for number, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
        for name in (full, full[:3])
    }
    | {"tues": 1, "wednes": 2, "thur": 3, "thurs": 3}
)

_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@attrs.frozen
class ParsedDate:
    """A date as a source stated it, resolved to an instant.

    Attributes:
        instant: the aware instant, always with ``tzinfo=timezone.utc``. Parts the
            source did not state are at their minimum (a ``day`` is its midnight in
            the zone it was read in); ``precision`` says which parts are real.
        precision: the finest part the source stated, one of
            :data:`newsingest.model.PRECISIONS`.
        zone: ``"explicit"`` (an offset, ``Z``, ``UT``, ``UTC`` or ``GMT``, or an
            aware input), ``"named"`` (an abbreviation from
            :data:`ZONE_ABBREVIATIONS`) or ``"assumed"`` (no zone: ``default_tz``).
        raw: the input as given (``str(value)`` for non-string input).
        weekday_mismatch: when the input names a weekday its date does not fall
            on (feed generators get them wrong), what contradicts what; the date is
            read without the weekday. ``None`` otherwise.
    """

    instant: datetime
    precision: str
    zone: str
    raw: str
    weekday_mismatch: str | None = None


def _fail(message: str, reason: str, value: object) -> InvalidDateError:
    return InvalidDateError(message, reason=reason, value=value)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _check_fields(
    raw: object,
    year: int,
    month: int,
    day: int,
    *,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
) -> None:
    """Reject any field a calendar would otherwise roll over; never adjust."""
    if not 1 <= year <= 9999:
        raise _fail(f"year {year} is outside 1..9999", "out_of_range", raw)
    if not 1 <= month <= 12:
        raise _fail(f"month {month} does not exist", "invalid_field", raw)
    last = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]
    if not 1 <= day <= last:
        raise _fail(f"day {day} does not exist in {year:04d}-{month:02d}", "invalid_field", raw)
    if not 0 <= hour <= 23:
        raise _fail(f"hour {hour} does not exist (0..23)", "invalid_field", raw)
    if not 0 <= minute <= 59:
        raise _fail(f"minute {minute} does not exist (0..59)", "invalid_field", raw)
    if second == 60:
        raise _fail("leap second 60 cannot be represented", "invalid_field", raw)
    if not 0 <= second <= 59:
        raise _fail(f"second {second} does not exist (0..59)", "invalid_field", raw)


def _to_utc(local: datetime, raw: object) -> datetime:
    try:
        return local.astimezone(UTC)
    except (OverflowError, ValueError) as error:
        raise _fail(f"{local!r} is outside the representable range", "out_of_range", raw) from error


def _offset_zone(minutes: int, raw: object) -> timezone:
    if minutes == 0:
        return UTC
    if abs(minutes) >= 24 * 60:
        raise _fail(f"zone offset of {minutes} minutes is not below 24 hours", "invalid_field", raw)
    return timezone(timedelta(minutes=minutes))


def _numeric_offset(text: str, raw: object) -> timezone:
    """``+hh:mm``, ``+hhmm``, ``+hh`` (and ``+h`` after a UTC name) as a fixed zone."""
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if len(digits) <= 2:
        hours, minutes = int(digits), 0
    else:
        hours, minutes = int(digits[:-2]), int(digits[-2:])
    if hours > 23 or minutes > 59:
        raise _fail(f"zone offset {text!r} does not exist", "invalid_field", raw)
    return _offset_zone(sign * (hours * 60 + minutes), raw)


def _zone(text: str, raw: object) -> tuple[tzinfo, str]:
    """Resolve a zone token to a fixed zone and how it was known (cached per token)."""
    try:
        return _zone_of(text)
    except InvalidDateError as error:
        raise _fail(error.message, error.reason, raw) from None


@lru_cache(maxsize=512)
def _zone_of(text: str) -> tuple[tzinfo, str]:
    raw = text
    if text[0] in "+-":
        return _numeric_offset(text, raw), "explicit"
    match = _ZONE_TOKEN.fullmatch(text)
    if match is None:
        raise _fail(f"zone {text!r} is not understood", "unparseable", raw)
    name = match["name"].upper()
    offset = match["offset"]
    if offset is not None:
        if name not in _UTC_NAMES:
            raise _fail(f"zone {text!r} adds an offset to a named zone", "unparseable", raw)
        return _numeric_offset(offset, raw), "explicit"
    if name in _UTC_NAMES:
        return UTC, "explicit"
    if name in AMBIGUOUS_ZONES:
        raise _fail(f"zone name {name!r} has several meanings", "ambiguous", raw)
    minutes = ZONE_ABBREVIATIONS.get(name)
    if minutes is None:
        raise _fail(f"zone name {name!r} is not known", "unknown_zone", raw)
    return _offset_zone(minutes, raw), "named"


def _fraction(digits: str | None) -> tuple[int, bool]:
    """Microseconds from the digits after the decimal mark (truncated, never rounded up)."""
    if not digits:
        return 0, False
    return int(digits[:6].ljust(6, "0")), True


def _finish(
    raw: object,
    fields: tuple[int, int, int, int, int, int, int],
    precision: str,
    zone_text: str | None,
    default_tz: tzinfo,
) -> tuple[datetime, str, str]:
    """Check ``(year, month, day, hour, minute, second, microsecond)``, apply the zone."""
    year, month, day, hour, minute, second, microsecond = fields
    if zone_text is None:
        tz, how = default_tz, "assumed"
    else:
        tz, how = _zone(zone_text, raw)
    try:
        local = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)
    except ValueError:
        # datetime never rolls over either; ask our check which field, and why.
        _check_fields(raw, year, month, day, hour=hour, minute=minute, second=second)
        raise  # pragma: no cover - _check_fields rejects everything datetime rejects
    if tz is UTC:
        return local, precision, how
    return _to_utc(local, raw), precision, how


_ISO: Final = re.compile(
    r"""
    (?P<y>\d{4})
    (?:
        -(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?
      | (?P<bm>\d{2})(?P<bd>\d{2})
    )
    (?:
        [Tt\ ]
        (?P<H>\d{2}|\d(?=:))
        (?:
            (?P<sep>:?)(?P<M>\d{2})
            (?:(?P=sep)(?P<S>\d{2}|(?<=:)\d(?!\d))(?:[.,](?P<F>\d{1,9}))?)?
        )?
        \ ?(?P<Z>[Zz]|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{2,5})?
    )?
    """,
    re.VERBOSE,
)


def _parse_iso(text: str, raw: object, default_tz: tzinfo) -> tuple[datetime, str, str] | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year = int(match["y"])
    month_text = match["m"] or match["bm"]
    day_text = match["d"] or match["bd"]
    month = int(month_text)
    hour_text = match["H"]
    if day_text is None:
        if hour_text is not None:
            return None
        return _finish(raw, (year, month, 1, 0, 0, 0, 0), "month", None, default_tz)
    return _finish_time(match, raw, year, month, int(day_text), default_tz=default_tz)


def _parse_digits(text: str, raw: object, default_tz: tzinfo) -> tuple[datetime, str, str]:
    length = len(text)
    if length == 8:
        return _finish(
            raw,
            (int(text[:4]), int(text[4:6]), int(text[6:8]), 0, 0, 0, 0),
            "day",
            None,
            default_tz,
        )
    if length in (12, 14):
        return _finish(
            raw,
            (
                int(text[:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[8:10]),
                int(text[10:12]),
                int(text[12:14]) if length == 14 else 0,
                0,
            ),
            "second" if length == 14 else "minute",
            None,
            default_tz,
        )
    if length == 4:
        raise _fail("a bare year is not a date", "ambiguous", raw)
    if 9 <= length <= 11 or length == 13:
        instant, precision = _from_epoch(int(text), raw)
        return instant, precision, "explicit"
    raise _fail(f"{length} digits are neither a compact date nor an epoch", "unparseable", raw)


_EPOCH_FRACTION: Final = re.compile(r"(?P<int>\d{9,11}|\d{13})\.(?P<frac>\d{1,9})")


def _from_epoch(value: int | float, raw: object) -> tuple[datetime, str]:
    """Epoch seconds, or milliseconds when the magnitude is above 1e11."""
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(f"epoch {value!r} is not a finite number", "invalid_field", raw)
    try:
        if abs(value) > 1e11:
            delta = timedelta(milliseconds=value)
            precision = "second" if value % 1000 == 0 else "microsecond"
        else:
            delta = timedelta(seconds=value)
            precision = "second" if value % 1 == 0 else "microsecond"
        return _EPOCH + delta, precision
    except OverflowError as error:
        raise _fail(f"epoch {value!r} is outside 1..9999", "out_of_range", raw) from error


_NUMERIC_DATE: Final = re.compile(
    r"""
    (?P<a>\d{1,4})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})
    (?:
        (?:[Tt]|\s+|,\s*)
        (?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?
        (?:\s*(?P<Z>[Zz]|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{2,5}(?:[+-]\d{1,2}(?::?\d{2})?)?))?
    )?
    """,
    re.VERBOSE,
)


def _parse_numeric(text: str, raw: object, default_tz: tzinfo) -> tuple[datetime, str, str] | None:
    match = _NUMERIC_DATE.fullmatch(text)
    if match is None:
        return None
    first, second, third = match["a"], match["b"], match["c"]
    if len(first) == 4:
        if match["sep"] != "/" or len(third) > 2:
            return None
        year, month, day = int(first), int(second), int(third)
    elif len(third) == 4 and len(first) <= 2:
        a, b = int(first), int(second)
        year = int(third)
        if match["sep"] == ".":
            day, month = a, b  # dotted dates are day-first wherever they are written
        elif a == b or b > 12:
            month, day = a, b
        elif a > 12:
            day, month = a, b
        else:
            raise _fail(
                f"{first}/{second}/{third} could be day-first or month-first", "ambiguous", raw
            )
    else:
        return None
    return _finish_time(match, raw, year, month, day, default_tz=default_tz)


def _finish_time(
    match: re.Match[str],
    raw: object,
    year: int,
    month: int,
    day: int,
    *,
    default_tz: tzinfo,
    ampm: str | None = None,
) -> tuple[datetime, str, str]:
    hour_text = match["H"]
    if hour_text is None:
        return _finish(raw, (year, month, day, 0, 0, 0, 0), "day", None, default_tz)
    hour = int(hour_text)
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise _fail(f"hour {hour} does not exist on a 12-hour clock", "invalid_field", raw)
        hour = hour % 12 + (12 if ampm[0] in "pP" else 0)
    microsecond, has_fraction = _fraction(match["F"])
    minute_text, second_text = match["M"], match["S"]
    if has_fraction:
        precision = "microsecond"
    elif second_text is not None:
        precision = "second"
    elif minute_text is not None:
        precision = "minute"
    else:
        precision = "hour"  # only ISO 8601 lets the minutes go
    return _finish(
        raw,
        (year, month, day, hour, int(minute_text or 0), int(second_text or 0), microsecond),
        precision,
        match["Z"],
        default_tz,
    )


# Building blocks of the textual layouts; every layout names its groups alike.
_WD = r"(?:(?P<wd>[A-Za-z]{3,9})\.?(?:\s*,\s*|\s+))?"
_TIME = (
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d{1,9}))?)?"
    r"(?:\s*(?P<ap>[AaPp]\.?[Mm]\.?)(?![A-Za-z]))?"
)
_ZONE = r"(?:\s*(?P<Z>[+-]\d{2}:?\d{2}|[+-]\d{2}|[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?))?"
_COMMENT = r"(?:\s*\([^()]{0,40}\))?"
_TIME_TAIL = rf"(?:(?:\s*,\s*|\s+)(?:at\s+)?{_TIME}{_ZONE}{_COMMENT})?"
_ORDINAL = r"(?:st|nd|rd|th)?"

_TEXT_LAYOUTS: Final = (
    # RFC 822/2822/1123, RFC 850 and "1 March 2022 10:00"
    re.compile(
        rf"{_WD}(?P<d>\d{{1,2}}){_ORDINAL}(?:\s+|-)(?P<mon>[A-Za-z]{{3,9}})\.?"
        rf"(?:\s*,\s*|\s+|-)(?P<y>\d{{2,4}}){_TIME_TAIL}"
    ),
    # "March 1, 2022", "Tue, Mar 1 2022 10:00 AM EST"
    re.compile(
        rf"{_WD}(?P<mon>[A-Za-z]{{3,9}})\.?\s+(?P<d>\d{{1,2}}){_ORDINAL}(?:\s*,\s*|\s+)"
        rf"(?P<y>\d{{4}}){_TIME_TAIL}"
    ),
    # asctime and date(1): "Tue Mar  1 10:00:00 2022", "Tue Mar  1 10:00:00 UTC 2022"
    re.compile(
        rf"{_WD}(?P<mon>[A-Za-z]{{3,9}})\s+(?P<d>\d{{1,2}})\s+{_TIME}{_ZONE}\s+(?P<y>\d{{4}})"
    ),
)
_MONTH_YEAR: Final = re.compile(r"(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>\d{4})")
_ZONE_TOKEN: Final = re.compile(r"(?P<name>[A-Za-z]{1,5})(?P<offset>[+-]\d{1,2}(?::?\d{2})?)?")


def _year(text: str) -> int:
    """Four digits as written; two per RFC 2822 (00-49: 20xx, 50-99: 19xx); three + 1900."""
    year = int(text)
    if len(text) == 2:
        return year + (2000 if year < 50 else 1900)
    if len(text) == 3:
        return year + 1900
    return year


def _parse_textual(text: str, raw: object, default_tz: tzinfo) -> tuple[datetime, str, str] | None:
    for layout in _TEXT_LAYOUTS:
        match = layout.fullmatch(text)
        if match is not None:
            break
    else:
        month_year = _MONTH_YEAR.fullmatch(text)
        if month_year is None:
            return None
        month = _MONTHS.get(month_year["mon"].lower())
        if month is None:
            return None
        year = int(month_year["y"])
        return _finish(raw, (year, month, 1, 0, 0, 0, 0), "month", None, default_tz)
    month_name = match["mon"].lower()
    month = _MONTHS.get(month_name)
    if month is None:
        raise _fail(f"{match['mon']!r} is not an English month name", "unparseable", raw)
    year = _year(match["y"])
    day = int(match["d"])
    _check_fields(raw, year, month, day)
    weekday_text = match["wd"]
    if weekday_text is not None:
        weekday = _WEEKDAYS.get(weekday_text.lower())
        if weekday is None:
            raise _fail(f"{weekday_text!r} is not an English weekday", "unparseable", raw)
        actual = date(year, month, day).weekday()
        if weekday != actual:
            # Feed generators get weekdays wrong; the date is still the publisher's.
            # It is kept, and the contradiction goes with it (ParsedDate.weekday_mismatch).
            result = _finish_time(
                match, raw, year, month, day, default_tz=default_tz, ampm=match["ap"]
            )
            raise _WeekdayMismatch(
                result,
                f"weekday {weekday_text} contradicts {year:04d}-{month:02d}-{day:02d}, a "
                + _WEEKDAY_NAMES[actual],
            )
    return _finish_time(match, raw, year, month, day, default_tz=default_tz, ampm=match["ap"])


_WEEKDAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


_MONTH_WORD: Final = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.IGNORECASE
)
_YEAR_WORD: Final = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _parse_fallback(text: str, raw: object, default_tz: tzinfo) -> tuple[datetime, str, str] | None:
    """Ask dateutil, but only where it cannot guess: see the module docstring."""
    if "/" in text or _MONTH_WORD.search(text) is None or _YEAR_WORD.search(text) is None:
        return None
    from dateutil import parser as dateutil_parser  # noqa: PLC0415 (a last resort: lazy)

    names: list[str] = []

    def zone_of(name: str | None, offset: int | None) -> tzinfo | None:
        if name is None:
            return None if offset is None else _offset_zone(offset // 60, raw)
        names.append(name)
        zone = _zone(name, raw)[0]
        if offset is not None and zone.utcoffset(None) != timedelta(seconds=offset):
            raise _fail(f"zone {name!r} and offset {offset}s disagree", "ambiguous", raw)
        return zone

    results = []
    for default in (datetime(2001, 1, 1), datetime(2002, 2, 2, 1, 1, 1, 1)):
        try:
            results.append(dateutil_parser.parse(text, default=default, tzinfos=zone_of))
        except InvalidDateError:
            raise
        except Exception:  # a third-party parser on arbitrary text: any failure is ours to name
            return None
    first, second = results
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        raise _fail("the text does not state a full date", "ambiguous", raw)
    if first.hour != second.hour:
        precision = "day"
    elif first.minute != second.minute:
        precision = "hour"
    elif first.second != second.second:
        precision = "minute"
    elif first.microsecond != second.microsecond:
        precision = "second"
    else:
        precision = "microsecond"
    if first.tzinfo is None:
        zone = "assumed"
        local = first.replace(tzinfo=default_tz)
    else:
        zone = "named" if names and names[-1].upper() not in _UTC_NAMES else "explicit"
        local = first
    return _to_utc(local, raw), precision, zone


# The two layouts most feeds write, with positional groups: a fast path that only
# ever accepts what the general layouts accept, and leaves everything else to them.
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)
_RFC1123: Final = re.compile(
    r"([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) "
    r"([+-]\d{4}|[A-Z]{1,5})"
)


def _parse_common(text: str, raw: object) -> tuple[datetime, str, str] | None:
    match = _RFC3339.fullmatch(text)
    if match is not None:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        if zone in ("Z", "z"):
            tz: tzinfo = UTC
        else:
            tz = _zone(zone, raw)[0]
        microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
        try:
            local = datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second),
                microsecond,
                tz,
            )
        except ValueError:
            return None  # the general layout names the field
        instant = local if tz is UTC else _to_utc(local, raw)
        return instant, "microsecond" if fraction else "second", "explicit"
    match = _RFC1123.fullmatch(text)
    if match is not None:
        weekday_name, day, month_name, year, hour, minute, second, zone = match.groups()
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None
        tz, how = _zone(zone, raw)
        try:
            local = datetime(int(year), month, int(day), int(hour), int(minute), int(second), 0, tz)
        except ValueError:
            return None  # the general layout names the field
        if _WEEKDAYS.get(weekday_name.lower()) != local.weekday():
            return None  # the general layout explains the contradiction
        return (local if tz is UTC else _to_utc(local, raw)), "second", how
    return None


def _parse_string(text: str, raw: str, default_tz: tzinfo) -> tuple[datetime, str, str]:
    text = text.strip()
    if not text:
        raise _fail("the date is empty", "empty", raw)
    if len(text) > MAX_DATE_LENGTH:
        raise _fail(f"{len(text)} characters is too long for a date", "unparseable", raw)
    if text.isascii():
        common = _parse_common(text, raw)
        if common is not None:
            return common
        if text.isdigit():
            return _parse_digits(text, raw, default_tz)
        head = text[0]
        if "0" <= head <= "9":
            result = _parse_iso(text, raw, default_tz) or _parse_numeric(text, raw, default_tz)
            if result is not None:
                return result
            epoch = _EPOCH_FRACTION.fullmatch(text)
            if epoch is not None:
                instant, precision = _from_epoch(float(text), raw)
                return instant, precision, "explicit"
        result = _parse_textual(text, raw, default_tz) or _parse_fallback(text, raw, default_tz)
        if result is not None:
            return result
    raise _fail(f"{raw!r} is not a date layout we read", "unparseable", raw)


def _from_struct_time(value: time.struct_time, default_tz: tzinfo) -> tuple[datetime, str, str]:
    raw = str(value)
    _check_fields(
        raw,
        value.tm_year,
        value.tm_mon,
        value.tm_mday,
        hour=value.tm_hour,
        minute=value.tm_min,
        second=value.tm_sec,
    )
    offset = getattr(value, "tm_gmtoff", None)
    if offset is None:
        tz, zone = default_tz, "assumed"
    else:
        tz, zone = _offset_zone(int(offset) // 60, raw), "explicit"
    local = datetime(
        value.tm_year,
        value.tm_mon,
        value.tm_mday,
        value.tm_hour,
        value.tm_min,
        value.tm_sec,
        tzinfo=tz,
    )
    return _to_utc(local, raw), "second", zone


def parse_date(
    value: str | int | float | datetime | date | time.struct_time,
    *,
    default_tz: tzinfo = UTC,
    now: datetime | None = None,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> ParsedDate:
    """Parse a date the way a source wrote it, refusing to guess.

    Args:
        value: a string in one of the layouts in the module docstring; an ``int`` or
            ``float`` Unix epoch (seconds, or milliseconds when above 1e11); an aware
            or naive ``datetime``; a ``date`` (day precision); a ``time.struct_time``
            (its ``tm_gmtoff`` is the zone when set).
        default_tz: the zone of a date that states none; the result says
            ``zone="assumed"``.
        now: the present, aware. When given, a date more than ``max_future`` after it
            is rejected with ``out_of_range_future``; when ``None`` nothing is checked
            (this function never reads the clock).
        max_future: the tolerance for clocks and zones that are slightly off.

    Returns:
        The instant in UTC with its precision, how its zone was known, and the raw input.

    Raises:
        InvalidDateError: with ``reason`` one of ``empty``, ``unparseable``,
            ``ambiguous``, ``invalid_field``, ``unknown_zone``, ``out_of_range``,
            ``out_of_range_future``, ``unsupported_type``.
        TypeError: when ``now`` is naive.
    """
    if now is not None and now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")
    mismatch = None
    if type(value) is str or isinstance(value, str):
        raw = value
        try:
            instant, precision, zone = _parse_string(value, value, default_tz)
        except _WeekdayMismatch as contradiction:
            (instant, precision, zone), mismatch = contradiction.result, contradiction.message
    elif isinstance(value, bool):
        raise _fail("a bool is not a date", "unsupported_type", value)
    elif isinstance(value, (int, float)):
        raw = str(value)
        instant, precision = _from_epoch(value, raw)
        zone = "explicit"
    elif isinstance(value, datetime):
        raw = str(value)
        precision = "microsecond" if value.microsecond else "second"
        if value.utcoffset() is None:
            instant, zone = _to_utc(value.replace(tzinfo=default_tz), raw), "assumed"
        else:
            instant, zone = _to_utc(value, raw), "explicit"
    elif isinstance(value, date):
        raw = str(value)
        local = datetime(value.year, value.month, value.day, tzinfo=default_tz)
        instant, precision, zone = _to_utc(local, raw), "day", "assumed"
    elif isinstance(value, time.struct_time):
        raw = str(value)
        instant, precision, zone = _from_struct_time(value, default_tz)
    else:
        raise _fail(f"a {type(value).__name__} is not a date", "unsupported_type", value)
    if now is not None and instant - now > max_future:
        raise _fail(
            f"{instant.isoformat()} is more than {max_future} after {now.isoformat()}",
            "out_of_range_future",
            raw,
        )
    return ParsedDate(
        instant=instant, precision=precision, zone=zone, raw=raw, weekday_mismatch=mismatch
    )
