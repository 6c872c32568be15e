"""Health and metrics of the service, in process: counts, index gauges, the two HTTP routes.

The same endpoints are checked against the real running app in ``test_app_ops.py``.
"""

from __future__ import annotations

import json
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from index.build import sync_index
from index.store import VERSIONS_DIR, append_history
from service.clinic import ClinicService
from service.health import index_health, parse_time, update_result
from service.ops import ops_router

EMERGENCY = "j'ai du mal à respirer depuis mon injection"
ANSWERABLE = "Pourquoi ne proposez-vous pas les exosomes ?"
OFF_TOPIC = "Écris-moi un poème sur la mer"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a Prometheus text page keyed by (name, sorted labels)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.fixture
def service(fake_bot, fake_settings):
    return ClinicService(fake_settings, bot=fake_bot)


def test_metrics_count_what_the_service_answered(service):
    service.ask(EMERGENCY, "a")
    service.ask(ANSWERABLE, "a")
    service.ask(OFF_TOPIC, "a")
    service.ask("", "a")
    service.feedback(ANSWERABLE, "answered", ["exosomes.md"], liked=True)
    service.staff_ask(EMERGENCY)  # staff tests are not patient traffic
    page = samples(service.metrics.render()[0].decode())

    statuses = {labels: v for (name, labels), v in page.items() if name == "faqbot_answers_total"}
    assert sum(statuses.values()) == 4
    assert page[("faqbot_answers_total", (("reason", "invalid_input"), ("status", "no_answer")))] == 1
    emergencies = {labels: v for (name, labels), v in page.items() if name == "faqbot_emergencies_total"}
    assert sum(emergencies.values()) == 1
    assert page[("faqbot_answer_latency_seconds_count", ())] == 4
    assert page[("faqbot_ratings_total", (("rating", "up"),))] == 1
    assert page[("faqbot_ratings_total", (("rating", "down"),))] == 0
    assert page[("faqbot_rate_limited_requests_total", ())] == 0


def test_rate_limited_questions_are_counted_apart(fake_bot, fake_settings):
    service = ClinicService(fake_settings.with_overrides(rate_limit_per_minute=2), bot=fake_bot)
    for _ in range(5):
        service.ask(ANSWERABLE, "same-client")
    page = samples(service.metrics.render()[0].decode())
    assert page[("faqbot_rate_limited_requests_total", ())] == 3
    assert page[("faqbot_answer_latency_seconds_count", ())] == 2


def test_index_gauges_and_last_update(service, fake_settings):
    page = samples(service.metrics.render()[0].decode())
    assert page[("faqbot_index_loaded", ())] == 1
    assert page[("faqbot_index_version", ())] == 1
    assert 0 <= page[("faqbot_index_age_seconds", ())] < 600
    assert page[("faqbot_index_fallback", ())] == 0
    assert page[("faqbot_index_chunks", ())] == len(service.bot.retriever.loaded.chunks)
    assert page[("faqbot_index_last_update_result", (("result", "written"),))] == 1
    assert page[("faqbot_index_last_update_result", (("result", "failed"),))] == 0

    append_history(fake_settings.index_dir, {"time": "2026-05-12T10:00:00+0000", "written": False, "error": "boom"})
    page = samples(service.metrics.render()[0].decode())
    assert page[("faqbot_index_last_update_result", (("result", "failed"),))] == 1
    assert page[("faqbot_index_last_update_result", (("result", "written"),))] == 0
    assert page[("faqbot_index_last_update_timestamp_seconds", ())] == parse_time("2026-05-12T10:00:00+0000")


def test_two_services_keep_separate_counts(fake_bot, fake_settings):
    first = ClinicService(fake_settings, bot=fake_bot)
    second = ClinicService(fake_settings, bot=fake_bot)
    first.ask(ANSWERABLE, "a")
    assert samples(first.metrics.render()[0].decode())[("faqbot_answer_latency_seconds_count", ())] == 1
    assert samples(second.metrics.render()[0].decode())[("faqbot_answer_latency_seconds_count", ())] == 0


def test_health_reports_a_fallback_version(two_versions):
    from bot.engine import Bot
    from index.embedder import HashingEmbedder

    fake_settings = two_versions  # version 2 live, version 1 before it
    embedder = HashingEmbedder(64)
    (fake_settings.index_dir / VERSIONS_DIR / "v000002" / "faiss.index").write_bytes(b"damaged")
    service = ClinicService(fake_settings, bot=Bot(fake_settings, embedder=embedder))
    health = service.index_health()
    assert health is not None
    assert (health.version, health.fallback) == (1, True)
    assert "v000002" in health.warnings[0]
    assert samples(service.metrics.render()[0].decode())[("faqbot_index_fallback", ())] == 1


def test_index_health_age_from_the_manifest():
    health = index_health({"version": 3, "built_at": "2026-05-12T10:00:00+0200", "chunk_count": 7,
                           "articles": {"a.md": {}}}, [], now=parse_time("2026-05-12T10:01:30+0200"))
    assert (health.version, health.age_seconds, health.fallback, health.chunks, health.articles) == (3, 90.0, False, 7, 1)
    assert index_health({"version": 1}, []).age_seconds is None


@pytest.mark.parametrize(
    "entry, result",
    [({"written": True, "failed": [{}]}, "written"), ({"written": False}, "unchanged"),
     ({"written": False, "error": "locked"}, "failed")],
)
def test_update_result(entry, result):
    parsed = update_result({"time": "2026-05-12T10:00:00+0200", **entry})
    assert parsed.result == result
    assert parsed.skipped_articles == len(entry.get("failed", []))
    assert update_result(None) is None


class _NoIndexBot:
    """A bot that has not loaded an index yet (its retriever is not there)."""

    @property
    def retriever(self):
        raise AssertionError("no index loaded")


def _client(service) -> TestClient:
    app = FastAPI()
    app.include_router(ops_router(service))
    return TestClient(app)


def test_healthz_is_503_while_no_index_is_loaded(fake_settings):
    service = ClinicService(fake_settings, bot=_NoIndexBot())
    resp = _client(service).get("/healthz")
    assert resp.status_code == 503
    assert resp.json() == {"status": "no_index"}
    metrics = _client(service).get("/metrics")
    assert metrics.status_code == 200
    assert samples(metrics.text)[("faqbot_index_loaded", ())] == 0


def test_healthz_and_metrics_over_http_reveal_no_question(service):
    question = "Combien coûte le microneedling pour Madame Zébulon ?"
    service.ask(question, "a")
    client = _client(service)
    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["index_version"] == 1 and body["fallback"] is False
    assert 0 <= body["index_age_seconds"] < 600
    assert health.headers["cache-control"] == "no-store"
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    for text in (health.text, metrics.text, json.dumps(body)):
        assert "Zébulon" not in text and "microneedling" not in text.lower()
    assert time.time() - parse_time(body["index_built_at"]) >= body["index_age_seconds"] - 1


def test_index_watcher_follows_a_version_written_by_another_process(small_bot):
    from index.embedder import HashingEmbedder

    settings = small_bot.settings
    service = ClinicService(settings, bot=small_bot)
    assert service.index_health().version == 1
    assert service.start_index_watcher(interval=0.05) is not None
    try:
        laser = settings.content_dir / "laser.md"
        laser.write_text(laser.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
        sync_index(settings, embedder=HashingEmbedder(64))  # the scheduled writer
        deadline = time.monotonic() + 10
        while service.index_health().version != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert service.index_health().version == 2
    finally:
        service.stop()


def test_index_watcher_is_off_at_zero(fake_bot, fake_settings):
    service = ClinicService(fake_settings.with_overrides(index_check_seconds=0), bot=fake_bot)
    assert service.start_index_watcher() is None
