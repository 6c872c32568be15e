"""The staff view's words: each answer's decision in one French sentence, and
the index's messages, times and yes/no the way the clinic's staff read them.

Plain text only (no HTML, no Gradio): ``ui/staff_render.py`` escapes and lays it out.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.answer import ANSWERED, EMERGENCY, Answer
from core.textnorm import FR_STOP, fold, words

REASONS = {
    None: "répondu",
    "not_in_articles": "pas dans les articles",
    "fact_not_in_articles": "précision absente des articles",
    "personal_medical_advice": "conseil médical personnel",
    "out_of_scope": "hors sujet",
    "off_topic": "sans rapport avec la clinique",
    "small_talk": "simple politesse",
    "invalid_input": "message illisible",
    "rate_limited": "trop de questions",
    "error": "erreur",
    "internal_error": "erreur",
}
FACTS = {"price": "le prix", "brand": "la marque", "doctor_name": "le nom du médecin", "dose": "la dose"}
STATUSES = {ANSWERED: "Répondu", "no_answer": "Pas de réponse", EMERGENCY: "Urgence"}
RULES = {
    "suicidal_thoughts": "idées suicidaires",
    "breathing_or_throat": "difficulté à respirer ou gorge qui gonfle",
    "vision_problem": "trouble de la vue",
    "skin_colour_change": "peau qui change de couleur",
    "infection_signs": "signes d'infection",
    "chest_pain": "douleur dans la poitrine",
    "severe_pain_after_procedure": "douleur intense après un soin",
    "loss_of_consciousness": "perte de connaissance",
}
CATEGORIES = {
    "suicidal": "idées suicidaires", "breathing": "difficulté à respirer", "vision": "trouble de la vue",
    "vascular_occlusion": "vaisseau bouché (peau blanche ou violacée)", "infection_fever": "infection avec fièvre",
    "chest_pain": "douleur dans la poitrine", "fainting": "malaise",
}


def number(value: float | None, digits: int = 2) -> str:
    """``0.3612`` → ``0,36`` (French decimal comma); ``None`` → ``–``."""
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def yes_no(value: object) -> str:
    return "oui" if value else "non"


def reason_label(reason: str | None) -> str:
    return REASONS.get(reason, reason or "")


def status_label(status: str) -> str:
    return STATUSES.get(status, status)


def local_time(value: str | float | None, zone: ZoneInfo) -> str:
    """An ISO time with offset (or a Unix timestamp) as ``28/11/2026 05:12`` in the staff's time zone."""
    if value in (None, ""):
        return ""
    try:
        when = dt.datetime.fromtimestamp(value, dt.UTC) if isinstance(value, (int, float)) else _parse_iso(str(value))
    except ValueError:
        return str(value)
    if when.tzinfo is None:  # written without an offset: the machine's local time
        when = when.astimezone()
    return when.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def _parse_iso(text: str) -> dt.datetime:
    # Python 3.11 reads "+0100" but not every variant; "Z" is UTC.
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def french_day(day: str) -> str:
    """``2026-05-12`` → ``12/05/2026``."""
    try:
        return dt.date.fromisoformat(day).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return str(day or "")


def decision(answer: Answer, titles: dict[str, str] | None = None) -> str:
    """The decision behind an answer in one sentence a non-engineer reads.

    Args:
        answer: the bot's answer, with its trace.
        titles: article titles by source, to name articles by title.
    """
    titles = titles or {}
    trace = answer.trace
    if answer.status == EMERGENCY:
        triage = trace.triage or {}
        matched = triage.get("matched_words") or []
        if matched:
            return "Urgence : " + " + ".join(f"« {w} »" for w in matched)
        what = CATEGORIES.get(answer.category or "", answer.category or "un danger")
        return (f"Urgence : le message ressemble aux messages d'urgence connus ({what}, "
                f"probabilité {number(triage.get('emergency_probability'))})")
    confidence, threshold = trace.answerable_probability, trace.threshold
    scores = f"(confiance {number(confidence)}, seuil {number(threshold)})"
    if answer.status == ANSWERED:
        source = answer.citations[0].source if answer.citations else ""
        others = len({c.source for c in answer.citations}) - 1
        more = f" (et {others} autre{'s' if others > 1 else ''})" if others > 0 else ""
        return f"Répondu : l'article « {titles.get(source) or source} »{more} couvre la question {scores}"
    reason = answer.reason
    if reason == "fact_not_in_articles":
        asked = ", ".join(FACTS.get(f, f) for f in trace.missing_facts or [])
        best = (trace.retrieved_articles or [None])[0]
        near = f"l'article « {titles.get(best) or best} » parle du sujet mais " if best else ""
        return f"Pas de réponse : {near}aucune de ses meilleures phrases ne donne {asked or 'la précision demandée'}"
    if reason == "not_in_articles":
        topics = trace.uncovered_topics or []
        if topics:
            listed = ", ".join(f"« {t} »" for t in topics)
            verb = "n'apparaît" if len(topics) == 1 else "n'apparaissent"
            return f"Pas de réponse : {listed} {verb} dans aucun article"
        if confidence is not None:
            best = (trace.retrieved_articles or [None])[0]
            near = f" ; l'article le plus proche est « {titles.get(best) or best} »" if best else ""
            if confidence < (threshold or 0):
                return f"Pas de réponse : aucun article ne couvre assez la question {scores}{near}"
            return f"Pas de réponse : aucune phrase des articles ne répond assez directement {scores}{near}"
        return "Pas de réponse : la question n'est pas couverte par les articles"
    return {
        "personal_medical_advice": "Pas de réponse : la question demande un avis médical personnel (réservé à une consultation)",
        "out_of_scope": "Pas de réponse : la demande sort du sujet des soins de la clinique",
        "off_topic": "Pas de réponse : le message parle d'autre chose que la clinique et ses soins",
        "small_talk": "Pas de réponse : simple politesse, l'assistant invite à poser une question",
        "invalid_input": "Pas de réponse : message vide, illisible ou trop long",
        "rate_limited": "Pas de réponse : trop de questions en une minute depuis ce poste",
    }.get(reason or "", f"Pas de réponse : {reason_label(reason)}")


def question_words(question: str) -> set[str]:
    """The question's meaningful words, folded: passages show them highlighted."""
    return {w for w in words(question) if len(w) > 2 and w not in FR_STOP and w not in ENGLISH_SMALL}


ENGLISH_SMALL = {"the", "and", "for", "you", "your", "are", "can", "how", "what", "does", "with", "after", "many"}


def same_word(a: str, b: str) -> bool:
    """Folded words that are the same or share a long beginning (``séance``/``séances``, ``injecter``/``injection``)."""
    if a == b:
        return True
    n = min(len(a), len(b))
    return n >= 5 and a[:5] == b[:5] and abs(len(a) - len(b)) <= 4


def highlight_spans(text: str, wanted: set[str]) -> list[tuple[str, bool]]:
    """``text`` cut into pieces, each marked True when it is a word of ``wanted`` (see :func:`same_word`)."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for match in re.finditer(r"\w+", text):
        folded = fold(match.group(0))
        if len(folded) > 2 and any(same_word(folded, w) for w in wanted):
            if match.start() > last:
                pieces.append((text[last:match.start()], False))
            pieces.append((match.group(0), True))
            last = match.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


# The index's messages (English, for operators) in French for staff; the file name is kept.
ERRORS = [
    (r"cannot resolve the file's path: (.*)", r"chemin du fichier illisible (\1)"),
    (r"links to a file outside the content folder; refused", "lien vers un fichier hors du dossier des articles : refusé"),
    (r"file too large \((.*) MB, limit (.*) MB\)", r"fichier trop gros (\1 Mo, limite \2 Mo)"),
    (r"file disappeared while being read", "le fichier a disparu pendant la lecture"),
    (r"cannot read file: (.*)", r"fichier illisible (\1)"),
    (r"binary file, not text", "ce n'est pas un fichier texte"),
    (r"not UTF-8 text \(bad byte at position (\d+)\)", r"encodage incorrect (enregistrez-le en UTF-8 ; caractère fautif à la position \1)"),
    (r"empty file", "fichier vide"),
    (r"invalid front matter: no closing '---' line", "en-tête incomplet : la ligne « --- » de fin manque"),
    (r"invalid front matter: expected 'key: value' lines", "en-tête incorrect : il faut des lignes « clé: valeur »"),
    (r"invalid front matter(.*?): (.*)", r"en-tête incorrect\1 : \2"),
    (r"no title \(.*\)", "pas de titre (ajoutez « title: » dans l'en-tête ou une ligne « # Titre »)"),
    (r"article has a title but no text", "l'article a un titre mais pas de texte"),
    (r"url must be an http:// or https:// address, not (.*)", r"l'adresse (url) doit commencer par http:// ou https:// (reçu \1)"),
    (r"no main text found in the HTML page", "aucun texte principal trouvé dans la page HTML"),
    (r"HTML page has no title", "la page HTML n'a pas de titre"),
    (r"no text after the title line", "pas de texte après la ligne de titre"),
    (r"another build or update is running.*", "une autre mise à jour est en cours ; réessayez dans un instant"),
    (r"(\d+) article\(s\) failed \((.*)\); the live index was kept",
     r"\1 article(s) en erreur (\2) ; la version en service est conservée"),
    (r"the new index would hold 0 articles instead of (\d+); the live index was kept\..*",
     r"la nouvelle version n'aurait aucun article au lieu de \1 ; la version en service est conservée. "
     "Vérifiez le dossier des articles"),
    (r"the new index would hold (\d+) articles instead of (\d+) \(more than half removed\); the live index was kept\..*",
     r"la nouvelle version n'aurait que \1 articles au lieu de \2 (plus de la moitié supprimés) ; la version en "
     "service est conservée. Vérifiez le dossier des articles"),
    (r"no earlier version to roll back to", "aucune version précédente à remettre en service"),
    (r"no earlier version loads", "aucune version précédente ne se charge"),
    (r"content folder not found: (.*)", r"dossier des articles introuvable : \1"),
]


def french_error(message: str) -> str:
    """An index message in French (unknown messages are kept as they are)."""
    message = (message or "").strip()
    for pattern, replacement in ERRORS:
        if re.fullmatch(pattern, message, flags=re.DOTALL):
            return re.sub(pattern, replacement, message, flags=re.DOTALL)
    return message


def article_error(source: str, message: str) -> str:
    """``« botox.md » : fichier vide``."""
    return f"« {source} » : {french_error(message)}"
