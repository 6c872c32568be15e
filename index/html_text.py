"""Main text of an HTML page, as Markdown.

Saved or fetched pages carry navigation, menus, cookie banners and footers.
trafilatura is a well-kept extractor built for exactly this; hand-written
regular expressions over HTML break on the first theme change.
"""

from __future__ import annotations

import re

import trafilatura

SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]+$")
HTML_LANG = re.compile(r"<html[^>]*\blang=[\"']?([a-zA-Z]{2})", re.IGNORECASE)


def extract_html_article(html: str) -> tuple[str, str, str | None, str | None]:
    """Return ``(title, markdown, canonical_url, lang)`` for an HTML page.

    The Markdown keeps headings, so the chunker can split along them. The
    page's own ``# Title`` line is removed because the title is stored apart.
    """
    markdown = trafilatura.extract(
        html,
        output_format="markdown",
        include_formatting=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        include_tables=True,
        favor_recall=True,
    ) or ""
    # Only the title and the address are used: no extensive search for the page's date, which loads
    # dateparser's hundreds of locales (half a second) at the first page that shows a date in words.
    meta = trafilatura.extract_metadata(html, extensive=False)
    title = (meta.title if meta and meta.title else "") or ""
    title = SITE_SUFFIX.sub("", title).strip()
    lines = markdown.splitlines()
    if lines and lines[0].startswith("# "):
        heading = lines[0][2:].strip()
        title = title or heading
        if heading == title:
            lines = lines[1:]
    lang_match = HTML_LANG.search(html[:2000])
    url = meta.url if meta and meta.url else None
    return title, "\n".join(lines).strip() + "\n", url, (lang_match.group(1).lower() if lang_match else None)
