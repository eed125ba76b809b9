"""Offline unwrapping of known redirect wrappers whose target is inside the URL.

Links copied out of search results, social networks and mail clients are often
*wrapped*: ``https://www.google.com/url?q=https://example.com/story&sa=…`` points
at ``https://example.com/story`` and says so in its own query string. Fetching the
wrapper would give an interstitial page (or a tracking redirect), so we read the
target out of the URL before any network traffic.

Only wrappers whose target can be read from the URL itself are handled here.
Shorteners (``bit.ly``, ``t.co``, …) hide their target on the server; they are
resolved by following redirects when fetching, never guessed.

Pure functions, no I/O, no normalisation beyond what decoding the wrapper needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl, unquote_plus, urlsplit

__all__ = ["MAX_DEPTH", "unwrap_amp", "unwrap_url"]

#: Wrappers are sometimes nested (a Google result pointing at a Facebook link
#: shim); we peel at most this many layers.
MAX_DEPTH: Final = 5

_Rule = Callable[[str, str, str], str | None]


def _query_value(query: str, *names: str) -> str | None:
    """The first non-empty value of the first parameter in ``names`` present."""
    pairs = parse_qsl(query, keep_blank_values=True)
    for name in names:
        for key, value in pairs:
            if key == name and value.strip():
                return value.strip()
    return None


def _is_google(host: str) -> bool:
    """``google.com``, ``www.google.co.uk``, ``news.google.de`` …, not ``google.evil.com``."""
    if "google" not in host:  # most hosts: no need to split them
        return False
    labels = host.split(".")
    if "google" not in labels:
        return False
    position = labels.index("google")
    suffix = labels[position + 1 :]
    # After "google" comes its country suffix: "com", "de", "co.uk", "com.au".
    if len(suffix) == 1:
        return suffix[0].isalpha()
    if len(suffix) == 2:
        return suffix[0] in ("co", "com") and len(suffix[1]) == 2 and suffix[1].isalpha()
    return False


def _is_host_or_subdomain(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _google_redirect(host: str, path: str, query: str) -> str | None:
    """``https://www.google.com/url?q=<target>`` (older links use ``url=``)."""
    if _is_google(host) and path == "/url":
        return _query_value(query, "q", "url")
    return None


def _facebook_shim(host: str, path: str, query: str) -> str | None:
    """Facebook's and Instagram's link shims: ``l.facebook.com/l.php?u=<target>``."""
    if _is_host_or_subdomain(host, "facebook.com") and path in ("/l.php", "/flx/warn/"):
        return _query_value(query, "u")
    if host == "l.instagram.com" and path in ("", "/"):
        return _query_value(query, "u")
    return None


def _amp_path(path: str) -> str | None:
    """Turn an AMP-cache style path tail into a URL.

    ``s/example.com/a/b`` is ``https://example.com/a/b``; without the ``s/``
    prefix the origin was served over plain http.
    """
    scheme = "http"
    if path.startswith("s/"):
        scheme, path = "https", path[2:]
    host, _, rest = path.partition("/")
    if not host or "." not in host:
        return None
    return f"{scheme}://{host}/{rest}"


#: Parameters the AMP cache adds to the publisher's URL; they go when it is unwrapped.
_AMP_CACHE_PARAMS: Final = frozenset(
    {"amp_js_v", "amp_gsa", "amp_ct", "amp_tf", "usqp", "outputtype"}
)


def unwrap_amp(host: str, path: str, query: str) -> str | None:
    """The publisher URL inside an AMP cache (``<name>.cdn.ampproject.org/c/s/…``) or
    Google AMP viewer URL, without the cache's own parameters; ``None`` otherwise.

    The one place that decides what an AMP wrapper is: the URL-list reader unwraps
    with it, and :func:`newsingest.normalize.url_key` keys through it.
    """
    if _is_host_or_subdomain(host, "cdn.ampproject.org"):
        prefixes: tuple[str, ...] = ("/c/", "/v/")
    elif _is_google(host):
        prefixes = ("/amp/",)
    else:
        return None
    for prefix in prefixes:
        if path.startswith(prefix):
            target = _amp_path(path[len(prefix) :])
            if target is None:
                return None
            kept = [
                part
                for part in query.split("&")
                if part and unquote_plus(part.partition("=")[0]).lower() not in _AMP_CACHE_PARAMS
            ]
            return f"{target}?{'&'.join(kept)}" if kept else target
    return None


def _mail_safelinks(host: str, path: str, query: str) -> str | None:
    """Outlook's Safe Links rewrite every link in a mail: ``…safelinks…/?url=<target>``."""
    if _is_host_or_subdomain(host, "safelinks.protection.outlook.com"):
        return _query_value(query, "url")
    return None


def _youtube_redirect(host: str, path: str, query: str) -> str | None:
    """Links in YouTube descriptions: ``www.youtube.com/redirect?q=<target>``."""
    if _is_host_or_subdomain(host, "youtube.com") and path == "/redirect":
        return _query_value(query, "q")
    return None


_RULES: Final[tuple[_Rule, ...]] = (
    _google_redirect,
    _facebook_shim,
    unwrap_amp,
    _mail_safelinks,
    _youtube_redirect,
)


def _unwrap_once(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    for rule in _RULES:
        target = rule(host, parts.path, parts.query)
        if target is not None:
            return target
    return None


def unwrap_url(url: str) -> str | None:
    """Return the target of a known redirect wrapper, or ``None`` if ``url`` is not one.

    Nested wrappers are peeled (up to :data:`MAX_DEPTH` layers). The target is
    returned as decoded from the wrapper, not validated or normalised: the
    caller checks that it is a usable URL. A wrapper whose target parameter is
    missing or blank is not a wrapper we can unwrap and gives ``None``.

    >>> unwrap_url("https://www.google.com/url?q=https://example.com/a%3Fb%3D1&sa=D")
    'https://example.com/a?b=1'
    >>> unwrap_url("https://example.com/story") is None
    True
    """
    target = _unwrap_once(url)
    if target is None:
        return None
    for _ in range(MAX_DEPTH - 1):
        deeper = _unwrap_once(target)
        if deeper is None:
            break
        target = deeper
    return target
