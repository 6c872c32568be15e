"""The deployment example: two replicas behind ``deploy/nginx.conf``, one index written by one writer.

Runs the real files where it can: nginx with ``deploy/nginx.conf`` (TLS and the
port-80 redirect taken out, ports replaced), two ``python app.py`` replicas
reading one index folder (hashing embedder, so they start in seconds) and one
PostgreSQL staff store, and ``python -m index update`` as the scheduled writer.
Skipped where nginx is not installed, except under CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from app_server import CONTENT, ROOT, free_port, serving, stop_process
from conftest import skip_unless_ci
from gradio_client import Client

from core.settings import load_settings
from service.staff_store import open_staff_store

DEPLOY = ROOT / "deploy"


def test_units_are_hardened_and_write_only_var():
    for name in ("faqbot@.service", "faqbot-index.service"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        directives = dict(re.findall(r"^(\w+)=(.*)$", text, re.MULTILINE))
        assert directives["User"] == "faqbot", name
        assert directives["ProtectSystem"] == "strict", name
        assert directives["ReadWritePaths"] == "/srv/faqbot/var", name
        for option in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices", "RestrictSUIDSGID"):
            assert directives[option] == "yes", (name, option)
        assert directives["CapabilityBoundingSet"] == "", name
    timer = (DEPLOY / "faqbot-index.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*:0/30" in timer and "Persistent=true" in timer
    assert "ReadOnlyPaths=/srv/faqbot/var/index" in (DEPLOY / "replica.conf").read_text(encoding="utf-8")


def _nginx_conf(tmp: Path, listen: int, replicas: list[int]) -> Path:
    """deploy/nginx.conf on plain HTTP at ``listen``, proxying to ``replicas``, inside a minimal main file."""
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, count=1, flags=re.DOTALL)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{listen};")
    site = re.sub(r"\s*ssl_certificate(_key)? .*;", "", site)
    site = site.replace("127.0.0.1:7861", f"127.0.0.1:{replicas[0]}").replace("127.0.0.1:7862", f"127.0.0.1:{replicas[1]}")
    (tmp / "faqbot.conf").write_text(site, encoding="utf-8")
    temp_paths = " ".join(f"{kind}_temp_path {tmp}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp / "nginx.conf"
    main.write_text(
        f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;\nevents {{}}\n"
        f"http {{ access_log {tmp}/access.log; {temp_paths} include {tmp}/faqbot.conf; }}\n",
        encoding="utf-8",
    )
    return main


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
@pytest.mark.postgres
def test_two_replicas_behind_nginx_follow_one_writer(postgres_url):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        message = "nginx is not installed: `apt-get install nginx-light` (scripts/setup.sh --dev does it)"
        skip_unless_ci(message)
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS unanswered, feedback")
    tmp = Path(tempfile.mkdtemp(prefix="faqbot-deploy-"))
    try:
        content = tmp / "content"
        shutil.copytree(CONTENT, content)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
        env.update(
            FAQBOT_CONTENT_DIR=str(content), FAQBOT_INDEX_DIR=str(tmp / "index"), FAQBOT_DATA_DIR=str(tmp / "data"),
            FAQBOT_EMBEDDING_MODEL="hashing-64", FAQBOT_REINDEX_EVERY="0", FAQBOT_INDEX_CHECK_SECONDS="1",
            FAQBOT_DATABASE_URL=postgres_url, FAQBOT_RATE_LIMIT_PER_MINUTE="1000", FAQBOT_HOST="127.0.0.1",
            HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1",
            NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        )
        # The writer builds the first version before the replicas start, as at installation.
        subprocess.run([sys.executable, "-m", "index", "build"], cwd=ROOT, env=env, check=True, capture_output=True)
        ports = [free_port(), free_port()]
        proxy_port = free_port()
        conf = _nginx_conf(tmp, proxy_port, ports)
        proxy = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{proxy_port}"
        try:
            with serving([sys.executable, "app.py"], {**env, "FAQBOT_PORT": str(ports[0])}, f"http://127.0.0.1:{ports[0]}"), \
                 serving([sys.executable, "app.py"], {**env, "FAQBOT_PORT": str(ports[1])}, f"http://127.0.0.1:{ports[1]}"):
                assert _wait_for(lambda: httpx.get(base + "/healthz", timeout=5).status_code == 200), (tmp / "error.log").read_text()
                # The chat as the page uses it (Gradio's queue) and the API, through the proxy.
                client = Client(base, verbose=False)
                _, history = client.predict("Écris-moi un poème sur la mer", api_name="/ask_chat")
                assert [m["role"] for m in history[-2:]] == ["user", "assistant"]
                assert client.predict("Pourquoi ne proposez-vous pas les exosomes ?", api_name="/ask")["status"]
                # Each replica records an unanswered question in the one staff store.
                for i, port in enumerate(ports):
                    Client(f"http://127.0.0.1:{port}", verbose=False).predict(
                        f"Vendez-vous des cartes cadeaux, réplique {chr(65 + i)} ?", api_name="/ask")

                # The scheduled writer adds an article; both replicas switch to the new version.
                (content / "nouvel-article.md").write_text(
                    "---\ntitle: Les cartes cadeaux\n---\n# Les cartes cadeaux\n\nLa clinique propose des cartes cadeaux.\n",
                    encoding="utf-8")
                subprocess.run([sys.executable, "-m", "index", "update"], cwd=ROOT, env=env, check=True, capture_output=True)
                for port in ports:
                    url = f"http://127.0.0.1:{port}/healthz"
                    assert _wait_for(lambda url=url: httpx.get(url, timeout=5).json()["index_version"] == 2), port
                metrics = httpx.get(f"http://127.0.0.1:{ports[0]}/metrics", timeout=5).text
                assert 'faqbot_index_last_update_result{result="written"} 1.0' in metrics
                assert httpx.get(base + "/metrics", timeout=5).status_code == 200  # loopback is allowed
        finally:
            stop_process(proxy)

        store = open_staff_store(load_settings(env={}, database_url=postgres_url))
        try:
            questions = {g["question"] for g in store.unanswered_groups()}
        finally:
            store.close()
        assert {f"Vendez-vous des cartes cadeaux, réplique {chr(65 + i)} ?" for i in range(len(ports))} <= questions
        assert "Écris-moi un poème sur la mer" in questions
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
