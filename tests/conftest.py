"""Shared fixtures: every test works in its own temporary folders.

Logic tests use the deterministic hashing embedder (no weights, instant);
tests marked ``model`` load the real bundled model once per session.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
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


MEMORY_TEMP = Path("/dev/shm")


def pytest_configure(config: pytest.Config) -> None:
    """A less frequent garbage collector, and temporary folders in memory (``/dev/shm``) where there is one.

    The tests write thousands of small files (index versions, copies of the
    articles, SQLite journals): on a disk each file created and later removed
    costs about a millisecond, several seconds per run. The files, their locks
    and renames behave the same in memory. ``--basetemp`` or
    ``PYTEST_DEBUG_TEMPROOT`` still choose another folder; only the last run's
    folders are kept (``tmp_path_retention_count``), so memory holds one run.
    """
    # Python's cycle collector runs every 700 new objects by default, and its passes grow with the
    # hundreds of thousands of objects a test run keeps (the libraries, the collected tests): one to
    # two seconds a run. Run every 10,000 it frees the same cycles, a little later (index files held
    # by cyclic garbage stay open a little longer: at most about 130 descriptors instead of 80).
    gc.set_threshold(10_000, 10, 10)
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return
    if MEMORY_TEMP.is_dir() and os.access(MEMORY_TEMP, os.W_OK | os.X_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_TEMP)


def skip_unless_ci(reason: str) -> None:
    """Skip the test here, but fail it under CI (``CI`` set), where everything it needs is installed."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (a failure under CI, where this test must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def seed_page() -> Path:
    """The clinic's real page in ``../shared/seed/``: skipped where it is missing, a failure under CI."""
    if not SEED.is_file():
        skip_unless_ci(f"the clinic's seed page is not here: {SEED} (../shared/seed is not checked out)")
    return SEED


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's FAQBOT_* variables or writes to the real var/ folder."""
    for key in list(os.environ):
        if key.startswith("FAQBOT_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("FAQBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Flushing to disk only matters when the machine stops mid-write; in this process no test
    # crashes, and the kill -9 tests run the writer in a subprocess with the real fsync. (The test
    # PostgreSQL server runs with fsync=off for the same reason.)
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A copy of the clinic's real articles in a temporary folder."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def write_small_articles(target: Path) -> Path:
    """Two tiny articles in a new folder ``target``: quick to index with any embedder."""
    target.mkdir()
    (target / "peeling.md").write_text(SAMPLE_MD, encoding="utf-8")
    (target / "laser.md").write_text(
        "---\ntitle: Le laser vasculaire\nurl: https://clinique.example/articles/laser\n---\n"
        "## À quoi sert-il ?\n\nLe laser vasculaire atténue les rougeurs et la couperose du visage.\n\n"
        "## Combien de séances ?\n\nDeux à trois séances de laser vasculaire suffisent souvent.\n",
        encoding="utf-8",
    )
    return target


@pytest.fixture
def small_content(tmp_path) -> Path:
    """Two tiny articles: quick to index with any embedder."""
    return write_small_articles(tmp_path / "small")


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


@dataclass
class Run:
    """What a command line printed and returned."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_cli(main, args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command line's ``main(argv)`` in this process, as a user would run it.

    ``env`` holds ``FAQBOT_*`` values for this call only (the hashing embedder by
    default). Output is captured; the loggers the command sets up are put back,
    so later tests still see log records. ``SystemExit`` (argparse) becomes the
    return code.
    """
    env = {"FAQBOT_EMBEDDING_MODEL": "hashing-64", **(env or {})}
    saved_env = {key: os.environ.get(key) for key in env}
    loggers = [logging.getLogger(name) for name in ("bot", "index", "app")]
    saved_loggers = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for lg, (handlers, level, propagate) in zip(loggers, saved_loggers, strict=True):
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
    return Run(list(args), code, out.getvalue(), err.getvalue())


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


@pytest.fixture(scope="session")
def hashing_index(tmp_path_factory) -> Path:
    """The real articles indexed once with the hashing embedder; copy it, never write to it."""
    from index.build import sync_index
    from index.embedder import HashingEmbedder

    base = tmp_path_factory.mktemp("hashing")
    settings = make_settings(base, CONTENT)
    sync_index(settings, embedder=HashingEmbedder(64), full=True)
    return settings.index_dir


@pytest.fixture(scope="session")
def small_indexes(tmp_path_factory) -> Callable[[int], Path]:
    """Index folders of :func:`small_content` after 1, 2, 3… full builds, each built once; copy them, never write to them.

    Many tests need an index (or a few versions) only to start from: copying
    one is a few milliseconds, building it again a few tens.
    """
    from index.build import sync_index
    from index.embedder import HashingEmbedder

    base = tmp_path_factory.mktemp("small-indexes")
    content = write_small_articles(base / "small")
    built: dict[int, Path] = {}

    def index_after(builds: int) -> Path:
        if builds not in built:
            settings = make_settings(base / f"builds-{builds}", content)
            for _ in range(builds):
                sync_index(settings, embedder=HashingEmbedder(64), full=True)
            built[builds] = settings.index_dir
        return built[builds]

    return index_after


def copy_index(source: Path, settings: Settings) -> Settings:
    """Put a copy of the index folder ``source`` at ``settings.index_dir``; returns ``settings``."""
    shutil.copytree(source, settings.index_dir)
    return settings


@pytest.fixture
def indexed_settings(fake_settings, hashing_index) -> Settings:
    """:func:`fake_settings` with the real articles already indexed (version 1), as ``sync_index`` leaves them."""
    return copy_index(hashing_index, fake_settings)


# Version 2 of the real articles' index adds this section to lasers.md.
MARKER = "Une séance de laser vasculaire coûte 180 euros à la clinique."
MARKER_QUESTION = "Combien coûte une séance de laser vasculaire ?"


def add_marker(content: Path, article: str = "lasers.md") -> None:
    """Add the section holding :data:`MARKER` to ``article`` in ``content`` (the real articles' lasers.md)."""
    path = content / article
    path.write_text(
        path.read_text(encoding="utf-8") + f"\n## Combien coûte une séance de laser ?\n\n{MARKER}\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="session")
def two_versions_index(hashing_index, tmp_path_factory) -> Path:
    """The real articles indexed (version 1), then updated with :data:`MARKER` (version 2, live); copy it."""
    from index.build import sync_index
    from index.embedder import HashingEmbedder

    base = tmp_path_factory.mktemp("two-versions")
    content = base / "content"
    shutil.copytree(CONTENT, content)
    add_marker(content)
    settings = copy_index(hashing_index, make_settings(base, content))
    assert sync_index(settings, embedder=HashingEmbedder(64)).version == 2
    return settings.index_dir


@pytest.fixture
def two_versions(fake_settings, two_versions_index) -> Settings:
    """:func:`fake_settings` with :data:`MARKER` in lasers.md and an index of two versions, as an update leaves it.

    Version 1 holds the real articles, version 2 (live) the edited lasers.md.
    """
    add_marker(fake_settings.content_dir)
    return copy_index(two_versions_index, fake_settings)


@pytest.fixture(scope="session")
def _shared_bot(hashing_index, tmp_path_factory):
    from bot.engine import Bot
    from index.embedder import HashingEmbedder

    base = tmp_path_factory.mktemp("shared-bot")
    return Bot(make_settings(base, CONTENT).with_overrides(index_dir=hashing_index), embedder=HashingEmbedder(64))


@pytest.fixture
def fake_bot(indexed_settings, _shared_bot):
    """A bot over the real articles, indexed with the hashing embedder, in this test's folders.

    Building a retriever (BM25, the n-gram matrix) takes about a second, so each
    test's bot starts with the one built once for these same files; the test
    still has its own index folder, data folder and lock, and a new version
    written there is loaded as usual.
    """
    from bot.engine import Bot

    bot = object.__new__(Bot)
    bot.__dict__.update(_shared_bot.__dict__)
    bot.settings = indexed_settings
    bot._reload_lock = threading.Lock()
    return bot


@pytest.fixture
def small_settings(tmp_path, small_content, small_indexes) -> Settings:
    """The two small articles in this test's folders, indexed (version 1): a copy of the index built once for them.

    For tests whose update need not be of the real articles: an update of two
    articles takes milliseconds, one of the real articles a few tenths of a second.
    """
    return copy_index(small_indexes(1), make_settings(tmp_path, small_content))


@pytest.fixture
def small_bot(small_settings):
    """A bot over :func:`small_settings`, for tests of what follows an update (reloads, watchers, rollbacks)."""
    from bot.engine import Bot
    from index.embedder import HashingEmbedder

    return Bot(small_settings, embedder=HashingEmbedder(64))


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
        skip_unless_ci(INSTALL_HINT)
    try:
        with postgres_server(bindir) as url:
            yield url
    except PostgresStartError as exc:
        pytest.fail(f"could not start PostgreSQL: {exc}", pytrace=False)
