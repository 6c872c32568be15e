"""Prometheus metrics of one running service, in a registry of its own.

Each :class:`ServiceMetrics` owns a ``CollectorRegistry`` instead of using
prometheus_client's global one, so several services (tests, benchmarks) can
live in one process without their counts mixing or their names clashing.

Labels only take values from fixed vocabularies (status, reason, emergency
rule, rating): no metric carries a question or anything a patient typed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER, Answer
from service.health import UPDATE_RESULTS, IndexHealth, UpdateResult

# Answers take 15–40 ms in process; the upper buckets catch a slow start or an overloaded machine.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The counters the service updates, plus index gauges read at scrape time.

    Args:
        index_health: returns the served index's health, or None while no index is loaded.
        last_update: returns the last recorded index update, or None if there is none.
    """

    def __init__(
        self,
        index_health: Callable[[], IndexHealth | None],
        last_update: Callable[[], UpdateResult | None],
    ) -> None:
        self.registry = CollectorRegistry()
        self.answers = Counter(
            "faqbot_answers", "Answers given to patients, by status and reason (none when answered).",
            ["status", "reason"], registry=self.registry,
        )
        self.emergencies = Counter(
            "faqbot_emergencies", "Emergency replies, by category and by the net that decided (rule name or semantic).",
            ["category", "rule"], registry=self.registry,
        )
        self.cautions = Counter(
            "faqbot_cautions", "Answers shown with the 'if this happens to you now' box, by category.",
            ["category"], registry=self.registry,
        )
        self.latency = Histogram(
            "faqbot_answer_latency_seconds", "Time the bot took to answer, in seconds.",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.rate_limited = Counter(
            "faqbot_rate_limited_requests", "Questions refused because their client asked too often.",
            registry=self.registry,
        )
        self.ratings = Counter("faqbot_ratings", "Patients' ratings of answers.", ["rating"], registry=self.registry)
        # Every status shows up from the start, so a rate() over a quiet period is 0 rather than missing.
        for status, reason in ((ANSWERED, "none"), (NO_ANSWER, "not_in_articles")):
            self.answers.labels(status, reason)
        for rating in ("up", "down"):
            self.ratings.labels(rating)
        self.registry.register(_IndexCollector(index_health, last_update))

    def observe_answer(self, answer: Answer) -> None:
        """Count one answer given to a patient."""
        reason = answer.reason or "none"
        if reason.startswith("semantic:"):  # the category is its own label
            reason = "semantic"
        self.answers.labels(answer.status, reason).inc()
        if answer.status == EMERGENCY:
            self.emergencies.labels(answer.category or "unknown", reason).inc()
        if answer.caution:
            self.cautions.labels(answer.category or "unknown").inc()
        self.latency.observe(answer.latency_ms / 1000)

    def observe_rating(self, liked: bool) -> None:
        self.ratings.labels("up" if liked else "down").inc()

    def render(self) -> tuple[bytes, str]:
        """The registry in Prometheus text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _IndexCollector(Collector):
    """Index gauges computed when scraped, so an age or a version is never stale."""

    def __init__(
        self,
        index_health: Callable[[], IndexHealth | None],
        last_update: Callable[[], UpdateResult | None],
    ) -> None:
        self._index_health = index_health
        self._last_update = last_update

    def describe(self) -> Iterable[Metric]:
        # Nothing to describe up front: collect() needs the service to be fully built.
        return []

    def collect(self) -> Iterable[Metric]:
        health = self._index_health()
        yield GaugeMetricFamily("faqbot_index_loaded", "1 when an index is loaded and answering.",
                                value=0 if health is None else 1)
        if health is not None:
            yield GaugeMetricFamily("faqbot_index_version", "Version number of the served index.",
                                    value=health.version)
            if health.age_seconds is not None:
                yield GaugeMetricFamily("faqbot_index_age_seconds", "Seconds since the served index was built.",
                                        value=health.age_seconds)
            yield GaugeMetricFamily("faqbot_index_fallback",
                                    "1 when an older version is served because the live one is damaged.",
                                    value=1 if health.fallback else 0)
            yield GaugeMetricFamily("faqbot_index_chunks", "Passages in the served index.", value=health.chunks)
        update = self._last_update()
        if update is not None:
            result = GaugeMetricFamily(
                "faqbot_index_last_update_result",
                "The last recorded index update: 1 for its result (written, unchanged or failed).",
                labels=["result"],
            )
            for name in UPDATE_RESULTS:
                result.add_metric([name], 1 if update.result == name else 0)
            yield result
            if update.timestamp is not None:
                yield GaugeMetricFamily("faqbot_index_last_update_timestamp_seconds",
                                        "When the last index update ran (seconds since the epoch).",
                                        value=update.timestamp)
            yield GaugeMetricFamily("faqbot_index_last_update_skipped_articles",
                                    "Articles the last index update skipped because they could not be read.",
                                    value=update.skipped_articles)
