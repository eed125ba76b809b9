"""Hostile feed documents: entity declarations in any spelling, oversized feed titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsingest import ingest
from newsingest.exceptions import ParseError
from newsingest.model import Article
from newsingest.readers.feed import FeedReader
from tests.measure import run_cli

ENTITY = '<!ENTITY a "' + "x" * 50 + '">'
BODY = (
    '<rss version="2.0"><channel><title>&a;</title>'
    "<item><title>i &a;</title><link>https://e.example/1</link></item></channel></rss>"
)

SPELLINGS = {
    "in the subset": f'<?xml version="1.0"?><!DOCTYPE rss [{ENTITY}]>{BODY}',
    "after an empty subset": f'<?xml version="1.0"?><!DOCTYPE rss [ ]{ENTITY}{BODY}',
    "after an empty subset, closed later": f"<!DOCTYPE rss [ ]\n{ENTITY}\n]>{BODY}",
    "lower case": f"<!doctype rss [{ENTITY.lower()}]>{BODY}",
    "] inside a literal": f'<!DOCTYPE rss [<!ENTITY b "]">{ENTITY}]>{BODY}',
    "> inside a system id": f'<!DOCTYPE rss SYSTEM "x>y" [{ENTITY}]>{BODY}',
    "after a comment with ] >": f"<!DOCTYPE rss [<!-- ] > -->{ENTITY}]>{BODY}",
    "a parameter entity": f'<!DOCTYPE rss [<!ENTITY % p "x">]>{BODY}',
    "spaced": f'<!DOCTYPE rss [<!  ENTITY a "x">]>{BODY}',
    "after the root start": (
        f'<rss version="2.0"><!DOCTYPE rss [{ENTITY}]><channel><title>&a;</title></channel></rss>'
    ),
}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le"])
@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_every_spelling_of_an_entity_declaration_is_refused(name: str, encoding: str) -> None:
    with pytest.raises(ParseError) as caught:
        list(FeedReader().parse(SPELLINGS[name].encode(encoding), location=name))
    assert caught.value.reason == "entity_declaration"
    assert caught.value.source == name


def quadratic_blowup(size: int) -> bytes:
    """One ~50 KB entity referenced until the file is ``size`` bytes."""
    entity = "y" * 50_000
    refs = "&e;" * max((size - len(entity)) // 3, 1)
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [ ]\n<!ENTITY e "{entity}">\n]>'
        f'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        f"<description>{refs}</description></item></channel></rss>"
    ).encode()


@pytest.mark.slow
@pytest.mark.parametrize("size", [105_000, 1_000_000], ids=["105KB", "1MB"])
def test_quadratic_blowups_are_refused_cheaply(size: int, tmp_path: Path) -> None:
    """Entities declared after an empty subset (the old bypass): refused, small and quick."""
    feed = tmp_path / "blowup.xml"
    feed.write_bytes(quadratic_blowup(size))
    run = run_cli("ingest", str(feed), timeout=120)
    assert "entity_declaration" in run.stderr or "declares XML entities" in run.stderr
    assert run.status == 2
    assert run.peak_mb < 150, f"{run.peak_mb} MB"


def test_a_feed_title_over_every_limit_is_quarantined_and_the_entries_are_read(
    tmp_path: Path,
) -> None:
    """4.1M characters of feed title: one quarantine record; this feed and the next are read."""
    big = tmp_path / "a.xml"
    big.write_text(
        f'<rss version="2.0"><channel><title>{"x" * 4_100_000}</title>'
        "<item><title>one</title><link>https://e.example/1</link></item></channel></rss>",
        encoding="utf-8",
    )
    other = tmp_path / "b.xml"
    other.write_text(
        '<rss version="2.0"><channel><title>B</title>'
        "<item><title>two</title><link>https://e.example/2</link></item></channel></rss>",
        encoding="utf-8",
    )
    quarantined: list[dict[str, object]] = []
    run = ingest([big, other], on_error="quarantine", quarantine=quarantined.append)
    articles = [article for article in run if isinstance(article, Article)]
    assert [article.title for article in articles] == ["one", "two"]
    assert articles[0].source.feed_title is None
    assert run.report.error_count == 1
    assert len(quarantined) == 1
    record = quarantined[0]
    assert record["reason"] == "too_large"
    assert record["source"] == str(big)
    assert "feed title is 4100000 characters" in str(record["message"])
