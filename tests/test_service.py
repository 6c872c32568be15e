"""The service around the bot: re-indexing from the staff view, status, ratings, limits."""

from __future__ import annotations

import pytest

from bot.service import ClinicService
from index.build import ShrinkRefused
from index.store import read_history


@pytest.fixture
def service(fake_bot):
    return ClinicService(fake_bot.settings, bot=fake_bot)


def test_reindex_of_an_emptied_folder_is_refused_and_shown_to_staff(service):
    version = service.index_status()["version"]
    for path in service.settings.content_dir.iterdir():
        path.unlink()
    with pytest.raises(ShrinkRefused):
        service.reindex()
    status = service.index_status()
    assert status["version"] == version
    assert "0 articles" in status["last_error"]
    refused = [h for h in read_history(service.settings.index_dir) if h.get("error")]
    assert len(refused) == 1 and "--allow-shrink" in refused[0]["error"]


def test_global_ceiling_limits_many_clients_together(fake_bot):
    settings = fake_bot.settings.with_overrides(rate_limit_per_minute=100, rate_limit_global_per_minute=5)
    service = ClinicService(settings, bot=fake_bot)
    reasons = [service.ask("Combien de séances de laser ?", f"198.51.100.{i}").reason for i in range(7)]
    assert reasons.count("rate_limited") == 2, reasons
    assert reasons[-1] == "rate_limited"
