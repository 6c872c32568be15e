"""HTML of the staff view: the decision, the passages with the question's words
highlighted, banners, and the tables' French rows. Plain string building, no
Gradio import; every piece of patient or article text is escaped here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from service.explain import (
    article_error,
    french_day,
    french_error,
    highlight_spans,
    local_time,
    number,
    question_words,
    reason_label,
    status_label,
    yes_no,
)
from ui.render import esc

STAFF_CSS = """
.staff-decision{font-size:1.1rem;padding:.6rem .8rem;border-radius:.4rem;border-left:5px solid #0b5cad;background:#f0f6ff}
.staff-decision.emergency{border-left-color:#b00020;background:#fff0f0}
.staff-decision.no_answer{border-left-color:#7a4d00;background:#fff8e6}
.staff-passages{margin:.3rem 0;padding-left:1.2rem}.staff-passages li{margin:.45rem 0}
.staff-passages mark{background:#ffe58a;color:inherit;padding:0 .1em;border-radius:.15em}
.staff-passages .meta{font-size:.9rem}
#staff-banner .staff-alert{border:2px solid #b00020;background:#fff0f0;color:#5c0011;padding:.5rem .8rem;border-radius:.4rem}
.staff-reply{white-space:pre-wrap;border:1px solid #d0d7de;border-radius:.4rem;padding:.5rem .7rem}
"""


def decision_html(sentence: str, status: str) -> str:
    """The decision sentence, announced politely to screen readers when it changes."""
    if not sentence:
        return ""
    return f'<p class="staff-decision {esc(status)}" role="status">{esc(sentence)}</p>'


def highlighted(text: str, wanted: set[str]) -> str:
    """``text`` escaped, with the words of ``wanted`` in ``<mark>``."""
    return "".join(f"<mark>{esc(piece)}</mark>" if hit else esc(piece) for piece, hit in highlight_spans(text, wanted))


def passages(question: str, trace: dict, titles: dict[str, str], limit: int = 3) -> list[dict]:
    """The passages behind an answer: quoted sentences first, then the best candidate passages.

    Returns:
        ``{"source", "title", "section", "text", "quoted"}`` dicts, without duplicates.
    """
    found: list[dict] = []
    seen: set[str] = set()
    for q in trace.get("quoted") or []:
        if q.get("context") or q["sentence"] in seen:
            continue
        seen.add(q["sentence"])
        found.append({"source": q["source"], "title": titles.get(q["source"], q["source"]), "section": None,
                      "text": q["sentence"], "quoted": True})
    quoted = len(found)
    for c in trace.get("quote_candidates") or []:
        if len(found) >= quoted + limit:
            break
        if c["text"] in seen:
            continue
        seen.add(c["text"])
        found.append({"source": c["source"], "title": titles.get(c["source"], c["source"]), "section": None,
                      "text": c["text"], "quoted": False})
    for c in trace.get("candidates") or []:
        if len(found) >= quoted + limit:
            break
        if c["text"] in seen or any(c["text"] in p["text"] or p["text"] in c["text"] for p in found):
            continue
        seen.add(c["text"])
        found.append({"source": c["source"], "title": titles.get(c["source"], c["source"]),
                      "section": c.get("section"), "text": c["text"], "quoted": False})
    return found


def passages_html(question: str, found: list[dict]) -> str:
    """The passages as a list, the question's words highlighted (none for a logged answer's scrubbed words)."""
    if not found:
        return "<p>Aucun passage : la question n'a pas été cherchée dans les articles.</p>"
    wanted = question_words(question)
    items = []
    for p in found:
        where = esc(p["title"]) + (f" — {esc(p['section'])}" if p.get("section") else "")
        label = "cité dans la réponse" if p["quoted"] else "non cité"
        items.append(
            f'<li><span class="meta"><strong>{where}</strong> ({esc(p["source"])}) · {label}</span><br>'
            f"{highlighted(p['text'], wanted)}</li>"
        )
    return (
        '<p>Les mots de la question sont <mark>surlignés</mark>.</p>'
        f'<ol class="staff-passages">{"".join(items)}</ol>'
    )


def reply_html(reply: str) -> str:
    return f'<div class="staff-reply">{esc(reply)}</div>'


def banner_html(status: dict, last: dict | None, zone: ZoneInfo) -> str:
    """A visible warning when an older version is served or the last update failed; empty otherwise."""
    parts = []
    if status.get("fallback"):
        parts.append(
            f"<strong>Attention : une version de secours est en service</strong> (version {status.get('version')} "
            f"au lieu de la {status.get('live_version')}, qui ne se charge pas). "
            f"{esc(french_error(status.get('fallback_reason') or ''))}"
        )
    if last and last.get("written") is False and last.get("error"):
        why = [article_error(f["source"], f["error"]) for f in last.get("failed", [])]
        if last.get("error"):
            why.insert(0, french_error(last["error"]))
        parts.append(
            f"<strong>La dernière mise à jour de l'index a échoué</strong> ({esc(local_time(last.get('time'), zone))}) : "
            + esc(" ; ".join(why) or "raison inconnue") + ". Les patients reçoivent toujours les réponses de la version en service."
        )
    elif last and last.get("failed"):
        names = " ; ".join(article_error(f["source"], f["error"]) for f in last["failed"])
        parts.append(f"<strong>Articles ignorés à la dernière mise à jour</strong> : {esc(names)}")
    if not parts:
        return ""
    return '<div class="staff-alert" role="alert">' + "<br>".join(parts) + "</div>"


def status_rows(status: dict, zone: ZoneInfo) -> list[list[str]]:
    """The index status as ``[information, valeur]`` rows."""
    return [
        ["Version servie aux patients", str(status.get("version") or "–")],
        ["Dernière version construite", str(status.get("live_version") or "–")],
        ["Version de secours en service", yes_no(status.get("fallback"))],
        ["Construite le", local_time(status.get("built_at"), zone)],
        ["Articles", str(status.get("articles") or 0)],
        ["Passages", str(status.get("chunks") or 0)],
        ["Mise à jour automatique", f"toutes les {status['reindex_every_minutes']} minutes"
         if status.get("reindex_every_minutes") else "non"],
        ["Dernière erreur", french_error(status.get("last_error") or "") or "aucune"],
    ]


def history_rows(history: list[dict], zone: ZoneInfo) -> list[list[str]]:
    """Update history rows: ``[heure, résultat, ajoutés, modifiés, supprimés, erreurs, version, secondes]``."""
    rows = []
    for h in history:
        if h.get("rollback"):
            result = f"retour à la version {h['rollback']}"
        elif h.get("written") is False:
            result = "échec" if h.get("error") else "rien à changer"
        else:
            result = "nouvelle version"
        errors = [article_error(f["source"], f["error"]) for f in h.get("failed", [])]
        if h.get("error"):
            errors.insert(0, french_error(h["error"]))
        rows.append([
            local_time(h.get("time"), zone), result, ", ".join(h.get("added", [])), ", ".join(h.get("changed", [])),
            ", ".join(h.get("removed", [])), " ; ".join(errors), str(h.get("version") or ""),
            number(h.get("seconds"), 1) if h.get("seconds") is not None else "",
        ])
    return rows


RATING = {1: "utile", -1: "pas utile", None: ""}
GRADE = {"bon": "Bon", "acceptable": "Acceptable", "mauvais": "Mauvais", None: ""}


def short_id(answer_id: str) -> str:
    """The first characters of an answer's id: enough to tell rows apart on screen."""
    return answer_id[:6]


def log_rows(rows: list[dict], titles: dict[str, str]) -> list[list[str]]:
    """Answer log rows: ``[question, résultat, article, confiance, avis patient, avis équipe, jour, n°]``."""
    out = []
    for r in rows:
        result = status_label(r["status"]) if r["status"] == "answered" else reason_label(r["reason"]).capitalize()
        confidence = f"{number(r['confidence'])} (seuil {number(r['threshold'])})" if r["confidence"] is not None else ""
        article = titles.get(r["article"], r["article"]) if r["article"] else ""
        out.append([r["question"], result, article or "", confidence, RATING.get(r["rating"], ""),
                    GRADE.get(r["grade"], ""), french_day(r["day"]), short_id(r["answer_id"])])
    return out
