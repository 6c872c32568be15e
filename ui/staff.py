"""The staff view served at ``/staff``: what is behind each answer, evals, index, unanswered questions."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from core.settings import Settings
from service.clinic import ClinicService
from ui.render import answer_html

CANDIDATE_COLUMNS = ["rang", "article", "section", "fusion", "dense", "mots-clés", "n-grammes", "rangs", "cité", "extrait"]
EVAL_COLUMNS = ["ok", "id", "attendu", "obtenu", "raison", "sources citées", "sources attendues", "ms", "question"]


def _trace_tables(answer) -> tuple[dict, list[list]]:
    trace = answer.trace
    quoted = {q["source"] for q in trace.get("quoted", [])}
    rows = [
        [
            i + 1, c["source"], c["section"] or "", c["fused"], c["dense"], c["keyword"], c["ngram"],
            json.dumps(c["ranks"]), "oui" if c["source"] in quoted else "", c["text"][:160],
        ]
        for i, c in enumerate(trace.get("candidates", []))
    ]
    decision = {
        "status": answer.status,
        "reason": answer.reason,
        "language": answer.language,
        "emergency_rule": trace.get("emergency_rule"),
        "answerable_probability": trace.get("answerable_probability"),
        "threshold": trace.get("threshold"),
        "features": trace.get("features"),
        "query_terms": trace.get("query_terms"),
        "unknown_terms": trace.get("unknown_terms"),
        "top_by_retriever": trace.get("top_by_retriever"),
        "quoted_sentences": trace.get("quoted"),
        "timings_ms": trace.get("timings"),
        "index_version": trace.get("index_version"),
    }
    return decision, rows


def build_staff_ui(service: ClinicService | None, settings: Settings, disabled_reason: str = "") -> gr.Blocks:
    """The staff tabs, or a page explaining how to enable them (``service`` is None)."""
    # Uploaded eval files are deleted after an hour.
    with gr.Blocks(title="Vue équipe", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("## Vue équipe : tester et suivre l'assistant")
        if service is None:
            gr.Markdown(
                "La vue équipe est **désactivée** : définissez `FAQBOT_STAFF_USERS` (comptes nommés) ou "
                "`FAQBOT_STAFF_PASSWORD` (12 caractères au moins) puis redémarrez l'application."
                + (f"\n\nRaison : {disabled_reason}" if disabled_reason else "")
            )
            return demo
        with gr.Tab("Tester une question"):
            question = gr.Textbox(label="Question à tester", lines=2)
            ask = gr.Button("Voir la réponse et sa trace", variant="primary")
            shown = gr.HTML(label="Réponse telle que le patient la voit")
            decision = gr.JSON(label="Décision (pourquoi répondre ou s'abstenir, règle d'urgence)")
            candidates = gr.Dataframe(headers=CANDIDATE_COLUMNS, label="Passages candidats", wrap=True)

            def inspect(q: str):
                answer = service.staff_ask(q or "")
                info, rows = _trace_tables(answer)
                return answer_html(answer, settings), info, rows

            ask.click(inspect, [question], [shown, decision, candidates], api_name="staff_ask")
            question.submit(inspect, [question], [shown, decision, candidates], api_name=False)

        with gr.Tab("Évaluation"):
            gr.Markdown("Le jeu de questions de référence, ou un fichier JSONL au même format.")
            upload = gr.File(label="Autre fichier d'évaluation (.jsonl)", file_types=[".jsonl"], type="filepath")
            run = gr.Button("Lancer l'évaluation", variant="primary")
            metrics = gr.JSON(label="Mesures")
            table = gr.Dataframe(headers=EVAL_COLUMNS, label="Résultats (échecs en premier)", wrap=True)

            def evaluate(path: str | None):
                try:
                    report = service.run_eval(Path(path) if path else None)
                except ValueError as exc:
                    raise gr.Error(str(exc)) from None
                rows = [
                    ["oui" if r["ok"] else "NON", r["id"], r["expected_status"], r["status"], r["reason"] or "",
                     ", ".join(r["sources"]), ", ".join(r["expected_sources"]), r["latency_ms"], r["question"]]
                    for r in sorted(report["results"], key=lambda r: r["ok"])
                ]
                return report["metrics"], rows

            run.click(evaluate, [upload], [metrics, table], api_name="staff_eval")

        with gr.Tab("Index"):
            fallback_note = gr.Markdown(elem_id="staff-fallback")
            status = gr.JSON(label="État de l'index")
            with gr.Row():
                refresh = gr.Button("Actualiser")
                reindex = gr.Button("Réindexer maintenant", variant="primary")
            result = gr.JSON(label="Dernière mise à jour")
            history = gr.Dataframe(
                headers=["heure", "version", "écrit", "ajoutés", "modifiés", "supprimés", "erreurs", "secondes"],
                label="Historique des mises à jour",
                wrap=True,
            )

            def history_rows():
                return [
                    [h.get("time"), h.get("version"), h.get("written", True), ", ".join(h.get("added", [])),
                     ", ".join(h.get("changed", [])), ", ".join(h.get("removed", [])),
                     "; ".join([f"{f['source']}: {f['error']}" for f in h.get("failed", [])]
                               + ([h["error"]] if h.get("error") else [])), h.get("seconds")]
                    for h in service.history()
                ]

            def fallback_text(info: dict) -> str:
                if not info.get("fallback"):
                    return ""
                return (f"**Attention : la version {info['version']} est servie à la place de la version "
                        f"{info['live_version']}**, qui ne se charge pas : {info['fallback_reason']}")

            def show_status():
                info = service.index_status()
                return fallback_text(info), info, history_rows()

            def do_reindex():
                try:
                    report = service.reindex()
                except Exception as exc:  # shown to staff as a message, the chat keeps the old index
                    raise gr.Error(f"Mise à jour impossible : {exc}") from None
                info = service.index_status()
                return report.to_dict(), fallback_text(info), info, history_rows()

            refresh.click(show_status, None, [fallback_note, status, history], api_name="staff_index_status")
            reindex.click(do_reindex, None, [result, fallback_note, status, history], api_name="staff_reindex")
            demo.load(show_status, None, [fallback_note, status, history], api_name=False)

        with gr.Tab("Sans réponse et avis"):
            gr.Markdown(
                "Questions restées sans réponse (regroupées, les plus récentes d'abord) et avis des patients. "
                f"Textes nettoyés des coordonnées, conservés {settings.retention_days} jours."
            )
            reload_lists = gr.Button("Actualiser")
            unanswered = gr.Dataframe(headers=["question", "nombre", "dernier jour", "raison"], label="Sans réponse")
            feedback = gr.Dataframe(headers=["jour", "question", "statut", "sources", "avis"], label="Avis reçus")

            def lists():
                groups = [[g["question"], g["count"], g["last_day"], g["reasons"]] for g in service.store.unanswered_groups()]
                rated = [
                    [f["day"], f["question"], f["status"], f["sources"], "utile" if f["rating"] > 0 else "pas utile"]
                    for f in service.store.feedback_rows()
                ]
                return groups, rated

            reload_lists.click(lists, None, [unanswered, feedback], api_name="staff_lists")
            demo.load(lists, None, [unanswered, feedback], api_name=False)
    return demo
