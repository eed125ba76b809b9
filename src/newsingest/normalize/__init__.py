"""Pure, deterministic normalisers: URLs, dates and text, for keys and for records.

Nothing here does I/O, reads the clock, the locale or the machine's time zone, and
every function returns the same output for the same input.
"""

from newsingest.normalize.dates import (
    AMBIGUOUS_ZONES,
    DEFAULT_MAX_FUTURE,
    ZONE_ABBREVIATIONS,
    ParsedDate,
    parse_date,
)

__all__ = [
    "AMBIGUOUS_ZONES",
    "DEFAULT_MAX_FUTURE",
    "ZONE_ABBREVIATIONS",
    "ParsedDate",
    "parse_date",
]
