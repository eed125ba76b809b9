"""The all-ASCII fast path of content_key agrees with per-segment normalize_text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsingest.dedup.keys import _fast_ascii_segments, content_key
from newsingest.normalize.text import normalize_text

# Every character class the normaliser treats specially, plus ordinary letters.
tricky_ascii = st.text(
    st.sampled_from(list(" \t\r\x0b\x0c\x00\x01\x1c\x1f\x7f.,;:!?aBzQ09'\"")), max_size=40
)


@settings(max_examples=500)
@given(st.lists(tricky_ascii, max_size=8))
def test_fast_path_equals_per_segment_normalisation(body: list[str]) -> None:
    """Joined-body normalisation gives exactly the per-segment result, or declines."""
    fast = _fast_ascii_segments(body)
    slow = [segment for segment in map(normalize_text, body) if segment]
    assert fast is None or [segment.decode("ascii") for segment in fast] == slow


@given(st.lists(st.text(max_size=30), max_size=6))
def test_fast_path_declines_what_it_cannot_do_exactly(body: list[str]) -> None:
    """Non-ASCII text or segments holding a line break go the per-segment way."""
    fast = _fast_ascii_segments(body)
    if any(not segment.isascii() or "\n" in segment for segment in body):
        assert fast is None


def test_key_is_the_same_either_way() -> None:
    """A body the fast path takes hashes to the key the slow path would give."""
    body = ["Second  paragraph , here .", "First\tone!", "   "]
    assert _fast_ascii_segments(body) == [b"second paragraph, here.", b"first one!"]
    assert content_key(body) == content_key(["First one!", "second paragraph, here."])
    assert content_key(body) == content_key([*body, "caf\u00e9"][:3])
