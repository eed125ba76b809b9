"""Extraction of one page's bytes, offline: charset, parse, dates, access (newsingest.extract)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from newsingest.extract import extract_page

trafilatura = pytest.importorskip("trafilatura")

PARAGRAPHS = (
    "The council voted on Thursday to build removable flood barriers along the east quay, "
    "after the wettest February on record in the town.",
    "Shop owners on the quay said the water had reached their doors three times this winter, "
    "and that insurers had started to refuse new policies.",
    "Work on the barriers starts in May and should be finished before the autumn storms, "
    "the mayor said, at a cost of four million euros.",
)


# Vertical tab inside a word and a backspace after each paragraph: characters lxml's
# default HTML parse chokes on (built here, not in f-strings, for Python 3.10).
CONTROL_BODY = "".join(
    "<p>" + text.replace("voted", "vo\x0bted") + "\x08</p>" for text in PARAGRAPHS
)


def page(head: str = "", body: str = "", *, lang: str = "en") -> str:
    paragraphs = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><title>Flood barriers for the quay</title>'
        f"{head}</head><body><article><h1>Flood barriers for the quay</h1>{body or paragraphs}"
        "</article></body></html>"
    )


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


# --- dates --------------------------------------------------------------------------------


def test_a_zoneless_time_says_its_zone_was_assumed() -> None:
    """A page time without a zone is read as UTC, and the page says the zone was assumed."""
    meta = '<meta property="article:published_time" content="2024-03-05T23:30:00">'
    found = extract_page(page(meta), url="https://x.example/a")
    assert found.published == datetime(2024, 3, 5, 23, 30, tzinfo=timezone.utc)
    assert found.published_raw == "2024-03-05T23:30:00"
    assert found.published_precision == "second"
    assert found.date_source == "meta"
    assert found.date_zone_assumed == "UTC"
    assert found.extra["date_local_day"] == "2024-03-05"


def test_a_time_with_a_zone_keeps_its_local_day() -> None:
    """An explicit offset is no assumption; the day is the one the page wrote."""
    meta = '<meta property="article:published_time" content="2024-03-05T23:30:00-05:00">'
    found = extract_page(page(meta), url="https://x.example/a")
    assert found.published == datetime(2024, 3, 6, 4, 30, tzinfo=timezone.utc)
    assert found.date_zone_assumed is None
    assert found.extra["date_local_day"] == "2024-03-05"


def test_htmldate_gives_the_date_the_markup_does_not_state() -> None:
    """Without a stated date, htmldate's original publication date (a day) is used."""
    found = extract_page(page(), url="https://x.example/2023/11/02/flood-barriers")
    assert (found.published_raw, found.date_source) == ("2023-11-02", "htmldate")
    assert found.published_precision == "day"
    assert found.date_zone_assumed is None


def test_a_stated_date_wins_over_htmldate_and_the_loser_is_recorded() -> None:
    """The article's own JSON-LD datePublished wins; htmldate's other day is kept as rejected."""
    jsonld = json.dumps({"@type": "NewsArticle", "datePublished": "2024-01-10T08:00:00+01:00"})
    head = f'<script type="application/ld+json">{jsonld}</script>'
    found = extract_page(page(head), url="https://x.example/2023/11/02/flood-barriers")
    assert (found.date_source, found.published_raw) == ("jsonld", "2024-01-10T08:00:00+01:00")
    assert found.extra["date_rejected"] == {"source": "htmldate", "raw": "2023-11-02"}


def test_a_loose_meta_date_refines_htmldate_on_the_same_day() -> None:
    """A loose <meta name="date"> naming htmldate's day gives its time."""
    head = '<meta name="date" content="2023-11-02T09:15:00Z">'
    found = extract_page(page(head), url="https://x.example/2023/11/02/flood-barriers")
    assert (found.date_source, found.published_precision) == ("meta", "second")


def test_an_unusable_date_is_a_warning_and_kept_raw() -> None:
    """A stated date that cannot be parsed is kept as stated and warned about."""
    head = '<meta property="article:published_time" content="sometime last week">'
    found = extract_page(page(head), url="https://x.example/a", extensive_dates=False)
    assert found.published is None
    assert found.published_raw == "sometime last week"
    assert [reason for reason, _message in found.warnings] == ["invalid_date"]


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        page(body="".join(f"<p>{t.replace(' on ', ' on <!-- ad -->')}</p>" for t in PARAGRAPHS)),
        "<!-- cached copy -->" + page(),
        page(body=CONTROL_BODY),
        '<?xml version="1.0"?>\n<?pi here?>' + page(),
    ],
    ids=["comment-in-paragraph", "comment-first", "control-characters", "processing-instruction"],
)
def test_text_equals_trafilatura_on_the_same_bytes(html: str) -> None:
    """Comments, processing instructions and control characters cost no text."""
    data = html.encode("utf-8")
    found = extract_page(data, url="https://x.example/a")
    direct = trafilatura.extract(data, include_comments=False, include_tables=True)
    expected = lines(direct)
    if expected and expected[0] == found.title:
        expected = expected[1:]
    assert list(found.body) == expected
    assert len(found.body) == len(PARAGRAPHS)


def test_control_characters_no_longer_make_a_page_textless() -> None:
    """A page lxml's default parse gave no text (control characters) now gives its article."""
    lxml_html = pytest.importorskip("lxml.html")
    html = page(body=CONTROL_BODY)
    old = trafilatura.bare_extraction(lxml_html.document_fromstring(html), include_comments=False)
    assert old is None or not lines(old.text)
    found = extract_page(html, url="https://x.example/a")
    assert sum(map(len, found.body)) > 300


def test_a_bad_canonical_is_skipped_not_a_crash() -> None:
    """A canonical link that is no URL (http://[bad) is passed over for the next one."""
    head = '<link rel="canonical" href="http://[bad"><meta property="og:url" content="/good">'
    found = extract_page(page(head), url="https://x.example/a")
    assert found.declared_canonical == "https://x.example/good"
    alone = extract_page(page('<link rel="canonical" href="http://[bad">'), url="https://x/a")
    assert alone.declared_canonical is None


# --- charset ------------------------------------------------------------------------------


def test_valid_utf8_wins_over_a_stale_meta_charset() -> None:
    """Bytes that are valid UTF-8 are UTF-8 whatever <meta> and the header claim."""
    html = page('<meta charset="iso-8859-1">', "<p>" + PARAGRAPHS[0] + " Café, naïve, 10 €.</p>")
    found = extract_page(html.encode("utf-8"), url="https://x.example/a", charset="iso-8859-1")
    assert found.body[0].endswith("Café, naïve, 10 €.")
    assert (found.extra["charset"], found.extra["charset_source"]) == ("utf-8", "bytes")
    assert found.warnings == ()


@pytest.mark.parametrize(
    ("charset", "head", "source"),
    [("windows-1252", "", "header"), (None, '<meta charset="windows-1252">', "meta")],
)
def test_header_then_meta_when_the_bytes_are_not_utf8(
    charset: str | None, head: str, source: str
) -> None:
    """Not UTF-8: the header's charset, else the <meta> one, when the bytes decode in it."""
    html = page(head, "<p>" + PARAGRAPHS[0] + " Café, naïve, 10 €.</p>")
    found = extract_page(html.encode("cp1252"), url="https://x.example/a", charset=charset)
    assert found.body[0].endswith("Café, naïve, 10 €.")
    assert found.extra["charset_source"] == source


def test_the_detector_guesses_when_nothing_is_declared() -> None:
    """No BOM, no declaration, not UTF-8: charset_normalizer's guess decodes the page."""
    text = "Der Gemeinderat hat am Donnerstag beschlossen, Hochwasserschutzwände zu bauen. "
    html = page(lang="de", body="<p>" + text * 6 + "Über die Kosten wird später gestritten.</p>")
    found = extract_page(html.encode("cp1252"), url="https://x.example/a")
    assert found.extra["charset_source"] == "detected"
    assert "Hochwasserschutzwände" in found.body[0]
    assert found.warnings == ()


def test_a_bom_decides() -> None:
    """A UTF-16 byte order mark decides the charset."""
    found = extract_page(page().encode("utf-16"), url="https://x.example/a")
    assert found.extra["charset_source"] == "bom"
    assert found.body == PARAGRAPHS


def test_replaced_bytes_are_a_warning_naming_the_url() -> None:
    """Bytes no candidate decodes are replaced, and the page says so."""
    data = b"\xef\xbb\xbf" + page().encode("utf-8").replace(b"Thursday", b"Thurs\xffday")
    found = extract_page(data, url="https://x.example/broken")
    assert "Thurs\ufffdday" in found.body[0]
    named = [(reason, "https://x.example/broken" in message) for reason, message in found.warnings]
    assert named == [("replaced_bytes", True)]
