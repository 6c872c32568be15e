"""The two command lines, run in process (``main(argv)``, hashing embedder), and once as subprocesses.

Each command runs once per module and each test checks one of the results. A
few smoke tests at the end (marked slow) start the real ``python -m`` commands.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONTENT, ROOT, SAMPLE_MD, Run, cli_env, make_settings, run_cli

import bot.__main__ as bot_cli
from index.__main__ import main as index_main

ASK_KEYS = {
    "question", "status", "reason", "language", "answer", "citations", "latency_ms", "caution", "caution_text", "category",
}
CITATION_KEYS = {"n", "source", "title", "url", "section", "quote", "score", "link"}
UPDATE_KEYS = {"added", "changed", "removed", "failed", "chunks_embedded", "seconds", "version"}
RESULT_KEYS = {"id", "question", "status", "reason", "sources", "expected_status", "expected_sources", "ok", "latency_ms"}
QUESTION = "Combien de séances de microneedling faut-il ?"

EVAL_CASES = [
    {"id": "seances", "question": QUESTION, "expected_status": "answered", "expected_sources": ["microneedling-medical.md"]},
    {"id": "urgence", "question": "Je n'arrive plus à respirer depuis l'injection", "expected_status": "emergency"},
    {"id": "vide", "question": "", "expected_status": "no_answer"},
]


def _run_all(commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, Run]:
    """The commands as subprocesses, in parallel (about two seconds each to start Python and import)."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        for name, args in commands.items()
    }
    runs = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        runs[name] = Run(commands[name], proc.returncode, out, err)
    return runs


def _small_articles(folder: Path) -> Path:
    """Three short articles: a build counts them quickly."""
    folder.mkdir()
    (folder / "peeling.md").write_text(SAMPLE_MD, encoding="utf-8")
    shutil.copy(CONTENT / "exosomes.md", folder / "exosomes.md")
    (folder / "laser.md").write_text(
        "---\ntitle: Le laser vasculaire\nurl: https://clinique.example/articles/laser\n---\n"
        "## À quoi sert-il ?\n\nLe laser vasculaire atténue les rougeurs et la couperose du visage.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def cli(tmp_path_factory, hashing_index):
    tmp = tmp_path_factory.mktemp("cli")
    content = _small_articles(tmp / "content")
    index = tmp / "index"

    broken = tmp / "broken"
    shutil.copytree(content, broken)
    (broken / "casse.md").write_text("---\ntitle: [pas fermé\n---\nTexte.\n", encoding="utf-8")

    good_eval = tmp / "eval.jsonl"
    good_eval.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in EVAL_CASES) + "\n", encoding="utf-8")
    bad_eval = tmp / "bad.jsonl"
    bad_eval.write_text(json.dumps(EVAL_CASES[0]) + "\n{not json\n" + json.dumps(EVAL_CASES[1]) + "\n", encoding="utf-8")

    # The bot commands read a copy of the real articles' index; the bot it holds is
    # loaded by the first command and reused by the others (loading it is not under test twice).
    ask_index = tmp / "ask-index"
    shutil.copytree(hashing_index, ask_index)
    bots: dict = {}
    real_load = bot_cli._load_bot

    def load_once(settings):
        key = str(settings.index_dir)
        if key not in bots:
            bots[key] = real_load(settings)
        return bots[key]

    bot_cli._load_bot = load_once
    env = {"FAQBOT_DATA_DIR": str(tmp / "data")}
    try:
        runs = {"build": run_cli(index_main, ["build", "--content", str(content), "--index-dir", str(index)], env)}
        # The articles just indexed, then one of them edited: `index update` must see it.
        upd_content = tmp / "upd-content"
        shutil.copytree(content, upd_content)
        upd = make_settings(tmp / "upd", upd_content)
        shutil.copytree(index, upd.index_dir)
        edited = upd_content / "exosomes.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase ajoutée pour le test.\n", encoding="utf-8")
        runs |= {
            "broken": run_cli(index_main, ["build", "--content", str(broken), "--index-dir", str(tmp / "broken-index")], env),
            "update": run_cli(index_main, ["update", "--json", "--content", str(upd_content), "--index-dir", str(upd.index_dir)], env),
            "stats": run_cli(index_main, ["stats", "--json", "--index-dir", str(ask_index)], env),
            "ask": run_cli(bot_cli.main, ["ask", QUESTION, "--json", "--index-dir", str(ask_index)], env),
            "eval": run_cli(bot_cli.main, ["eval", str(good_eval), "--json", "--index-dir", str(ask_index)], env),
            "bad_eval": run_cli(bot_cli.main, ["eval", str(bad_eval), "--json", "--index-dir", str(ask_index)], env),
            "ask_missing": run_cli(bot_cli.main, ["ask", QUESTION, "--json", "--index-dir", str(tmp / "no-index")], env),
        }
    finally:
        bot_cli._load_bot = real_load
    return {"runs": runs, "content": content, "index": index, "upd": upd}


def _one_json(run: Run) -> dict:
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line on stdout, got: {run.stdout!r}"
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    return data


# --- index ----------------------------------------------------------------------------------


def test_build_exit_zero_and_summary(cli):
    run = cli["runs"]["build"]
    assert run.returncode == 0, run.stderr
    n_articles = len(list(cli["content"].glob("*.md")))
    match = re.search(r"(\d+) articles \((\d+) chunks\)", run.stdout)
    assert match, run.stdout
    assert int(match.group(1)) == n_articles
    from index.store import load_current

    assert int(match.group(2)) == len(load_current(cli["index"]).chunks) > n_articles


def test_build_with_broken_article_is_partial(cli):
    run = cli["runs"]["broken"]
    assert run.returncode == 1, run.stderr
    assert "casse.md" in run.stderr
    match = re.search(r"(\d+) articles", run.stdout)
    assert match and int(match.group(1)) == len(list(cli["content"].glob("*.md")))
    from index.store import load_current

    loaded = load_current(Path(run.args[-1]))
    assert "casse.md" not in loaded.manifest["articles"]
    assert "exosomes.md" in loaded.manifest["articles"]


def test_stats_json(cli):
    run = cli["runs"]["stats"]
    assert run.returncode == 0, run.stderr
    stats = _one_json(run)
    assert stats["version"] == 1
    assert stats["model"] == "hashing-64"
    assert stats["dimension"] == 64
    assert stats["articles"] == len(list(CONTENT.glob("*.md")))
    assert stats["chunks"] > stats["articles"]
    assert "exosomes.md" in stats["sources"]
    assert stats["warnings"] == []


def test_update_json_keys_and_values(cli):
    run = cli["runs"]["update"]
    assert run.returncode == 0, run.stderr
    report = _one_json(run)
    assert set(report) >= UPDATE_KEYS
    assert report["changed"] == ["exosomes.md"]
    assert report["added"] == [] and report["removed"] == [] and report["failed"] == []
    assert report["version"] == 2
    from index.store import load_current

    loaded = load_current(cli["upd"].index_dir)
    assert report["chunks_embedded"] == sum(c.source == "exosomes.md" for c in loaded.chunks)
    assert isinstance(report["seconds"], (int, float))


# --- bot ask --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def asked(cli):
    run = cli["runs"]["ask"]
    assert run.returncode == 0, run.stderr
    return _one_json(run)


def test_ask_json_has_exactly_the_public_keys(asked):
    assert set(asked) == ASK_KEYS
    assert asked["question"] == QUESTION
    assert asked["status"] in ("answered", "no_answer", "emergency")
    assert asked["language"] == "fr"
    assert isinstance(asked["latency_ms"], (int, float))


def test_ask_answers_with_citations(asked):
    assert asked["status"] == "answered"
    assert asked["reason"] is None
    assert asked["citations"]
    for citation in asked["citations"]:
        assert set(citation) == CITATION_KEYS
    assert [c["n"] for c in asked["citations"]] == list(range(1, len(asked["citations"]) + 1))
    assert asked["citations"][0]["source"].startswith("microneedling")


def test_ask_every_marker_matches_a_citation(asked):
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", asked["answer"])}
    assert markers == {c["n"] for c in asked["citations"]}


def test_ask_quotes_are_verbatim_from_the_articles(asked):
    for citation in asked["citations"]:
        text = (CONTENT / citation["source"]).read_text(encoding="utf-8")
        for sentence in citation["quote"].split(" … "):
            assert sentence.strip() and sentence in text, sentence
            assert sentence in asked["answer"]


def test_ask_missing_index_exits_2_with_one_line(cli):
    run = cli["runs"]["ask_missing"]
    assert run.returncode == 2
    assert run.stdout.strip() == ""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "index" in lines[0].lower()
    assert "Traceback" not in run.stderr


# --- bot eval -------------------------------------------------------------------------------


def test_eval_json_results_and_metrics(cli):
    run = cli["runs"]["eval"]
    assert run.returncode == 0, run.stderr
    report = _one_json(run)
    results = report["results"]
    assert [r["id"] for r in results] == [c["id"] for c in EVAL_CASES]
    for r in results:
        assert set(r) >= RESULT_KEYS
    by_id = {r["id"]: r for r in results}
    assert by_id["urgence"]["status"] == "emergency" and by_id["urgence"]["ok"] is True
    assert by_id["vide"]["status"] == "no_answer" and by_id["vide"]["ok"] is True
    assert by_id["seances"]["expected_sources"] == ["microneedling-medical.md"]
    m = report["metrics"]
    assert m["cases"] == 3
    assert m["emergency_recall"] == 1.0
    assert m["emergency_false_alarms"] == 0
    assert m["answerable"]["n"] == 1
    assert m["latency_ms_p50"] is not None


def test_eval_malformed_line_exits_2_naming_the_line(cli):
    run = cli["runs"]["bad_eval"]
    assert run.returncode == 2
    assert "line 2" in run.stderr
    assert "Traceback" not in run.stderr


# --- the real commands, as a user starts them -------------------------------------------------


@pytest.fixture(scope="module")
def subprocess_runs(tmp_path_factory, hashing_index):
    tmp = tmp_path_factory.mktemp("cli-subprocess")
    content = _small_articles(tmp / "content")
    ask_index = tmp / "ask-index"
    shutil.copytree(hashing_index, ask_index)
    return _run_all(
        {
            "build": ["index", "build", "--content", str(content), "--index-dir", str(tmp / "index")],
            "ask": ["bot", "ask", QUESTION, "--json", "--index-dir", str(ask_index)],
            "ask_missing": ["bot", "ask", QUESTION, "--json", "--index-dir", str(tmp / "no-index")],
        },
        cli_env(tmp),
    )


@pytest.mark.slow
def test_subprocess_build_and_ask(subprocess_runs):
    build = subprocess_runs["build"]
    assert build.returncode == 0, build.stderr
    assert re.search(r"3 articles \(\d+ chunks\)", build.stdout), build.stdout
    ask = subprocess_runs["ask"]
    assert ask.returncode == 0, ask.stderr
    asked = _one_json(ask)
    assert set(asked) == ASK_KEYS and asked["status"] == "answered"
    assert asked["citations"][0]["source"].startswith("microneedling")


@pytest.mark.slow
def test_subprocess_missing_index_exits_2_without_traceback(subprocess_runs):
    run = subprocess_runs["ask_missing"]
    assert run.returncode == 2 and run.stdout.strip() == ""
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
