"""The registry credential: never a fallback in production; the simulator's own elsewhere."""

from __future__ import annotations

import pytest

from ekinerja_kernel.config import MissingSecret
from sync.registry.client import SIMULATOR_CLIENT_SECRET, RegistrySettings


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    monkeypatch.setenv("SYNC_REGISTRY_URL", "http://r.test")
    for name in ("SYNC_REGISTRY_CLIENT_SECRET", "SYNC_PMM_CLIENT_SECRET", "EKINERJA_ENV"):
        monkeypatch.delenv(name, raising=False)


def test_a_production_start_with_a_registry_and_no_secret_refuses(monkeypatch):
    monkeypatch.setenv("EKINERJA_ENV", "production")

    with pytest.raises(MissingSecret, match="SYNC_REGISTRY_CLIENT_SECRET"):
        RegistrySettings.from_env()
    monkeypatch.setenv("SYNC_REGISTRY_CLIENT_SECRET", "from-the-secret-store")
    assert RegistrySettings.from_env().client_secret == "from-the-secret-store"


def test_without_a_registry_no_secret_is_needed(monkeypatch):
    monkeypatch.setenv("EKINERJA_ENV", "production")
    monkeypatch.delenv("SYNC_REGISTRY_URL")

    assert RegistrySettings.from_env() is None


def test_elsewhere_the_simulators_credential_unless_one_is_given(monkeypatch):
    assert RegistrySettings.from_env().client_secret == SIMULATOR_CLIENT_SECRET
    monkeypatch.setenv("SYNC_REGISTRY_CLIENT_SECRET", "made-by-make-up")
    assert RegistrySettings.from_env().client_secret == "made-by-make-up"
    assert RegistrySettings.from_env("SYNC_PMM", url="http://pmm.test").client_secret == "made-by-make-up"
