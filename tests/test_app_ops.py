"""``/healthz`` and ``/metrics`` of the real running app, over HTTP.

The app gets a limit of 4 questions a minute; the test asks 6 questions through
``/ask`` and checks that ``/metrics`` shows exactly the answers, the emergency,
the latencies and the 2 refusals those questions produced.
"""

from __future__ import annotations

import httpx
import pytest
from app_server import app_server_fixture
from gradio_client import Client
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

server = app_server_fixture(scope="module", rate_limit_per_minute=4)

QUESTIONS = [
    "Pourquoi ne proposez-vous pas les exosomes ?",
    "j'ai du mal à respirer depuis mon injection",
    "Écris-moi un poème sur la mer, Madame Zébulon",
    "Combien de séances de microneedling faut-il prévoir ?",
    "Le laser convient-il aux peaux mates ?",  # over the limit
    "Que faire après une injection d'acide hyaluronique ?",  # over the limit
]


def metric_samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_healthz_serves_the_index_version(server):
    resp = httpx.get(server + "/healthz", timeout=10)
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["index_version"] == 1
    assert body["fallback"] is False
    assert 0 <= body["index_age_seconds"] < 900
    assert body["chunks"] > 0


def test_metrics_show_the_counts_of_a_run(server):
    client = Client(server, verbose=False)
    results = [client.predict(q, api_name="/ask") for q in QUESTIONS]
    statuses = [r["status"] for r in results]
    assert statuses[:4] == ["answered", "emergency", "no_answer", "answered"], results
    assert [r["reason"] for r in results[4:]] == ["rate_limited", "rate_limited"]

    resp = httpx.get(server + "/metrics", timeout=10)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    page = metric_samples(resp.text)
    answers = {labels: v for (name, labels), v in page.items() if name == "faqbot_answers_total" and v}
    expected = {}
    for r in results[:4]:
        reason = "semantic" if (r["reason"] or "").startswith("semantic:") else (r["reason"] or "none")
        key = (("reason", reason), ("status", r["status"]))
        expected[key] = expected.get(key, 0) + 1
    assert answers == expected
    emergencies = {labels: v for (name, labels), v in page.items() if name == "faqbot_emergencies_total"}
    rule = "semantic" if results[1]["reason"].startswith("semantic:") else results[1]["reason"]
    assert emergencies == {(("category", results[1]["category"]), ("rule", rule)): 1}
    assert page[("faqbot_answer_latency_seconds_count", ())] == 4
    assert 0 < page[("faqbot_answer_latency_seconds_sum", ())] < 4 * 5
    assert page[("faqbot_rate_limited_requests_total", ())] == 2
    assert page[("faqbot_index_loaded", ())] == 1
    assert page[("faqbot_index_version", ())] == 1
    assert page[("faqbot_index_fallback", ())] == 0
    assert page[("faqbot_index_age_seconds", ())] >= 0
    # The app built its index at start: the history's last entry is that build.
    assert page[("faqbot_index_last_update_result", (("result", "written"),))] == 1

    health = httpx.get(server + "/healthz", timeout=10).text
    for text in (resp.text, health):
        assert "Zébulon" not in text and "microneedling" not in text and "exosomes" not in text
