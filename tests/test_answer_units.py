"""Quotable units, their selection, citation links and answer grading: fast tests, no model."""

from __future__ import annotations

from conftest import make_settings

from bot.compose import text_fragment_link
from bot.evaluation import answer_contains_quote
from bot.triage import not_happening_now, says_now
from core.textnorm import clean_input
from index.articles import Article
from index.units import ITEM, REFERENCE, ROW, article_units, strip_markup

BODY = """Le soin est réalisé par un médecin.

## Contre-indications

La toxine est déconseillée dans plusieurs situations :

- pendant la grossesse ;
- pendant l'allaitement ;

Cette solution est utilisée si la peau est fine. Elle reste **rarement** proposée.

| Zone | Prix |
|---|---|
| Front | 250 € |

## Références

(1) Auteur – Un titre d'article.
"""


def _units():
    return article_units(Article(source="a.md", title="Titre", body=BODY))


def test_list_items_keep_their_lead_in_and_short_items_are_kept():
    units = _units()
    items = [u for u in units if u.kind == ITEM]
    assert [u.text for u in items] == ["pendant la grossesse ;", "pendant l'allaitement ;"]
    lead = units[items[1].lead]
    assert lead.text == "La toxine est déconseillée dans plusieurs situations :"


def test_pronoun_led_sentences_point_to_the_sentence_they_need():
    units = _units()
    elle = next(u for u in units if u.text.startswith("Elle reste"))
    assert units[elle.depends].text.startswith("Cette solution est utilisée")
    assert elle.text == "Elle reste rarement proposée."  # markup removed


def test_tables_become_rows_with_their_header_and_references_are_never_quotable():
    units = _units()
    row = next(u for u in units if u.kind == ROW)
    assert row.text == "Zone : Front ; Prix : 250 €"
    refs = [u for u in units if u.kind == REFERENCE]
    assert refs and all(u.section == "Références" for u in refs)


def test_strip_markup_keeps_link_text():
    assert strip_markup("Voir [la page](https://x.example) et **ceci**.") == "Voir la page et ceci."


def test_text_fragment_link_escapes_the_fragment_syntax():
    link = text_fragment_link("https://c.example/p#top", "Deux à trois séances, espacées d'un mois - en général - suffisent.")
    assert link.startswith("https://c.example/p#:~:text=Deux%20%C3%A0%20trois%20s%C3%A9ances%2C,")
    assert "%2D" in link and "#top" not in link
    assert text_fragment_link(None, "x") is None


def test_answer_grading_folds_case_accents_and_citation_marks():
    answer = "Voici :\n\nLa Toxine n'est PAS injectée pendant l'allaitement. [1]"
    assert answer_contains_quote(answer, ("la toxine n'est pas injectee pendant l'allaitement",))
    assert not answer_contains_quote(answer, ("pendant la grossesse",))


def test_invisible_and_look_alike_characters_are_normalised():
    assert clean_input("né\u200bcr\u00adose\u2060 \u202eх\ud800") == "nécrose x"


def test_time_and_person_markers():
    assert not_happening_now("quels sont les risques de nécrose ?") == "general"
    assert not_happening_now("ma sœur a eu une nécrose") == "someone_else"
    assert not_happening_now("il y a un an j'ai eu de la fièvre") == "past"
    assert not_happening_now("je suis morte de rire") == "figure_of_speech"
    assert not_happening_now("ma lèvre est blanche depuis une heure") is None


def test_since_marks_the_present_unless_months_or_years_follow():
    assert says_now("ma lèvre est blanche depuis une heure") and says_now("my lip has been white since this morning")
    # A long-standing complaint is not happening now: no "now" from "depuis" / "since" alone.
    assert not says_now("je perds mes cheveux depuis 10 ans, la mésothérapie peut aider ?")
    assert not says_now("depuis des mois ma cicatrice me gêne")
    assert not says_now("I've had this scar since 2019")


def _bot_over(tmp_path, articles: dict[str, str]):
    """A bot over a small folder of articles, indexed with the fake embedder."""
    from bot.engine import Bot
    from index.build import sync_index
    from index.embedder import HashingEmbedder

    content = tmp_path / "content"
    content.mkdir()
    for name, text in articles.items():
        (content / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path, content)
    embedder = HashingEmbedder(64)
    sync_index(settings, embedder=embedder, full=True)
    return Bot(settings, embedder=embedder)


def test_an_english_question_prefers_the_article_written_in_english(tmp_path):
    bot = _bot_over(tmp_path, {
        "fr.md": "---\ntitle: Paiement\nlang: fr\n---\n## Moyens de paiement\n\n"
                 "Le paiement se fait par carte bancaire ou par chèque à la fin de la consultation.\n",
        "en.md": "---\ntitle: Payment for international patients\nlang: en\n---\n## Payment\n\n"
                 "Payment is made by card or cheque at the end of the consultation.\n",
    })
    answer = bot.ask("How can I pay for the consultation, card or cheque?")
    assert answer.status == "answered", answer.reason
    assert answer.citations[0].source == "en.md"
    assert "written in French" not in answer.answer


def test_a_list_item_is_scored_with_its_own_articles_lead_in(tmp_path):
    """``lead`` is an order within the article: the second article's items must not read the first's text."""
    import numpy as np

    from bot.quotes import asked_types, candidates, feature_names
    from bot.retrieval import Retriever
    from index.build import sync_index
    from index.embedder import HashingEmbedder
    from index.store import load_current

    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("---\ntitle: A\n---\nLe tarif de la consultation est de 80 euros par séance.\n")
    (content / "b.md").write_text(
        "---\ntitle: Peeling\n---\nLe peeling est déconseillé dans ces cas :\n\n- la grossesse ;\n- l'allaitement ;\n"
    )
    settings = make_settings(tmp_path, content)
    embedder = HashingEmbedder(64)
    sync_index(settings, embedder=embedder, full=True)
    retriever = Retriever(load_current(settings.index_dir), embedder)
    question = "peeling pendant la grossesse, c'est possible ?"
    vector = embedder.encode_query(question)
    found = candidates(question, vector, retriever.search(question, "fr", vector=vector), retriever)
    item = next(c for c in found if c.unit.text == "la grossesse ;")
    assert "permission" in asked_types(question)
    # The lead-in "déconseillé … :" gives the item its negation; "80 euros" would have given it a price.
    values = dict(zip(feature_names(), item.features, strict=True))
    assert values["type_permission"] == 1.0 and values["type_price"] == 0.0
    assert np.isfinite(item.features).all()


def test_a_units_words_are_read_once_and_match_its_text(tmp_path):
    """The quote scorer reads each unit's words once per index version, not once per question."""
    from core.textnorm import content_terms

    retriever = _bot_over(tmp_path, {
        "peeling.md": "---\ntitle: Peeling\n---\n## Contre-indications\n\n"
                      "Le peeling n'est pas réalisé dans les cas suivants :\n\n- grossesse ;\n- herpès en poussée.\n",
    }).retriever
    units = retriever.loaded.units
    row = next(i for i in range(len(units)) if units[i].lead >= 0)
    unit = units[row]
    words = retriever.unit_words(row)
    assert retriever.unit_words(row) is words
    assert words.text == f"{retriever.unit_at(unit.source, unit.lead).text} {unit.text}"
    assert "herp" in " ".join(words.terms) or "gross" in " ".join(words.terms)
    assert words.terms == frozenset(content_terms(words.text))
    assert words.heading == frozenset(content_terms("Contre-indications"))


def test_a_patients_own_situation_is_answered_from_the_articles_with_a_note(tmp_path):
    """"Je suis sous X, puis-je faire Y ?": the contraindication the article states is quoted, then the
    note that the doctor checks the patient's situation; with nothing in the articles, the personal reply."""
    from bot.messages import text

    bot = _bot_over(tmp_path, {
        "micro.md": "---\ntitle: Microneedling\n---\n## Contre-indications\n\n"
                    "Le microneedling n'est pas réalisé pendant un traitement par isotrétinoïne orale ni dans les "
                    "six mois qui suivent son arrêt.\n\n## Séances\n\n"
                    "Trois à quatre séances espacées d'un mois sont en général nécessaires.\n",
    })
    answer = bot.ask("je suis sous isotrétinoïne, est-ce que je peux faire un microneedling ?")
    assert answer.status == "answered", answer.reason
    assert "isotrétinoïne orale" in answer.answer
    assert answer.answer.endswith(text("personal_note", "fr", bot.settings)) and answer.trace.personal_situation
    general = bot.ask("le microneedling est-il possible pendant un traitement par isotrétinoïne ?")
    assert general.status == "answered" and text("personal_note", "fr", bot.settings) not in general.answer
    unanswered = bot.ask("je prends du lithium, est-ce que je peux faire une cryolipolyse du ventre ?")
    assert (unanswered.status, unanswered.reason) == ("no_answer", "personal_medical_advice")


def test_a_clipped_word_stands_for_the_articles_long_word(tmp_path):
    """Patients clip long words ("méso", "rhino"): an unknown word that begins an article's word at
    least three letters longer is matched to it; a typo-length difference or a short word is not."""
    bot = _bot_over(tmp_path, {
        "meso.md": "---\ntitle: Mésothérapie\n---\n## Séances\n\n"
                   "La mésothérapie se fait en quatre séances espacées de deux semaines.\n",
        "rhino.md": "---\ntitle: Rhinoplastie médicale\n---\n## Durée\n\n"
                    "Le résultat d'une rhinoplastie médicale dure environ un an.\n\n"
                    "Une installation confortable est prévue pendant la séance.\n",
    })
    analyse = bot.retriever.analyse
    assert analyse("combien de séances de méso ?", "fr").matched["meso"] == ["mesotherap"]
    assert analyse("ça dure combien une rhino ?", "fr").matched["rhino"] == ["rhinoplast"]
    assert "insta" in analyse("vu sur insta", "fr").unknown  # "installation" is only two letters longer
    answer = bot.ask("combien de séances de méso faut-il ?")
    assert answer.status == "answered" and answer.citations[0].source == "meso.md"
