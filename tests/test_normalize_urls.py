"""Tests for newsingest.normalize.urls: canonical URLs and versioned URL keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.exceptions import InvalidURLError, NormalizationError
from newsingest.normalize import (
    CONTENT_PARAMS,
    DEFAULT_TRACKING,
    MAX_URL_LENGTH,
    TRACKING_PARAMS,
    TRACKING_PREFIXES,
    URL_KEY_VERSION,
    canonical_url,
    url_key,
)
from newsingest.normalize.urls import canonical_url_key

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "urls" / "cases.json").read_text(encoding="utf-8")
)
LONG_PATH = "a" * MAX_URL_LENGTH


def _input(case: dict[str, Any]) -> str:
    return str(case["input"]).replace("@LONG@", LONG_PATH)


def test_table_is_large_enough() -> None:
    """The data table holds at least 60 cases, successes and failures both."""
    assert len(CASES) >= 60
    assert sum("reason" in case for case in CASES) >= 20


@pytest.mark.parametrize("case", [c for c in CASES if "canonical" in c], ids=repr)
def test_table_canonical_and_key(case: dict[str, Any]) -> None:
    """Each URL has the expected canonical form and key; both are fixed points."""
    url, base = _input(case), case.get("base")
    canonical = canonical_url(url, base)
    key = url_key(url, base)
    assert canonical == case["canonical"]
    assert key == case["key"]
    assert canonical_url(canonical) == canonical
    assert url_key(canonical) == key
    assert url_key(key.removeprefix(f"{URL_KEY_VERSION}:")) == key


@pytest.mark.parametrize("case", [c for c in CASES if "reason" in c], ids=repr)
def test_table_rejects(case: dict[str, Any]) -> None:
    """Each unusable URL raises InvalidURLError with its reason, from both functions."""
    url, base = _input(case), case.get("base")
    for function in (canonical_url, url_key):
        with pytest.raises(InvalidURLError) as info:
            function(url, base)
        assert info.value.reason == case["reason"]
        assert isinstance(info.value, NormalizationError)
        assert isinstance(info.value, ValueError)


def test_relative_base_must_itself_be_absolute() -> None:
    """A relative base cannot anchor a relative reference."""
    with pytest.raises(InvalidURLError) as info:
        canonical_url("story", base="/news/")
    assert info.value.reason == "relative_without_base"


@pytest.mark.parametrize("value", [None, b"https://example.com/", 42])
def test_non_strings_are_type_errors(value: Any) -> None:
    """Passing bytes or None is a programming error, not a bad URL."""
    with pytest.raises(TypeError):
        canonical_url(value)
    with pytest.raises(TypeError):
        url_key(value)


def test_tracking_can_be_replaced() -> None:
    """tracking= replaces the default set; prefixes end with '*'; case does not matter."""
    url = "https://example.com/s?utm_source=a&fbclid=b&myid=c&Camp_x=d"
    assert url_key(url, tracking={"MYID", "camp_*"}) == (
        "u1:https://example.com/s?fbclid=b&utm_source=a"
    )
    assert url_key(url, tracking=()) == (
        "u1:https://example.com/s?Camp_x=d&fbclid=b&myid=c&utm_source=a"
    )


def test_tracking_can_be_extended() -> None:
    """The documented default set can be extended with a user's own names."""
    url = "https://example.com/s?utm_source=a&myid=c&x=1"
    assert url_key(url, tracking=DEFAULT_TRACKING | {"myid"}) == "u1:https://example.com/s?x=1"
    assert url_key(url) == "u1:https://example.com/s?myid=c&x=1"


def test_content_params_are_never_tracking() -> None:
    """Parameters that carry content stay even when a caller lists them as tracking."""
    url = "https://example.com/s?ref=home&source=rss&id=2"
    assert url_key(url, tracking={"ref", "source", "id"}) == (
        "u1:https://example.com/s?id=2&ref=home&source=rss"
    )
    assert not (CONTENT_PARAMS & TRACKING_PARAMS)
    assert not any(name.startswith(TRACKING_PREFIXES) for name in CONTENT_PARAMS)


def test_tracking_as_single_string_is_rejected() -> None:
    """A single string would silently be read as a set of letters."""
    with pytest.raises(TypeError):
        url_key("https://example.com/", tracking="utm_*")


# --- properties ---------------------------------------------------------------------

_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_hosts = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "co.uk", "de", "news"]),
).filter(lambda host: not host.startswith("www."))
_segment_chars = st.sampled_from(
    [*"abcXYZ019-._~!$&'()*+,;=:@% \"<>\\^`{|}é€", "%2F", "%41", "%e9", "%zz", "%7E", ".."]
)
_segments = st.lists(_segment_chars, max_size=6).map("".join)
# A URL that ends in a space loses it (surrounding whitespace is stripped), so the
# generated parts never end in one: then the variants differ only as intended.
_paths = (
    st.lists(_segments, max_size=4)
    .map(lambda parts: "/" + "/".join(parts))
    .filter(lambda path: not path.endswith(" "))
)
_names = st.text(alphabet="abcdefgxyz_", min_size=1, max_size=6).filter(
    lambda name: (
        name.lower() not in TRACKING_PARAMS and not name.lower().startswith(TRACKING_PREFIXES)
    )
)
_values = (
    st.lists(st.sampled_from([*"abc019 +%é/?", "%20", "%2B", "%26"]), max_size=5)
    .map("".join)
    .filter(lambda value: not value.endswith(" "))
)
_params = st.lists(st.tuples(_names, _values), max_size=4)
_tracking = st.lists(
    st.tuples(
        st.sampled_from([*sorted(TRACKING_PARAMS), "utm_source", "UTM_Medium", "pk_kwd", "_hsenc"]),
        _values,
    ),
    min_size=1,
    max_size=3,
)


def _url(scheme: str, host: str, path: str, params: list[tuple[str, str]]) -> str:
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


_urls = st.builds(_url, st.sampled_from(["http", "https", "HTTPS"]), _hosts, _paths, _params)


@given(_urls)
def test_canonical_url_is_idempotent(url: str) -> None:
    """canonical_url applied twice changes nothing the first time did not."""
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(_urls)
def test_url_key_is_idempotent(url: str) -> None:
    """The key of a key's URL is that key; the key of the canonical URL is the same key."""
    key = url_key(url)
    assert key.startswith("u1:https://")
    assert url_key(key.removeprefix("u1:")) == key
    assert url_key(canonical_url(url)) == key


@given(st.tuples(st.sampled_from(["http", "https"]), _hosts, _paths, _params), _tracking, st.data())
def test_key_ignores_what_does_not_name_the_story(
    parts: tuple[str, str, str, list[tuple[str, str]]],
    tracking: list[tuple[str, str]],
    data: st.DataObject,
) -> None:
    """Tracking parameters, host case, a fragment, http/https and www. leave the key alone."""
    scheme, host, path, params = parts
    key = url_key(_url(scheme, host, path, params))
    mixed = list(params)
    for item in tracking:
        mixed.insert(data.draw(st.integers(0, len(mixed))), item)
    other_scheme = "https" if scheme == "http" else "http"
    fragment = data.draw(st.text(alphabet="abc-_/", max_size=8))
    variants = [
        _url(scheme, host, path, mixed),
        _url(scheme, host.upper(), path, params),
        _url(scheme, host, path, params) + "#" + fragment,
        _url(other_scheme, host, path, params),
        _url(scheme, "www." + host, path, params),
        _url(other_scheme.upper(), "WWW." + host.upper(), path, mixed) + "#top",
    ]
    for variant in variants:
        assert url_key(variant) == key, variant


@given(st.text(max_size=80))
def test_url_key_raises_only_its_own_error_on_text(text: str) -> None:
    """Arbitrary text gives a key or InvalidURLError, nothing else."""
    for candidate in (text, "https://" + text, "http://example.com/" + text, "//" + text):
        try:
            key = url_key(candidate, base="https://example.com/a/")
        except InvalidURLError as error:
            assert error.reason in {
                "empty",
                "unsupported_scheme",
                "relative_without_base",
                "invalid_host",
                "invalid_port",
                "too_long",
            }
        else:
            assert key.startswith("u1:https://")
            assert url_key(key.removeprefix("u1:")) == key


@given(st.text(max_size=60))
def test_canonical_url_is_idempotent_on_any_text(text: str) -> None:
    """Whatever canonical_url accepts, it maps to a fixed point."""
    try:
        once = canonical_url("https://example.com/" + text)
    except InvalidURLError:
        return
    assert canonical_url(once) == once


@given(st.text(max_size=80))
def test_canonical_url_key_of_a_canonical_url_equals_url_key(text: str) -> None:
    """The shortcut for already-canonical URLs gives exactly url_key's answer."""
    try:
        canonical = canonical_url(f"https://example.com/{text}")
    except InvalidURLError:
        return
    assert canonical_url_key(canonical) == url_key(f"https://example.com/{text}")


@pytest.mark.parametrize(
    "wrapped",
    [
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a?usqp=mq331AQ",
        "https://www.google.co.uk/amp/s/example.com/a",
        "https://www.google.com/amp/s/example.com/a?amp_js_v=0.1",
    ],
)
def test_amp_wrappers_key_the_same_unwrapped_or_not(wrapped: str) -> None:
    """The URL-list reader's unwrapping and url_key agree on AMP wrappers and their params."""
    from newsingest._unwrap import unwrap_url

    assert url_key(wrapped) == url_key(unwrap_url(wrapped)) == url_key("https://example.com/a")
