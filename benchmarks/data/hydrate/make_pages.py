"""Write the hydrate benchmark's pages and their gold file (deterministic: same seed, same bytes).

``python benchmarks/data/hydrate/make_pages.py`` rewrites ``pages/*.html`` and ``gold.jsonl``
next to this file. Every page is a news page as sites serve them (cookie banner, navigation,
share buttons, related links, comments, footer) around an article whose text is known; the
date sits in one of the places real sites put it, or nowhere; the bytes are in one of the
encodings (and wrong declarations) real servers send. The gold row says what a perfect
extractor returns: the article's text (headline excluded) and the day the page says it was
first published, as the publisher wrote it (its local day), or ``null``.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent

SENTENCES = {
    "en": (
        [
            "The city council",
            "Regional health officials",
            "The transport ministry",
            "Union leaders",
            "Residents of the northern district",
            "The central bank",
            "Farmers in the river valley",
            "The school board",
            "Firefighters",
            "Researchers at the state university",
        ],
        [
            "said on Tuesday that",
            "warned that",
            "confirmed that",
            "announced that",
            "told reporters that",
            "argued that",
        ],
        [
            "the new bridge would open in the spring",
            "water bills would rise by {n} per cent",
            "the night trains would run again from next month",
            "{n} families had been moved out of the flooded streets",
            "the hospital’s emergency ward needed {n} more nurses",
            "the harvest was the smallest in {n} years",
            "the strike had cost the port more than {n} million dollars",
            "a “temporary” fix was no longer enough",
        ],
    ),
    "de": (
        [
            "Der Stadtrat",
            "Die Landesregierung",
            "Die Gewerkschaft",
            "Anwohner im Norden",
            "Die Polizei",
            "Das Gesundheitsamt",
            "Der Bürgermeister",
        ],
        ["teilte am Dienstag mit, dass", "warnte, dass", "bestätigte, dass", "erklärte, dass"],
        [
            "die neue Brücke im Frühjahr eröffnet werden soll",
            "die Wasserpreise um {n} Prozent steigen",
            "die Schulen wegen des Sturms geschlossen bleiben",
            "mehr Geld für die Krankenhäuser bereitgestellt wird",
            "{n} Familien ihre Wohnungen verlassen mussten",
            "die Straßenbahn künftig länger fährt",
        ],
    ),
    "fr": (
        [
            "Le conseil municipal",
            "Le ministère de la Santé",
            "Les syndicats",
            "Les habitants du quartier nord",
            "La préfecture",
            "Le maire",
        ],
        ["a annoncé mardi que", "a averti que", "a confirmé que", "a déclaré que"],
        [
            "le nouveau pont ouvrira au printemps",
            "le prix de l’eau augmentera de {n} %",
            "les écoles resteront fermées à cause de la tempête",
            "des crédits supplémentaires seront versés aux hôpitaux",
            "{n} familles ont été relogées après les inondations",
        ],
    ),
    "es": (
        [
            "El ayuntamiento",
            "El Ministerio de Sanidad",
            "Los sindicatos",
            "Los vecinos del barrio norte",
            "La alcaldesa",
        ],
        ["anunció el martes que", "advirtió de que", "confirmó que", "explicó que"],
        [
            "el nuevo puente abrirá en primavera",
            "el precio del agua subirá un {n} %",
            "los colegios seguirán cerrados por la tormenta",
            "los hospitales recibirán más fondos",
            "{n} familias tuvieron que dejar sus casas",
        ],
    ),
}

MONTHS = {
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
}
SITES = {
    "en": ("dailyharbour.example", "The Daily Harbour", "-05:00"),
    "de": ("rheinkurier.example", "Rheinkurier", "+01:00"),
    "fr": ("lecourrier-sud.example", "Le Courrier du Sud", "+01:00"),
    "es": ("diariodelvalle.example", "Diario del Valle", "+01:00"),
}
UI = {
    "en": (
        "We use cookies to improve your experience and to show you relevant ads.",
        "Accept all",
        "Related stories",
        "Comments",
        "By",
        "Share this article",
        "All rights reserved.",
        ["Home", "World", "Politics", "Business", "Sport", "Culture"],
    ),
    "de": (
        "Wir verwenden Cookies, um Ihnen ein besseres Nutzererlebnis zu bieten.",
        "Alle akzeptieren",
        "Mehr zum Thema",
        "Kommentare",
        "Von",
        "Artikel teilen",
        "Alle Rechte vorbehalten.",
        ["Startseite", "Politik", "Wirtschaft", "Sport", "Kultur"],
    ),
    "fr": (
        "Nous utilisons des cookies pour améliorer votre expérience.",
        "Tout accepter",
        "À lire aussi",
        "Commentaires",
        "Par",
        "Partager",
        "Tous droits réservés.",
        ["Accueil", "Monde", "Politique", "Économie", "Sport"],
    ),
    "es": (
        "Utilizamos cookies para mejorar su experiencia.",
        "Aceptar todo",
        "Noticias relacionadas",
        "Comentarios",
        "Por",
        "Compartir",
        "Todos los derechos reservados.",
        ["Portada", "España", "Mundo", "Economía"],
    ),
}
COMMENTS = [
    "This is the third time this has been promised. I will believe it when I see it.",
    "Thanks for reporting on this, nobody else did.",
    "Who is paying for all of it? Not the people who decided.",
]

# Where the publication date is: (kind, language). Cycled over the pages.
KINDS = [
    ("jsonld_zone", "en"),
    ("jsonld_nozone", "de"),
    ("jsonld_day", "fr"),
    ("meta_article", "en"),
    ("time_datetime", "es"),
    ("time_itemprop", "en"),
    ("text_de", "de"),
    ("text_en_us", "en"),
    ("text_en_gb", "en"),
    ("text_slash", "fr"),
    ("text_fr", "fr"),
    ("text_es", "es"),
    ("url_only", "en"),
    ("modified_first", "de"),
    ("meta_name_date", "es"),
    ("jsonld_graph_late", "en"),
    ("no_date", "en"),
    ("no_date", "de"),
]
# How the bytes are encoded and declared. Cycled over the pages (offset from KINDS).
CHARSETS = [
    "utf8",
    "utf8",
    "stale_latin1_meta",
    "utf8",
    "cp1252_meta",
    "utf8",
    "utf8_bom",
    "cp1252_latin1_meta",
    "utf8",
    "cp1252_header",
    "stale_latin1_header",
    "utf8",
    "cp1252_undeclared",
]
PAGES = 90


def _sentence(rng: random.Random, lang: str) -> str:
    subjects, verbs, clauses = SENTENCES[lang]
    clause = rng.choice(clauses).format(n=rng.randint(3, 90))
    return f"{rng.choice(subjects)} {rng.choice(verbs)} {clause}."


def _paragraphs(rng: random.Random, lang: str) -> list[str]:
    return [
        " ".join(_sentence(rng, lang) for _ in range(rng.randint(2, 3)))
        for _ in range(rng.randint(5, 10))
    ]


def _visible(kind: str, day: datetime, lang: str) -> str:
    """The date as the byline shows it."""
    if kind == "text_de":
        return f"{day.day}. {MONTHS['de'][day.month - 1]} {day.year}, {day:%H:%M} Uhr"
    if kind == "text_en_us":
        return f"{day:%b} {day.day}, {day.year} {day:%H:%M} ET"
    if kind == "text_en_gb":
        return f"{day:%A} {day.day} {day:%B} {day.year} {day:%H.%M} GMT"
    if kind == "text_slash":
        return f"Publié le {day:%d/%m/%Y} à {day:%Hh%M}"
    if kind == "text_fr":
        return f"{day.day} {MONTHS['fr'][day.month - 1]} {day.year}"
    if kind == "text_es":
        return f"{day.day} de {MONTHS['es'][day.month - 1]} de {day.year} - {day:%H:%M} CET"
    return ""


def _head_dates(kind: str, day: datetime, zone: str, title: str) -> str:
    iso = f"{day:%Y-%m-%dT%H:%M:%S}"
    later = day + timedelta(days=3, hours=2)
    if kind in ("jsonld_zone", "jsonld_nozone", "jsonld_day"):
        value = {"jsonld_zone": iso + zone, "jsonld_nozone": iso}.get(kind, f"{day:%Y-%m-%d}")
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": value,
            "dateModified": f"{later:%Y-%m-%dT%H:%M:%S}{zone}",
        }
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'
    if kind == "jsonld_graph_late":
        data = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": "site"},
                {"@type": "NewsArticle", "headline": title, "datePublished": iso + zone},
            ],
        }
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'
    if kind == "meta_article":
        return (
            f'<meta property="article:published_time" content="{iso}{zone}">'
            f'<meta property="article:modified_time" content="{later:%Y-%m-%dT%H:%M:%S}{zone}">'
        )
    if kind == "modified_first":
        return (
            f'<meta property="article:modified_time" content="{later:%Y-%m-%dT%H:%M:%S}{zone}">'
            f'<meta property="article:published_time" content="{iso}{zone}">'
        )
    if kind == "meta_name_date":
        return f'<meta name="date" content="{day:%Y-%m-%d}">'
    return ""


def _byline(kind: str, day: datetime, zone: str, lang: str, author: str) -> str:
    by = UI[lang][4]
    iso = f"{day:%Y-%m-%dT%H:%M:%S}{zone}"
    shown = _visible(kind, day, lang)
    if kind == "time_datetime":
        shown = f'<time datetime="{iso}">{day:%d/%m/%Y %H:%M}</time>'
    elif kind == "time_itemprop":
        shown = f'<time itemprop="datePublished" datetime="{iso}">{day:%B %d, %Y}</time>'
    elif kind == "modified_first":
        later = day + timedelta(days=3, hours=2)
        shown = f"Aktualisiert am {later:%d.%m.%Y}, erstmals veröffentlicht am {day:%d.%m.%Y}"
    elif shown:
        shown = f'<span class="date">{shown}</span>'
    return f'<div class="byline">{by} <a rel="author" href="/authors/x">{author}</a> {shown}</div>'


def _body_html(rng: random.Random, paragraphs: list[str], number: int) -> tuple[str, list[str]]:
    """The article body's HTML and its gold lines (ads, read-more links and comments excluded)."""
    html, gold = [], []
    for index, text in enumerate(paragraphs):
        if number % 11 == 3 and index == 1:
            words = text.split(" ")
            html.append(
                f"<p>{' '.join(words[:4])} <!-- desk: check figure with source -->"
                f" {' '.join(words[4:])}</p>"
            )
        elif number % 13 == 5 and index == 2:
            words = text.split(" ")
            html.append(
                f"<p>{' '.join(words[:3])} \x0b{' '.join(words[3:6])}\x0c "
                f"{' '.join(words[6:])}\x1f</p>"
            )
        else:
            html.append(f"<p>{text}</p>")
        gold.append(text)
        if index == 2 and number % 4 == 1:
            html.append('<div class="inline-ad"><span>Advertisement</span></div>')
        if index == 3 and number % 5 == 2:
            html.append(
                '<p class="read-more"><strong>Read more:</strong> '
                '<a href="/story/other">Why the ferry timetable changed again</a></p>'
            )
        if index == 3 and number % 3 == 0:
            heading = rng.choice(["What happens next", "The background", "Reactions"])
            html.append(f"<h2>{heading}</h2>")
            gold.append(heading)
    return "".join(html), gold


def _page(number: int, rng: random.Random) -> tuple[str, dict[str, object]]:
    kind, lang = KINDS[number % len(KINDS)]
    site, name, zone = SITES[lang]
    if kind in ("text_en_gb",):
        zone = "+00:00"
    day = datetime(2023, 1, 1) + timedelta(
        days=rng.randint(0, 1400), minutes=rng.randint(360, 1300)
    )
    if number % 17 == 15 and kind.startswith("jsonld"):
        day = day.replace(hour=23, minute=40)  # the UTC day is the next one
    title = _sentence(rng, lang)[:-1][:90]
    slug = "-".join(title.lower().split()[:5]).strip(",.’")
    path = f"/{day:%Y/%m/%d}/{slug}" if kind == "url_only" else f"/news/{number:05d}-{slug}"
    url = f"https://www.{site}{path}"
    paragraphs = _paragraphs(rng, lang)
    body, gold_lines = _body_html(rng, paragraphs, number)
    cookie, accept, related, comments, _by, share, rights, nav = UI[lang]
    others = [(day - timedelta(days=k * 2 + 1), _sentence(rng, lang)[:70]) for k in range(4)]
    related_html = "".join(
        f'<li><a href="/news/{number + k + 1:05d}">{text}</a> <span class="when">'
        f"{when:%d.%m.%Y}</span></li>"
        if kind.startswith("text") or kind == "no_date"
        else f'<li><a href="/news/{number + k + 1:05d}">{text}</a></li>'
        for k, (when, text) in enumerate(others)
    )
    comment_html = (
        "".join(
            f'<li class="comment"><b>reader{k}</b> <span class="comment-date">'
            f"{day + timedelta(days=k + 1):%d/%m/%Y}</span><p>{COMMENTS[k]}</p></li>"
            for k in range(3)
        )
        if kind != "no_date"
        else ""
    )
    dated = kind != "no_date"
    author = rng.choice(["Ana Ruiz", "Tom Becker", "Claire Martin", "Sam Okafor"])
    nav_html = "".join(f'<li><a href="/{item.lower()}">{item}</a></li>' for item in nav)
    byline = (
        _byline(kind, day, zone, lang, author)
        if dated
        else (f'<div class="byline">{UI[lang][4]} {author}</div>')
    )
    layout = number % 3
    shares = (
        f'<div class="share"><span>{share}</span><a href="#">Facebook</a>'
        f'<a href="#">X</a><a href="#">WhatsApp</a><a href="#">E-mail</a></div>'
    )
    if layout == 0:
        middle = (
            f"<main><article><h1>{title}</h1>{byline}{shares}"
            f'<div class="article-body">{body}</div></article>'
            f'<section class="comments"><h2>{comments} (3)</h2><ol>{comment_html}</ol></section>'
            f'<aside class="related"><h2>{related}</h2><ul>{related_html}</ul></aside></main>'
        )
    elif layout == 1:
        middle = (
            f'<div id="wrapper"><div class="col-left"><div class="headline"><h1>{title}</h1>'
            f'</div>{byline}<div class="text">{body}</div>{shares}</div>'
            f'<div class="col-right"><h3>{related}</h3><ul>{related_html}</ul></div>'
            f'<div id="comments"><h3>{comments}</h3><ul>{comment_html}</ul></div></div>'
        )
    else:
        middle = (
            f'<div class="post"><h1 class="entry-title">{title}</h1>{byline}'
            f'<div class="entry-content">{body}'
            '<div class="newsletter">Sign up for the morning briefing '
            '<input type="email"><button>Subscribe</button></div></div>'
            f'<div class="tags">Tags: <a href="/t/1">{nav[1]}</a> <a href="/t/2">{nav[2]}</a>'
            f"</div></div><aside><h3>{related}</h3><ul>{related_html}</ul></aside>"
            f'<ol class="commentlist">{comment_html}</ol>'
        )
    charset = CHARSETS[(number * 5) % len(CHARSETS)]
    meta = {
        "utf8": "utf-8",
        "utf8_bom": "utf-8",
        "stale_latin1_meta": "iso-8859-1",
        "cp1252_meta": "windows-1252",
        "cp1252_latin1_meta": "iso-8859-1",
        "stale_latin1_header": "utf-8",
    }.get(charset)
    meta_tag = (
        ""
        if meta is None
        else (
            f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">'
            if charset == "cp1252_latin1_meta"
            else f'<meta charset="{meta}">'
        )
    )
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta_tag}<title>{title} | {name}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="canonical" href="{url}">{_head_dates(kind, day, zone, title) if dated else ""}'
        "<script>window.dataLayer = window.dataLayer || []; dataLayer.push({page: 'article'});"
        "</script></head><body>"
        f'<div id="cookie-banner" class="consent"><p>{cookie}</p><button>{accept}</button>'
        f"<button>Settings</button></div>"
        f'<header><a class="logo" href="/">{name}</a><nav><ul>{nav_html}</ul></nav></header>'
        f"{middle}<footer><ul>{nav_html}</ul><p>© {2026} {name}. {rights}</p></footer>"
        "</body></html>\n"
    )
    gold = {
        "file": f"{number:03d}.html",
        "url": url,
        "charset": {"cp1252_header": "windows-1252", "stale_latin1_header": "iso-8859-1"}.get(
            charset
        ),
        "date": f"{day:%Y-%m-%d}" if dated else None,
        "date_kind": kind,
        "encoding": charset,
        "body": "\n".join(gold_lines),
    }
    return html, gold


def encode(html: str, charset: str) -> bytes:
    """The page's bytes as the server sends them."""
    if charset.startswith("cp1252"):
        return html.encode("cp1252")
    data = html.encode("utf-8")
    return b"\xef\xbb\xbf" + data if charset == "utf8_bom" else data


def main() -> None:
    rng = random.Random(19)
    pages = HERE / "pages"
    pages.mkdir(exist_ok=True)
    rows = []
    for number in range(PAGES):
        html, gold = _page(number, rng)
        (pages / str(gold["file"])).write_bytes(encode(html, str(gold["encoding"])))
        rows.append(json.dumps(gold, ensure_ascii=False))
    (HERE / "gold.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
