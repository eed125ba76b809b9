"""The URL normaliser's fast path gives exactly what its slow path gives.

``canonical_url`` and ``canonical_url_key`` answer plain URLs (lowercase scheme and
host, a path with nothing to encode) without the cached slow path. These tests compare
both entry points with the uncached slow functions on URLs built to sit on either side
of every condition the fast path checks, and check that the fast path is really taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.exceptions import InvalidURLError
from newsingest.normalize import urls
from newsingest.normalize.urls import (
    MAX_URL_LENGTH,
    TRACKING_PARAMS,
    TRACKING_PREFIXES,
    canonical_url,
    canonical_url_and_key,
    canonical_url_key,
    url_key,
)

BASE = "https://base.example.org/dir/page"


def _outcome(function: Callable[..., str], *args: Any) -> tuple[Any, ...]:
    """What a call returns, or the type, reason, message and value of what it raises."""
    try:
        return ("value", function(*args))
    except InvalidURLError as error:
        return ("InvalidURLError", error.reason, error.message, error.value)
    except Exception as error:  # any other error must match too
        return (type(error).__name__, str(error))


def _slow_canonical(url: str, base: str | None = None) -> str:
    return urls._canonical.__wrapped__(url, base)


def _slow_key(canonical: str) -> str:
    return urls._key.__wrapped__(canonical, TRACKING_PARAMS, TRACKING_PREFIXES)


def _slow_url_key(url: str, base: str | None = None) -> str:
    return _slow_key(_slow_canonical(url, base))


def _assert_same(url: str, base: str | None = None) -> None:
    """Every entry point agrees with the slow path on ``url``, values and errors alike."""
    canonical = _outcome(canonical_url, url, base)
    assert canonical == _outcome(_slow_canonical, url, base), url
    assert _outcome(url_key, url, base) == _outcome(_slow_url_key, url, base), url
    # canonical_url_key is meant for canonical URLs, but its fast path must hold for
    # any text: compare it on the input as well.
    assert _outcome(canonical_url_key, url) == _outcome(_slow_key, url), url
    if canonical[0] == "value":
        assert canonical_url_key(canonical[1]) == _slow_key(canonical[1]), url
    if base is None:  # canonical_url_and_key takes no base: ingest() resolves none
        both = _outcome(canonical_url_and_key, url)
        if canonical[0] == "value":
            assert both == ("value", (canonical[1], _slow_key(canonical[1]))), url
        else:
            assert both == canonical, url


# --- URLs on both sides of each fast-path condition -----------------------------------

_LONG_LABEL = "a" * 63

# A simple URL is drawn from plain parts; then, most times, one or two parts are
# replaced by a rare value just across one of the fast path's conditions.
_plain_labels = st.one_of(
    st.from_regex(r"[a-z0-9_\-]{1,12}", fullmatch=True),  # may end in a digit, "-" or "_"
    st.sampled_from(["news", "www", "example", "ex_ample", "-x-", "a1b", _LONG_LABEL]),
)
_tlds = st.sampled_from(["com", "org", "co.uk", "news", "de"])
_hosts = st.builds(
    lambda www, labels, tld: ".".join([*(["www"] * www), *labels, tld]),
    st.integers(0, 2),
    st.lists(_plain_labels, max_size=3),
    _tlds,
)
_rare_labels = st.one_of(
    st.from_regex(r"[0-9]{1,3}", fullmatch=True),
    st.sampled_from(
        [
            "xn--bcher-kva",  # valid punycode
            "xn--zz",  # invalid punycode
            "Example",
            "WWW",
            "bücher",
            _LONG_LABEL + "a",  # one too long
            "",  # an empty label: "..", or a leading or trailing dot
            "google",
            "cdn.ampproject.org",
            "a:b",
        ]
    ),
)
_rare_hosts = st.builds(
    lambda labels, where, rare: ".".join([*labels[:where], rare, *labels[where:]]),
    st.lists(_plain_labels, max_size=3).map(lambda labels: [*labels, "com"]),
    st.integers(0, 4),
    _rare_labels,
) | st.builds(lambda n: ".".join([_LONG_LABEL] * n), st.integers(1, 5))
_plain_segments = st.from_regex(r"[A-Za-z0-9\-._~!$'()*+,=:@]{0,10}", fullmatch=True)
_rare_segments = st.sampled_from(
    [".", "..", ".x", "%41", "%2f", "%", "&amp;", "a&b", ";jsessionid=1", "é", "a b", "a\tb"]
)
_amp_paths = st.sampled_from(["/c/s/example.com/a", "/v/example.com/", "/amp/s/example.com/a"])


def _path(segments: list[str], slash: bool) -> str:
    return "/" + "/".join(segments) + ("/" if slash and segments else "")


_paths = st.just("") | st.builds(_path, st.lists(_plain_segments, max_size=4), st.booleans())
_rare_paths = _amp_paths | st.builds(
    lambda segments, where, rare, slash: _path([*segments[:where], rare, *segments[where:]], slash),
    st.lists(_plain_segments, max_size=3),
    st.integers(0, 3),
    _rare_segments,
    st.booleans(),
)
_RARE = {
    "prefix": st.sampled_from([" ", "\t", "http://", "https://https://", "HTTP://"]),
    "scheme": st.sampled_from(["HTTPS://", "Http://", "ftp://", "https:/", "http:///", "//", ""]),
    "userinfo": st.sampled_from(["user@", "a:b@", "@"]),
    "host": _rare_hosts,
    "port": st.sampled_from([":443", ":80", ":8080", ":", ":x"]),
    "path": _rare_paths,
    "suffix": st.sampled_from(["?x=1", "?", "?utm_source=x", "#f", "#!/r", " ", "\n", "/."]),
}


@st.composite
def _urls(draw: st.DrawFn) -> str:
    """Mostly a simple URL or one a condition or two away; one time in ten any text."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["", "https://"])) + draw(st.text(max_size=40))
    parts = {
        "prefix": "",
        "scheme": draw(st.sampled_from(["https://", "http://"])),
        "userinfo": "",
        "host": draw(_hosts),
        "port": "",
        "path": draw(_paths),
        "suffix": "",
    }
    for name in draw(st.lists(st.sampled_from(sorted(_RARE)), max_size=2)):
        parts[name] = draw(_RARE[name])
    return "{prefix}{scheme}{userinfo}{host}{port}{path}{suffix}".format(**parts)


@settings(max_examples=400)
@given(_urls())
def test_fast_path_agrees_with_slow_path(url: str) -> None:
    """canonical_url, canonical_url_key, canonical_url_and_key and url_key equal the
    uncached slow path."""
    _assert_same(url)


@settings(max_examples=100)
@given(_urls())
def test_fast_path_agrees_with_slow_path_given_a_base(url: str) -> None:
    """A base never changes what the fast path does with an absolute URL."""
    _assert_same(url, BASE)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/news/12/1234-government",
        "https://news.example.com",
        "https://news.example.com/",
        "https://news.example.com/a//",
        "https://news.example.com/a/b/",
        "https://www.example.com/a",
        "https://www.www.example.com/a",
        "https://www.com/a",
        "https://www/a",
        "https://WWW.example.com/a",
        "HTTPS://news.example.com/A",
        "https:/news.example.com/a",
        "https:///news.example.com/a",
        "https:news.example.com/a",
        "//news.example.com/a",
        "http://http://news.example.com/a",
        "https://https://news.example.com/a",
        "http://http/a",
        "https://a..b.com/x",
        "https://.a.com/x",
        "https://a.com./x",
        "https://1.2.3.4/x",
        "https://999.1/x",
        "https://a.b.1/x",
        "https://a.b1/x",
        "https://xn--bcher-kva.example/x",
        "https://xn--zz.com/x",
        "https://a.xn--zz/x",
        f"https://{_LONG_LABEL}.com/x",
        f"https://{_LONG_LABEL}a.com/x",
        f"https://{'.'.join([_LONG_LABEL] * 4)}/x",  # 255 characters
        f"https://{'.'.join([_LONG_LABEL] * 3)}.{'a' * 61}/x",  # 253 characters
        f"https://{'.'.join([_LONG_LABEL] * 3)}.{'a' * 62}/x",  # 254 characters
        "https://news.example.com/a/./b",
        "https://news.example.com/a/../b",
        "https://news.example.com/a/..",
        "https://news.example.com/.hidden",
        "https://news.example.com/a&amp;b",
        "https://news.example.com/a;jsessionid=1",
        "https://news.example.com/a%41",
        "https://news.example.com/a?x=1",
        "https://news.example.com/a#!/route",
        "https://news.example.com:443/a",
        "https://user@news.example.com/a",
        " https://news.example.com/a",
        "https://news.example.com/a\n",
        "https://news.example.com/a b",
        "https://ex_ample.com/a",
        "https://cdn.ampproject.org/c/s/example.com/a",
        "https://example-com.cdn.ampproject.org/v/s/example.com/a",
        "https://www.google.com/amp/s/example.com/a",
        "https://news.google.com/amp/example.com/a",
        "https://www.google.co.uk/amp/s/example.com/a",
        "https://news.example.com/" + "a" * (MAX_URL_LENGTH - 25),
        "https://news.example.com/" + "a" * (MAX_URL_LENGTH - 24),
        "https://news.example.com/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_edge_cases_agree_with_slow_path(url: str) -> None:
    """Each condition the fast path checks, on both of its sides."""
    _assert_same(url)
    _assert_same(url, BASE)


# --- the fast path is taken ------------------------------------------------------------


@pytest.fixture
def no_slow_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make the slow paths fail loudly, so a result proves the fast path gave it."""

    def fail(*args: object) -> str:
        raise AssertionError(f"slow path taken for {args[0]!r}")

    monkeypatch.setattr(urls, "_canonical", fail)
    monkeypatch.setattr(urls, "_key", fail)
    yield


_NEWS = "https://news.example.com"
SIMPLE = [
    # (url, canonical URL, key)
    (f"{_NEWS}/a/b-c", f"{_NEWS}/a/b-c", f"u1:{_NEWS}/a/b-c"),
    (
        "http://news.example.com/n/12/34-x",
        "http://news.example.com/n/12/34-x",
        f"u1:{_NEWS}/n/12/34-x",
    ),
    (
        "https://www.example.co.uk/2024/03/01/slug/",
        "https://www.example.co.uk/2024/03/01/slug/",
        "u1:https://example.co.uk/2024/03/01/slug",
    ),
    (_NEWS, f"{_NEWS}/", f"u1:{_NEWS}/"),
    ("https://www.com//", "https://www.com//", "u1:https://www.com/"),
    (
        "https://ex_am-ple.news/A~B!$'()*+,=:@x&y",
        "https://ex_am-ple.news/A~B!$'()*+,=:@x&y",
        "u1:https://ex_am-ple.news/A~B!$'()*+,=:@x&y",
    ),
]


@pytest.mark.parametrize(("url", "canonical", "key"), SIMPLE)
def test_simple_urls_take_the_fast_path(
    url: str, canonical: str, key: str, no_slow_path: None
) -> None:
    """The common shape is answered without the slow path, and answered right."""
    assert urls._simple(url) is not None
    assert canonical_url(url) == canonical
    assert canonical_url_key(canonical) == key
    assert url_key(url) == key
    assert canonical_url_and_key(url) == (canonical, key)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/a?x=1",
        "https://news.example.com/a#b",
        "https://News.example.com/a",
        "https://news.example.com/./a",
        "https://news.example.com/a&amp;b",
        "https://news.example.com:8080/a",
        "https://xn--bcher-kva.example/a",
        "https://192.168.0.1/a",
        "https://news.example.com./a",
    ],
)
def test_other_urls_take_the_slow_path(url: str, no_slow_path: None) -> None:
    """What the fast path does not own reaches the slow path."""
    assert urls._simple(url) is None
    with pytest.raises(AssertionError, match="slow path taken"):
        canonical_url(url)


@pytest.mark.parametrize(
    "canonical",
    [
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a",
        "https://www.google.com/amp/s/example.com/a",
        "https://news.example.com/a;jsessionid=1",
        "https://news.example.com/a?x=1",
    ],
)
def test_keys_the_fast_path_does_not_own_take_the_slow_path(
    canonical: str, no_slow_path: None
) -> None:
    """AMP wrappers (unwrap_amp must see them), session parameters and queries go to _key."""
    with pytest.raises(AssertionError, match="slow path taken"):
        canonical_url_key(canonical)


def test_fast_path_returns_a_plain_str_for_a_str_subclass(no_slow_path: None) -> None:
    """A str subclass (lxml's strings keep their document alive) is not handed back."""

    class Tagged(str):
        __slots__ = ()

    result = canonical_url(Tagged("https://news.example.com/a"))
    assert type(result) is str
    assert result == "https://news.example.com/a"
