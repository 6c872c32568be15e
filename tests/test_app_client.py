"""End-to-end tests of the running app through its HTTP API (``gradio_client``, plain HTTP).

One real server (``python app.py``, real bundled model) per module; the
rate-limit test starts its own with a limit of 3 questions a minute.
"""

from __future__ import annotations

import http.client
import ssl
from urllib.parse import urlsplit

import httpx
import pytest
from app_server import STAFF_PASSWORD, app_server_fixture, running_app
from gradio_client import Client

pytestmark = pytest.mark.slow

server = app_server_fixture(scope="module")

FR_QUESTION = "Pourquoi ne proposez-vous pas les exosomes ?"
EN_QUESTION = "Why don't you offer exosomes?"
OUT_OF_SCOPE = "Quel temps fera-t-il demain à Paris ?"
EMERGENCY = "j'ai du mal à respirer depuis mon injection"
ANSWER_KEYS = {"question", "status", "reason", "language", "answer", "citations", "latency_ms"}


@pytest.fixture(scope="module")
def client(server) -> Client:
    return Client(server, verbose=False)


@pytest.fixture(scope="module")
def staff(server) -> Client:
    return Client(server + "/staff/", auth=("staff", STAFF_PASSWORD), verbose=False)


def raw_get(base: str, path: str) -> tuple[int, dict[str, str], str]:
    """GET with the path sent exactly as written (no dot-segment clean-up, no redirect following)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def rows(table) -> list[list]:
    """The rows of a Dataframe output as returned by gradio_client."""
    if isinstance(table, dict):
        return table.get("data") or []
    return list(table or [])


# --- /ask: the JSON endpoint -------------------------------------------------------------


def test_french_question_is_answered_with_citations(client):
    result = client.predict(FR_QUESTION, api_name="/ask")
    assert set(result) >= ANSWER_KEYS, result
    assert "trace" not in result, "the patient API must not expose the staff trace"
    assert result["status"] == "answered", result
    assert result["language"] == "fr"
    assert result["answer"].startswith("Voici ce que disent nos articles :")
    assert result["citations"], result
    assert "exosomes.md" in [c["source"] for c in result["citations"]]
    for c in result["citations"]:
        assert c["quote"] and c["title"]
        assert f"[{c['n']}]" in result["answer"]
    assert result["latency_ms"] > 0


def test_english_question_is_answered_in_english(client):
    result = client.predict(EN_QUESTION, api_name="/ask")
    assert result["status"] == "answered", result
    assert result["language"] == "en"
    assert result["answer"].startswith("Here is what our articles say"), result["answer"]
    assert "exosomes.md" in [c["source"] for c in result["citations"]]


def test_out_of_scope_question_gets_no_answer(client):
    result = client.predict(OUT_OF_SCOPE, api_name="/ask")
    assert result["status"] == "no_answer", result
    assert result["citations"] == []
    assert result["reason"]


def test_emergency_gives_the_emergency_numbers(client):
    result = client.predict(EMERGENCY, api_name="/ask")
    assert result["status"] == "emergency", result
    for number in ("15", "112", "3114"):
        assert number in result["answer"], (number, result["answer"])


def test_client_with_one_tls_context_is_answered(server):
    """The set-up the README recommends to the website's back end: one verifying TLS context, reused."""
    context = ssl.create_default_context()
    reused = Client(server, verbose=False, ssl_verify=context)  # type: ignore[arg-type]
    for question in (FR_QUESTION, EMERGENCY):
        result = reused.predict(question, api_name="/ask")
        assert result["status"] in {"answered", "emergency"}, result
    assert reused.ssl_verify is context
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_patient_client_does_not_see_staff_endpoints(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert "/ask" in endpoints and "/ask_chat" in endpoints
    assert not [name for name in endpoints if name.startswith("/staff")], endpoints


# --- /ask_chat: the chat as the page uses it -----------------------------------------------


def test_chat_keeps_html_escaped(client):
    message = "<img src=x onerror=alert(1)>"
    box, history = client.predict(message, api_name="/ask_chat")
    assert box == "", "the textbox is cleared after sending"
    texts = [
        (
            m["role"],
            "".join(part.get("text", "") for part in m["content"])
            if isinstance(m["content"], list)
            else str(m["content"]),
        )
        for m in history
    ]
    users = [t for role, t in texts if role == "user"]
    assert users, history
    assert "&lt;img" in users[-1], users[-1]
    assert "<img" not in users[-1]
    assert texts[-1][0] == "assistant"
    assert "<img" not in texts[-1][1]


# --- staff view ---------------------------------------------------------------------------


def test_staff_requires_login(server):
    with pytest.raises(ValueError):  # gradio_client.exceptions.AuthenticationError is a ValueError
        Client(server + "/staff/", verbose=False)


def test_staff_refuses_a_wrong_password(server):
    with pytest.raises(ValueError):
        Client(server + "/staff/", auth=("staff", "wrong-password"), verbose=False)


def test_staff_ask_shows_the_trace(staff):
    sentence, shown, found, technical, candidates, *_review = staff.predict(FR_QUESTION, api_name="/staff_ask")
    assert "Répondu : l&#x27;article « Les exosomes en médecine esthétique" in sentence
    assert 'class="faq-answer"' in shown
    assert "exosomes.md" in found and "<mark>" in found
    assert technical["status"] == "answered", technical
    assert technical["language"] == "fr"
    table = rows(candidates)
    assert table, candidates
    assert "exosomes.md" in [r[0] for r in table]
    assert any(r[6] == "oui" for r in table), "at least one candidate is marked as cited"


def test_staff_redirect(server):
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=30) as http:
        resp = http.get(server + "/staff")
    assert resp.status_code in (301, 302, 303, 307, 308), resp
    assert resp.headers["location"].endswith("/staff/")


# --- article pages ------------------------------------------------------------------------


def test_article_page_is_served(server):
    with httpx.Client(trust_env=False, timeout=30) as http:
        resp = http.get(server + "/articles/exosomes.md")
    assert resp.status_code == 200
    assert "text/html" in resp.headers["content-type"]
    assert "Les exosomes en médecine esthétique : où en est-on ?" in resp.text
    assert 'id="pourquoi-ne-proposez-vous-pas-les-exosomes"' in resp.text


@pytest.mark.parametrize(
    "path",
    ["/articles/../app.py", "/articles/%2e%2e/app.py", "/articles/..%2fapp.py", "/articles/nope.md"],
)
def test_article_outside_the_index_is_404(server, path):
    status, _, body = raw_get(server, path)
    assert status == 404, (path, status, body[:300])
    assert "create_app" not in body


# --- privacy ------------------------------------------------------------------------------


def test_unanswered_questions_are_kept_scrubbed(client, staff):
    question = "Quel temps fera-t-il demain à Paris ? mon email est jean.dupont@example.com et mon tel 06 12 34 56 78"
    result = client.predict(question, api_name="/ask")
    assert result["status"] == "no_answer", result
    unanswered, _feedback = staff.predict(api_name="/staff_lists")
    kept = [str(r[0]) for r in rows(unanswered) if "Paris" in str(r[0]) and "[e-mail]" in str(r[0])]
    assert kept, rows(unanswered)
    text = kept[0]
    assert "[téléphone]" in text, text
    assert "jean.dupont" not in text and "example.com" not in text
    assert "06 12 34 56 78" not in text and "0612345678" not in text
    everything = repr(rows(unanswered))
    assert "jean.dupont@example.com" not in everything


# --- rate limit (own server) --------------------------------------------------------------


def test_rate_limit_per_minute():
    """A spoofed X-Forwarded-For (no proxy is trusted by default) does not make a new client."""
    with running_app(rate_limit_per_minute=3) as url:
        results = [
            Client(url, verbose=False, headers={"X-Forwarded-For": f"203.0.113.{i}"}).predict(FR_QUESTION, api_name="/ask")
            for i in range(4)
        ]
    assert [r["reason"] for r in results[:3]] == [None, None, None], results[:3]
    assert results[3]["status"] == "no_answer"
    assert results[3]["reason"] == "rate_limited", results[3]
    assert results[3]["citations"] == []


# --- the probe script (bench/probe_app.py) ---------------------------------------------------


def test_probe_script_finds_nothing_failing(server, capsys):
    from bench.probe_app import main as probe

    code = probe([server, "--staff-password", STAFF_PASSWORD])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAILS" not in out and out.count("HOLDS") >= 9, out
