"""Canonical URLs and URL keys: two values, never one.

:func:`canonical_url` returns a URL that fetches the same page as the input, written
one way: it only applies changes that RFC 3986 (and what browsers do to what feeds
write) say are equivalent. :func:`url_key` goes further and is lossy on purpose: it
is the dedup key two copies of one story share, prefixed with its algorithm version
(``u1:``) so stores built by another version are never silently mixed.

Canonical URL, in order:

* surrounding whitespace and control characters are stripped; tabs and newlines
  inside are removed; ``&amp;`` left by feeds becomes ``&`` (no other HTML
  unescaping); a doubled scheme (``http://http://x``) keeps the inner one;
* only ``http`` and ``https``; ``//host/x`` becomes ``https://host/x``; other
  relative references resolve against ``base`` (RFC 3986, section 5.2) or fail;
* scheme and host lowercased; internationalised hosts to punycode (UTS 46); IPv6
  compressed; userinfo and the scheme's default port dropped;
* dot segments removed; percent-encoding normalised (unreserved characters decoded,
  hex uppercased, what must be encoded encoded, reserved ones such as ``%2F %23
  %26 %3D %3F`` never decoded); path and query case kept;
* the fragment dropped unless it is a ``#!`` route; an empty ``?`` dropped.

URL key, on top of the canonical URL: ``https`` always; leading ``www.`` removed;
Google AMP cache and viewer URLs unwrapped; tracking parameters removed
(:data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`, matched case-insensitively on
the decoded name, replaceable through ``tracking=``); remaining parameters
stable-sorted by name; ``+``, ``%20`` and space in the query made the same; empty
parameters dropped; a trailing slash on a non-root path removed; session path
parameters (``;jsessionid=…``) removed. Parameters that carry content on news
sites (``id p page section ref source lang``) are never tracking parameters.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final
from urllib.parse import unquote, unquote_plus

from newsingest._unwrap import unwrap_amp
from newsingest.exceptions import InvalidURLError

__all__ = [
    "CONTENT_PARAMS",
    "DEFAULT_TRACKING",
    "MAX_URL_LENGTH",
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "URL_KEY_VERSION",
    "canonical_url",
    "canonical_url_and_key",
    "canonical_url_key",
    "url_key",
]

#: Version of the :func:`url_key` algorithm; every key starts with ``"u1:"``.
URL_KEY_VERSION: Final = "u1"

#: Longest URL accepted, in characters, before and after normalisation.
MAX_URL_LENGTH: Final = 8192

#: Query parameter names (lowercase, decoded) that only track the reader.
TRACKING_PARAMS: Final = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_ga",
        "_gl",
        "ocid",
        "ncid",
        "cmpid",
        "xtor",
        "ref_src",
        "smid",
        "spm",
        "guccounter",
        "fb_action_ids",
        "fb_action_types",
        "fb_ref",
        "fb_source",
        "__twitter_impression",
        "s_cid",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "_openstat",
    }
)

#: Name prefixes (lowercase) of tracking parameters: Google Analytics (``utm_``),
#: Matomo (``mtm_``, ``pk_``), HubSpot (``hsa_``, ``_hs``).
TRACKING_PREFIXES: Final = ("utm_", "mtm_", "pk_", "hsa_", "_hs")

#: Parameters that select content on news sites; they are never removed, even if a
#: caller's ``tracking=`` names them.
CONTENT_PARAMS: Final = frozenset({"id", "p", "page", "section", "ref", "source", "lang"})

#: Parameters the AMP cache adds to an unwrapped URL; they only configure the viewer.
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE: Final = r"A-Za-z0-9\-._~!$&'()*+,;=:@/"
_QUERY_SAFE: Final = _PATH_SAFE + "?"

# One pass: a percent escape to normalise, or a character that must be encoded
# (a lone "%" is one of those).
_PATH_FIX: Final = re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_PATH_SAFE}]")
_QUERY_FIX: Final = re.compile(rf"%[0-9A-Fa-f]{{2}}|[^{_QUERY_SAFE}]")
_PATH_CLEAN: Final = re.compile(rf"[{_PATH_SAFE}]*")
_QUERY_CLEAN: Final = re.compile(rf"[{_QUERY_SAFE}]*")

# Characters stripped from both ends: C0 controls, space, DEL, C1 controls and
# every Unicode whitespace character.
_EDGE: Final = "".join(
    chr(code)
    for code in range(0x3001)
    if code <= 0x20 or 0x7F <= code <= 0x9F or chr(code).isspace()
)
_TAB_NEWLINE: Final = str.maketrans("", "", "\t\n\r")
_DOUBLED_SCHEME: Final = re.compile(r"(?:https?:/+)+(?=https?://)", re.IGNORECASE)
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_PARTS: Final = re.compile(r"([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)
_HOST: Final = re.compile(r"[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*\.?")
_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}


def _fail(message: str, reason: str, value: object) -> InvalidURLError:
    return InvalidURLError(message, reason=reason, value=value)


def _fix_escape(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 3:
        char = chr(int(text[1:], 16))
        return char if char in _UNRESERVED else text.upper()
    data = text.encode("utf-8", "surrogatepass")
    return "".join(f"%{byte:02X}" for byte in data)


def _encode(text: str, clean: re.Pattern[str], fix: re.Pattern[str]) -> str:
    """Normalise percent-encoding: the common all-clean case costs one regex match."""
    if clean.fullmatch(text) is not None:
        return text
    return fix.sub(_fix_escape, text)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path."""
    if "." not in path:
        return path
    parts = path.split("/")[1:]
    kept: list[str] = []
    for part in parts:
        if part == "..":
            if kept:
                kept.pop()
        elif part != ".":
            kept.append(part)
    if parts and parts[-1] in {".", ".."}:
        kept.append("")
    return "/" + "/".join(kept)


def _host(text: str, value: object) -> str:
    """Lowercase or IDNA (UTS 46) form of a host, or InvalidURLError naming ``value``.

    Hosts repeat across a stream far more than URLs do, so the work is cached per host.
    """
    try:
        return _host_of(text)
    except InvalidURLError as error:
        raise _fail(error.message, error.reason, value) from None


@lru_cache(maxsize=4096)
def _host_of(text: str) -> str:
    value = text
    if "%" in text:
        try:
            text = unquote(text, errors="strict")
        except UnicodeDecodeError as error:
            raise _fail(f"host {text!r} decodes to invalid UTF-8", "invalid_host", value) from error
    if not text:
        raise _fail("the URL has no host", "invalid_host", value)
    if not text.isascii():
        import idna  # noqa: PLC0415 (only international hosts need it)

        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as error:
            raise _fail(f"host {text!r} is not a valid IDNA name", "invalid_host", value) from error
    host = text.lower()
    if _HOST.fullmatch(host) is None:
        raise _fail(f"host {host!r} has characters a host cannot have", "invalid_host", value)
    bare = host.removesuffix(".")
    labels = bare.split(".")
    if len(bare) > 253 or (len(bare) > 63 and any(len(label) > 63 for label in labels)):
        raise _fail(f"host {host!r} is longer than DNS allows", "invalid_host", value)
    if labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(bare)
        except ValueError as error:
            raise _fail(
                f"host {host!r} is not a valid IPv4 address", "invalid_host", value
            ) from error
    if "xn--" in host:
        import idna  # noqa: PLC0415 (only punycode hosts need it)

        try:
            idna.decode(bare)
        except (idna.IDNAError, UnicodeError, ValueError) as error:
            raise _fail(f"host {host!r} holds invalid punycode", "invalid_host", value) from error
    return host


def _authority(authority: str, scheme: str, value: object) -> str:
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise _fail("an IPv6 host is not closed by ']'", "invalid_host", value)
        literal, after = hostport[1:end], hostport[end + 1 :]
        if after and not after.startswith(":"):
            raise _fail(f"{after!r} follows an IPv6 host", "invalid_host", value)
        port = after[1:]
        if "%" in literal or not literal.isascii():
            raise _fail(f"IPv6 host {literal!r} is not allowed in a URL", "invalid_host", value)
        try:
            host = f"[{ipaddress.IPv6Address(literal).compressed}]"
        except ValueError as error:
            raise _fail(f"{literal!r} is not an IPv6 address", "invalid_host", value) from error
    else:
        host, colon, port = hostport.rpartition(":")
        if not colon:
            host, port = port, ""
        host = _host(host, value)
    if port:
        if not (port.isascii() and port.isdigit()) or int(port) > 65535:
            raise _fail(f"port {port!r} is not a number in 0..65535", "invalid_port", value)
        port = str(int(port))
        if port != _DEFAULT_PORTS[scheme]:
            return f"{host}:{port}"
    return host


def _resolve(reference: str, base: str, value: object) -> str:
    """RFC 3986 section 5.2.2 for a reference without scheme or authority."""
    base_canonical = _canonical(base, None)
    scheme, _, rest = base_canonical.partition("://")
    parts = _PARTS.fullmatch(rest)
    ref = _PARTS.fullmatch(reference)
    if parts is None or ref is None:  # pragma: no cover - both patterns match any text
        raise _fail("the reference cannot be split", "relative_without_base", value)
    authority, base_path, base_query = parts.group(1), parts.group(2), parts.group(3)
    path = ref.group(1) + ref.group(2)
    query = ref.group(3)
    if not path:
        path = base_path
        if query is None:
            query = base_query
    elif not path.startswith("/"):
        path = base_path[: base_path.rfind("/") + 1] + path
    resolved = f"{scheme}://{authority}{path}"
    if query is not None:
        resolved = f"{resolved}?{query}"
    if ref.group(4) is not None:
        resolved = f"{resolved}#{ref.group(4)}"
    return resolved


@lru_cache(maxsize=16384)
def _canonical(url: str, base: str | None) -> str:
    text = url.strip(_EDGE)
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.translate(_TAB_NEWLINE)
    if not text:
        raise _fail("the URL is empty", "empty", url)
    if len(text) > MAX_URL_LENGTH:
        raise _fail(f"the URL is longer than {MAX_URL_LENGTH} characters", "too_long", url)
    while "&amp;" in text:
        text = text.replace("&amp;", "&")
    scheme_match = _SCHEME.match(text)
    if scheme_match is not None and text[scheme_match.end() :][:10].lower().lstrip("/").startswith(
        ("http:", "https:")
    ):
        text = _DOUBLED_SCHEME.sub("", text, count=1)
        scheme_match = _SCHEME.match(text)
    if scheme_match is not None:
        scheme = scheme_match.group(1).lower()
        if scheme not in _DEFAULT_PORTS:
            raise _fail(f"scheme {scheme!r} is not http or https", "unsupported_scheme", url)
        rest = text[scheme_match.end() :].lstrip("/")
    elif text.startswith("//"):
        scheme, rest = "https", text[2:]
    else:
        if base is None:
            raise _fail("a relative URL needs a base", "relative_without_base", url)
        return _canonical(_resolve(text, base, url), None)
    parts = _PARTS.fullmatch(rest)
    if parts is None:  # pragma: no cover - the pattern matches any text
        raise _fail("the URL cannot be split", "invalid_host", url)
    authority, path, query, fragment = parts.groups()
    host = _authority(authority, scheme, url)
    path = _remove_dot_segments(_encode(path, _PATH_CLEAN, _PATH_FIX)) if path else "/"
    result = f"{scheme}://{host}{path}"
    if query:
        result = f"{result}?{_encode(query, _QUERY_CLEAN, _QUERY_FIX)}"
    if fragment and fragment.startswith("!"):
        result = f"{result}#{_encode(fragment, _QUERY_CLEAN, _QUERY_FIX)}"
    if len(result) > MAX_URL_LENGTH:
        raise _fail(f"the URL is longer than {MAX_URL_LENGTH} characters", "too_long", url)
    return result


# Fast path. Most URLs in a stream are already canonical and plain: a lowercase
# http(s) scheme and host, then a path of characters that _encode leaves alone. Such a
# URL is its own canonical form ("/" added to an empty path) and skips the caches and
# the slow paths. The regex fixes the shape: no ";" (of session parameters and of an
# "&amp;"), "%", "?", "#" or whitespace; no uppercase, port or userinfo in the host,
# which ends in a letter (no trailing dot, no IPv4 address) and has at most 253
# characters; the bounds keep the URL, "/" added, within MAX_URL_LENGTH. _simple
# rejects the rest of what the slow path would check or change.
_SIMPLE_PATH: Final = _PATH_SAFE.replace(";", "")
_SIMPLE: Final = re.compile(
    rf"https?://([a-z0-9_.\-]{{0,252}}[a-z])(/[{_SIMPLE_PATH}]{{0,{MAX_URL_LENGTH - 300}}})?"
)


def _simple(url: str) -> re.Match[str] | None:
    """The :data:`_SIMPLE` match of ``url`` if the slow path would return it as it is."""
    match = _SIMPLE.fullmatch(url)
    if (
        match is None
        or "/." in url  # a dot segment, or a host starting with "."
        or ".." in url  # an empty host label
        or "xn--" in url  # punycode, which idna validates
    ):
        return None
    host = match[1]
    if len(host) > 63 and max(map(len, host.split("."))) > 63:
        return None
    return match


def canonical_url(url: str, base: str | None = None) -> str:
    """Return the one spelling of ``url`` that fetches the same page.

    Args:
        url: an absolute http(s) URL, a protocol-relative ``//host/x`` (made https),
            or a reference relative to ``base``.
        base: the URL ``url`` was found on (a feed or page), for relative references.

    Raises:
        InvalidURLError: with ``reason`` one of ``empty``, ``unsupported_scheme``,
            ``relative_without_base``, ``invalid_host``, ``invalid_port``, ``too_long``.
        TypeError: when ``url`` or ``base`` is not a str.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    if base is not None and not isinstance(base, str):
        raise TypeError(f"base must be a str or None, not {type(base).__name__}")
    simple = _simple(url)
    if simple is not None:
        # match[0], not url: an exact str even for a str subclass such as lxml's
        # strings, which keep their whole document alive.
        return simple[0] if simple[2] else f"{simple[0]}/"
    return _canonical(url, base)


# The key is computed from the canonical URL, whose shape is known.
_CANONICAL: Final = re.compile(r"https?://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)
_SESSION_PARAM: Final = re.compile(
    r";(?:jsessionid|phpsessid|sessionid|aspsessionid[a-z]*|cfid|cftoken)=[^/;]*", re.IGNORECASE
)


def _is_tracking(name: str, names: frozenset[str], prefixes: tuple[str, ...]) -> bool:
    if "%" in name or "+" in name:
        name = unquote_plus(name)
    name = name.lower()
    if name in CONTENT_PARAMS:
        return False
    return name in names or name.startswith(prefixes)


@lru_cache(maxsize=16384)
def _key(canonical: str, names: frozenset[str], prefixes: tuple[str, ...]) -> str:
    for _ in range(5):
        match = _CANONICAL.fullmatch(canonical)
        if match is None:  # pragma: no cover - _canonical only returns such URLs
            raise _fail("not a canonical URL", "invalid_host", canonical)
        hostport, path, query, fragment = match.groups()
        inner = unwrap_amp(hostport, path, query or "")
        if inner is None:
            break
        try:
            canonical = _canonical(inner, None)
        except InvalidURLError:
            break
    if hostport.startswith("["):
        host, _, port = hostport.partition("]")
        host += "]"
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
    host = _key_host(host)
    if port and port != "443":
        host = f"{host}:{port}"
    key = f"{URL_KEY_VERSION}:https://{host}{_key_path(path)}"
    if query:
        kept = [
            part.replace("+", "%20")
            for part in query.split("&")
            if part and not _is_tracking(part.partition("=")[0], names, prefixes)
        ]
        if kept:
            kept.sort(key=lambda part: part.partition("=")[0])
            key = f"{key}?{'&'.join(kept)}"
    if fragment is not None:
        key = f"{key}#{fragment}"
    return key


def _key_host(host: str) -> str:
    """The key's host: no trailing dot, no leading ``www.`` (while a domain is left)."""
    host = host.removesuffix(".")
    while host.startswith("www.") and "." in host[4:]:
        host = host[4:]
    return host


def _key_path(path: str) -> str:
    """The key's path: no session parameters, no trailing slash (but the root's)."""
    if ";" in path:
        path = _SESSION_PARAM.sub("", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


@lru_cache(maxsize=64)
def _rules(patterns: frozenset[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    names = frozenset(p.lower() for p in patterns if not p.endswith("*"))
    prefixes = tuple(sorted(p[:-1].lower() for p in patterns if p.endswith("*")))
    return names, prefixes


#: The default ``tracking=`` patterns: every name, and every prefix followed by ``*``.
DEFAULT_TRACKING: Final = frozenset(TRACKING_PARAMS | {f"{p}*" for p in TRACKING_PREFIXES})


def canonical_url_key(canonical: str) -> str:
    """The default :func:`url_key` of a URL that :func:`canonical_url` returned.

    ``url_key`` canonicalises its input first; a caller that has just done so
    passes the result here and skips the second pass. Anything else must go
    through ``url_key``.
    """
    # A plain URL (no port, query or fragment) skips the cache: _key's own host and path
    # steps, once unwrap_amp has said it is no AMP wrapper. _key validates nothing, so
    # the shape is enough here (_simple's checks only matter to canonical_url).
    simple = _SIMPLE.fullmatch(canonical) if isinstance(canonical, str) else None
    if simple is not None:
        key = _plain_key(*simple.groups(""))
        if key is not None:
            return key
    return _key(canonical, TRACKING_PARAMS, TRACKING_PREFIXES)


def _plain_key(host: str, path: str) -> str | None:
    """The default key of a plain canonical URL's host and path; ``None`` for an AMP
    wrapper, which only the general rule (:func:`_key`) unwraps."""
    if unwrap_amp(host, path, "") is None:
        return f"{URL_KEY_VERSION}:https://{_key_host(host)}{_key_path(path)}"
    return None


def canonical_url_and_key(url: str) -> tuple[str, str]:
    """``(canonical_url(url), url_key(url))``, matching a plain URL's shape only once.

    What ``ingest()`` needs of every article's URL.

    Raises:
        InvalidURLError: as :func:`canonical_url`.
        TypeError: when ``url`` is not a str.
    """
    simple = _simple(url) if isinstance(url, str) else None
    if simple is not None:
        host, path = simple.groups("/")  # a plain URL's canonical path is "/" when empty
        canonical = simple[0] if simple[2] else f"{simple[0]}/"
        key = _plain_key(host, path)
        return canonical, key if key is not None else canonical_url_key(canonical)
    canonical = canonical_url(url)
    return canonical, canonical_url_key(canonical)


def url_key(url: str, base: str | None = None, *, tracking: Iterable[str] | None = None) -> str:
    """Return the versioned, lossy dedup key of ``url`` (``"u1:https://…"``).

    Args:
        url: as for :func:`canonical_url`.
        base: as for :func:`canonical_url`.
        tracking: the parameter patterns to remove, replacing :data:`DEFAULT_TRACKING`:
            a name (``"fbclid"``) or a prefix ending in ``*`` (``"utm_*"``), matched
            case-insensitively on the decoded name. Extend the default with
            ``DEFAULT_TRACKING | {"myparam"}``. :data:`CONTENT_PARAMS` always stay.

    Raises:
        InvalidURLError: as :func:`canonical_url`.
        TypeError: when ``url`` is not a str or ``tracking`` is a single str.
    """
    canonical = canonical_url(url, base)
    if tracking is None:
        return canonical_url_key(canonical)
    if isinstance(tracking, str):
        raise TypeError("tracking must be a collection of patterns, not a single str")
    names, prefixes = _rules(frozenset(tracking))
    return _key(canonical, names, prefixes)
