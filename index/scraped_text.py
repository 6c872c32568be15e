"""Cleaning text pages scraped from the clinic's website.

A scraped page keeps the site's chrome as plain lines: category labels,
breadcrumbs ("1. Blog", "Retour"), image captions written in lower case, call
to action buttons, a tagline, "Articles associés". None of it has a marker, so
the rules look at the shape of lines: real paragraphs are long or end like a
sentence; a heading is a short capitalised line right before a paragraph;
short lines that are not followed by a paragraph are chrome. A short line
shaped "label : value with a figure" is a row of a price list or a fact sheet:
content, kept as a list item.

Scrapers write the page in one of two shapes: the page's ``<title>`` first ("Peeling chimique |
Clinique"), or an address line ("URL: https://…") and then the page as shown, site name and menus
first. In the second shape the title is the page's main heading: the last line that is not chrome
before the first paragraph; the address is the article's published page, which citations link to.
"""

from __future__ import annotations

import re

SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]+$")
NUMBERED_MENU = re.compile(r"^\d+\.\s+\S.{0,40}$")
BULLET = re.compile(r"^(?:[•·▪◦*-]|\d+\))\s+")
END_MARKERS = ("articles associés", "articles similaires", "partager cet article", "à lire aussi")
MENU_WORDS = {
    "retour", "accueil", "menu", "blog", "partager", "lire la suite", "suivant", "précédent", "prendre rendez-vous",
}
# "Accueil > Soins > Peeling", "Accueil | Injections | Lasers": a breadcrumb or a menu on one line.
MENU_SEPARATORS = re.compile(r"\s(?:[|>/»›]|&gt;)\s")
SENTENCE_END = (".", "!", ";", ":", ")", "»", '"')
REFERENCE = re.compile(r"^\(\d+\)")
# "Séance de PRP : 400 €", "Durée : 45 min": a label, a colon, a value with a figure. A price list or a
# fact sheet, not a heading: kept as a list item.
DATA_ROW = re.compile(r"^[^:]{2,60}[^\s:]\s?:\s+[^:]*\d")
# The same row whose label holds a colon of its own ("Séance (une zone : ventre ou cuisses) : 220 €"): on a
# short line, the value after the last colon has a figure and the line is not a question.
LAST_VALUE = re.compile(r"[^\s:]\s?:\s+[^:]*\d[^:]*(?<!\?)$")
SHORT_LINE = 100
# "Mis à jour le 14/09/2023 - Temps de lecture : 4 min", "Publié le 02/02/2024": a short line holding a
# calendar date is the page's metadata, never an answer (it also has the shape of a data row).
PAGE_DATE = re.compile(
    r"\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b"
    # The same date in words: "4 avril 2024", "1er mars 2023", "April 4, 2024", "4 April 2024".
    r"|\b\d{1,2}(?:er)? (?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|"
    r"january|february|march|april|may|june|july|august|september|october|november|december) \d{4}\b"
    r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december) \d{1,2},? \d{4}\b",
    re.IGNORECASE,
)
# "URL: https://…", "Source : https://…": the scraped page's address, on a line of its own at the top.
ADDRESS_LINE = re.compile(r"^(?:url|source|adresse|address|page)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)


def _is_data_row(line: str) -> bool:
    return bool(DATA_ROW.match(line)) or (len(line) <= SHORT_LINE and LAST_VALUE.search(line) is not None)


def _is_paragraph(line: str) -> bool:
    if len(line.split()) <= 2 and line.endswith(("...", "…")):
        return False  # a search box's placeholder ("Rechercher..."), not a sentence
    return (
        len(line) > SHORT_LINE
        or line.endswith(SENTENCE_END)
        or bool(BULLET.match(line) or REFERENCE.match(line))
        or _is_data_row(line)
    )


def _is_chrome(line: str) -> bool:
    low = line.lower()
    return (
        not any(ch.isalpha() for ch in line)
        or low in MENU_WORDS
        or len(MENU_SEPARATORS.findall(line)) >= 2
        or bool(NUMBERED_MENU.match(line))
        or line[0].islower()
        or len(line.split()) <= 2 and not line.endswith("?") and low != "références"
    )


def _looks_like_heading(line: str) -> bool:
    return line.endswith("?") or ":" in line or line.lower() == "références"


# The address line is read among the page's first lines only: further down, "Source : https://…" is a reference.
ADDRESS_LINES = 5


def scraped_page_address(text: str) -> str | None:
    """The address a scraper wrote at the top of the page ("URL: https://…"), or None."""
    for line in text.splitlines()[:ADDRESS_LINES]:
        match = ADDRESS_LINE.match(line.strip())
        if match:
            return match.group(1)
    return None


def clean_scraped_text(text: str) -> tuple[str, str]:
    """Return ``(title, markdown_body)`` for a scraped page.

    A first line holding the site's name after a ``|`` is the page's title (the site name is cut);
    otherwise the title is the page's main heading, the last line of the chrome before the first
    paragraph (and a first line that is neither is the title, as scraped).
    """
    addressed = scraped_page_address(text) is not None
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for i, ln in enumerate(lines) if ln and not (i < ADDRESS_LINES and ADDRESS_LINE.match(ln))]
    if not lines:
        return "", ""
    # After an address line, the first line is the site's header ("Clinique | Médecine esthétique"), not the title.
    titled = not addressed and SITE_SUFFIX.search(lines[0]) is not None
    title = SITE_SUFFIX.sub("", lines[0]).strip() or lines[0]
    body_lines: list[str] = []
    for line in lines[1:] if titled else lines:
        if line.lower().rstrip(" :") in END_MARKERS:
            break
        body_lines.append(line)

    out: list[str] = []
    run: list[str] = []  # short lines waiting to learn whether a paragraph follows
    first = True
    for line in body_lines:
        if len(line) <= SHORT_LINE and PAGE_DATE.search(line) and not line.endswith((".", "!", "?")):
            continue  # the page's publication or update date
        if not _is_paragraph(line):
            run.append(line)
            continue
        if first and not titled:
            # The site's name, menus and breadcrumb, then the page's main heading: the title.
            title, run = _main_heading(run, title)
        first = False
        # A price list's label is often one word ("Tarifs"), which elsewhere is a menu's.
        out.extend(_headings_from_run(run, out, short_ok=_is_data_row(line)))
        run = []
        if BULLET.match(line) or _is_data_row(line):
            out.append("- " + BULLET.sub("", line))
        else:
            out.append("\n" + line + "\n")
    # A trailing run has no paragraph after it: it is chrome.
    markdown = "\n".join(out)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip()
    title = title[:1].upper() + title[1:]
    return title, markdown + "\n" if markdown else ""


def _main_heading(run: list[str], fallback: str) -> tuple[str, list[str]]:
    """``(title, lines after it)`` from the short lines before a page's first paragraph: the last line that
    looks like a heading before the run's last one (which may open the first section: "C'est quoi ?"),
    else the run's last line that is not chrome; ``fallback`` when every line is chrome."""
    kept = [(i, line) for i, line in enumerate(run) if not _is_chrome(line)]
    if not kept:
        return fallback, []
    earlier = [(i, line) for i, line in kept[:-1] if _looks_like_heading(line)]
    i, title = earlier[-1] if earlier else kept[-1]
    return title, run[i + 1:]


def _headings_from_run(run: list[str], out: list[str], short_ok: bool = False) -> list[str]:
    """Keep the heading(s) of a run of short lines that precedes a paragraph.

    ``short_ok``: the paragraph is a data row, so the run's last line may be a one- or two-word label.
    """
    candidates: list[str] = []
    for i, line in enumerate(run):
        label = short_ok and i == len(run) - 1 and line[0].isupper() and line.lower() not in MENU_WORDS
        if (_is_chrome(line) and not label) or line in candidates:
            continue
        candidates.append(line)
    if not candidates:
        return []
    last = candidates[-1]
    earlier = [c for c in candidates[:-1] if _looks_like_heading(c) and c != last]
    headings = []
    if earlier:
        headings.append(f"\n## {earlier[-1]}\n")
        headings.append(f"\n### {last}\n")
    else:
        headings.append(f"\n## {last}\n")
    return headings
