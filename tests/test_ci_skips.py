"""A test whose requirement is missing is skipped on a developer's machine and fails under CI."""

from __future__ import annotations

import pytest
from conftest import skip_unless_ci


def test_missing_requirement_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="seed page"):
        skip_unless_ci("no seed page")


def test_missing_requirement_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="seed page.*under CI"):
        skip_unless_ci("no seed page")


def test_missing_seed_page_fails_under_ci(monkeypatch, tmp_path):
    import conftest

    monkeypatch.setattr(conftest, "SEED", tmp_path / "absent.txt")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="seed page"):
        conftest.seed_page.__wrapped__()
