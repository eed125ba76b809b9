"""loose_key reuses content_key's key form of the same ASCII body: never another value."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from newsingest.dedup import keys
from newsingest.dedup.keys import content_key, loose_key

ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=80)


def _loose_by_definition(body: list[str]) -> str:
    data = "\n".join(body).encode("ascii").translate(None, keys._ASCII_LOOSE_DELETE).lower()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@given(body=st.lists(ASCII, max_size=8), other=st.lists(ASCII, max_size=8))
def test_loose_key_is_the_same_after_content_key_of_any_body(
    body: list[str], other: list[str]
) -> None:
    """Right after content_key of the same body, of another one, or of none."""
    expected = _loose_by_definition(body)
    assert loose_key(body) == expected
    content_key(body)
    assert loose_key(body) == expected
    content_key(other)
    assert loose_key(body) == expected
    assert loose_key(list(body)) == expected
