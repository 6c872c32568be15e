"""Cleaning text pages scraped from the clinic's website.

A scraped page keeps the site's chrome as plain lines: category labels,
breadcrumbs ("1. Blog", "Retour"), image captions written in lower case, call
to action buttons, a tagline, "Articles associés". None of it has a marker, so
the rules look at the shape of lines: real paragraphs are long or end like a
sentence; a heading is a short capitalised line right before a paragraph;
short lines that are not followed by a paragraph are chrome. A short line
shaped "label : value with a figure" is a row of a price list or a fact sheet:
content, kept as a list item.
"""

from __future__ import annotations

import re

SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]+$")
NUMBERED_MENU = re.compile(r"^\d+\.\s+\S.{0,40}$")
BULLET = re.compile(r"^(?:[•·▪◦*-]|\d+\))\s+")
END_MARKERS = ("articles associés", "articles similaires", "partager cet article", "à lire aussi")
MENU_WORDS = {"retour", "accueil", "menu", "blog", "partager", "lire la suite", "suivant", "précédent"}
SENTENCE_END = (".", "!", ";", ":", ")", "»", '"')
REFERENCE = re.compile(r"^\(\d+\)")
# "Séance de PRP : 400 €", "Durée : 45 min": a label, a colon, a value with a figure. A price list or a
# fact sheet, not a heading: kept as a list item.
DATA_ROW = re.compile(r"^[^:]{2,60}[^\s:]\s?:\s+[^:]*\d")
SHORT_LINE = 100
# "Mis à jour le 14/09/2023 - Temps de lecture : 4 min", "Publié le 02/02/2024": a short line holding a
# calendar date is the page's metadata, never an answer (it also has the shape of a data row).
PAGE_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.](?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b")


def _is_paragraph(line: str) -> bool:
    return (
        len(line) > SHORT_LINE
        or line.endswith(SENTENCE_END)
        or bool(BULLET.match(line) or REFERENCE.match(line) or DATA_ROW.match(line))
    )


def _is_chrome(line: str) -> bool:
    low = line.lower()
    return (
        not any(ch.isalpha() for ch in line)
        or low in MENU_WORDS
        or bool(NUMBERED_MENU.match(line))
        or line[0].islower()
        or len(line.split()) <= 2 and not line.endswith("?") and low != "références"
    )


def _looks_like_heading(line: str) -> bool:
    return line.endswith("?") or ":" in line or line.lower() == "références"


def clean_scraped_text(text: str) -> tuple[str, str]:
    """Return ``(title, markdown_body)`` for a scraped page.

    The first non-empty line is the title (the site name after a ``|`` is cut).
    """
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines:
        return "", ""
    title = SITE_SUFFIX.sub("", lines[0]).strip() or lines[0]
    title = title[:1].upper() + title[1:]
    body_lines: list[str] = []
    for line in lines[1:]:
        if line.lower().rstrip(" :") in END_MARKERS:
            break
        body_lines.append(line)

    out: list[str] = []
    run: list[str] = []  # short lines waiting to learn whether a paragraph follows
    for line in body_lines:
        if len(line) <= SHORT_LINE and PAGE_DATE.search(line) and not line.endswith((".", "!", "?")):
            continue  # the page's publication or update date
        if not _is_paragraph(line):
            run.append(line)
            continue
        # A price list's label is often one word ("Tarifs"), which elsewhere is a menu's.
        out.extend(_headings_from_run(run, out, short_ok=bool(DATA_ROW.match(line))))
        run = []
        if BULLET.match(line) or DATA_ROW.match(line):
            out.append("- " + BULLET.sub("", line))
        else:
            out.append("\n" + line + "\n")
    # A trailing run has no paragraph after it: it is chrome.
    markdown = "\n".join(out)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip()
    return title, markdown + "\n" if markdown else ""


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
