"""The staff view served at ``/staff``: why each answer was given, the answers patients
received, staff's own tests, the questions the articles do not answer, and the index.

Written for the clinic's staff: French words, one sentence per decision, the
technical details behind a "Détails techniques" toggle.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from bot.answer import ANSWERED, NO_ANSWER
from core.settings import Settings
from service.clinic import ClinicService
from service.eval_files import EvalUploadError
from service.explain import REASONS, french_day, french_error, local_time, reason_label, status_label
from service.staff_store import LogFilter
from service.staff_tests import outcome
from ui.render import answer_html
from ui.staff_render import (
    GRADE,
    RATING,
    banner_html,
    decision_html,
    history_rows,
    log_rows,
    passages,
    passages_html,
    reply_html,
    short_id,
    status_rows,
)

CANDIDATE_COLUMNS = ["article", "section", "fusion", "dense", "mots-clés", "n-grammes", "cité", "extrait"]
LOG_COLUMNS = ["question", "résultat", "article", "confiance", "avis patient", "avis équipe", "jour", "n°"]
GRADES = {"Bon": "bon", "Acceptable": "acceptable", "Mauvais": "mauvais"}
STATUS_WORD = {ANSWERED: "répondu", NO_ANSWER: "pas de réponse", "emergency": "urgence"}
EXPECT_ANSWER, EXPECT_NONE = "Répondre avec cet article", "Ne pas répondre"


def _candidate_rows(trace: dict) -> list[list]:
    quoted = {q["source"] for q in trace.get("quoted", [])}
    return [
        [c["source"], c["section"] or "", c["fused"], c["dense"], c["keyword"], c["ngram"],
         "oui" if c["source"] in quoted else "non", c["text"][:160]]
        for c in trace.get("candidates", [])
    ]


def _technical(answer) -> dict:
    trace = answer.trace
    return {
        "status": answer.status, "reason": answer.reason, "language": answer.language,
        "emergency": trace.triage, "off_topic_probability": trace.off_topic_probability,
        "answerable_probability": trace.answerable_probability,
        "threshold": trace.threshold, "features": trace.features,
        "query_terms": trace.query_terms, "unknown_terms": trace.unknown_terms,
        "uncovered_topics": trace.uncovered_topics, "top_by_retriever": trace.top_by_retriever,
        "quoted_sentences": trace.quoted, "timings_ms": trace.timings,
        "index_version": trace.index_version,
    }


def build_staff_ui(service: ClinicService | None, settings: Settings, disabled_reason: str = "") -> gr.Blocks:
    """The staff tabs, or a page explaining how to enable them (``service`` is None)."""
    # Uploaded eval files are deleted after an hour.
    with gr.Blocks(title="Vue équipe", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown("## Vue équipe : vérifier et améliorer les réponses de l'assistant")
        if service is None:
            gr.Markdown(
                "La vue équipe est **désactivée** : définissez `FAQBOT_STAFF_USERS` (comptes nommés) ou "
                "`FAQBOT_STAFF_PASSWORD` (12 caractères au moins) puis redémarrez l'application."
                + (f"\n\nRaison : {disabled_reason}" if disabled_reason else "")
            )
            return demo
        zone = settings.zone
        banner = gr.HTML(elem_id="staff-banner")

        def titles() -> dict[str, str]:
            return service.titles()

        def article_choices(first: list[str]) -> list[tuple[str, str]]:
            names = titles()
            ordered = list(dict.fromkeys([*first, *sorted(names, key=lambda s: names[s].lower())]))
            return [(f"{names.get(s, s)} ({s})", s) for s in ordered if s in names]

        def quote_choices(found: list[dict], article: str | None) -> list[str]:
            return [p["text"] for p in found if p["source"] == article]

        def review_panel(current: gr.State):
            """Grade the answer in ``current`` and save it as a test; returns the components to reset."""
            with gr.Group():
                gr.Markdown("### Juger cette réponse")
                grade = gr.Radio(list(GRADES), label="Avis de l'équipe")
                note = gr.Textbox(label="Note (facultative)", lines=2, placeholder="Ce qui ne va pas, ce qu'il faudrait répondre…")
                save_grade = gr.Button("Enregistrer l'avis")
                gr.Markdown("### Enregistrer comme test")
                expected = gr.Radio([EXPECT_ANSWER, EXPECT_NONE], value=EXPECT_ANSWER, label="L'assistant doit")
                article = gr.Dropdown(label="Article attendu", choices=[], allow_custom_value=False)
                quote = gr.Dropdown(label="Extrait attendu (facultatif, choisi parmi les passages)", choices=[])
                save_test = gr.Button("Enregistrer dans Mes tests", variant="primary")
                message = gr.Markdown()

            def on_article(state: dict, chosen: str | None):
                return gr.update(choices=quote_choices(state.get("passages", []), chosen), value=None)

            def do_grade(state: dict, chosen: str | None, text: str):
                if not state.get("question"):
                    raise _error("Affichez d'abord une réponse.")
                if not chosen:
                    raise _error("Choisissez Bon, Acceptable ou Mauvais.")
                if state.get("answer_id"):
                    if not service.store.grade_answer(state["answer_id"], GRADES[chosen], text or ""):
                        raise _error("Cette réponse n'est plus dans le journal (délai de conservation dépassé).")
                else:
                    service.my_tests.record_review(state["question"], GRADES[chosen], text or "", state)
                return f"Avis « {chosen} » enregistré."

            def do_save(state: dict, chosen: str | None, text: str, expect: str, art: str | None, qt: str | None):
                if not state.get("question"):
                    raise _error("Affichez d'abord une réponse.")
                try:
                    case = service.my_tests.add(
                        state["question"], ANSWERED if expect == EXPECT_ANSWER else NO_ANSWER, art, qt,
                        GRADES.get(chosen or ""), text or "",
                    )
                except ValueError as exc:
                    raise _error(f"Test non enregistré : {exc}.") from None
                return (f"Test **{case['id']}** enregistré dans « Mes tests ». "
                        "Relancez-les dans l'onglet « Mes tests » pour voir le résultat.")

            article.change(on_article, [current, article], [quote], api_name=False)
            save_grade.click(do_grade, [current, grade, note], [message], api_name=False)
            save_test.click(do_save, [current, grade, note, expected, article, quote], [message], api_name=False)
            return grade, note, expected, article, quote, message

        def reset_review(state: dict):
            first = [p["source"] for p in state.get("passages", [])]
            default = state["sources"][0] if state.get("sources") else (first[0] if first else None)
            expect = EXPECT_ANSWER if state.get("status") == ANSWERED else EXPECT_NONE
            return (
                gr.update(value=None), gr.update(value=""), gr.update(value=expect),
                gr.update(choices=article_choices(first), value=default),
                gr.update(choices=quote_choices(state.get("passages", []), default), value=None), "",
            )

        with gr.Tabs() as tabs:
            # --- tester -----------------------------------------------------------------------
            with gr.Tab("Tester une question", id="tester", elem_id="staff-tab-tester"):
                question = gr.Textbox(label="Question à tester", lines=2)
                ask = gr.Button("Voir la réponse et sa trace", variant="primary")
                decision = gr.HTML(label="Décision")
                with gr.Row():
                    with gr.Column(scale=1):
                        gr.Markdown("**Réponse telle que le patient la voit**")
                        shown = gr.HTML()
                    with gr.Column(scale=1):
                        gr.Markdown("**Passages trouvés dans les articles**")
                        found_html = gr.HTML()
                with gr.Accordion("Détails techniques", open=False):
                    technical = gr.JSON(label="Décision détaillée")
                    candidates = gr.Dataframe(headers=CANDIDATE_COLUMNS, label="Passages candidats et leurs scores",
                                              wrap=True, column_widths=["14%", "14%", "8%", "8%", "8%", "8%", "6%", "34%"])
                tester_state = gr.State({})
                tester_review = review_panel(tester_state)

                def inspect(q: str):
                    answer = service.staff_ask(q or "")
                    trace = answer.trace.to_dict()
                    found = passages(answer.question, trace, titles())
                    state = {"question": q or "", "status": answer.status, "sources": [c.source for c in answer.citations],
                             "answer_id": None, "passages": found}
                    return (
                        decision_html(service.explain(answer), answer.status), answer_html(answer, settings),
                        passages_html(answer.question, found), _technical(answer), _candidate_rows(trace),
                        state, *reset_review(state),
                    )

                tester_outputs = [decision, shown, found_html, technical, candidates, tester_state, *tester_review]
                ask.click(inspect, [question], tester_outputs, api_name="staff_ask")
                question.submit(inspect, [question], tester_outputs, api_name=False)

            # --- answer log and review queue ----------------------------------------------------
            def answers_browser(queue: bool):
                if queue:
                    gr.Markdown(
                        "Réponses à relire en priorité : celles où l'assistant a hésité (confiance à moins de "
                        f"{settings.review_margin:.2f} du seuil)".replace(".", ",")
                        + " et celles que le patient a jugées « pas utile ». Les réponses sans avis de l'équipe "
                        "viennent en premier."
                    )
                    filters = []
                else:
                    gr.Markdown(
                        f"Les questions des patients et les réponses données, nettoyées des noms et coordonnées, "
                        f"conservées {settings.retention_days} jours. Cliquez sur une ligne pour voir la réponse exacte."
                    )
                    with gr.Row():
                        status = gr.Dropdown([("Tous", ""), ("Répondu", ANSWERED), ("Pas de réponse", NO_ANSWER)],
                                             value="", label="Résultat")
                        reason = gr.Dropdown([("Toutes", "")] + [(label, key) for key, label in REASONS.items()
                                                                 if key and key not in ("internal_error", "rate_limited")],
                                             value="", label="Raison")
                        article = gr.Dropdown([("Tous", "")], value="", label="Article")
                        day = gr.Dropdown([("Tous", "")], value="", label="Jour")
                    filters = [status, reason, article, day]
                show = gr.Button("Actualiser la liste")
                table = gr.Dataframe(headers=LOG_COLUMNS, label="À vérifier" if queue else "Réponses", wrap=True,
                                     interactive=False,
                                     column_widths=["34%", "11%", "15%", "11%", "9%", "8%", "8%", "4%"])
                detail_decision = gr.HTML()
                with gr.Row():
                    with gr.Column():
                        gr.Markdown("**Réponse exacte envoyée au patient**")
                        detail_reply = gr.HTML()
                        detail_feedback = gr.Markdown()
                    with gr.Column():
                        gr.Markdown("**Passages**")
                        detail_passages = gr.HTML()
                with gr.Accordion("Détails techniques", open=False):
                    detail_trace = gr.JSON(label="Trace enregistrée")
                state = gr.State({})
                review = review_panel(state)

                shown_ids = gr.State({})

                def rows(*values):
                    if queue:
                        entries = service.review_queue()
                    else:
                        s, r, a, d = values
                        entries = service.answer_log(LogFilter(status=s or None, reason=r or None, article=a or None,
                                                               day=d or None))
                    # The table shows short numbers; the full ids stay on the server.
                    return log_rows(entries, titles()), {short_id(e["answer_id"]): e["answer_id"] for e in entries}

                def refresh(*values):
                    table_rows, ids = rows(*values)
                    if queue:
                        return table_rows, ids
                    everything = service.answer_log(limit=5000)
                    days = sorted({e["day"] for e in everything}, reverse=True)
                    used = sorted({e["article"] for e in everything if e["article"]})
                    names = titles()
                    return (
                        table_rows, ids,
                        gr.update(choices=[("Tous", "")] + [(names.get(s, s), s) for s in used]),
                        gr.update(choices=[("Tous", "")] + [(french_day(d), d) for d in days]),
                    )

                def open_entry(ids: dict, evt: gr.SelectData):
                    row = evt.row_value or []
                    entry = service.store.answer_entry(ids.get(str(row[-1]), "")) if row else None
                    if entry is None:
                        raise _error("Cette réponse n'est plus dans le journal.")
                    trace = entry["trace"]
                    found = passages(entry["question"], trace, titles())
                    current = {"question": entry["question"], "status": entry["status"], "sources": entry["sources"],
                               "answer_id": entry["answer_id"], "passages": found}
                    said = []
                    if entry["rating"] is not None:
                        said.append(f"Avis du patient : {RATING[entry['rating']]}"
                                    + (f" — « {entry['comment']} »" if entry.get("comment") else ""))
                    if entry["grade"]:
                        said.append(f"Avis de l'équipe : {GRADE[entry['grade']]}"
                                    + (f" — {entry['note']}" if entry.get("note") else ""))
                    sentence = trace.get("decision") or (
                        f"{status_label(entry['status'])} ({reason_label(entry['reason'])})")
                    return (
                        decision_html(f"« {entry['question']} » — {sentence}", entry["status"]),
                        reply_html(entry["reply"] or ""), "\n\n".join(_md_escape(s) for s in said),
                        passages_html(entry["question"], found), trace, current, *reset_review(current),
                    )

                outputs = [table, shown_ids] if queue else [table, shown_ids, filters[2], filters[3]]
                show.click(refresh, filters, outputs, api_name="staff_review_queue" if queue else "staff_answer_log")
                for f in filters:
                    f.change(lambda *v: rows(*v), filters, [table, shown_ids], api_name=False)
                table.select(open_entry, [shown_ids],
                             [detail_decision, detail_reply, detail_feedback, detail_passages, detail_trace, state, *review],
                             api_name=False)
                return show, table, filters, outputs, refresh

            with gr.Tab("Réponses aux patients", id="log", elem_id="staff-tab-log"):
                log_show, _log_table, log_filters, log_outputs, log_refresh = answers_browser(queue=False)
            with gr.Tab("À vérifier", id="queue", elem_id="staff-tab-queue"):
                queue_show, _queue_table, _none, queue_outputs, queue_refresh = answers_browser(queue=True)

            # --- my tests -------------------------------------------------------------------------
            with gr.Tab("Mes tests", id="mytests", elem_id="staff-tab-mytests"):
                gr.Markdown(
                    "Les réponses que vous avez enregistrées comme tests. « Relancer mes tests » pose à nouveau "
                    "chaque question et compare avec le passage précédent : ce qui s'est amélioré, ce qui s'est dégradé."
                )
                cases_table = gr.Dataframe(
                    headers=["question", "attendu", "article attendu", "extrait attendu", "avis", "note", "n°"],
                    label="Mes tests", wrap=True, interactive=False,
                    column_widths=["26%", "9%", "15%", "23%", "11%", "10%", "6%"],
                )
                with gr.Row():
                    rerun = gr.Button("Relancer mes tests", variant="primary")
                    delete = gr.Button("Supprimer le test sélectionné")
                selected_case = gr.State("")
                summary = gr.Markdown()
                changes = gr.Dataframe(headers=["question", "changement", "avant", "maintenant"],
                                       label="Changements depuis le passage précédent", wrap=True, interactive=False)
                results = gr.Dataframe(headers=["question", "résultat", "article cité", "n°"], label="Résultats",
                                       wrap=True, interactive=False)
                mine_metrics = gr.Dataframe(headers=["mesure", "valeur", "objectif", "atteint", "précédent"],
                                            label="Mesures", interactive=False)
                with gr.Accordion("Avis de l'équipe donnés dans l'onglet de test", open=False):
                    show_reviews = gr.Button("Afficher les avis")
                    reviews_table = gr.Dataframe(headers=["question", "avis", "note", "réponse", "quand"],
                                                 label="Avis de l'équipe (les plus récents d'abord)", wrap=True,
                                                 interactive=False, column_widths=["36%", "10%", "26%", "12%", "16%"])

                def review_rows():
                    return [
                        [r["question"], GRADE.get(r["grade"], ""), r.get("note", ""), STATUS_WORD.get(r.get("status"), ""),
                         local_time(r["time"], zone)]
                        for r in reversed(service.my_tests.reviews())
                    ]

                def case_rows():
                    names = titles()
                    return [
                        [c["question"], "répondre" if c["expected_status"] == ANSWERED else "ne pas répondre",
                         ", ".join(names.get(s, s) for s in c.get("expected_sources", [])),
                         " / ".join(c.get("expected_quotes", [])), GRADE.get(c.get("grade"), ""), c.get("note", ""), c["id"]]
                        for c in service.my_tests.cases()
                    ]

                def run_mine():
                    if not service.my_tests.cases():
                        raise _error("Aucun test enregistré : jugez une réponse puis « Enregistrer dans Mes tests ».")
                    run = service.run_my_tests()
                    results_rows = [[r["question"], outcome(r), ", ".join(r["sources"][:1]) or "aucun", r["id"]]
                                    for r in run["results"]]
                    passed = sum(1 for r in results_rows if r[1] == "réussi")
                    kinds = [c.kind for c in run["changes"]]
                    text = f"**{passed} test(s) réussi(s) sur {len(results_rows)}.**"
                    if run["previous"] is None:
                        text += " Premier passage : rien à comparer."
                    else:
                        text += (f" Depuis le passage précédent ({local_time(run['previous']['time'], zone)}) : "
                                 f"{kinds.count('better')} amélioré(s), "
                                 f"{kinds.count('worse')} dégradé(s), {kinds.count('new')} nouveau(x).")
                    label = {"better": "amélioré", "worse": "dégradé", "new": "nouveau"}
                    change_rows = [[c.question, label[c.kind], c.before, c.after] for c in run["changes"]]
                    return text, change_rows, results_rows, run["table"]

                def pick_case(evt: gr.SelectData):
                    return str((evt.row_value or [""])[-1])

                def delete_case(case_id: str):
                    if not case_id or not service.my_tests.remove(case_id):
                        raise _error("Cliquez d'abord sur un test du tableau.")
                    return case_rows(), ""

                rerun.click(run_mine, None, [summary, changes, results, mine_metrics], api_name="staff_run_my_tests")
                cases_table.select(pick_case, None, [selected_case], api_name=False)
                delete.click(delete_case, [selected_case], [cases_table, selected_case], api_name=False)
                show_reviews.click(review_rows, None, [reviews_table], api_name=False)

            # --- content gaps -----------------------------------------------------------------------
            with gr.Tab("Questions sans réponse", id="gaps", elem_id="staff-tab-gaps"):
                gr.Markdown(
                    "Les questions auxquelles les articles ne répondent pas, **regroupées par sens** et classées par "
                    "nombre de patients. Cliquez sur un groupe, puis « Tester cette question » pour la poser dans "
                    "l'onglet de test, ou « Marquer comme traité » une fois l'article écrit."
                )
                group_button = gr.Button("Regrouper les questions", variant="primary")
                apart = gr.Markdown()
                gaps_table = gr.Dataframe(
                    headers=["question type", "nombre", "autres formulations", "article le plus proche", "état",
                             "dernier jour"],
                    label="Groupes de questions sans réponse", wrap=True, interactive=False,
                    column_widths=["26%", "8%", "30%", "18%", "8%", "10%"],
                )
                gap_state = gr.State({})
                with gr.Row():
                    try_gap = gr.Button("Tester cette question")
                    mark_done = gr.Button("Marquer comme traité")
                    mark_open = gr.Button("Remettre à traiter")
                gap_message = gr.Markdown()
                with gr.Accordion("Questions identiques regroupées (texte exact)", open=False):
                    unanswered = gr.Dataframe(headers=["question", "nombre", "dernier jour", "raison"],
                                              label="Sans réponse", interactive=False)

                def group_gaps():
                    gaps, apart_counts = service.content_gaps()
                    rows_ = [
                        [g.examples[0], g.count, " · ".join(g.examples[1:]),
                         f"{g.nearest_title} ({g.nearest_article})" if g.nearest_article else "",
                         "traité" if g.done else "à traiter", french_day(g.last_day)]
                        for g in gaps
                    ]
                    by_question = {g.examples[0]: {"keys": g.keys, "question": g.examples[0]} for g in gaps}
                    text = ("Mis à part (pas un manque d'article) : "
                            + ", ".join(f"{label} : {n}" for label, n in sorted(apart_counts.items()))
                            if apart_counts else "")
                    if not gaps:
                        text = "Aucune question sans réponse pour le moment. " + text
                    return text, rows_, {"groups": by_question}

                def pick_gap(groups: dict, evt: gr.SelectData):
                    question_ = str((evt.row_value or [""])[0])
                    chosen = (groups.get("groups") or {}).get(question_)
                    return {**groups, "chosen": chosen}, (f"Groupe choisi : « {question_} »" if chosen else "")

                def set_gap(groups: dict, done: bool):
                    chosen = groups.get("chosen")
                    if not chosen:
                        raise _error("Cliquez d'abord sur un groupe du tableau.")
                    service.mark_gap(chosen["keys"], done)
                    text, rows_, fresh = group_gaps()
                    return text, rows_, {**fresh, "chosen": chosen}, ("Groupe marqué comme traité." if done
                                                                      else "Groupe remis à traiter.")

                def load_in_tester(groups: dict):
                    chosen = groups.get("chosen")
                    if not chosen:
                        raise _error("Cliquez d'abord sur un groupe du tableau.")
                    return chosen["question"], gr.Tabs(selected="tester")

                group_button.click(group_gaps, None, [apart, gaps_table, gap_state], api_name="staff_gaps")
                gaps_table.select(pick_gap, [gap_state], [gap_state, gap_message], api_name=False)
                mark_done.click(lambda g: set_gap(g, True), [gap_state], [apart, gaps_table, gap_state, gap_message],
                                api_name=False)
                mark_open.click(lambda g: set_gap(g, False), [gap_state], [apart, gaps_table, gap_state, gap_message],
                                api_name=False)
                try_gap.click(load_in_tester, [gap_state], [question, tabs], api_name=False).then(
                    inspect, [question], tester_outputs, api_name=False)

            # --- patient ratings ---------------------------------------------------------------------
            with gr.Tab("Avis des patients", id="ratings", elem_id="staff-tab-ratings"):
                gr.Markdown(f"Les avis « utile » / « pas utile » laissés par les patients, avec leur commentaire, conservés "
                            f"{settings.retention_days} jours.")
                reload_lists = gr.Button("Actualiser les avis")
                feedback = gr.Dataframe(headers=["question", "avis", "commentaire", "résultat", "articles", "jour"],
                                        label="Avis reçus", wrap=True, interactive=False,
                                        column_widths=["34%", "10%", "26%", "10%", "12%", "8%"])

                def lists():
                    groups = [[g["question"], g["count"], french_day(g["last_day"]),
                               ", ".join(reason_label(r) for r in g["reasons"].split(",") if r)]
                              for g in service.store.unanswered_groups()]
                    rated = [
                        [f["question"], RATING.get(f["rating"], ""), f["comment"] or "",
                         status_label(f["status"]), f["sources"], french_day(f["day"])]
                        for f in service.store.feedback_rows()
                    ]
                    return groups, rated

                reload_lists.click(lists, None, [unanswered, feedback], api_name="staff_lists")

            # --- eval upload ---------------------------------------------------------------------------
            with gr.Tab("Évaluation", id="eval", elem_id="staff-tab-eval"):
                gr.Markdown(
                    "Vérifiez l'assistant sur une liste de questions préparée dans un tableur : enregistrez-la en "
                    "**CSV** avec trois colonnes `question;article attendu;extrait attendu` (laissez l'article vide "
                    "quand l'assistant ne doit pas répondre), ou en JSONL. Les noms d'articles sont vérifiés."
                )
                upload = gr.File(label="Fichier de questions (.csv ou .jsonl)", file_types=[".csv", ".jsonl"],
                                 type="filepath")
                run = gr.Button("Lancer l'évaluation", variant="primary")
                eval_metrics = gr.Dataframe(headers=["mesure", "valeur", "objectif", "atteint", "précédent"],
                                            label="Mesures (précédent : le dernier passage du même fichier)",
                                            interactive=False)
                eval_table = gr.Dataframe(
                    headers=["question", "résultat", "article attendu", "article cité", "ms"],
                    label="Résultats (échecs en premier)", wrap=True, interactive=False,
                    column_widths=["44%", "22%", "14%", "14%", "6%"],
                )
                eval_chosen = gr.State("")
                with gr.Row():
                    judge_eval = gr.Button("Juger cette question dans l'onglet de test")
                eval_message = gr.Markdown()
                with gr.Accordion("Détails techniques", open=False):
                    eval_json = gr.JSON(label="Mesures détaillées")

                def pick_eval(evt: gr.SelectData):
                    chosen_ = str((evt.row_value or [""])[0])
                    return chosen_, (f"Question choisie : « {chosen_} »" if chosen_ else "")

                def eval_in_tester(chosen_: str):
                    # An eval failure is judged like any answer: the tester shows it with its grading form.
                    if not chosen_:
                        raise _error("Cliquez d'abord sur une question du tableau.")
                    return chosen_, gr.Tabs(selected="tester")

                def evaluate(path: str | None):
                    if not path:
                        raise _error("Choisissez d'abord un fichier de questions (.csv ou .jsonl).")
                    try:
                        report = service.run_eval(Path(path))
                    except EvalUploadError as exc:
                        raise _error(str(exc)) from None
                    rows_ = [
                        [r["question"], outcome(r), ", ".join(r["expected_sources"]) or "aucun (ne pas répondre)",
                         ", ".join(r["sources"][:1]) or "aucun", round(r["latency_ms"])]
                        for r in sorted(report["results"], key=lambda r: outcome(r) == "réussi")
                    ]
                    return report["table"], rows_, report["metrics"]

                run.click(evaluate, [upload], [eval_metrics, eval_table, eval_json], api_name="staff_eval")
                eval_table.select(pick_eval, None, [eval_chosen, eval_message], api_name=False)
                judge_eval.click(eval_in_tester, [eval_chosen], [question, tabs], api_name=False).then(
                    inspect, [question], tester_outputs, api_name=False)

            # --- index -----------------------------------------------------------------------------------
            with gr.Tab("Index", id="index", elem_id="staff-tab-index"):
                gr.Markdown(
                    "L'index est la copie des articles que l'assistant consulte. Il se met à jour tout seul ; "
                    "« Réindexer maintenant » le fait tout de suite après une modification d'article. "
                    "« Revenir à la version précédente » remet en service l'état d'avant la dernière mise à jour."
                )
                fallback_note = gr.Markdown(elem_id="staff-fallback")
                status_table = gr.Dataframe(headers=["information", "valeur"], label="État de l'index",
                                            interactive=False)
                with gr.Row():
                    refresh = gr.Button("Actualiser")
                    reindex = gr.Button("Réindexer maintenant", variant="primary")
                    ask_rollback = gr.Button("Revenir à la version précédente", variant="stop")
                with gr.Group(visible=False) as confirm_box:
                    gr.Markdown("**Confirmer ?** Les patients recevront les réponses de la version précédente "
                                "de l'index jusqu'à la prochaine mise à jour.")
                    with gr.Row():
                        confirm = gr.Button("Oui, revenir à la version précédente", variant="stop")
                        cancel = gr.Button("Annuler")
                index_message = gr.Markdown()
                history = gr.Dataframe(
                    headers=["heure", "résultat", "ajoutés", "modifiés", "supprimés", "erreurs", "version", "secondes"],
                    label="Historique des mises à jour", wrap=True, interactive=False,
                    column_widths=["12%", "12%", "12%", "12%", "10%", "28%", "7%", "7%"],
                )
                with gr.Accordion("Détails techniques", open=False):
                    status = gr.JSON(label="État de l'index")

                def fallback_text(info: dict) -> str:
                    if not info.get("fallback"):
                        return ""
                    return (f"**Attention : la version {info['version']} est servie à la place de la version "
                            f"{info['live_version']}**, qui ne se charge pas : {french_error(info['fallback_reason'])}")

                def current_banner(info: dict) -> str:
                    last = next(iter(service.history(1)), None)
                    return banner_html(info, last, zone)

                def show_status():
                    info = service.index_status()
                    return (fallback_text(info), info, history_rows(service.history(), zone),
                            status_rows(info, zone), current_banner(info))

                def do_reindex():
                    try:
                        report = service.reindex()
                        text = ("Index mis à jour : " + (f"nouvelle version {report.version}." if report.written
                                                         else "aucun article n'avait changé."))
                        if report.failed:
                            text += " Articles ignorés : " + " ; ".join(
                                f"« {f['source']} » : {french_error(f['error'])}" for f in report.failed)
                    except Exception as exc:  # shown to staff, the chat keeps the old index
                        text = f"**Mise à jour impossible** : {french_error(str(exc))}"
                    return (text, *show_status())

                def do_rollback():
                    try:
                        name = service.rollback()
                        text = f"La version précédente ({name}) est de nouveau en service."
                    except Exception as exc:
                        text = f"**Retour impossible** : {french_error(str(exc))}"
                    return (gr.Group(visible=False), text, *show_status())

                status_outputs = [fallback_note, status, history, status_table, banner]
                refresh.click(show_status, None, status_outputs, api_name="staff_index_status")
                reindex.click(do_reindex, None, [index_message, *status_outputs], api_name="staff_reindex")
                ask_rollback.click(lambda: gr.Group(visible=True), None, [confirm_box], api_name=False)
                cancel.click(lambda: gr.Group(visible=False), None, [confirm_box], api_name=False)
                confirm.click(do_rollback, None, [confirm_box, index_message, *status_outputs],
                              api_name="staff_rollback")

        demo.load(show_status, None, status_outputs, api_name=False)
        demo.load(lists, None, [unanswered, feedback], api_name=False)
        demo.load(log_refresh, log_filters, log_outputs, api_name=False)
        demo.load(queue_refresh, None, queue_outputs, api_name=False)
        demo.load(case_rows, None, [cases_table], api_name=False)
        for button in (log_show, queue_show):
            button.click(case_rows, None, [cases_table], api_name=False)
        tabs.select(case_rows, None, [cases_table], api_name=False)
    return demo


def _error(message: str) -> gr.Error:
    """A message to staff in a French pop-up (Gradio titles it "Error" otherwise)."""
    return gr.Error(message, title="Erreur", print_exception=False)


def _md_escape(text: str) -> str:
    """Patient text shown in Markdown: no markup, no links, no HTML."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|~" else ch for ch in text)
