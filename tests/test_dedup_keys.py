"""Versioned dedup keys: content and title keys, and their invariants."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.dedup import keys
from newsingest.dedup.keys import content_key, key_version, title_key, title_scope
from newsingest.model import Article, Provenance
from newsingest.normalize.text import TEXT_NORM_VERSION, normalize_text

segment_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
bodies = st.lists(segment_text, max_size=8)


def test_content_key_format_is_versioned_blake2b_128() -> None:
    """A content key is "c1:" and the 128-bit BLAKE2b of the sorted normalised segments."""
    key = content_key(["Second paragraph.", "First paragraph."])
    expected = hashlib.blake2b(b"first paragraph.\nsecond paragraph.", digest_size=16).hexdigest()
    assert key == f"c1:{expected}"
    assert key_version(key) == "c1"


def test_content_key_ignores_order_spacing_case_and_invisible_characters() -> None:
    """Shuffled, re-spaced, re-cased copies with zero-width characters share the key."""
    body = ["He said  hello .", "The war began.", "Nobody knew."]
    shuffled = ["  nobody\u200b knew.", "THE WAR\tBEGAN.", "He said hello ."]
    assert content_key(body) == content_key(shuffled)


def test_content_key_changes_when_text_changes() -> None:
    """One changed word gives a different key."""
    assert content_key(["The war began."]) != content_key(["The war ended."])


def test_content_key_respects_segment_boundaries() -> None:
    """Moving a word across a segment boundary is a different body."""
    assert content_key(["a b", "c"]) != content_key(["a", "b c"])


def test_empty_body_has_no_content_key() -> None:
    """No segments, or only blank ones, give no content key."""
    assert content_key([]) is None
    assert content_key(["", "   ", "\u200b"]) is None


def test_blank_segments_do_not_change_the_key() -> None:
    """Trailing blank lines in an export do not make a new content key."""
    assert content_key(["One.", "Two."]) == content_key(["One.", "", "  ", "Two."])


@given(bodies, st.randoms(use_true_random=False))
def test_content_key_is_permutation_invariant(body: list[str], rng: random.Random) -> None:
    """Any permutation of the segments has the same content key."""
    shuffled = list(body)
    rng.shuffle(shuffled)
    assert content_key(shuffled) == content_key(body)


@given(segment_text)
def test_separator_cannot_occur_in_normalised_text(text: str) -> None:
    """The joining separator never survives normalisation, so joins are unambiguous."""
    assert keys._SEPARATOR not in normalize_text(text)


def test_text_normalisation_version_is_the_one_keys_were_defined_with() -> None:
    """Changing the text normaliser must come with new content and title key versions."""
    assert TEXT_NORM_VERSION == keys.BUILT_FOR_TEXT_NORM


def _article(**fields: object) -> Article:
    values: dict[str, object] = {"source": Provenance(reader="test", location="a.txt")}
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def test_title_key_is_scoped_to_the_source() -> None:
    """The same headline from two sources gives two title keys; re-cased it gives one."""
    one = title_key("Storm hits the coast", "feed:https://a.example/rss")
    assert one is not None and key_version(one) == "t1"
    assert one == title_key("  STORM hits the coast", "feed:https://a.example/rss")
    assert one != title_key("Storm hits the coast", "feed:https://b.example/rss")


def test_empty_title_has_no_title_key() -> None:
    """A blank headline gives no title key."""
    assert title_key(" \u200b ", "host:example.com") is None


def test_title_scope_prefers_feed_then_host_then_location() -> None:
    """Feed items are scoped to their feed, other articles to their site or file."""
    feed = Provenance(
        reader="feed", location="https://a.example/rss", feed_url="https://a.example/rss"
    )
    assert title_scope(_article(source=feed, url="https://a.example/1")) == (
        "feed:https://a.example/rss"
    )
    assert title_scope(_article(url="https://www.site.example/x")) == "host:site.example"
    assert title_scope(_article()) == "location:a.txt"


@pytest.mark.parametrize("bad", ["", "c1", ":abc"])
def test_key_version_rejects_unversioned_keys(bad: str) -> None:
    """A key without a version prefix is refused."""
    with pytest.raises(ValueError, match="not a versioned dedup key"):
        key_version(bad)
