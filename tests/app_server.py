"""Start the real app (``python app.py``) in a subprocess for end-to-end tests.

Not a test module: ``test_app_client.py`` and ``test_browser.py`` import
:func:`running_app` (a context manager) or :func:`app_server_fixture` (a
pytest fixture factory) from here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
STAFF_PASSWORD = "test-password"
START_TIMEOUT = 120.0


def free_port() -> int:
    """A port nobody listens on right now on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Loopback only: never go through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


class _OutputReader:
    """Collects the child's merged stdout/stderr in a thread so the pipe never fills up."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(proc,), daemon=True)
        self._thread.start()

    def _run(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._lock:
                self.lines.append(line)

    def text(self) -> str:
        with self._lock:
            return "".join(self.lines)


@contextmanager
def serving(args: list[str], env: dict[str, str], base: str, timeout: float = START_TIMEOUT) -> Iterator[_OutputReader]:
    """Run a server process from the project root until ``base + "/"`` answers 200; yield its output.

    The process is stopped on exit. It fails with the process's output if it exits or does not
    serve within ``timeout`` seconds ("Ready in" is printed just before uvicorn binds, so only an
    actual 200 counts).
    """
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    reader = _OutputReader(proc)
    try:
        deadline = time.monotonic() + timeout
        while _http_status(base + "/", timeout=2.0) != 200:
            code = proc.poll()
            if code is not None or time.monotonic() > deadline:
                state = f"exited with code {code}" if code is not None else f"not serving after {timeout:.0f} s"
                raise RuntimeError(f"{Path(args[1]).name} {state} on {base}; output:\n{reader.text()}")
            time.sleep(0.05)
        yield reader
    finally:
        stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a server process, killing it if it does not stop in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


_PREBUILT: list[Path] = []


def prebuilt_index() -> Path:
    """The clinic's articles indexed once per test run with the default model.

    Embedding every sentence of the articles takes the real model tens of
    seconds; each app started by the tests begins from a copy instead.
    """
    if not _PREBUILT:
        from core.settings import load_settings
        from index.build import sync_index

        base = Path(tempfile.mkdtemp(prefix="faqbot-index-"))
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        settings = load_settings(env={}, content_dir=CONTENT, index_dir=base / "index", data_dir=base / "data")
        sync_index(settings, full=True)
        _PREBUILT.append(base / "index")
    return _PREBUILT[0]


@contextmanager
def running_app(
    rate_limit_per_minute: int = 1000,
    extra_env: dict[str, str] | None = None,
    prebuilt: bool = True,
    content_dir: Path | None = None,
) -> Iterator[str]:
    """Run ``python app.py`` on a free loopback port; yield its base URL (``http://127.0.0.1:PORT``).

    Every folder it writes to (index, data, a copy of the articles) lives in a
    temporary directory removed afterwards. The process is terminated on exit.
    With ``prebuilt`` the index starts as a copy of :func:`prebuilt_index`;
    without it the app builds its own on first start. ``content_dir`` is a
    folder of articles the caller owns (a test that edits them); by default the
    app reads a copy of the clinic's articles made for it.
    """
    tmp = Path(tempfile.mkdtemp(prefix="faqbot-e2e-"))
    content = content_dir or tmp / "content"
    if content_dir is None:
        shutil.copytree(CONTENT, content)
    if prebuilt:
        shutil.copytree(prebuilt_index(), tmp / "index")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(
        {
            "FAQBOT_PORT": str(port),
            "FAQBOT_HOST": "127.0.0.1",
            "FAQBOT_INDEX_DIR": str(tmp / "index"),
            "FAQBOT_DATA_DIR": str(tmp / "data"),
            "FAQBOT_CONTENT_DIR": str(content),
            "FAQBOT_STAFF_PASSWORD": STAFF_PASSWORD,
            "FAQBOT_REINDEX_EVERY": "0",
            "FAQBOT_RATE_LIMIT_PER_MINUTE": str(rate_limit_per_minute),
            "HF_HUB_OFFLINE": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONUNBUFFERED": "1",
            # The test client and the browser talk to 127.0.0.1 directly.
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    env.update(extra_env or {})
    base = f"http://127.0.0.1:{port}"
    try:
        with serving([sys.executable, "app.py"], env, base):
            yield base
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def app_server_fixture(scope: str = "module", rate_limit_per_minute: int = 1000, **kwargs):
    """A pytest fixture yielding the base URL of a fresh app, e.g. ``server = app_server_fixture()``."""

    @pytest.fixture(scope=scope)
    def _server() -> Iterator[str]:
        try:
            with running_app(rate_limit_per_minute=rate_limit_per_minute, **kwargs) as url:
                yield url
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)

    return _server
