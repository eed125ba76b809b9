"""robots.txt for page fetches (``--fetch``): asked once per site, then remembered.

Rules are read as RFC 9309 says: a ``robots.txt`` that answers ``2xx`` is parsed
(groups for the ``newsingest`` product token, else ``*``); one that answers
``4xx`` (none there) allows everything; one that cannot be fetched (``5xx``, a
timeout, a refused connection) disallows the whole site until it can, since the
site may be down for a reason. Answers are kept for :data:`CACHE_SECONDS` (RFC
9309 asks for at most a day) per origin (scheme, host and port), and a
``robots.txt`` is read up to :data:`MAX_ROBOTS_BYTES` (RFC 9309's minimum of 500 KiB).
Feeds are not checked: a feed is published to be polled.
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

from newsingest.exceptions import FetchError
from newsingest.fetch import Fetcher

__all__ = ["CACHE_SECONDS", "MAX_ROBOTS_BYTES", "PRODUCT_TOKEN", "RobotsRules"]

#: How long one site's answer is used.
CACHE_SECONDS: Final = 24 * 3600
#: The most of a robots.txt that is read.
MAX_ROBOTS_BYTES: Final = 500 * 1024
#: The name robots.txt groups address newsingest by.
PRODUCT_TOKEN: Final = "newsingest"


class _Rules:
    """One site's answer: a parser, or everything allowed / disallowed."""

    def __init__(self, parser: urllib.robotparser.RobotFileParser | None, allow: bool) -> None:
        self.parser = parser
        self.allow = allow

    def can_fetch(self, url: str) -> bool:
        if self.parser is None:
            return self.allow
        return self.parser.can_fetch(PRODUCT_TOKEN, url)


class RobotsRules:
    """Whether a page may be fetched, by its site's robots.txt (module docstring).

    Args:
        fetcher: fetches the robots.txt files (its address policy applies).
        clock: monotonic seconds, for the cache.
    """

    def __init__(self, fetcher: Fetcher, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._sites: dict[str, tuple[float, _Rules]] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        """True when ``url``'s site lets newsingest fetch it."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        now = self._clock()
        with self._lock:
            cached = self._sites.get(origin)
        if cached is None or now - cached[0] > CACHE_SECONDS:
            cached = (now, self._read(origin))
            with self._lock:
                self._sites[origin] = cached
        return cached[1].can_fetch(url)

    def _read(self, origin: str) -> _Rules:
        try:
            result = self._fetcher.fetch(
                f"{origin}/robots.txt",
                headers={"Accept": "text/plain"},
                conditional=False,
                update_validators=False,
            )
        except FetchError as error:
            if error.status is not None and 400 <= error.status < 500:
                return _Rules(None, allow=True)  # no robots.txt: nothing is disallowed
            return _Rules(None, allow=False)  # unreachable: assume the site says no
        parser = urllib.robotparser.RobotFileParser()
        text = result.content[:MAX_ROBOTS_BYTES].decode("utf-8", "replace")
        parser.parse(text.splitlines())
        return _Rules(parser, allow=True)
