"""HTML for the chat: answers with numbered sources, refusals, the emergency box.

Every piece of text that comes from a patient or an article is escaped here, so
a message typed as ``<img src=x onerror=...>`` is shown as text, never run.
No Gradio import: this is plain string building, tested on its own.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from bot.answer import EMERGENCY, NO_ANSWER, Answer
from bot.messages import LOCALES, SMS_NUMBER, frame_language, numbers
from core.settings import Settings
from core.textnorm import fold

# The chat's labels, from the locale files (``ui`` section).
LABELS = {language: locale["ui"] for language, locale in LOCALES.items()}
# The clinic's article pages are French.
ARTICLE_LANGUAGE = "fr"
CITE_MARK = re.compile(r"\[(\d+)\]")
# Pictographs and their joiners: without an emoji font they show as empty boxes, so the pages draw
# their warning sign with CSS instead (``.faq-alert-title::before``).
EMOJI = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f\u200d]+")


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def slug(text: str) -> str:
    """A stable anchor for a section title: ``Est-ce douloureux ?`` → ``est-ce-douloureux``."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "section"


def article_link(source: str, section: str | None, url: str | None = None) -> str:
    """Where a citation leads: the app's copy of a content-folder article, at the cited section.

    Pages indexed from the website have their address as source; they link to it.
    """
    if source.startswith(("http://", "https://")):
        return url or source
    anchor = f"#{slug(section.split(' > ')[-1])}" if section else ""
    return f"/articles/{quote(source)}{anchor}"


def phone_href(phone: str) -> str:
    digits = re.sub(r"[^\d+]", "", phone.split("(")[0])
    return f"tel:{digits}" if digits else "#"


def user_message(text: str) -> str:
    """A patient's message as shown in the chat: escaped, line breaks kept."""
    return esc(text).replace("\n", "<br>")


def answer_html(answer: Answer, settings: Settings) -> str:
    """The whole reply bubble for one answer."""
    lang = frame_language(answer.language)
    labels = LABELS[lang]
    if answer.status == EMERGENCY:
        lines = answer.answer.split("\n")
        items = "".join(f"<li>{_link_numbers(esc(line.lstrip('- ')), settings)}</li>" for line in lines[1:])
        return (
            f'<div class="faq-emergency" role="alert" aria-live="assertive" lang="{lang}">'
            f'<p class="faq-alert-title"><strong>{esc(no_emoji(lines[0]))}</strong></p><ul>{items}</ul></div>'
        )
    if answer.status == NO_ANSWER:
        body = esc(without_links(answer.answer, settings))
        actions = ""
        if answer.reason not in ("invalid_input", "small_talk", "rate_limited"):
            first = (
                f'<a href="{esc(settings.contact_url)}" target="_blank" rel="noopener">{labels["contact"]}</a>'
                if answer.reason in ("out_of_scope", "off_topic")
                else f'<a href="{esc(settings.booking_url)}" target="_blank" rel="noopener">{labels["book"]}</a>'
            )
            actions = (
                f'<p class="faq-actions">{first} · <a href="{esc(phone_href(settings.clinic_phone))}">'
                f'{labels["call"]} {esc(settings.clinic_phone)}</a></p>'
            )
        return f'<div class="faq-no-answer" lang="{lang}">{caution_box(answer, settings)}<p>{body}</p>{actions}</div>'
    intro, _, body = answer.answer.partition("\n\n")
    links = {c.n: c.link or article_link(c.source, c.section, c.url) for c in answer.citations}

    def cite(match: re.Match[str]) -> str:
        n = int(match.group(1))
        href = links.get(n)
        if not href:
            return match.group(0)
        return f'<sup>[<a href="{esc(href)}" target="_blank" rel="noopener" aria-label="source {n}">{n}</a>]</sup>'

    paragraphs = "".join(f'<p lang="fr">{CITE_MARK.sub(cite, esc(p))}</p>' for p in body.split("\n\n") if p.strip())
    sources = "".join(
        f'<li><a href="{esc(links[c.n])}" target="_blank" rel="noopener">{esc(c.title)}'
        + (f" — {esc(c.section)}" if c.section else "")
        + f'</a><details><summary>{labels["show_quote"]}</summary>'
        f'<blockquote lang="fr">{esc(c.quote)}</blockquote></details></li>'
        for c in answer.citations
    )
    return (
        f'<div class="faq-answer" lang="{lang}">{caution_box(answer, settings)}<p>{esc(intro)}</p>{paragraphs}'
        f'<p class="faq-sources-title"><strong>{labels["sources"]}</strong></p><ol class="faq-sources">{sources}</ol></div>'
    )


def caution_box(answer: Answer, settings: Settings) -> str:
    """The 'if this happens to you now' box, above an answer about a serious complication."""
    if not answer.caution or not answer.caution_text:
        return ""
    text = _link_numbers(esc(no_emoji(answer.caution_text)), settings)
    return f'<p class="faq-caution faq-alert-title" role="note">{text}</p>'


def no_emoji(text: str) -> str:
    """``text`` without pictographs (the UI draws its warning sign itself)."""
    return re.sub(r"\s{2,}", " ", EMOJI.sub("", text)).strip()


def without_links(text: str, settings: Settings) -> str:
    """A refusal without the booking and contact addresses in brackets: the reply links them below."""
    for url in (settings.booking_url, settings.contact_url):
        if url:
            text = text.replace(f" ({url})", "").replace(f"({url})", "")
    return text


# Every language's emergency numbers, as one pattern; the SMS one is texted, the others called.
_NUMBER_SCHEME = {
    number: "sms" if name == SMS_NUMBER else "tel"
    for language in LOCALES
    for name, number in numbers(language).items()
}
NUMBER_PATTERN = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _NUMBER_SCHEME), key=len, reverse=True)) + r")\b")


def _link_numbers(line: str, settings: Settings) -> str:
    """Make the emergency numbers and the clinic's phone tappable on a phone."""
    line = NUMBER_PATTERN.sub(lambda m: f'<a href="{_NUMBER_SCHEME[m.group(1)]}:{m.group(1)}">{m.group(1)}</a>', line)
    phone = esc(settings.clinic_phone)
    if phone and phone in line:
        line = line.replace(phone, f'<a href="{esc(phone_href(settings.clinic_phone))}">{phone}</a>')
    return line


def article_page(title: str, body_markdown: str, url: str | None, updated: str | None) -> str:
    """A readable page for one article, with an anchor on every section (citation links land there)."""
    parts: list[str] = []
    in_list = False
    for line in body_markdown.splitlines():
        stripped = line.strip()
        is_item = stripped.startswith(("- ", "* "))
        if in_list and not is_item:
            parts.append("</ul>")
            in_list = False
        if not stripped:
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            level = min(6, len(heading.group(1)) + 1)
            text = heading.group(2).strip()
            parts.append(f'<h{level} id="{slug(text)}">{esc(text)}</h{level}>')
        elif is_item:
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{esc(stripped[2:])}</li>")
        else:
            parts.append(f"<p>{esc(stripped)}</p>")
    if in_list:
        parts.append("</ul>")
    meta = []
    labels = LABELS[ARTICLE_LANGUAGE]
    if updated:
        meta.append(labels["article_updated"].format(date=esc(updated)))
    if url and url.lower().startswith(("http://", "https://")):  # never a javascript: link
        meta.append(labels["article_published"].format(link=f'<a href="{esc(url)}">{esc(url)}</a>'))
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{ARTICLE_CSS}</style></head><body><main>"
        f'<h1>{esc(title)}</h1><p class="meta">{" · ".join(meta)}</p>{"".join(parts)}</main></body></html>'
    )


ARTICLE_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;background:#fff;margin:0}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1rem 4rem;line-height:1.6}
h1{font-size:1.7rem;line-height:1.25}.meta{color:#4a4f55;font-size:.9rem}
h2,h3{scroll-margin-top:1rem}:target{background:#fff3bf;outline:3px solid #f2c200}
a{color:#0b5cad}
"""
