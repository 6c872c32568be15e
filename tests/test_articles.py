"""Loading articles: Markdown, HTML and scraped pages, and every way a file can be bad."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import SAMPLE_MD

from index import articles as articles_mod
from index.articles import Article, LoadFailure, load_article, load_articles


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


GOOD_MD = "---\ntitle: Un article valide\nurl: https://clinique.example/ok\n---\nUn texte tout à fait lisible sur les soins.\n"

HTML_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Le laser fractionné | Maison Yokō</title>
<link rel="canonical" href="https://clinique.example/articles/laser-fractionne">
</head>
<body>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/soins">Tous nos soins esthétiques</a></li>
<li><a href="/contact">Contactez-nous pour un devis</a></li></ul></nav>
<main><article>
<h1>Le laser fractionné</h1>
<p>Le laser fractionné traite la peau par de minuscules colonnes réparties sur la zone, afin d'améliorer la texture de la peau et les cicatrices d'acné.</p>
<h2>Combien de séances faut-il ?</h2>
<p>En général, trois à cinq séances espacées d'un mois sont nécessaires pour obtenir un résultat visible sur la texture.</p>
<h2>Quelles suites après la séance ?</h2>
<p>Des rougeurs et un léger gonflement durent deux à trois jours après une séance de laser fractionné, puis la peau pèle finement.</p>
</article></main>
<footer><p>© 2026 Maison Yokō — Mentions légales — Politique de cookies — Tous droits réservés</p></footer>
</body>
</html>
"""


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_front_matter_fields(tmp_path):
    path = _write(tmp_path, "peeling.md", SAMPLE_MD)
    article = load_article(path, "peeling.md")
    assert isinstance(article, Article)
    assert article.title == "Le peeling doux"
    assert article.url == "https://clinique.example/articles/peeling"
    assert article.updated == "2026-01-10"
    assert article.lang == "fr"  # no lang: in the front matter -> French
    assert article.sha256 == hashlib.sha256(SAMPLE_MD.encode("utf-8")).hexdigest()
    # The "# Le peeling doux" line repeats the title and is not part of the body.
    assert not article.body.lstrip().startswith("# ")
    assert "## Combien de séances faut-il ?" in article.body
    assert "La protection solaire est indispensable" in article.body
    assert "title:" not in article.body


def test_markdown_explicit_lang(tmp_path):
    path = _write(tmp_path, "en.md", "---\ntitle: Peels\nlang: EN\n---\nA gentle peel renews the skin surface.\n")
    assert load_article(path, "en.md").lang == "en"


def test_markdown_title_from_heading_without_front_matter(tmp_path):
    path = _write(
        tmp_path,
        "rides.md",
        "# Les rides du lion\n\nLa ride du lion se forme entre les sourcils.\n\n## Traitement\n\nUne injection peut l'adoucir.\n",
    )
    article = load_article(path, "rides.md")
    assert article.title == "Les rides du lion"
    assert article.url is None
    assert article.updated is None
    assert article.lang == "fr"
    assert "# Les rides du lion" not in article.body
    assert article.body.startswith("La ride du lion se forme")
    assert "## Traitement" in article.body


# --- HTML -----------------------------------------------------------------------------------


def test_html_page_main_text_only(tmp_path):
    path = _write(tmp_path, "laser-fractionne.html", HTML_PAGE)
    article = load_article(path, "laser-fractionne.html")
    assert article.title == "Le laser fractionné"  # from <title>, site name cut
    assert article.url == "https://clinique.example/articles/laser-fractionne"
    assert article.lang == "fr"
    body = article.body
    assert "minuscules colonnes" in body
    assert "trois à cinq séances" in body
    # Headings survive as Markdown headings (the chunker splits on them).
    assert "## Combien de séances faut-il ?" in body
    assert "## Quelles suites après la séance ?" in body
    # Navigation and footer are gone.
    assert "Tous nos soins esthétiques" not in body
    assert "Contactez-nous" not in body
    assert "Mentions légales" not in body
    assert "Tous droits réservés" not in body
    # The page's own h1 is the title, not a body heading.
    assert "# Le laser fractionné" not in body


# --- Scraped text (the real seed page) ------------------------------------------------------


@pytest.fixture
def seed_article(tmp_path, seed_page) -> Article:
    target = tmp_path / "seed" / "exosomes-maison-yoko.txt"
    target.parent.mkdir()
    target.write_bytes(seed_page.read_bytes())
    loaded, failures = load_articles(target.parent)
    assert failures == []
    assert len(loaded) == 1
    return loaded[0]


def test_seed_page_loads_as_article(seed_article):
    assert isinstance(seed_article, Article)
    assert seed_article.source == "exosomes-maison-yoko.txt"
    assert seed_article.title == "Exosomes pour le visage"
    assert len(seed_article.sha256) == 64


def test_seed_page_keeps_sections_and_facts(seed_article):
    body = seed_article.body
    lines = [line.strip() for line in body.splitlines()]
    assert any(line.startswith("#") and line.lstrip("# ").strip() == "Un encadrement strict en France" for line in lines)
    assert "Ces produits sont considérés comme des médicaments de thérapie innovante (ATMP)" in body
    assert "exosomes d’origine humaine ou animale est interdite en France" in body


@pytest.mark.parametrize(
    "noise",
    [
        "1. Blog",
        "Retour",
        "prendre rendez-vous",
        "Articles associés",
        "à quoi servent les exosomes pour le visage",
        "les exosomes pour réparer sa barrière cutané",
        "réduire les rougeurs du visage chez Maison Yokō",
        "comment améliorer sa texture de peau",
    ],
)
def test_seed_page_drops_noise_lines(seed_article, noise):
    lines = [line.strip().lstrip("#-").strip() for line in seed_article.body.splitlines()]
    assert noise not in lines
    assert noise.lower() not in [line.lower() for line in lines]


# --- Folder loading -------------------------------------------------------------------------


def test_source_is_relative_path_including_subfolders(tmp_path):
    folder = tmp_path / "c"
    _write(folder, "soins/laser.md", "# Laser\n\nLe laser vasculaire traite les rougeurs.\n")
    _write(folder, "a-propos.md", "# A propos\n\nLa clinique accueille les patients sur rendez-vous.\n")
    loaded, failures = load_articles(folder)
    assert failures == []
    assert sorted(a.source for a in loaded) == ["a-propos.md", "soins/laser.md"]


def test_hidden_files_and_folders_are_ignored(tmp_path):
    folder = tmp_path / "c"
    _write(folder, "visible.md", GOOD_MD)
    _write(folder, ".brouillon.md", "# Brouillon\n\nPas encore publié.\n")
    _write(folder, ".git/notes.md", "# Notes\n\nInterne.\n")
    _write(folder, "soins/.cache.md", "# Cache\n\nInterne.\n")
    loaded, failures = load_articles(folder)
    assert [a.source for a in loaded] == ["visible.md"]
    assert failures == []


def test_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_articles(tmp_path / "nope")


BAD_FILES = {
    "invalid-yaml.md": ("---\ntitle: [pas fermé\nurl: x\n---\nDu texte.\n", "front matter"),
    "no-closing.md": ("---\ntitle: Sans fin\nurl: https://clinique.example/x\n\nDu texte sans fin de front matter.\n", "closing"),
    "empty.md": ("   \n\n", "empty"),
    "binary.md": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
    "latin1.md": ("# Été\n\nLes séances d'été.\n".encode("latin-1"), "UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_becomes_failure_and_others_load(tmp_path, name):
    folder = tmp_path / "c"
    content, reason_word = BAD_FILES[name]
    _write(folder, "a-good.md", GOOD_MD)
    _write(folder, name, content)
    _write(folder, "z-good.md", "# Un autre article\n\nIl se charge malgré le fichier cassé.\n")
    loaded, failures = load_articles(folder)
    assert sorted(a.source for a in loaded) == ["a-good.md", "z-good.md"]
    assert len(failures) == 1
    failure = failures[0]
    assert isinstance(failure, LoadFailure)
    assert failure.source == name
    assert reason_word.lower() in failure.error.lower()


def test_file_too_large_is_a_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(articles_mod, "MAX_ARTICLE_BYTES", 200)
    folder = tmp_path / "c"
    _write(folder, "small.md", GOOD_MD)
    _write(folder, "huge.md", "# Énorme\n\n" + "Une phrase répétée sur les soins. " * 50)
    loaded, failures = load_articles(folder)
    assert [a.source for a in loaded] == ["small.md"]
    assert [f.source for f in failures] == ["huge.md"]
    assert "too large" in failures[0].error


def test_same_url_second_article_skipped(tmp_path):
    folder = tmp_path / "c"
    _write(folder, "a.md", "---\ntitle: Premier\nurl: https://clinique.example/meme\n---\nLe premier texte.\n")
    _write(folder, "b.md", "---\ntitle: Second\nurl: https://clinique.example/meme\n---\nLe second texte.\n")
    _write(folder, "c.md", "---\ntitle: Autre\nurl: https://clinique.example/autre\n---\nUn autre texte.\n")
    loaded, failures = load_articles(folder)
    assert [a.source for a in loaded] == ["a.md", "c.md"]
    assert [f.source for f in failures] == ["b.md"]
    assert "a.md" in failures[0].error
    assert "https://clinique.example/meme" in failures[0].error


def test_several_bad_files_each_reported(tmp_path):
    folder = tmp_path / "c"
    _write(folder, "ok.md", GOOD_MD)
    for name, (content, _) in BAD_FILES.items():
        _write(folder, f"bad/{name}", content)
    loaded, failures = load_articles(folder)
    assert [a.source for a in loaded] == ["ok.md"]
    assert sorted(f.source for f in failures) == sorted(f"bad/{n}" for n in BAD_FILES)
    assert all(f.error.strip() for f in failures)


def test_link_to_a_file_outside_the_content_folder_is_refused(tmp_path):
    content = tmp_path / "content"
    _write(content, "ok.md", GOOD_MD)
    secret = _write(tmp_path, ".env", "FAQBOT_STAFF_PASSWORD=secret-value\n")
    (content / "config.md").symlink_to(Path("..") / ".env")
    (content / "abs.md").symlink_to(secret)
    outside = _write(tmp_path / "elsewhere", "notes.md", GOOD_MD.replace("/ok", "/notes"))
    (content / "linked").symlink_to(outside.parent, target_is_directory=True)
    _write(content, "_drafts/other.md", GOOD_MD.replace("/ok", "/other"))
    (content / "inside.md").symlink_to(Path("_drafts") / "other.md")  # a link that stays inside is fine
    articles, failures = load_articles(content)
    assert sorted(a.source for a in articles) == ["inside.md", "ok.md"]
    refused = {f.source: f.error for f in failures}
    assert {"config.md", "abs.md"} <= set(refused), failures
    assert all("outside the content folder" in refused[name] for name in ("config.md", "abs.md"))
    assert not any("secret-value" in a.body for a in articles)


def test_article_path_is_checked_against_the_content_folder(tmp_path):
    content = tmp_path / "content"
    _write(content, "ok.md", GOOD_MD)
    _write(tmp_path, "secret.md", GOOD_MD)
    (content / "link.md").symlink_to(tmp_path / "secret.md")
    assert articles_mod.article_path(content, "ok.md") == (content / "ok.md")
    for source in ("link.md", "../secret.md", "/etc/passwd"):
        with pytest.raises(articles_mod.ArticleError):
            articles_mod.article_path(content, source)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(document.cookie)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
     "//evil.example/x", "ftp://clinique.example/a", 'https://x.example/" onmouseover="alert(1)'],
)
def test_only_http_urls_are_accepted(tmp_path, url):
    _write(tmp_path, "a.md", f"---\ntitle: Un article\nurl: '{url}'\n---\nUn texte lisible.\n")
    articles, failures = load_articles(tmp_path)
    assert articles == []
    assert "http://" in failures[0].error


def test_article_page_never_links_a_script_url():
    from ui.render import article_page

    page = article_page("Titre", "Texte.", "javascript:alert(1)", None)
    assert "javascript:" not in page


def test_scraped_price_list_rows_are_kept_as_items_under_their_label():
    from index.scraped_text import clean_scraped_text

    page = "\n".join([
        "Le PRP cheveux | Clinique",
        "Accueil",
        "Soins",
        "Le PRP est préparé à partir de votre propre sang, prélevé au pli du coude le jour de la séance.",
        "Tarifs",
        "Séance de PRP : 400 €",
        "Cure de 3 séances : 1 050 €",
        "Le PRP n'est pas remboursé par l'Assurance maladie.",
        "Prendre rendez-vous",
    ])
    title, body = clean_scraped_text(page)
    assert title == "Le PRP cheveux"
    assert "## Tarifs\n\n- Séance de PRP : 400 €\n- Cure de 3 séances : 1 050 €" in body
    assert "Accueil" not in body and "Soins" not in body and "Prendre rendez-vous" not in body


def test_a_scraped_pages_date_line_is_metadata_not_a_data_row():
    """"Mis à jour le 03/05/2024 - Temps de lecture : 5 min" has a data row's shape (label, colon, figure)
    but is the page's metadata: it is never quotable; a sentence that holds a date stays."""
    from index.scraped_text import clean_scraped_text

    page = "\n".join([
        "La cryolipolyse | Clinique",
        "Mis à jour le 03/05/2024 - Temps de lecture : 5 min",
        "Publié le 12.01.2023",
        "La cryolipolyse refroidit un bourrelet de graisse pendant environ une heure, sans chirurgie.",
        "Depuis le 01/03/2024, la séance de contrôle à deux mois est incluse dans le prix.",
        "Tarifs",
        "Une zone : 350 €",
    ])
    _, body = clean_scraped_text(page)
    assert "Temps de lecture" not in body and "Publié" not in body
    assert "Depuis le 01/03/2024, la séance de contrôle" in body
    assert "- Une zone : 350 €" in body


def test_a_scraped_page_that_starts_with_its_address_takes_its_main_heading_as_title():
    """"URL: https://…" then the site's header, menus and breadcrumb: the title is the page's main heading
    (not the site's name), the address is the published page citations link to, and a date in words
    or a search box's placeholder is not a paragraph."""
    from index.articles import parse_scraped_text

    page = "\n".join([
        "URL: https://www.clinique-test.fr/soins/peeling",
        "",
        "Clinique Test | Médecine esthétique",
        "Accueil | Visage | Corps | Tarifs",
        "Prendre rendez-vous",
        "Rechercher...",
        "Accueil > Visage > Peeling",
        "Le peeling moyen : pour qui, quand ?",
        "Mis à jour le 4 avril 2024 - Lecture 5 min",
        "Le peeling moyen renouvelle les couches superficielles de la peau en une seule séance.",
        "Tarifs",
        "Séance (une zone : visage ou cou) : 250 €",
    ])
    article = parse_scraped_text(page, "peeling.txt", "0" * 64)
    assert article.title == "Le peeling moyen : pour qui, quand ?"
    assert article.url == "https://www.clinique-test.fr/soins/peeling"
    assert article.body.startswith("Le peeling moyen renouvelle")
    assert "Rechercher" not in article.body and "avril 2024" not in article.body and "Clinique Test" not in article.body
    assert "- Séance (une zone : visage ou cou) : 250 €" in article.body


def test_a_scraped_page_whose_first_line_is_a_skip_link_takes_its_main_heading_as_title():
    from index.scraped_text import clean_scraped_text

    page = "\n".join([
        "Aller au contenu principal",
        "Clinique Test - Médecine esthétique",
        "Menu",
        "Accueil > Lasers > Couperose",
        "Partager : Facebook | LinkedIn | E-mail",
        "LASER VASCULAIRE : NOTRE APPROCHE",
        "Les bons candidats ?",
        "Le laser vasculaire traite les petits vaisseaux visibles des joues et du nez en deux à trois séances.",
    ])
    title, body = clean_scraped_text(page)
    assert title == "LASER VASCULAIRE : NOTRE APPROCHE"
    assert body.startswith("## Les bons candidats ?")
    assert "Partager" not in body
