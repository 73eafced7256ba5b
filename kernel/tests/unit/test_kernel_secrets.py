"""Secrets come from the environment only: a production start refuses to run without one, and
elsewhere one random value is made per process tree (the source holds no default)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ekinerja_kernel import config

NAME = "EKINERJA_TEST_SECRET"


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in (NAME, "EKINERJA_ENV"):  # set, then removed: what a test writes is undone after it
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_a_given_secret_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv(NAME, "x" * 40)

    assert config.secret(NAME) == "x" * 40


def test_without_one_a_development_start_makes_a_random_one_and_keeps_it_for_its_children(monkeypatch):
    made = config.secret(NAME)

    assert len(made) >= config.MIN_SECRET_LENGTH
    assert config.secret(NAME) == made  # asked again (another app in this process): the same
    child = subprocess.run([sys.executable, "-c", f"import os; print(os.environ['{NAME}'])"],
                           capture_output=True, text=True, check=True)
    assert child.stdout.strip() == made  # what this process starts afterwards inherits it
    monkeypatch.delenv(NAME)
    assert config.secret(NAME) != made  # another run, another secret: nothing fixed in the source


@pytest.mark.parametrize("value", [None, "", "too-short"])
def test_a_production_start_without_a_proper_secret_refuses_saying_why(monkeypatch, value):
    monkeypatch.setenv("EKINERJA_ENV", "production")
    if value is not None:
        monkeypatch.setenv(NAME, value)

    with pytest.raises(config.MissingSecret) as refused:
        config.secret(NAME)

    assert NAME in str(refused.value) and "EKINERJA_ENV=production" in str(refused.value)
    assert config.os.environ.get(NAME, "") == (value or "")  # nothing was made up


def test_production_is_recognised_by_ekinerja_env(monkeypatch):
    assert not config.production()
    monkeypatch.setenv("EKINERJA_ENV", "Production ")
    assert config.production()
    monkeypatch.setenv("EKINERJA_ENV", "staging")
    assert not config.production()


def test_a_production_start_refuses_the_sqlite_fallback(monkeypatch):
    monkeypatch.delenv("IDENTITY_DATABASE_URL", raising=False)
    monkeypatch.setenv("EKINERJA_ENV", "production")

    with pytest.raises(RuntimeError, match="IDENTITY_DATABASE_URL"):
        config.database_url("identity")
