"""Versioned dedup keys: content and title keys, and their invariants."""

from __future__ import annotations

import hashlib
import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.dedup import keys
from newsingest.dedup.keys import (
    content_key,
    key_version,
    title_key,
    title_scope,
)
from newsingest.model import Article, Provenance
from newsingest.normalize.text import _DELETE_UNICODE, TEXT_NORM_VERSION, normalize_text

# Characters the key form treats specially: ASCII and Unicode whitespace (NEL, no-break
# space, line/paragraph separators, ideographic space), ASCII and C1 controls, invisible
# characters (zero-width space, soft hyphen, bidi marks, word joiner, BOM), letters that
# case-fold to several characters or compose under NFC, and punctuation.
SPECIAL = list(
    " \t\n\r\x0b\x0c\x1c\x1f\x00\x01\x1b\x7f\x85\x9f\u00a0\u1680\u2003\u2028\u2029\u3000"
    "\u200b\u200d\u00ad\u200e\u202a\u2060\ufeffaBzQ09.,;:!?'\"\u00df\u0130\u0301\u00e9E"
)
WHITESPACE = [char for char in SPECIAL if char.isspace()]
INVISIBLE = ["\x00", "\x1b", "\x7f", "\x9f", "\u200b", "\u200d", "\u00ad", "\u200e", "\ufeff"]

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
tricky_text = st.text(st.sampled_from(SPECIAL), max_size=30)
ascii_text = st.text(st.characters(max_codepoint=0x7F), max_size=30)
segment_text = any_text | tricky_text | ascii_text
# A segment long enough that every body holding it has a content key (a key form of
# at least MIN_CONTENT_CHARS), so the invariants below compare keys, not Nones.
FILLER = "A sentence that is long enough to identify a story on its own, repeated. " * 2
bodies = st.lists(segment_text, max_size=8).map(lambda body: [*body, FILLER])
# Segments as lines: everything but the line separator itself.
letters = st.characters(categories=("Lu", "Ll", "Lo"))


def reference_content_key(body: list[str]) -> str | None:
    """The c3 definition written out step by step, sharing no code with the module."""
    forms = []
    for segment in body:
        text = unicodedata.normalize("NFC", segment.translate(_DELETE_UNICODE))
        text = "".join(char for char in text if not char.isspace()).casefold()
        form = unicodedata.normalize("NFC", text)
        if form:
            forms.append(form)
    if sum(len(form) for form in forms) < 100:  # too little text to identify a story
        return None
    payload = "\n".join(sorted(forms)).encode("utf-8")
    return "c3:" + hashlib.sha256(payload).hexdigest()[:32]


def test_content_key_format_is_versioned_sha256_128() -> None:
    """A content key is "c3:" and SHA-256, cut to 128 bits, of the sorted key forms."""
    key = content_key(["Second  paragraph ." * 6, "First\tParagraph." * 6, "  "])
    expected = hashlib.sha256(b"firstparagraph." * 6 + b"\n" + b"secondparagraph." * 6).hexdigest()[
        :32
    ]
    assert key == f"c3:{expected}"
    assert key_version(key) == "c3" == keys.CONTENT_KEY_VERSION


def test_content_key_of_non_ascii_text_is_nfc_and_case_folded() -> None:
    """Decomposed accents are composed, "ß" folds to "ss", no-break spaces go."""
    key = content_key(["Stra\u00dfe\u00a0Nord" * 10, "Cafe\u0301 CR\u00c8ME\u200b" * 10])
    expected = hashlib.sha256(
        ("caf\u00e9cr\u00e8me" * 10 + "\n" + "strassenord" * 10).encode()
    ).hexdigest()[:32]
    assert key == f"c3:{expected}"


def test_content_key_ignores_order_spacing_case_and_invisible_characters() -> None:
    """Shuffled, re-spaced, re-cased copies with zero-width characters share the key."""
    body = ["He said  hello .", "The war began.", "Nobody knew."]
    shuffled = ["  nobody\u200b knew.", "THE WAR\tBEGAN.", "He said hello ."]
    assert content_key(body) == content_key(shuffled)


def test_scraping_artefacts_do_not_change_the_key() -> None:
    """Spaces left by removed links, before punctuation or around inline tags all vanish."""
    clean = ["Schools and hospitals were hit, officials said."]
    assert content_key(clean) == content_key(["Schools and  hospitals were hit , officials said ."])
    assert content_key(clean) == content_key(["Schools and hospitals were hit,officials said."])
    assert content_key(clean) == content_key(["Schools and hos pitals were hit, officials said."])


def test_paragraphs_run_together_without_a_space_match() -> None:
    """Text run together by the scraper keys like the spaced text (as one segment)."""
    assert content_key(["call you hereI feel"]) == content_key(["call you here I feel"])


def test_content_key_changes_when_text_changes() -> None:
    """One changed word gives a different key."""
    assert content_key(["The war began.", FILLER]) != content_key(["The war ended.", FILLER])


def test_content_key_respects_segment_boundaries() -> None:
    """Moving a word across a segment boundary is a different body."""
    assert content_key(["a b", "c", FILLER]) != content_key(["a", "b c", FILLER])


def test_a_line_break_inside_a_segment_is_whitespace_not_a_boundary() -> None:
    """A segment holding "\\n" keys like itself without it, also on the ASCII path."""
    assert content_key(["ab\ncd", FILLER]) == content_key(["abcd", FILLER])
    assert content_key(["ab\ncd", FILLER]) != content_key(["ab", "cd", FILLER])
    assert content_key(["ab\ncd", FILLER]) == reference_content_key(["ab\ncd", FILLER])


@given(bodies)
def test_content_key_follows_the_definition(body: list[str]) -> None:
    """content_key (either path, any segments, "\\n" inside included) is the c3 definition."""
    assert content_key(body) == reference_content_key(body)
    assert content_key(iter(body)) == content_key(tuple(body)) == content_key(body)


@given(st.lists(segment_text | st.text("ab ", min_size=40, max_size=60), max_size=8))
def test_the_minimum_follows_the_definition_too(body: list[str]) -> None:
    """Short and long bodies alike: a key exactly when the key form reaches the minimum."""
    assert content_key(body) == reference_content_key(body)


def test_a_body_too_short_to_identify_a_story_has_no_key_and_says_why() -> None:
    for short in (["Comments"], ["Continue reading..."], ["Photo: Reuters", "Read more"]):
        assert content_key(short) is None
        reason = keys.withheld_reason(short)
        assert reason is not None
        assert reason.startswith("short_body: ")
        assert f"under {keys.MIN_CONTENT_CHARS}" in reason
    assert keys.withheld_reason([FILLER]) is None  # it has a key
    assert keys.withheld_reason([]) is None  # nothing to key
    assert content_key(["x" * keys.MIN_CONTENT_CHARS]) is not None
    assert content_key(["x" * (keys.MIN_CONTENT_CHARS - 1)]) is None


@given(bodies)
def test_spacing_never_decides_whether_a_body_has_a_key(body: list[str]) -> None:
    """Bodies the key cannot tell apart (whitespace removed) both have a key or neither."""
    body = body[:-1]  # without the filler: short bodies too
    squeezed = ["".join(segment.split()) for segment in body]
    assert (content_key(body) is None) == (content_key(squeezed) is None)


def test_empty_body_has_no_content_key() -> None:
    """No segments, or only blank or invisible ones, give no content key."""
    assert content_key([]) is None
    assert content_key(["", "   ", "\u200b", "\u00a0\u2028\x85", "\r\n\t", "\x00"]) is None


def test_blank_segments_do_not_change_the_key() -> None:
    """Trailing blank lines in an export do not make a new content key."""
    assert content_key(["One.", FILLER]) == content_key(["One.", "", "  ", FILLER])


@given(bodies, st.randoms(use_true_random=False))
def test_content_key_is_permutation_invariant(body: list[str], rng: random.Random) -> None:
    """Any permutation of the segments has the same content key."""
    shuffled = list(body)
    rng.shuffle(shuffled)
    assert content_key(shuffled) == content_key(body)


@given(bodies, st.randoms(use_true_random=False))
def test_content_key_is_case_insensitive(body: list[str], rng: random.Random) -> None:
    """Upper-, lower- or swap-casing any characters keeps the key.

    Dotless "ı" is left out: upper-cased it is "I", which folds to a different letter.
    """
    body = [segment.replace("\u0131", "") for segment in body]
    changes = (str.upper, str.lower, str.swapcase, str.casefold, str)
    recased = ["".join(rng.choice(changes)(char) for char in segment) for segment in body]
    assert content_key(recased) == content_key(body)


def _starts_with_a_mark(text: str) -> bool:
    return bool(text) and unicodedata.combining(text[0]) != 0


@given(
    st.lists(st.lists(segment_text.filter(lambda t: not _starts_with_a_mark(t)), max_size=5)),
    st.randoms(use_true_random=False),
)
def test_content_key_ignores_whitespace_between_characters(
    pieces: list[list[str]], rng: random.Random
) -> None:
    """Whitespace inserted or removed between any characters keeps the key.

    Each segment is its pieces glued with random whitespace (or none) twice. Whitespace
    in front of a combining mark is excluded: it stops NFC composing the mark with its
    base before case folding, which matters for the Greek ypogegrammeni ("ᾳ\u0301").
    """

    def glue(parts: list[str]) -> str:
        return "".join(
            part + "".join(rng.choices(WHITESPACE, k=rng.randrange(3))) for part in parts
        )

    assert content_key([*(glue(parts) for parts in pieces), FILLER]) == content_key(
        [*("".join(parts) for parts in pieces), FILLER]
    )


@given(bodies, st.randoms(use_true_random=False))
def test_content_key_ignores_invisible_characters(body: list[str], rng: random.Random) -> None:
    """Zero-width characters, soft hyphens, bidi marks and controls anywhere keep the key."""
    marked = [
        "".join(char + rng.choice(["", "", *INVISIBLE]) for char in rng.choice(INVISIBLE) + segment)
        for segment in body
    ]
    assert content_key(marked) == content_key(body)


@given(st.lists(segment_text, min_size=1, max_size=8).map(lambda body: [*body, FILLER]), st.data())
def test_appending_a_letter_changes_the_key(body: list[str], data: st.DataObject) -> None:
    """One more letter in any segment is a different body."""
    index = data.draw(st.integers(0, len(body) - 1))
    changed = list(body)
    changed[index] += data.draw(letters)
    assert content_key(changed) != content_key(body)


@given(segment_text)
def test_key_forms_hold_no_separator_and_no_whitespace(text: str) -> None:
    """Key forms have no whitespace at all, so the "\\n" join is unambiguous."""
    form = keys._key_form(text)
    assert keys._SEPARATOR not in form
    assert not any(char.isspace() for char in form)


def test_the_deletable_character_search_finds_exactly_what_is_deleted() -> None:
    """The regex that lets non-ASCII text skip translate() matches the deleted set only."""
    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000)
    assert [ord(char) for char in keys._DELETABLE.findall(every)] == sorted(_DELETE_UNICODE)


@given(segment_text)
def test_separator_cannot_occur_in_normalised_text(text: str) -> None:
    """The title key's separator never survives normalisation, so its join is unambiguous."""
    assert keys._SEPARATOR not in normalize_text(text)


def test_text_normalisation_version_is_the_one_title_keys_were_defined_with() -> None:
    """Changing the text normaliser must come with a new title key version."""
    assert TEXT_NORM_VERSION == keys.BUILT_FOR_TEXT_NORM


def test_title_key_is_blake2b_of_scope_and_normalised_title() -> None:
    """The t1 definition, pinned: the normaliser's output for this headline is hashed."""
    key = title_key(" Storm  hits the\u200b COAST .", "host:example.com")
    payload = b"host:example.com\nstorm hits the coast."
    assert key == f"t1:{hashlib.blake2b(payload, digest_size=16).hexdigest()}"
    assert key_version(key) == keys.TITLE_KEY_VERSION


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


@pytest.mark.parametrize("bad", ["", "c2", ":abc"])
def test_key_version_rejects_unversioned_keys(bad: str) -> None:
    """A key without a version prefix is refused."""
    with pytest.raises(ValueError, match="not a versioned dedup key"):
        key_version(bad)
