"""The running app through its HTTP API, as a real client: start-up, sequential and concurrent round trips.

Starts ``python app.py`` on a free loopback port (rate limit out of the way, no background
re-indexing, no question logging) and talks to it with ``gradio_client`` only. Usage:
    .venv/bin/python -m bench.bench_app [--seconds 30] [--clients 10] [--sequential 50] [--index-dir DIR]
Without ``--index-dir`` a first process builds a fresh index in a temporary folder; the start-up
figure is always measured on a second process that starts on the existing index.

Round trips are measured with two client set-ups: ``Client(url)`` as it comes, and the same client
given one TLS context built once (``ssl_verify=ssl.create_default_context()``, verification kept).
As it comes, gradio_client opens a new httpx client for every request and every event stream, and
each one loads the certificate store again (tens of milliseconds with OpenSSL 3, even for plain
HTTP). A do-nothing Gradio endpoint (``bench/noop_app.py``) measured the same way shows that floor.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client

from bench.common import machine, percentile
from tests.app_server import CONTENT, _OutputReader, free_port, serving

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = ROOT / "tests" / "eval" / "questions.jsonl"
START_TIMEOUT = 600.0
TARGET_P95_MS = 150.0
CLIENT_SETUPS = ("as it comes", "one TLS context")


def make_client(url: str, setup: str) -> Client:
    """A gradio_client ``Client``; "one TLS context" hands it a verifying context built once."""
    if setup == "one TLS context":
        return Client(url, verbose=False, ssl_verify=ssl.create_default_context())  # type: ignore[arg-type]
    return Client(url, verbose=False)


@dataclass
class Started:
    url: str
    ready_s: float  # process start -> HTTP 200 on /
    first_answer_s: float  # process start -> first /ask answer returned to the client
    output: _OutputReader = field(repr=False)


@contextmanager
def start_app(index_dir: Path, data_dir: Path, question: str) -> Iterator[Started]:
    """Run app.py; yield once a first /ask has been answered, with both start-up times."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(
        FAQBOT_HOST="127.0.0.1", FAQBOT_PORT=str(port), FAQBOT_INDEX_DIR=str(index_dir),
        FAQBOT_DATA_DIR=str(data_dir), FAQBOT_CONTENT_DIR=str(CONTENT),
        FAQBOT_RATE_LIMIT_PER_MINUTE="100000", FAQBOT_REINDEX_EVERY="0", FAQBOT_LOG_QUESTIONS="0",
        HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
    )
    t0 = time.perf_counter()
    with serving([sys.executable, "app.py"], env, url, timeout=START_TIMEOUT) as reader:
        ready = time.perf_counter() - t0
        make_client(url, CLIENT_SETUPS[0]).predict(question, api_name="/ask")
        yield Started(url, ready, time.perf_counter() - t0, reader)


@contextmanager
def start_noop() -> Iterator[str]:
    """Serve ``bench/noop_app.py`` on a free port; yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1,localhost"}
    with serving([sys.executable, str(ROOT / "bench" / "noop_app.py"), str(port)], env, url, timeout=120):
        yield url


def sequential(url: str, questions: list[str], n: int, setup: str) -> tuple[list[float], list[float]]:
    """Round trips (ms) of n calls one after another, after 3 warm-up calls; also the server-side latencies."""
    client = make_client(url, setup)
    for q in questions[:3]:
        client.predict(q, api_name="/ask")
    trips, server = [], []
    for i in range(n):
        t = time.perf_counter()
        result = client.predict(questions[i % len(questions)], api_name="/ask")
        trips.append((time.perf_counter() - t) * 1000)
        server.append(float(result.get("latency_ms", 0.0)))
    return trips, server


def concurrent(
    url: str, questions: list[str], clients: int, seconds: float, setup: str
) -> tuple[list[float], int, float]:
    """``clients`` threads, each with its own Client, asking in a loop for ``seconds``."""
    trips: list[float] = []
    errors = [0]
    lock = threading.Lock()
    own = [make_client(url, setup) for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(k: int) -> None:
        start.wait()
        i = k * 7
        while time.perf_counter() < deadline[0]:
            t = time.perf_counter()
            try:
                result = own[k].predict(questions[i % len(questions)], api_name="/ask")
                ok = result.get("reason") != "rate_limited"
            except Exception:
                ok = False
            ms = (time.perf_counter() - t) * 1000
            with lock:
                if ok:
                    trips.append(ms)
                else:
                    errors[0] += 1
            i += 1

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
    for th in threads:
        th.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for th in threads:
        th.join()
    return trips, errors[0], time.perf_counter() - t0


class _Done(Exception):
    """Leaves the measurement early (``--startup-only``), stopping the app on the way out."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the concurrent phase")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients")
    parser.add_argument("--sequential", type=int, default=50, help="sequential questions")
    parser.add_argument("--index-dir", type=Path, help="an existing index to start on (default: build one in a temp dir)")
    parser.add_argument("--startup-only", action="store_true",
                        help="measure only the start-up to the first answer (e.g. on a bench_scale.py --keep index)")
    parser.add_argument("--starts", type=int, default=1, help="start the app this many times (start-up figures of each)")
    args = parser.parse_args(argv)
    load_at_start = os.getloadavg()[0]
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="faqbot-bench-"))
    rows: list[tuple[str, str]] = []
    try:
        if args.index_dir:
            index_dir = args.index_dir.resolve()
            if not (index_dir / "CURRENT").is_file():
                parser.error(f"no index in {index_dir} (run: .venv/bin/python -m index build --index-dir {index_dir})")
            rows.append(("index build", f"skipped: existing index {index_dir}"))
        else:
            index_dir = tmp / "index"
            with start_app(index_dir, tmp / "data-build", questions[0]) as cold:
                built = next((ln.strip() for ln in cold.output.lines if ln.startswith("Index built")), "?")
                rows.append(("cold start incl. index build", f"{cold.first_answer_s:.2f} s to first answer ({built})"))
        for _ in range(args.starts - 1 if args.startup_only else 0):
            with start_app(index_dir, tmp / "data", questions[0]) as app:
                self_ready = next((ln.split()[2] for ln in app.output.lines if ln.startswith("Ready in")), "?")
                rows.append(("start-up on existing index", f"{app.first_answer_s:.2f} s to first /ask answer"))
                rows.append(("  of which serving /", f"{app.ready_s:.2f} s (app.py reports 'Ready in {self_ready} s')"))
        with start_app(index_dir, tmp / "data", questions[0]) as app:
            self_ready = next((ln.split()[2] for ln in app.output.lines if ln.startswith("Ready in")), "?")
            rows.append(("start-up on existing index", f"{app.first_answer_s:.2f} s to first /ask answer"))
            rows.append(("  of which serving /", f"{app.ready_s:.2f} s (app.py reports 'Ready in {self_ready} s')"))
            if args.startup_only:
                raise _Done
            for setup in CLIENT_SETUPS:
                trips, server = sequential(app.url, questions, args.sequential, setup)
                p95 = percentile(trips, 95)
                verdict = "OK" if p95 <= TARGET_P95_MS else "MISSED"
                rows.append((f"sequential x{len(trips)}, client {setup}",
                             f"p50 {percentile(trips, 50):.1f} / p95 {p95:.1f} / max {max(trips):.1f} ms"
                             f"  [{verdict}: target p95 <= {TARGET_P95_MS:g} ms]"))
                rows.append(("  server-side bot latency",
                             f"p50 {percentile(server, 50):.1f} / p95 {percentile(server, 95):.1f} ms"))
            for setup in CLIENT_SETUPS:
                conc, errors, elapsed = concurrent(app.url, questions, args.clients, args.seconds, setup)
                rows.append((f"{args.clients} clients x {args.seconds:g} s, client {setup}",
                             f"{len(conc)} answers, {len(conc) / elapsed:.1f} answers/s, {errors} errors, "
                             f"round trip p50 {percentile(conc, 50):.1f} / p95 {percentile(conc, 95):.1f} ms"))
        with start_noop() as noop_url:
            for setup in CLIENT_SETUPS:
                trips, _ = sequential(noop_url, questions, args.sequential, setup)
                rows.append((f"do-nothing endpoint x{len(trips)}, client {setup}",
                             f"p50 {percentile(trips, 50):.1f} / p95 {percentile(trips, 95):.1f} ms (the floor)"))
    except _Done:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    width = max(len(name) for name, _ in rows)
    print(f"\n{'measure':<{width}}  result\n{'-' * width}  {'-' * 60}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"\nmachine: {machine(load_at_start)}")
    print(f"command: cd {shlex.quote(str(ROOT))} && .venv/bin/python -m bench.bench_app {shlex.join(sys.argv[1:])}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
