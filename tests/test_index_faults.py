"""Fault tolerance of the indexer: killed writers, two writers, bad articles, damaged versions, live reload.

Everything runs with the hashing embedder. Command-line runs are real
subprocesses (``python -m index ...``). To kill an update *while it writes*,
the subprocess gets a ``sitecustomize`` (from a temporary folder on
``PYTHONPATH``, the product is not touched) that makes ``os.fsync`` sleep on
the files whose path contains a given string: the writer then waits inside
``write_version`` or ``switch_current`` and the test sends SIGKILL there.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import CONTENT, MARKER, MARKER_QUESTION, ROOT, add_marker, cli_env, make_settings, run_cli

from index.__main__ import main as index_main
from index.build import IndexBusy, index_lock, sync_index
from index.embedder import HashingEmbedder
from index.store import (
    CURRENT_FILE,
    FAISS_FILE,
    HISTORY_FILE,
    MANIFEST_FILE,
    VERSIONS_DIR,
    IndexCorrupt,
    current_version_name,
    list_versions,
    load_current,
)

EMB = HashingEmbedder(64)
QUESTIONS = [
    "Combien de séances de microneedling faut-il ?",
    "Les exosomes sont-ils autorisés en France ?",
    "Le laser est-il douloureux ?",
    MARKER_QUESTION,
    "Je n'arrive plus à respirer depuis l'injection",
    "",
]
SLOW_FSYNC = """\
import os
import time

_delay = float(os.environ.get("FAULT_FSYNC_DELAY") or 0)
_match = os.environ.get("FAULT_FSYNC_MATCH", "")
if _delay:
    _real_fsync = os.fsync

    def _slow_fsync(fd):
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            path = ""
        if _match in path:
            time.sleep(_delay)
        return _real_fsync(fd)

    os.fsync = _slow_fsync
"""
TMP_VERSION_FILES = f"/{VERSIONS_DIR}/.tmp-"
CURRENT_TMP_FILE = f"/.{CURRENT_FILE}."
# Skipped off Linux on a developer's machine; under CI (Linux) they always run, and fail if they cannot.
needs_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux") and not os.environ.get("CI"), reason="uses /proc and SIGKILL"
)


# --- helpers ---------------------------------------------------------------------------------


def _env(tmp: Path, fsync_delay: float = 0.0, fsync_match: str = "") -> dict[str, str]:
    """The CLI's environment; with ``fsync_delay``, fsync of files matching ``fsync_match`` sleeps."""
    env = cli_env(tmp)
    if fsync_delay:
        inject = tmp / "inject"
        inject.mkdir(exist_ok=True)
        (inject / "sitecustomize.py").write_text(SLOW_FSYNC, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(inject), env.get("PYTHONPATH", "")]))
        env["FAULT_FSYNC_DELAY"] = str(fsync_delay)
        env["FAULT_FSYNC_MATCH"] = fsync_match
    return env


def _index_args(command: str, settings, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "index", command, "--index-dir", str(settings.index_dir)]
    if command in ("build", "update"):
        args += ["--content", str(settings.content_dir)]
    return args + list(extra)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
    )


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120
    )


def _wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the update ended (rc {proc.returncode}) before {what}:\n{out}\n{err}")
        time.sleep(0.005)
    proc.kill()
    proc.communicate()
    pytest.fail(f"timed out waiting for {what}")


def _lock_is_free(index_dir: Path) -> bool:
    lock = index_lock(index_dir)  # timeout 0: fails at once if anyone holds it
    try:
        lock.acquire()
    except TimeoutError:
        return False
    lock.release()
    return True


def _tmp_dirs(index_dir: Path) -> list[Path]:
    return list((index_dir / VERSIONS_DIR).glob(".tmp-*"))


def _snapshot(index_dir: Path):
    loaded = load_current(index_dir)
    return loaded.version, [(c.id, c.text) for c in loaded.chunks], loaded.vectors()


def _history_lines(index_dir: Path) -> int:
    path = index_dir / HISTORY_FILE
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def _has_marker(index_dir: Path) -> bool:
    return any(MARKER in c.text for c in load_current(index_dir).chunks)


@pytest.fixture
def settings(indexed_settings):
    """The real articles, indexed (version 1) with the hashing embedder."""
    return indexed_settings


def _cli(command: str, settings, *extra: str):
    """``python -m index COMMAND`` on ``settings``'s folders, run in this process."""
    return run_cli(index_main, _index_args(command, settings, *extra)[3:])


# --- kill -9 in the middle of an update -------------------------------------------------------

KILL_POINTS = {
    # Inside write_version: faiss.index is written under versions/.tmp-*, the rest is not.
    "writing-tmp-version": (
        TMP_VERSION_FILES,
        lambda index_dir: any((d / FAISS_FILE).exists() for d in _tmp_dirs(index_dir)),
    ),
    # Inside switch_current: the new version folder is complete, CURRENT not yet replaced.
    "switching-current": (CURRENT_TMP_FILE, lambda index_dir: any(index_dir.glob(f".{CURRENT_FILE}.*"))),
}


@needs_linux
@pytest.mark.slow
@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_kill_9_mid_update_keeps_the_live_index(tmp_path, settings, point):
    index_dir = settings.index_dir
    before = _snapshot(index_dir)
    history = _history_lines(index_dir)
    add_marker(settings.content_dir)

    match, reached = KILL_POINTS[point]
    proc = _start(_index_args("update", settings), _env(tmp_path, fsync_delay=60, fsync_match=match))
    _wait_for(lambda: reached(index_dir), proc, f"the update reached {point}")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The live index is the old one, whole.
    assert current_version_name(index_dir) == "v000001"
    version, chunks, vectors = _snapshot(index_dir)
    assert version == before[0] == 1
    assert chunks == before[1]
    np.testing.assert_array_equal(vectors, before[2])
    assert load_current(index_dir).warnings == []
    assert not _has_marker(index_dir)
    assert _history_lines(index_dir) == history
    # The kernel released the dead writer's lock.
    assert _lock_is_free(index_dir)
    if point == "writing-tmp-version":
        assert _tmp_dirs(index_dir), "the kill should have left a half-written .tmp-* folder"
        assert list_versions(index_dir) == ["v000001"]
    else:  # the new version was complete on disk, but never made live
        assert list_versions(index_dir) == ["v000001", "v000002"]

    # The next update works and leaves nothing of the killed one behind.
    run = _run(_index_args("update", settings), _env(tmp_path))
    assert run.returncode == 0, run.stderr
    live = load_current(index_dir)
    assert live.warnings == []
    assert current_version_name(index_dir) == f"v{live.version:06d}"
    assert live.version > 1
    assert _has_marker(index_dir)
    assert _tmp_dirs(index_dir) == []
    assert sorted(p.name for p in index_dir.glob(f".{CURRENT_FILE}.*")) == [], (
        "a temporary CURRENT file of the killed writer was never cleaned up"
    )
    assert _lock_is_free(index_dir)


# --- two writers at once ----------------------------------------------------------------------


def test_cli_refuses_while_another_process_holds_the_lock(tmp_path, small_settings):
    settings = small_settings
    add_marker(settings.content_dir, "laser.md")
    # The lock is a file lock: held here, it is held against the command as against another process.
    with index_lock(settings.index_dir):
        runs = {
            "update": _cli("update", settings),
            "update-json": _cli("update", settings, "--json"),
            "build": _cli("build", settings),
            "rollback": _cli("rollback", settings),
        }
    for name, run in runs.items():
        assert run.returncode == 2, f"{name}: rc {run.returncode}\n{run.stdout}\n{run.stderr}"
        assert "another build or update is running" in run.stderr, f"{name}: {run.stderr!r}"
        assert "Traceback" not in run.stderr, f"{name}: {run.stderr}"
    assert '"error": "another build or update is running' in runs["update-json"].stdout
    assert list_versions(settings.index_dir) == ["v000001"]
    assert current_version_name(settings.index_dir) == "v000001"
    assert not _has_marker(settings.index_dir)
    # Once the lock is released, the same command works.
    run = _cli("update", settings)
    assert run.returncode == 0, run.stderr
    assert _has_marker(settings.index_dir)


@needs_linux
@pytest.mark.slow
def test_update_in_process_while_a_cli_update_writes(tmp_path, settings):
    add_marker(settings.content_dir)
    proc = _start(_index_args("update", settings), _env(tmp_path, fsync_delay=0.7, fsync_match=TMP_VERSION_FILES))
    try:
        _wait_for(lambda: bool(_tmp_dirs(settings.index_dir)), proc, "the update started writing")
        with pytest.raises(IndexBusy, match="another build or update is running"):
            sync_index(settings, embedder=EMB)
        assert proc.poll() is None, "the subprocess should still hold the lock"
        # Waiting for the lock instead: runs after the other writer, and finds nothing left to do.
        report = sync_index(settings, embedder=EMB, wait_for_lock=60)
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert report.version == 2
    assert not report.written
    assert list_versions(settings.index_dir) == ["v000001", "v000002"]
    assert _has_marker(settings.index_dir)


# --- bad articles next to good ones ------------------------------------------------------------

GOOD = ["exosomes.md", "lasers.md", "toxine-botulique.md"]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"
BAD = {
    # name: (content, words the reason must contain)
    "front-matter-casse.md": ("---\ntitle: [pas fermé\nurl: x\n---\nDu texte.\n", ["invalid front matter"]),
    "vide.md": (b"", ["empty"]),
    "image.md": (PNG, ["binary"]),
    "latin1.md": ("# Été\n\nLes séances d'été sont plus courtes.\n".encode("latin-1"), ["not utf-8"]),
    "enorme.md": (None, ["too large", "20.0 mb"]),
    "zz-copie-exosomes.md": (
        '---\ntitle: "Copie"\nurl: "https://clinique.example/articles/exosomes"\n---\n## Copie\n\nUne copie.\n',
        ["same url as exosomes.md", "https://clinique.example/articles/exosomes"],
    ),
    "disparu.md": ("# Disparu\n\nCet article est supprimé pendant la lecture.\n", ["disappeared"]),
}
TWENTY_MB = 20_000_000


def _bad_folder(tmp_path: Path, with_vanishing: bool = True) -> Path:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(CONTENT / name, folder / name)
    for name, (content, _) in BAD.items():
        if name == "disparu.md" and not with_vanishing:
            continue
        path = folder / name
        if content is None:  # real text, so that only the size can be the reason
            line = "Une phrase sur les soins de la peau, répétée jusqu'à vingt mégaoctets.\n".encode()
            with open(path, "wb") as fh:
                fh.write(b"# Article \xc3\xa9norme\n\n")
                fh.write(line * ((TWENTY_MB - 32) // len(line)))
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


def _vanish_on_read(monkeypatch, name: str) -> None:
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == name:
            self.unlink()  # deleted by someone else between listing and reading
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def _check_failures(failed: dict[str, str], expected: list[str]) -> None:
    assert sorted(failed) == sorted(expected)
    for name in expected:
        for word in BAD[name][1]:
            assert word in failed[name].lower(), f"{name}: {failed[name]!r} should say {word!r}"


def test_every_bad_article_is_reported_and_skipped(tmp_path, monkeypatch):
    folder = _bad_folder(tmp_path)
    settings = make_settings(tmp_path, folder)
    _vanish_on_read(monkeypatch, "disparu.md")
    report = sync_index(settings, embedder=EMB)
    monkeypatch.undo()

    _check_failures({f["source"]: f["error"] for f in report.failed}, list(BAD))
    assert report.written and report.version == 1
    assert report.added == GOOD
    assert report.kept_previous == []
    loaded = load_current(settings.index_dir)
    assert sorted(loaded.manifest["articles"]) == GOOD
    assert {c.source for c in loaded.chunks} == set(GOOD)
    assert report.articles == len(GOOD) and report.chunks == len(loaded.chunks) > len(GOOD)

    # Failures do not stick: a repaired article is added by the next update.
    (folder / "front-matter-casse.md").write_text(
        "---\ntitle: Le peeling doux\nurl: https://clinique.example/articles/peeling\n---\n"
        "## Principe\n\nLe peeling doux renouvelle la surface de la peau.\n",
        encoding="utf-8",
    )
    again = sync_index(settings, embedder=EMB)
    assert again.added == ["front-matter-casse.md"]
    assert "front-matter-casse.md" not in {f["source"] for f in again.failed}


def test_duplicate_url_added_later_never_gives_two_articles_one_url(small_settings):
    """A copy added *next to* an indexed article (sorting before it) must not put the URL in twice."""
    settings = small_settings
    (settings.content_dir / "laser-2.md").write_text(
        '---\ntitle: "Le laser vasculaire (copie)"\nurl: "https://clinique.example/articles/laser"\n---\n'
        "## Copie\n\nUne copie de l'article sur le laser vasculaire.\n",
        encoding="utf-8",
    )
    report = sync_index(settings, embedder=EMB)
    assert any("same url" in f["error"] for f in report.failed)
    articles = load_current(settings.index_dir).manifest["articles"]
    urls = [meta["url"] for meta in articles.values() if meta.get("url")]
    duplicated = sorted(src for src, meta in articles.items() if urls.count(meta.get("url")) > 1)
    assert duplicated == [], f"the index holds several articles with one URL: {duplicated}"


def test_cli_reports_each_bad_article_and_strict_keeps_the_old_version(tmp_path):
    mixed = make_settings(tmp_path / "mixed-index", _bad_folder(tmp_path, with_vanishing=False))

    strict_content = tmp_path / "strict"
    strict_content.mkdir()
    for name in GOOD:
        shutil.copy(CONTENT / name, strict_content / name)
    strict = make_settings(tmp_path / "strict-index", strict_content)
    sync_index(strict, embedder=EMB, full=True)
    add_marker(strict_content)  # a real change: without --strict it would be written
    (strict_content / "latin1.md").write_bytes(BAD["latin1.md"][0])

    mixed_run = _cli("update", mixed)
    strict_run = _cli("update", strict, "--strict")

    out, err = mixed_run.stdout, mixed_run.stderr
    assert mixed_run.returncode == 1, err  # done, but some articles were skipped
    expected = [n for n in BAD if n != "disparu.md"]
    skipped = {}
    for line in err.splitlines():
        if line.startswith("skipped "):
            name, _, reason = line[len("skipped "):].partition(": ")
            skipped[name] = reason
    _check_failures(skipped, expected)
    assert f"Indexed {len(GOOD)} articles" in out
    assert f"{len(expected)} skipped" in out
    assert sorted(load_current(mixed.index_dir).manifest["articles"]) == GOOD

    out, err = strict_run.stdout, strict_run.stderr
    assert strict_run.returncode == 2, out + err
    assert "latin1.md" in err and "live index was kept" in err
    assert "Traceback" not in err
    assert list_versions(strict.index_dir) == ["v000001"]
    assert current_version_name(strict.index_dir) == "v000001"
    assert not _has_marker(strict.index_dir)


# --- damaged versions -------------------------------------------------------------------------


def _truncate_faiss(version_dir: Path) -> None:
    path = version_dir / FAISS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _manifest(text: bytes):
    def damage(version_dir: Path) -> None:
        (version_dir / MANIFEST_FILE).write_bytes(text)

    return damage


DAMAGES = {
    "faiss-truncated": _truncate_faiss,
    "manifest-truncated": _manifest(b'{"version": 2, "model": '),
    "manifest-empty": _manifest(b""),
    "manifest-zeroed": _manifest(b"\x00" * 512),
    "manifest-not-an-object": _manifest(b"[]"),
}


# One damage in the quick loop; the others behave the same way and run with the slow tests.
@pytest.mark.parametrize(
    "damage", [d if d == "manifest-truncated" else pytest.param(d, marks=pytest.mark.slow) for d in sorted(DAMAGES)]
)
def test_damaged_live_version_falls_back_everywhere(tmp_path, two_versions, damage):
    from bot.engine import Bot

    settings = two_versions
    DAMAGES[damage](settings.index_dir / VERSIONS_DIR / "v000002")

    run = _cli("stats", settings)
    assert run.returncode == 0, run.stderr
    assert "version 1," in run.stdout
    warnings = [line for line in run.stdout.splitlines() if "warning:" in line]
    assert warnings and "v000002" in warnings[0] and "using v000001" in warnings[0], run.stdout

    bot = Bot(settings, embedder=HashingEmbedder(64))
    assert bot.retriever.loaded.version == 1
    answer = bot.ask("Combien de séances de microneedling faut-il ?")
    assert answer.status == "answered"
    assert answer.trace.index_version == 1
    assert MARKER not in bot.ask(MARKER_QUESTION).answer

    # The next update starts from the version that loads and makes a good live one again.
    report = sync_index(settings, embedder=EMB)
    assert report.written and report.version == 3
    assert load_current(settings.index_dir).warnings == []
    assert bot.maybe_reload() is True
    assert MARKER in bot.ask(MARKER_QUESTION).answer


def test_every_version_damaged_says_rebuild(tmp_path, two_versions):
    from bot.engine import Bot

    settings = two_versions
    _truncate_faiss(settings.index_dir / VERSIONS_DIR / "v000002")
    _manifest(b'{"version": 1, ')(settings.index_dir / VERSIONS_DIR / "v000001")

    run = _cli("stats", settings)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "no usable index version" in run.stderr
    assert "v000001" in run.stderr and "v000002" in run.stderr
    assert "Rebuild with `python -m index build`" in run.stderr

    with pytest.raises(IndexCorrupt, match=r"Rebuild with `python -m index build`"):
        Bot(settings, embedder=HashingEmbedder(64))

    # An update cannot reuse anything: it re-embeds everything and the index works again.
    run = _cli("update", settings, "--json")
    assert run.returncode == 0, run.stderr
    assert "previous index unusable" in run.stdout
    loaded = load_current(settings.index_dir)
    assert loaded.warnings == [] and loaded.version == 3
    assert Bot(settings, embedder=HashingEmbedder(64)).ask(MARKER_QUESTION).status == "answered"


# --- a new version while the bot answers ------------------------------------------------------


@pytest.mark.slow
def test_bot_switches_version_while_answering(settings):
    from bot.engine import Bot

    bot = Bot(settings, embedder=EMB)
    errors: list[BaseException] = []
    seen: list[int] = []
    by_thread: list[tuple[int, int]] = []  # (thread, version), in the order answers came back
    stop = threading.Event()

    def ask_forever() -> None:
        i = 0
        while not stop.is_set():
            try:
                answer = bot.ask(QUESTIONS[i % len(QUESTIONS)])
                assert answer.status in ("answered", "no_answer", "emergency")
                if answer.trace.index_version is not None:
                    seen.append(answer.trace.index_version)
                    by_thread.append((threading.get_ident(), answer.trace.index_version))
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
            i += 1

    threads = [threading.Thread(target=ask_forever, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        before = len(seen)
        assert MARKER not in bot.ask(MARKER_QUESTION).answer
        add_marker(settings.content_dir)
        report = sync_index(settings, embedder=EMB)
        assert report.changed == ["lasers.md"] and report.version == 2
        assert bot.maybe_reload() is True
        reloaded_at = len(seen)
        reloaded_at_by_thread = len(by_thread)
        deadline = time.monotonic() + 10
        while len(seen) < reloaded_at + 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors == [], repr(errors[:3])
    assert before > 0, "the asking threads never answered"
    assert set(seen) <= {1, 2}
    # Each thread may finish the one question it had in flight on the old version, never more:
    # a thread held back by the scheduler can finish it after the other answered many on the new one.
    after = by_thread[reloaded_at_by_thread:]
    for thread in {t for t, _ in after}:
        mine = [v for t, v in after if t == thread]
        assert mine.count(1) <= 1 and (not mine[1:] or set(mine[1:]) == {2}), mine
    assert 2 in seen[reloaded_at:]
    answer = bot.ask(MARKER_QUESTION)
    assert answer.status == "answered"
    assert MARKER in answer.answer
    assert answer.trace.index_version == 2
