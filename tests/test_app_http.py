"""The app's HTTP surface in process (hashing embedder): uploads, staff login, headers, article links.

Slow only because importing and building Gradio takes a few seconds; no model, no subprocess.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import CONTENT, make_settings

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"


def _app(tmp_path, **overrides):
    from app import create_app
    from bot.engine import Bot
    from index.build import sync_index
    from index.embedder import HashingEmbedder
    from service.clinic import ClinicService

    content = tmp_path / "content"
    if not content.exists():
        shutil.copytree(CONTENT, content)
    settings = make_settings(tmp_path, content, **overrides)
    embedder = HashingEmbedder(64)
    sync_index(settings, embedder=embedder, full=True)
    service = ClinicService(settings, bot=Bot(settings, embedder=embedder))
    return create_app(settings, service), service


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from fastapi.testclient import TestClient

    tmp = tmp_path_factory.mktemp("http")
    app, service = _app(tmp, staff_password=PASSWORD, frame_ancestors="'self' https://clinique.example")
    with TestClient(app, follow_redirects=False) as client:
        yield client, service


def test_patient_app_refuses_uploads(served):
    client, _ = served
    for path in ("/gradio_api/upload", "/upload"):
        response = client.post(path, files={"files": ("big.bin", b"\0" * 200_000)})
        assert response.status_code == 403, (path, response.text[:200])


def test_staff_uploads_need_a_login(served):
    client, _ = served
    response = client.post("/staff/gradio_api/upload", files={"files": ("eval.jsonl", b"{}\n")})
    assert response.status_code == 401


def test_headers_patient_frameable_by_the_clinic_staff_never(served):
    client, _ = served
    patient = client.get("/")
    assert patient.status_code == 200
    assert patient.headers["content-security-policy"] == "frame-ancestors 'self' https://clinique.example"
    assert patient.headers["x-content-type-options"] == "nosniff"
    staff = client.get("/staff/")
    assert staff.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert staff.headers["x-frame-options"] == "DENY"


def test_article_page_refuses_a_link_made_after_indexing(served, tmp_path):
    client, service = served
    source = next(iter(service.bot.index_manifest["articles"]))
    assert client.get(f"/articles/{source}").status_code == 200
    article = service.settings.content_dir / source
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Secret\n---\nFAQBOT_STAFF_PASSWORD=do-not-show\n", encoding="utf-8")
    kept = article.read_bytes()
    article.unlink()
    article.symlink_to(secret)
    try:
        response = client.get(f"/articles/{source}")
        assert response.status_code == 404 and "do-not-show" not in response.text
    finally:
        article.unlink()
        article.write_bytes(kept)


def test_staff_login_is_locked_after_repeated_failures(served):
    client, _ = served
    headers = {"X-Forwarded-For": "192.0.2.77"}  # not believed: no proxy is trusted
    codes = [
        client.post("/staff/login", data={"username": "x", "password": f"wrong {i}"}, headers=headers).status_code
        for i in range(6)
    ]
    assert codes[:5] == [400] * 5 and codes[5] == 429, codes
    refused = client.post("/staff/login", data={"username": "x", "password": PASSWORD})
    assert refused.status_code == 429


def test_short_staff_password_leaves_the_view_disabled(tmp_path):
    from fastapi.testclient import TestClient

    app, _ = _app(tmp_path, staff_password="a")
    with TestClient(app, follow_redirects=False) as client:
        login = client.post("/staff/login", data={"username": "x", "password": "a"})
        assert login.status_code != 200 or "success" not in login.text
        assert client.post("/staff/gradio_api/upload", files={"files": ("x", b"x")}).status_code == 403
        config = client.get("/staff/config").text
        assert "12 characters" in config
