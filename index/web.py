"""Website sources: the pages listed by the clinic's sitemaps and RSS/Atom feeds.

The clinic already publishes its articles on its website; reading them there
avoids copying files by hand. Each page becomes an :class:`Article` whose
``source`` and ``url`` are the page URL, so citations link to the live page and
:func:`index.build.sync_index` treats web pages exactly like files: unchanged
sha256 means reused vectors, a page no longer listed is removed.

Fetching must be cheap and polite, because an update runs every hour against a
small clinic's server: conditional requests (ETag / Last-Modified) answered by
304 reuse the cached extraction, requests to one host are spaced out, each
request has a deadline and each source a page cap. A page or a listing that
fails never stops the others; it becomes a :class:`LoadFailure` whose reason a
person understands, and sync_index keeps the page's previous version.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import io
import json
import logging
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import feedparser
from lxml import etree
from trafilatura.utils import decode_file

from core.settings import Settings
from index.articles import Article, LoadFailure, load_articles, sha256_bytes
from index.html_text import extract_html_article

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0  # whole request, connection to last byte
MAX_PAGES_PER_SOURCE = 500
DELAY_SECONDS = 0.5  # between two requests to the same host
MAX_BYTES = 5_000_000  # a bigger "page" is a mistake (a video, an archive), not an article
CACHE_FILE = "web_cache.json"
USER_AGENT = "clinic-faq-bot-indexer/0.1"  # + the clinic's contact page, so the webmaster knows who calls
HTML_TYPES = ("text/html", "application/xhtml+xml")
SCHEMES = ("http", "https")
PAGE_KEYS = {"sha256", "title", "lang", "markdown"}
LISTING_KEYS = {"kind", "locs"}
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)


class FetchError(Exception):
    """A request or a parse failed; the message is the reason shown to the staff."""


@dataclass
class Response:
    status: int  # 200 or 304
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect to ftp://; only http(s) is ever fetched."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if urllib.parse.urlsplit(newurl).scheme not in SCHEMES:
            raise FetchError(f"redirected to a non-web address: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Fetcher:
    """HTTP GET with a deadline, a size cap, conditional headers and per-host spacing."""

    def __init__(self, timeout: float, delay: float, user_agent: str = USER_AGENT) -> None:
        self.timeout, self.delay, self.user_agent = timeout, delay, user_agent
        self._opener = urllib.request.build_opener(_HttpOnlyRedirects())
        self._last_request: dict[str, float] = {}

    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None and self.delay > 0:
            time.sleep(max(0.0, last + self.delay - time.monotonic()))
        self._last_request[host] = time.monotonic()

    def get(self, url: str, cached: dict | None = None) -> Response:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise FetchError(f"not an http(s) address: {url}")
        self._wait_for_host(parts.hostname)
        headers = {"User-Agent": self.user_agent, "Accept": "*/*"}
        if cached and cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached and cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
        deadline = time.monotonic() + self.timeout
        try:
            request = urllib.request.Request(_ascii_url(url), headers=headers)
            with self._opener.open(request, timeout=self.timeout) as resp:
                chunks, size = [], 0
                while block := resp.read(65536):
                    chunks.append(block)
                    size += len(block)
                    if size > MAX_BYTES:
                        raise FetchError(f"response larger than {MAX_BYTES // 1_000_000} MB")
                    if time.monotonic() > deadline:
                        raise TimeoutError
                return Response(
                    200, b"".join(chunks), resp.headers.get_content_type(), resp.headers.get_content_charset(),
                    resp.headers.get("ETag"), resp.headers.get("Last-Modified"),
                )
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 304 and cached:
                return Response(304)
            raise FetchError(f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise FetchError(f"timed out after {self.timeout:g} s") from None
            raise FetchError(f"cannot reach the server: {exc.reason}") from None
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"connection failed: {exc or type(exc).__name__}") from None
        except ValueError as exc:  # http.client.InvalidURL, a header that is not Latin-1
            raise FetchError(f"invalid address: {exc}") from None


def _ascii_url(url: str) -> str:
    """Feeds often carry raw accented paths (``/soins/épilation``); HTTP request lines are ASCII."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.quote(parts.path, safe="/%:@!$&'()*+,;=~")
    query = urllib.parse.quote(parts.query, safe="/%:@!$&'()*+,;=~?")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def parse_sitemap(data: bytes) -> tuple[str, list[str]]:
    """``("urlset" | "sitemapindex", locs)``; gzipped sitemaps (``.xml.gz``) are common."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise FetchError(f"broken gzip sitemap: {exc}") from None
    try:
        root = etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"not a valid XML sitemap: {exc}") from None
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise FetchError(f"not a sitemap (root element <{kind}>)")
    child = "url" if kind == "urlset" else "sitemap"
    return kind, [loc.text.strip() for loc in root.iterfind(f"{{*}}{child}/{{*}}loc") if loc.text and loc.text.strip()]


def parse_feed(data: bytes, url: str) -> list[str]:
    """Entry links of an RSS or Atom feed (relative links resolved against the feed URL)."""
    # A file object, not bytes: feedparser opens bytes that look like a path as a local file.
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url})
    links = [urllib.parse.urljoin(url, e["link"]) for e in parsed.entries if e.get("link")]
    if not links and parsed.get("bozo"):
        raise FetchError(f"not a valid RSS/Atom feed: {parsed.get('bozo_exception')}")
    return links


class _Run:
    """One load: the fetcher, the previous cache and the cache being written."""

    def __init__(self, fetcher: Fetcher, old: dict[str, dict], max_pages: int) -> None:
        self.fetcher, self.old, self.max_pages = fetcher, old, max_pages
        self.new: dict[str, dict] = {}
        self.failures: list[LoadFailure] = []

    def _cached(self, url: str, keys: set[str]) -> dict | None:
        entry = self.old.get(url)
        return entry if entry and entry.keys() >= keys else None

    def listing(self, url: str, kind: str) -> tuple[str, list[str]]:
        """Fetch one sitemap or feed. If it fails, its last known list is used, so its
        pages are not removed from the index because of one bad response."""
        cached = self._cached(url, LISTING_KEYS)
        try:
            resp = self.fetcher.get(url, cached)
            if resp.status == 304 and cached:
                self.new[url] = cached
                return cached["kind"], cached["locs"]
            found = ("feed", parse_feed(resp.body, url)) if kind == "feed" else parse_sitemap(resp.body)
        except FetchError as exc:
            kept = "; its last known page list was used" if cached else ""
            self.failures.append(LoadFailure(url, f"{kind} unavailable: {exc}{kept}"))
            if cached:
                self.new[url] = cached
                return cached["kind"], cached["locs"]
            return "", []
        self.new[url] = {"etag": resp.etag, "last_modified": resp.last_modified, "kind": found[0], "locs": found[1]}
        return found

    def page_urls(self, url: str, kind: str) -> list[str]:
        """Page URLs of one source, sitemap indexes followed one level deep, capped."""
        found, locs = self.listing(url, kind)
        if found == "sitemapindex":
            pages: list[str] = []
            for child in locs:
                if len(pages) >= self.max_pages:
                    break
                child_kind, child_locs = self.listing(child, "sitemap")
                if child_kind == "sitemapindex":
                    log.warning("nested sitemap index ignored (one level only)", extra={"sitemap": child})
                else:
                    pages.extend(child_locs)
            locs = pages
        locs = list(dict.fromkeys(locs))
        if len(locs) > self.max_pages:
            log.warning("page cap reached", extra={"source": url, "listed": len(locs), "cap": self.max_pages})
        return locs[: self.max_pages]

    def page(self, url: str) -> Article:
        """One page as an Article; on 304 the cached extraction (same sha256) is reused."""
        cached = self._cached(url, PAGE_KEYS)
        resp = self.fetcher.get(url, cached)
        if resp.status == 304 and cached:
            entry = cached
        else:
            looks_html = resp.body[:1024].lstrip().lower().startswith((b"<!doctype html", b"<html"))
            if resp.content_type not in HTML_TYPES and not (resp.content_type == "text/plain" and looks_html):
                raise FetchError(f"not an HTML page ({resp.content_type})")
            text = _decode(resp.body, resp.charset)
            try:
                title, markdown, _canonical, lang = extract_html_article(text)
            except Exception as exc:  # trafilatura on a malformed page: that page only
                raise FetchError(f"cannot extract the text: {exc}") from None
            if not markdown.strip():
                raise FetchError("no main text found in the page")
            if not title:
                raise FetchError("page has no title")
            entry = {"etag": resp.etag, "last_modified": resp.last_modified, # Hash what gets indexed, not the raw page: a nonce or a date in the footer
                     # must not re-embed an unchanged article.
                     "sha256": sha256_bytes(f"{title}\n{markdown}".encode()),
                     "title": title, "lang": lang or "fr", "markdown": markdown}
        self.new[url] = entry
        return Article(source=url, title=entry["title"], body=entry["markdown"], url=url,
                       lang=entry["lang"], sha256=entry["sha256"])


def _decode(body: bytes, charset: str | None) -> str:
    if charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return body.decode(charset)
    return decode_file(body)  # trafilatura's guess: UTF-8, then the page's declared or detected encoding


def read_cache(path: Path) -> dict[str, dict]:
    """The previous run's cache; a missing or damaged file only costs full downloads."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("web cache unreadable, starting afresh", extra={"path": str(path), "error": str(exc)})
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def write_cache(path: Path, cache: dict[str, dict]) -> None:
    """Write aside then rename, so a killed run never leaves half a JSON file."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(cache, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # the pages are loaded; only the next run's 304s are lost
        log.warning("web cache not written", extra={"path": str(path), "error": str(exc)})
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def load_all_sources(
    settings: Settings,
    sitemaps: list[str],
    feeds: list[str],
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_pages: int = MAX_PAGES_PER_SOURCE,
    delay: float | None = None,
) -> tuple[list[Article], list[LoadFailure]]:
    """The content folder's articles plus the pages of ``sitemaps`` and ``feeds``.

    The result goes to ``sync_index(settings, articles=...)``. A page listed by
    several sources is fetched once; a page whose URL a local article already
    claims is skipped, so that one URL is never cited twice. ``delay`` between two
    requests to one host defaults to :data:`DELAY_SECONDS`, read at call time.
    """
    delay = DELAY_SECONDS if delay is None else delay
    articles: list[Article] = []
    failures: list[LoadFailure] = []
    if settings.content_dir.is_dir():
        articles, failures = load_articles(settings.content_dir)
    cache_path = settings.index_dir / CACHE_FILE
    agent = f"{USER_AGENT} (+{settings.contact_url})" if settings.contact_url.isascii() else USER_AGENT
    run = _Run(Fetcher(timeout, delay, agent), read_cache(cache_path), max_pages)
    urls: dict[str, None] = {}
    for source, kind in [(s, "sitemap") for s in sitemaps] + [(f, "feed") for f in feeds]:
        urls.update(dict.fromkeys(run.page_urls(source, kind)))
    local = {a.url: a.source for a in articles if a.url}
    for url in urls:
        if url in local:
            log.info("page skipped: a local article has its url", extra={"url": url, "article": local[url]})
            continue
        try:
            articles.append(run.page(url))
        except FetchError as exc:
            run.failures.append(LoadFailure(url, str(exc)))
            if url in run.old:  # keep the validators: the next run may still get a 304
                run.new[url] = run.old[url]
    write_cache(cache_path, run.new)
    return articles, failures + run.failures
