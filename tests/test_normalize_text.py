"""Tests for newsingest.normalize.text: text normalised for keys, never for display."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsingest.normalize import TEXT_NORM_VERSION, normalize_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello  World", "hello world"),
        ("  leading and trailing \n", "leading and trailing"),
        ("and  hospitals .", "and hospitals."),
        ("a , b ; c : d ! e ? f .", "a, b; c: d! e? f."),
        ("tabs\tand\nnewlines\r\nmix", "tabs and newlines mix"),
        ("zero\u200bwidth\ufeff joiner\u200d", "zerowidth joiner"),
        ("soft\u00adhyphen", "softhyphen"),
        ("bell\x07 and nul\x00", "bell and nul"),
        ("unit\x1fseparator", "unitseparator"),
        ("non\u00a0breaking\u3000space", "non breaking space"),
        ("Cafe\u0301", "café"),
        ("Straße", "strasse"),
        ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),
        ("rtl\u200fmark\u202eembedding\u202c", "rtlmarkembedding"),
        ("", ""),
        (" \u200b ", ""),
        ('quote " stays', 'quote " stays'),
    ],
)
def test_examples(text: str, expected: str) -> None:
    """Each example normalises as documented."""
    assert normalize_text(text) == expected


def test_version_is_versioned_like_the_url_key() -> None:
    """The algorithm carries a version keys can embed."""
    assert TEXT_NORM_VERSION == "t1"


def test_non_string_is_a_type_error() -> None:
    """Bytes are a programming error, not text to normalise."""
    with pytest.raises(TypeError):
        normalize_text(b"text")  # type: ignore[arg-type]


_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f\x80-\x84\x86-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff]"
)


def _reference(text: str) -> str:
    """A slow, obvious statement of the rules, to hold the fast paths to."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r" ([.,;:!?])", r"\1", text)
    return unicodedata.normalize("NFC", text.casefold())


_ascii = st.text(alphabet=st.characters(max_codepoint=127), max_size=200)
_mixed = st.text(
    alphabet=st.sampled_from(
        [
            *"aAbB .,;:!?\t\n",
            "\u200b",
            "\u00a0",
            "\u0301",
            "é",
            "ß",
            "Σ",
            "ǰ",
            "\u00ad",
            "\x85",
            "İ",
        ]
    ),
    max_size=60,
)


@given(_ascii | _mixed | st.text(max_size=60))
def test_matches_the_reference(text: str) -> None:
    """The fast paths give what the plain statement of the rules gives."""
    assert normalize_text(text) == _reference(text)


@given(_ascii | _mixed | st.text(max_size=60))
def test_is_idempotent(text: str) -> None:
    """Normalising normalised text changes nothing."""
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.lists(st.text(alphabet="abcXYZ", min_size=1, max_size=8), min_size=1, max_size=8))
def test_spacing_and_case_do_not_matter(words: list[str]) -> None:
    """Two spellings that differ in whitespace runs and case give the same text."""
    assert normalize_text("  ".join(words).upper()) == normalize_text("\t".join(words))
