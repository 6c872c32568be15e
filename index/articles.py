"""Loading the clinic's articles from a folder.

Three formats arrive in practice: Markdown with YAML front matter (what the
clinic writes), HTML pages saved from the website, and text pages scraped from
it. Each is turned into one :class:`Article` whose body is Markdown, so the
chunker only ever sees one format. A file that cannot be read becomes a
:class:`LoadFailure` with a reason a person understands; it never stops the
other files from loading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from index.scraped_text import clean_scraped_text, scraped_page_address

MAX_ARTICLE_BYTES = 2_000_000
# How a file becomes an article's text. Raised when that changes for files that did not (scraped pages'
# "label : value" rows became list items in 2; a short line holding a calendar date, the page's metadata,
# is dropped in 3; in 4 a scraped page that starts with its address takes its main heading as title and
# the address as its published page, a date in words is metadata too, and a row whose label holds a colon
# stays a row): an index written before is rebuilt in full at its next sync.
READING_SCHEME = 4
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?", re.DOTALL)


@dataclass(frozen=True)
class Article:
    """One article as the bot cites it.

    ``source`` is the path relative to the content folder (``exosomes.md``): it
    is the article's stable id and what citations call ``source``.
    """

    source: str
    title: str
    body: str
    url: str | None = None
    updated: str | None = None
    lang: str = "fr"
    sha256: str = ""


@dataclass(frozen=True)
class LoadFailure:
    """A file that was skipped, and why."""

    source: str
    error: str


class ArticleError(ValueError):
    """The file is not a usable article; the message says why."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def list_article_files(content_dir: Path) -> list[Path]:
    """Every supported file under ``content_dir``, sorted, hidden files left out."""
    files = []
    for path in sorted(content_dir.rglob("*")):
        rel = path.relative_to(content_dir)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in PARSERS:
            files.append(path)
    return files


def article_path(content_dir: Path, source: str) -> Path:
    """The file of ``source`` under ``content_dir``, refused if it resolves outside the folder.

    A symbolic link in the content folder could otherwise publish any file the
    app can read (``ln -s ../.env content/config.md``): the check is on the
    resolved path, so links that stay inside the folder keep working.

    Raises:
        ArticleError: the path, once links are followed, leaves the content folder.
    """
    path = content_dir / source
    try:
        resolved = path.resolve(strict=False)
        root = content_dir.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a loop of links, an unreadable folder
        raise ArticleError(f"cannot resolve the file's path: {exc}") from None
    if not resolved.is_relative_to(root):
        raise ArticleError("links to a file outside the content folder; refused")
    return path


def load_articles(content_dir: Path) -> tuple[list[Article], list[LoadFailure]]:
    """Load every article under ``content_dir``.

    Returns the articles that loaded and a failure per file that did not. Two
    articles claiming the same URL are both suspicious; the second one (in path
    order) is reported and skipped so that citations stay unambiguous.
    """
    if not content_dir.is_dir():
        raise FileNotFoundError(f"content folder not found: {content_dir}")
    articles: list[Article] = []
    failures: list[LoadFailure] = []
    seen_urls: dict[str, str] = {}
    for path in list_article_files(content_dir):
        source = path.relative_to(content_dir).as_posix()
        try:
            article = load_article(article_path(content_dir, source), source)
        except ArticleError as exc:
            failures.append(LoadFailure(source, str(exc)))
            continue
        if article.url and article.url in seen_urls:
            failures.append(
                LoadFailure(source, f"same url as {seen_urls[article.url]}: {article.url}")
            )
            continue
        if article.url:
            seen_urls[article.url] = source
        articles.append(article)
    return articles, failures


def read_article_text(path: Path) -> tuple[str, str]:
    """Read a file as UTF-8 text and return ``(text, sha256)``, or raise ArticleError."""
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise ArticleError(
                f"file too large ({size / 1e6:.1f} MB, limit {MAX_ARTICLE_BYTES / 1e6:.0f} MB)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError("file disappeared while being read") from None
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192]:
        raise ArticleError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 text (bad byte at position {exc.start})") from None
    if not text.strip():
        raise ArticleError("empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n"), sha256_bytes(data)


def load_article(path: Path, source: str) -> Article:
    """Load one file with the parser registered for its suffix (:data:`PARSERS`)."""
    text, digest = read_article_text(path)
    return PARSERS[path.suffix.lower()](text, source, digest)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def parse_markdown(text: str, source: str, digest: str) -> Article:
    """Markdown with optional YAML front matter (``title``, ``url``, ``updated``, ``lang``)."""
    meta: dict = {}
    match = FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark else ""
            raise ArticleError(f"invalid front matter{where}: {getattr(exc, 'problem', exc)}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ArticleError("invalid front matter: expected 'key: value' lines")
        meta = loaded or {}
        body = text[match.end():]
    elif text.startswith("---\n"):
        raise ArticleError("invalid front matter: no closing '---' line")
    else:
        body = text
    title = _as_text(meta.get("title")) or _first_heading(body)
    if not title:
        raise ArticleError("no title (add 'title:' to the front matter or a '# ' heading)")
    body = _drop_leading_title(body, title)
    if not body.strip():
        raise ArticleError("article has a title but no text")
    lang = (_as_text(meta.get("lang")) or "fr").lower()[:5]
    return Article(
        source=source,
        title=title,
        body=body.strip() + "\n",
        url=public_url(meta.get("url")),
        updated=_as_text(meta.get("updated")),
        lang=lang,
        sha256=digest,
    )


def public_url(value: object) -> str | None:
    """The article's ``url`` if it is an http(s) address; anything else (``javascript:``…) is refused.

    Raises:
        ArticleError: the value is not an http:// or https:// address.
    """
    url = _as_text(value)
    if url is None:
        return None
    if not re.match(r"https?://[^\s/?#]+", url, re.IGNORECASE) or any(ch in url for ch in "\"<>` \t\n"):
        raise ArticleError(f"url must be an http:// or https:// address, not {url[:60]!r}")
    return url


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _drop_leading_title(body: str, title: str) -> str:
    """Remove a ``# Title`` line that repeats the title: the chunker adds the title itself."""
    lines = body.lstrip("\n").splitlines()
    if lines and lines[0].startswith("# ") and lines[0][2:].strip() == title:
        lines = lines[1:]
    return "\n".join(lines)


def parse_html(text: str, source: str, digest: str) -> Article:
    """An HTML page: main text only (no navigation, menus or footers), title from the page."""
    from index.html_text import extract_html_article

    title, markdown, url, lang = extract_html_article(text)
    if not markdown.strip():
        raise ArticleError("no main text found in the HTML page")
    if not title:
        raise ArticleError("HTML page has no title")
    return Article(source=source, title=title, body=markdown, url=public_url(url), lang=lang or "fr", sha256=digest)


def parse_scraped_text(text: str, source: str, digest: str) -> Article:
    """A scraped page: first line is the title, then text with menu and breadcrumb noise."""
    title, markdown = clean_scraped_text(text)
    if not markdown.strip():
        raise ArticleError("no text after the title line")
    return Article(source=source, title=title, body=markdown, url=public_url(scraped_page_address(text)), sha256=digest)


# The parser of each article format, by file suffix (lower case). Adding a format is one entry.
PARSERS: dict[str, Callable[[str, str, str], Article]] = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".html": parse_html,
    ".htm": parse_html,
    ".txt": parse_scraped_text,
}
