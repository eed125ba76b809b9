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
from newsingest.normalize.text import TEXT_NORM_VERSION, normalize_text
from newsingest.normalize.urls import (
    CONTENT_PARAMS,
    DEFAULT_TRACKING,
    MAX_URL_LENGTH,
    TRACKING_PARAMS,
    TRACKING_PREFIXES,
    URL_KEY_VERSION,
    canonical_url,
    url_key,
)

__all__ = [
    "AMBIGUOUS_ZONES",
    "CONTENT_PARAMS",
    "DEFAULT_MAX_FUTURE",
    "DEFAULT_TRACKING",
    "MAX_URL_LENGTH",
    "TEXT_NORM_VERSION",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "URL_KEY_VERSION",
    "ZONE_ABBREVIATIONS",
    "ParsedDate",
    "canonical_url",
    "normalize_text",
    "parse_date",
    "url_key",
]
