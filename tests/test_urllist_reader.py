"""The URL-list reader ``urls`` and the offline unwrapping of redirect wrappers."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest._unwrap import unwrap_url
from newsingest.exceptions import NewsIngestWarning, ParseError
from newsingest.model import Article
from newsingest.normalize.urls import url_key
from newsingest.readers import SNIFF_BYTES, ReaderRegistry, read_head
from newsingest.readers.urllist import UrlListReader, is_list_url, register
from tests.strategies import http_urls

DATA = Path(__file__).parent / "data" / "urllists"
CASES = sorted(
    path.name
    for path in DATA.iterdir()
    if not path.name.endswith(".json") and path.is_file() and not path.name.startswith(".")
)


def read(source: Any) -> list[Article | ParseError | NewsIngestWarning]:
    return list(UrlListReader().read(source))


def summarise(item: Article | ParseError | NewsIngestWarning) -> dict[str, Any]:
    """The fields a fixture's .json states, in the same shape."""
    if isinstance(item, Article):
        assert item.source.reader == "urls"
        assert item.title == ""
        assert item.body == ()
        record: dict[str, Any] = {
            "url": item.url,
            "line": item.source.line,
            "item": item.source.item,
        }
        if item.extra:
            record["extra"] = dict(item.extra)
        return {"article": record}
    assert isinstance(item, ParseError), item
    return {"error": {"line": item.line, "item": item.item, "reason": item.reason}}


def test_every_fixture_has_its_expectation() -> None:
    """Each list in tests/data/urllists has a .json next to it, and there are enough cases."""
    assert len(CASES) >= 7
    for name in CASES:
        assert (DATA / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", CASES)
def test_fixture_reads_to_expected_records(name: str) -> None:
    """Each fixture reads to exactly the stubs and errors its .json lists, in order."""
    expected = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    items = read(DATA / name)
    assert [summarise(item) for item in items] == expected["records"]
    for item in items:
        if isinstance(item, Article):
            assert item.source.location == str(DATA / name)
        else:
            assert item.source == str(DATA / name)


@pytest.mark.parametrize("name", CASES)
def test_fixture_sniffs_as_expected(name: str) -> None:
    """The sniffer recognises the lists and rejects the files that are not lists."""
    expected = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    assert UrlListReader().sniff(read_head(DATA / name)) is expected["sniff"]


def test_errors_name_file_and_line() -> None:
    """A rejected line's message says which file and line, and what the line was."""
    path = DATA / "invalid_lines.urls"
    errors = [item for item in read(path) if isinstance(item, ParseError)]
    ftp = next(error for error in errors if error.line == 4)
    assert str(ftp).startswith(f"{path}:4 item 2: ")
    assert "ftp://files.example.com/report.pdf" in str(ftp)
    # Errors survive pickling with their position and reason (workers send them home).
    clone = pickle.loads(pickle.dumps(ftp))
    assert (clone.line, clone.item, clone.reason) == (4, 2, ftp.reason)


def test_duplicates_in_different_forms_share_one_url_key() -> None:
    """Tracking parameters, www., case, fragments and wrappers do not hide a duplicate."""
    stubs = [item for item in read(DATA / "duplicates.urls") if isinstance(item, Article)]
    assert len(stubs) == 6
    keys = {url_key(stub.url) for stub in stubs if stub.url is not None}
    assert len(keys) == 1


def test_stdin_like_streams_and_bytes_read_the_same_as_files() -> None:
    """Binary streams, text streams and raw bytes give the same records as the file."""
    path = DATA / "comments.urls"
    data = path.read_bytes()
    from_file = [summarise(item) for item in read(path)]
    assert [summarise(item) for item in read(io.BytesIO(data))] == from_file
    assert [summarise(item) for item in read(io.StringIO(data.decode("utf-8")))] == from_file
    assert [summarise(item) for item in read(data)] == from_file
    assert {item.source.location for item in read(data) if isinstance(item, Article)} == {"<bytes>"}


def test_missing_file_is_a_parse_error_not_a_crash(tmp_path: Path) -> None:
    """A path that does not exist yields one error naming it."""
    items = read(tmp_path / "nope.urls")
    assert len(items) == 1
    assert isinstance(items[0], ParseError)
    assert items[0].reason == "not_found"
    assert str(tmp_path / "nope.urls") in str(items[0])


def test_overlong_line_is_rejected_without_stopping_the_list() -> None:
    """A line over the byte limit is one error; the lines around it still come through."""
    data = (
        b"https://a.example.com/1\nhttps://a.example.com/"
        + b"x" * 200
        + b"\nhttps://a.example.com/3\n"
    )
    items = list(UrlListReader(max_line_bytes=100).read(data))
    assert [summarise(item) for item in items] == [
        {"article": {"url": "https://a.example.com/1", "line": 1, "item": 0}},
        {"error": {"line": 2, "item": 1, "reason": "line_too_long"}},
        {"article": {"url": "https://a.example.com/3", "line": 3, "item": 2}},
    ]


def test_broken_utf16_is_one_clear_error() -> None:
    """A UTF-16 byte-order mark followed by an odd, undecodable tail is reported, not guessed."""
    items = read(b"\xff\xfe" + "https://a.example.com/\n".encode("utf-16-le") + b"\x00\xd8")
    assert len(items) == 1
    assert isinstance(items[0], ParseError)
    assert items[0].reason == "undecodable"


def test_ten_thousand_line_list() -> None:
    """A 10,000-line list yields every stub in order, its typos as errors, and sniffs as a list."""
    lines = []
    bad_lines = set()
    for index in range(10_000):
        if index % 997 == 0:
            lines.append(f"not a url {index}")
            bad_lines.add(index + 1)
        elif index % 501 == 0:
            lines.append(f"# section {index}")
        else:
            lines.append(f"https://site{index % 37}.example.com/story/{index}?utm_source=x")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    reader = UrlListReader()
    assert reader.sniff(data[:SNIFF_BYTES])
    items = list(reader.read(data))
    errors = [item for item in items if isinstance(item, ParseError)]
    stubs = [item for item in items if isinstance(item, Article)]
    comments = sum(1 for line in lines if line.startswith("#"))
    assert {error.line for error in errors} == bad_lines
    assert len(stubs) == 10_000 - len(bad_lines) - comments
    positions = [
        item.source.item if isinstance(item, Article) else getattr(item, "item", None)
        for item in items
    ]
    assert positions == list(range(len(items)))
    assert all(
        stub.url == lines[stub.source.line - 1] for stub in stubs if stub.source.line is not None
    )


# --- sniffing -------------------------------------------------------------------------------


def test_seed_text_file_is_not_a_list() -> None:
    """The seed format (title, date, URL on line 3, then ~27 paragraphs) is not a URL list."""
    body = [f"Paragraph {n} of the story, with a sentence or two." for n in range(27)]
    seed = "\n".join(["A headline", "20220206", "https://news.example.com/a", *body]) + "\n"
    assert not UrlListReader().sniff(seed.encode("utf-8"))
    # Even a seed file with an empty body has only one URL in three lines.
    assert not UrlListReader().sniff(b"A headline\n20220206\nhttps://news.example.com/a\n")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"https://a.example.com/1\nnot a url\nhttps://a.example.com/2\n", True),
        (b"https://a.example.com/1\nnot a url\n", False),  # exactly half is not more than half
        (b"# only comments\n\n# here\n", False),
        (b"", False),
        (b"\x00\x01\x02https://a.example.com/\n", False),  # binary junk
        (b"junk line\nhttps://a.example.com/1\nhttps://a.example.com/2", True),  # no final LF
        (b"https://a.example.com/caf\xe9\nhttps://a.example.com/2\n", True),  # one Latin-1 line
        (b"www.example.com/1\nwww.example.com/2\n", False),  # not absolute URLs
    ],
)
def test_sniff_counts_more_than_half(head: bytes, expected: bool) -> None:
    """More than half of the entries must be absolute http(s) URLs."""
    assert UrlListReader().sniff(head) is expected


def test_sniff_ignores_the_line_cut_by_the_window() -> None:
    """In a full sniffing window the last, truncated line does not count against the list."""
    line = b"https://a.example.com/" + b"p" * 60 + b"\n"
    head = (line * (SNIFF_BYTES // len(line) + 1))[:SNIFF_BYTES]
    head = head[: head.rindex(b"\n") + 1] + b"prose that was cut"
    head = (b"prose line\n" * ((SNIFF_BYTES - len(head)) // 11 + 1) + head)[-SNIFF_BYTES:]
    assert len(head) == SNIFF_BYTES
    assert UrlListReader().sniff(head)


@given(
    urls=st.lists(http_urls, min_size=1, max_size=15),
    noise=st.lists(st.sampled_from(["", "   ", "# note", "  # indented note", "\t"]), max_size=15),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
    order=st.randoms(use_true_random=False),
)
def test_round_trip_any_list(
    urls: list[str], noise: list[str], eol: str, bom: bool, order: Any
) -> None:
    """Any list of URLs mixed with blank lines and comments reads back as exactly those URLs."""
    lines = [(url, True) for url in urls] + [(line, False) for line in noise]
    order.shuffle(lines)
    data = (b"\xef\xbb\xbf" if bom else b"") + eol.join(line for line, _ in lines).encode()
    reader = UrlListReader()
    assert reader.sniff(data)
    items = list(reader.read(data))
    assert all(isinstance(item, Article) for item in items)
    expected = [(text, number) for number, (text, is_url) in enumerate(lines, start=1) if is_url]
    assert [(item.url, item.source.line) for item in items if isinstance(item, Article)] == expected
    assert [item.source.item for item in items if isinstance(item, Article)] == list(
        range(len(urls))
    )


# --- registry -------------------------------------------------------------------------------


def test_register_routes_lists_by_content_and_suffix(tmp_path: Path) -> None:
    """register() adds the reader; a list with an unusual suffix is still found by sniffing."""
    registry = ReaderRegistry()
    register(registry)
    assert registry.names() == ["urls"]
    odd = tmp_path / "export.dat"
    odd.write_bytes(b"https://a.example.com/1\nhttps://a.example.com/2\n")
    assert registry.resolve(odd).name == "urls"
    assert registry.resolve(tmp_path / "x.lst", head=b"").name == "urls"


# --- unwrapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wrapped", "target"),
    [
        ("https://www.google.com/url?q=https://example.com/a&sa=D", "https://example.com/a"),
        ("https://www.google.co.uk/url?url=https%3A%2F%2Fexample.com%2Fb", "https://example.com/b"),
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2Fc&h=AT",
            "https://example.com/c",
        ),
        (
            "https://www.facebook.com/flx/warn/?u=https%3A%2F%2Fexample.com%2Fd",
            "https://example.com/d",
        ),
        ("https://l.instagram.com/?u=https%3A%2F%2Fexample.com%2Fe", "https://example.com/e"),
        (
            "https://example-com.cdn.ampproject.org/c/s/example.com/f?x=1",
            "https://example.com/f?x=1",
        ),
        ("https://example-com.cdn.ampproject.org/c/example.com/g", "http://example.com/g"),
        ("https://www.google.com/amp/s/example.com/h", "https://example.com/h"),
        (
            "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.com%2Fi"
            "&data=05",
            "https://example.com/i",
        ),
        ("https://www.youtube.com/redirect?q=https://example.com/j&v=x", "https://example.com/j"),
        # Nested: a Google result pointing at a Facebook shim.
        (
            "https://www.google.com/url?q=https%3A%2F%2Fl.facebook.com%2Fl.php%3Fu%3D"
            "https%253A%252F%252Fexample.com%252Fk",
            "https://example.com/k",
        ),
    ],
)
def test_known_wrappers_unwrap(wrapped: str, target: str) -> None:
    """Each known wrapper gives the target written inside it."""
    assert unwrap_url(wrapped) == target


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/url?q=https://example.org/",  # /url on another site
        "https://google.evil.com/url?q=https://example.org/",  # not Google
        "https://google.com.evil.io/url?q=https://example.org/",
        "https://www.google.com/search?q=news",  # a search, not a redirect
        "https://www.google.com/url?sa=D",  # no target inside
        "https://www.google.com/url?q=%20",
        "https://bit.ly/3abcDEF",  # shorteners are resolved by fetching, not guessed
        "https://t.co/xyz",
        "https://example-com.cdn.ampproject.org/c/s/",
        "https://www.facebook.com/somepage",
        "mailto:someone@example.com",
        "https://[::1/url?q=x",  # malformed
    ],
)
def test_other_urls_are_not_wrappers(url: str) -> None:
    """Look-alikes, searches, shorteners and malformed URLs are left alone."""
    assert unwrap_url(url) is None


def test_is_list_url() -> None:
    """The sniffer's URL test wants a scheme, a host and no whitespace."""
    assert is_list_url("https://a.example.com")
    assert is_list_url("HTTP://A.EXAMPLE.COM/x?y#z")
    assert not is_list_url("https://")
    assert not is_list_url("https:///path")
    assert not is_list_url("https://a b.com")
    assert not is_list_url("ftp://a.example.com")
