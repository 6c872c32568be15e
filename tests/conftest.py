"""Shared fixtures: every test works in its own temporary folders.

Logic tests use the deterministic hashing embedder (no weights, instant);
tests marked ``model`` load the real bundled model once per session.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SEED = ROOT.parent / "shared" / "seed" / "exosomes-maison-yoko.txt"

SAMPLE_MD = """---
title: "Le peeling doux"
url: "https://clinique.example/articles/peeling"
updated: 2026-01-10
---
# Le peeling doux

Le peeling doux renouvelle la surface de la peau grâce à un acide léger.

## Combien de séances faut-il ?

En général, trois à quatre séances espacées de trois semaines donnent un teint plus lumineux.

## Quelles suites après un peeling ?

Une légère desquamation peut durer quelques jours. La protection solaire est indispensable après un peeling.
"""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's FAQBOT_* variables or writes to the real var/ folder."""
    for key in list(os.environ):
        if key.startswith("FAQBOT_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A copy of the clinic's real articles in a temporary folder."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def small_content(tmp_path) -> Path:
    """Two tiny articles: quick to index with any embedder."""
    target = tmp_path / "small"
    target.mkdir()
    (target / "peeling.md").write_text(SAMPLE_MD, encoding="utf-8")
    (target / "laser.md").write_text(
        "---\ntitle: Le laser vasculaire\nurl: https://clinique.example/articles/laser\n---\n"
        "## À quoi sert-il ?\n\nLe laser vasculaire atténue les rougeurs et la couperose du visage.\n\n"
        "## Combien de séances ?\n\nDeux à trois séances de laser vasculaire suffisent souvent.\n",
        encoding="utf-8",
    )
    return target


def cli_env(tmp: Path) -> dict[str, str]:
    """Environment for running the CLIs in a subprocess: hashing embedder, data under ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(
        FAQBOT_EMBEDDING_MODEL="hashing-64",
        FAQBOT_DATA_DIR=str(tmp / "data"),
        HF_HUB_OFFLINE="1",
        PYTHONIOENCODING="utf-8",
    )
    return env


def make_settings(tmp_path: Path, content: Path, model: str = "hashing-64", **extra) -> Settings:
    return load_settings(
        env={},
        content_dir=content,
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        embedding_model=model,
        **extra,
    )


@pytest.fixture
def fake_settings(tmp_path, content_dir) -> Settings:
    """Settings on a copy of the real articles with the hashing embedder."""
    return make_settings(tmp_path, content_dir)


@pytest.fixture
def fake_bot(fake_settings):
    """A bot over the real articles, indexed with the hashing embedder."""
    from bot.engine import Bot
    from index.build import sync_index
    from index.embedder import HashingEmbedder

    embedder = HashingEmbedder(64)
    sync_index(fake_settings, embedder=embedder, full=True)
    return Bot(fake_settings, embedder=embedder)


@pytest.fixture(scope="session")
def real_embedder():
    from index.embedder import load_embedder

    return load_embedder("")


@pytest.fixture(scope="session")
def real_index(tmp_path_factory, real_embedder) -> Settings:
    """The real articles indexed once with the real model, shared read-only by model tests."""
    from app_server import prebuilt_index

    base = tmp_path_factory.mktemp("real")
    shutil.copytree(prebuilt_index(), base / "index")
    return load_settings(env={}, content_dir=CONTENT, index_dir=base / "index", data_dir=base / "data")


@pytest.fixture(scope="session")
def real_bot(real_index, real_embedder):
    from bot.engine import Bot

    return Bot(real_index, embedder=real_embedder)


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of an empty database on a PostgreSQL server started once for the whole test run.

    Skipped with a reason where PostgreSQL is not installed, except under CI
    (``CI`` set), where a missing server is a failure: those tests must run there.
    """
    from pg_server import INSTALL_HINT, PostgresStartError, find_bindir, postgres_server

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    try:
        with postgres_server(bindir) as url:
            yield url
    except PostgresStartError as exc:
        pytest.fail(f"could not start PostgreSQL: {exc}", pytrace=False)
