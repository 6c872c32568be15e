"""Website sources: sitemaps and feeds served by a local HTTP server, indexed with the hashing embedder.

The server keeps its pages in a dict the tests change between runs, answers
``If-None-Match`` with 304 like a real web server, and counts what it served,
so the tests can check that an update downloads only what changed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import make_settings, run_cli

from index.build import sync_index
from index.embedder import HashingEmbedder
from index.store import load_current
from index.web import CACHE_FILE, Fetcher, load_all_sources

NAV_AND_FOOTER = ("Nos soins", "Prendre rendez-vous", "Mentions légales", "12 rue des Lilas")

PAGES = {
    "/soins/peeling": ("Le peeling doux", [
        ("Qu'est-ce qu'un peeling doux ?",
         "Le peeling doux renouvelle la surface de la peau grâce à un acide de fruit appliqué quelques minutes. "
         "Il convient aux peaux ternes et aux petites irrégularités du teint."),
        ("Combien de séances faut-il ?",
         "En général, trois à quatre séances espacées de trois semaines donnent un teint plus lumineux. "
         "Le médecin adapte le rythme à votre peau lors de la consultation."),
    ]),
    "/soins/laser": ("Le laser vasculaire", [
        ("À quoi sert le laser vasculaire ?",
         "Le laser vasculaire atténue les rougeurs, la couperose et les petits vaisseaux visibles du visage. "
         "La lumière est absorbée par le sang des vaisseaux, qui se referment ensuite."),
        ("Est-ce douloureux ?",
         "La sensation ressemble à un léger claquement d'élastique sur la peau. "
         "Un refroidissement de la peau pendant la séance rend le soin bien supportable."),
    ]),
    "/soins/microneedling": ("Le microneedling médical", [
        ("Comment se déroule une séance ?",
         "Après une crème anesthésiante, de fines aiguilles stimulent la production de collagène. "
         "La séance dure environ quarante-cinq minutes, crème comprise."),
        ("Quelles suites après la séance ?",
         "La peau reste rosée un à deux jours. Évitez le maquillage pendant vingt-quatre heures "
         "et protégez-vous du soleil pendant une semaine."),
    ]),
    "/blog/hydratation": ("Bien hydrater sa peau en hiver", [
        ("Pourquoi la peau tiraille-t-elle en hiver ?",
         "Le froid et le chauffage assèchent l'air, et la barrière de la peau laisse s'échapper son eau. "
         "Une crème riche en céramides aide à la reconstituer jour après jour."),
    ]),
    "/blog/soleil": ("Protéger sa peau après un soin", [
        ("Quelle protection solaire choisir ?",
         "Après un peeling ou un laser, une protection solaire d'indice 50 est indispensable chaque matin, "
         "même par temps couvert, et à renouveler toutes les deux heures en extérieur."),
    ]),
}
SITEMAP_PATHS = ["/soins/peeling", "/soins/laser", "/soins/microneedling"]
FEED_PATHS = ["/blog/hydratation", "/blog/soleil"]


def page_html(title: str, sections: list[tuple[str, str]]) -> bytes:
    body = "".join(f"<h2>{h}</h2><p>{p}</p><p>{p.split('. ')[0]}, nous vous conseillons au cabinet.</p>"
                   for h, p in sections)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} | Maison Yokō</title></head>
<body>
<header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/soins">Nos soins</a></li>
<li><a href="/rdv">Prendre rendez-vous</a></li></ul></nav></header>
<main><article><h1>{title}</h1>{body}</article></main>
<footer><p>Maison Yokō, 12 rue des Lilas, Paris.</p><p><a href="/legal">Mentions légales</a></p></footer>
</body></html>""".encode()


def sitemap_xml(base: str, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>{base}{p}</loc><lastmod>2026-01-10</lastmod></url>" for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()


def rss_xml(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>{PAGES[p][0]}</title><link>{base}{p}</link></item>" for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Blog</title>'
            f"<link>{base}/blog</link><description>Conseils</description>{items}</channel></rss>").encode()


class Site:
    """Pages by path as ``(status, content type, body)``, optional delays, and request counters."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.delays: dict[str, float] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.agents: set[str] = set()
        self.lock = threading.Lock()
        self.base = ""

    def url(self, path: str) -> str:
        return self.base + path

    def set_sitemap(self, paths: list[str]) -> None:
        self.pages["/sitemap.xml"] = (200, "application/xml", sitemap_xml(self.base, paths))

    def reset_counters(self) -> None:
        self.hits.clear()
        self.not_modified.clear()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            with site.lock:
                site.hits[self.path] += 1
                site.agents.add(self.headers.get("User-Agent", ""))
            time.sleep(site.delays.get(self.path, 0))
            status, ctype, body = site.pages.get(self.path, (404, "text/html", b"<h1>Introuvable</h1>"))
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            try:
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    with site.lock:
                        site.not_modified[self.path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if status == 200:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def site():
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    for path, (title, sections) in PAGES.items():
        site.pages[path] = (200, "text/html; charset=utf-8", page_html(title, sections))
    site.set_sitemap(SITEMAP_PATHS)
    site.pages["/feed.xml"] = (200, "application/rss+xml", rss_xml(site.base, FEED_PATHS))
    # Stopping waits for the server's next poll: a short interval keeps each test's teardown short.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.005}, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    return make_settings(tmp_path, empty)


def load(settings, site: Site, feeds: bool = False, **kwargs):
    return load_all_sources(settings, [site.url("/sitemap.xml")], [site.url("/feed.xml")] if feeds else [],
                            delay=0, timeout=kwargs.pop("timeout", 2.0), **kwargs)


def sync(settings, loaded):
    return sync_index(settings, embedder=HashingEmbedder(64), articles=loaded)


def test_pages_become_articles_with_url_as_source(settings, site):
    articles, failures = load(settings, site, feeds=True)
    assert failures == []
    expected = [site.url(p) for p in SITEMAP_PATHS + FEED_PATHS]
    assert [a.source for a in articles] == expected
    for article, path in zip(articles, SITEMAP_PATHS + FEED_PATHS, strict=True):
        assert article.url == article.source
        assert article.title == PAGES[path][0]  # page title without the " | Maison Yokō" suffix
        assert article.lang == "fr"
        # The hash covers what is indexed (title and text), not the page's bytes.
        assert article.sha256 == hashlib.sha256(f"{article.title}\n{article.body}".encode()).hexdigest()
        assert "## " + PAGES[path][1][0][0] in article.body
        assert not [noise for noise in NAV_AND_FOOTER if noise in article.body], article.body
    cache = json.loads((settings.index_dir / CACHE_FILE).read_text(encoding="utf-8"))
    assert set(expected) <= set(cache)
    assert not [p for p in settings.index_dir.iterdir() if p.name.endswith(".tmp")]


def test_local_articles_come_too_and_sitemap_index_is_followed(tmp_path, small_content, site):
    settings = make_settings(tmp_path, small_content)
    site.pages["/sitemap_index.xml"] = (200, "application/xml", (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/sitemap.xml')}</loc></sitemap></sitemapindex>").encode())
    articles, failures = load_all_sources(settings, [site.url("/sitemap_index.xml")], [], delay=0)
    assert failures == []
    assert [a.source for a in articles] == ["laser.md", "peeling.md"] + [site.url(p) for p in SITEMAP_PATHS]


def test_index_chunks_carry_the_page_url(settings, site):
    report = sync(settings, load(settings, site, feeds=True))
    assert sorted(report.added) == sorted(site.url(p) for p in SITEMAP_PATHS + FEED_PATHS)
    chunks = load_current(settings.index_dir).chunks
    assert chunks and all(c.url == c.source and c.url.startswith(site.base) for c in chunks)


def test_changed_page_is_the_only_one_downloaded_and_embedded(settings, site):
    sync(settings, load(settings, site, feeds=True))
    changed = "/soins/laser"
    title, sections = PAGES[changed]
    site.pages[changed] = (200, "text/html", page_html(title, [*sections, (
        "Combien de séances ?", "Deux à trois séances de laser vasculaire suffisent souvent, à un mois d'intervalle.")]))
    site.reset_counters()

    report = sync(settings, load(settings, site, feeds=True))

    assert report.changed == [site.url(changed)]
    assert report.added == [] and report.removed == [] and report.failed == []
    new_chunks = [c for c in load_current(settings.index_dir).chunks if c.source == site.url(changed)]
    assert report.chunks_embedded == len(new_chunks) > 0
    assert any("un mois d'intervalle" in c.text for c in new_chunks)
    unchanged = [p for p in SITEMAP_PATHS + FEED_PATHS if p != changed] + ["/sitemap.xml", "/feed.xml"]
    assert {p: site.not_modified[p] for p in unchanged} == dict.fromkeys(unchanged, 1)
    assert site.hits[changed] == 1 and site.not_modified[changed] == 0


def test_page_dropped_from_sitemap_leaves_the_index(settings, site):
    sync(settings, load(settings, site))
    site.set_sitemap(SITEMAP_PATHS[:2])
    report = sync(settings, load(settings, site))
    assert report.removed == [site.url(SITEMAP_PATHS[2])]
    assert report.chunks_embedded == 0
    assert {c.source for c in load_current(settings.index_dir).chunks} == {site.url(p) for p in SITEMAP_PATHS[:2]}


def test_unreachable_sitemap_keeps_its_pages(settings, site):
    sync(settings, load(settings, site))
    site.pages["/sitemap.xml"] = (503, "text/html", b"maintenance")
    report = sync(settings, load(settings, site))
    assert report.removed == []
    assert report.failed == [{"source": site.url("/sitemap.xml"), "error": "sitemap unavailable: HTTP 503 Service Unavailable; its last known page list was used"}]


def test_broken_pages_are_reported_and_the_others_indexed(settings, site):
    site.pages["/soins/erreur"] = (500, "text/html", b"<h1>Erreur</h1>")
    site.pages["/soins/lent"] = site.pages["/soins/peeling"]
    site.delays["/soins/lent"] = 1.5
    site.pages["/tarifs.pdf"] = (200, "application/pdf", b"%PDF-1.4 ...")
    site.set_sitemap([*SITEMAP_PATHS, "/soins/erreur", "/soins/lent", "/tarifs.pdf", "/absent"])
    started = time.monotonic()
    articles, failures = load(settings, site, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert {f.source: f.error for f in failures} == {
        site.url("/soins/erreur"): "HTTP 500 Internal Server Error",
        site.url("/soins/lent"): "timed out after 0.3 s",
        site.url("/tarifs.pdf"): "not an HTML page (application/pdf)",
        site.url("/absent"): "HTTP 404 Not Found",
    }
    report = sync(settings, (articles, failures))
    assert sorted(report.added) == sorted(site.url(p) for p in SITEMAP_PATHS)
    assert len(report.failed) == 4


def test_non_web_addresses_are_refused(settings, site):
    site.pages["/sitemap.xml"] = (200, "application/xml", (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>file:///etc/passwd</loc></url></urlset>"))
    articles, failures = load(settings, site)
    assert articles == []
    assert [(f.source, f.error) for f in failures] == [("file:///etc/passwd", "not an http(s) address: file:///etc/passwd")]


def test_feed_links_may_be_relative_and_accented(settings, site):
    site.pages["/blog/%C3%A9pilation"] = (200, "text/html", page_html("L'épilation laser", [(
        "Combien de séances ?", "Six à huit séances espacées de six semaines réduisent durablement la pilosité.")]))
    site.pages["/feed.xml"] = (200, "application/rss+xml", (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Blog</title>'
        "<item><title>Épilation</title><link>/blog/épilation</link></item></channel></rss>").encode())
    articles, failures = load_all_sources(settings, [], [site.url("/feed.xml")], delay=0)
    assert failures == []
    assert [(a.source, a.title) for a in articles] == [(site.url("/blog/épilation"), "L'épilation laser")]


def test_page_cap_limits_what_is_fetched(settings, site):
    articles, failures = load(settings, site, feeds=True, max_pages=2)
    assert [a.source for a in articles] == [site.url(p) for p in SITEMAP_PATHS[:2] + FEED_PATHS[:2]]
    assert site.hits[SITEMAP_PATHS[2]] == 0


def test_cli_update_with_sitemap(tmp_path, site, monkeypatch):
    import index.web as web
    from index.__main__ import main as index_main

    monkeypatch.setattr(web, "DELAY_SECONDS", 0)

    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_cli(index_main, ["update", "--sitemap", site.url("/sitemap.xml"), "--content", str(empty),
                               "--index-dir", str(tmp_path / "index"), "--json"])
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert sorted(summary["added"]) == sorted(site.url(p) for p in SITEMAP_PATHS)
    assert summary["failed"] == [] and summary["written"] is True
    assert all(agent.startswith("clinic-faq-bot-indexer/") for agent in site.agents)
    assert (Path(tmp_path / "index") / CACHE_FILE).is_file()


def test_requests_to_one_host_are_spaced_out(site):
    fetcher = Fetcher(timeout=2.0, delay=0.1)
    started = time.monotonic()
    for path in SITEMAP_PATHS:
        assert fetcher.get(site.url(path)).status == 200
    assert time.monotonic() - started >= 0.2  # two waits of 0.1 s; three local requests alone take milliseconds


def test_configured_sitemap_is_read_by_every_update(settings, site, monkeypatch):
    """With FAQBOT_SITEMAPS set, a plain update (the scheduler's) keeps the website's pages."""
    import index.web as web

    monkeypatch.setattr(web, "DELAY_SECONDS", 0)
    configured = settings.with_overrides(sitemaps=site.url("/sitemap.xml"))
    first = sync_index(configured, embedder=HashingEmbedder(64))
    assert sorted(first.added) == sorted(site.url(p) for p in SITEMAP_PATHS)
    again = sync_index(configured, embedder=HashingEmbedder(64))
    assert not again.written and again.removed == []


def test_a_changing_footer_does_not_re_embed(settings, site):
    """The hash covers the extracted article, so a new date in the footer changes nothing."""
    sync(settings, load(settings, site))
    path = SITEMAP_PATHS[0]
    status, ctype, body = site.pages[path]
    site.pages[path] = (status, ctype, body.replace(b"</footer>", b"<p>Mis \xc3\xa0 jour le 27/11</p></footer>"))
    report = sync(settings, load(settings, site))
    assert report.changed == [] and not report.written
