"""The key that signs the OIDC sign-in cookie: never a default from the source, refused missing in
production, and one value for every gunicorn worker of a run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ekinerja_gateway.app import create_app
from ekinerja_kernel.config import MissingSecret
from ekinerja_kernel.localservers import free_port

ROOT = Path(__file__).resolve().parents[2]
UNROUTABLE = "pyamqp://guest:guest@127.0.0.1:1/"
# As a gunicorn master does: read the config file, then start workers that each build the app.
MASTER = f"""
import os, runpy, subprocess, sys
runpy.run_path({str(ROOT / "gateway" / "gunicorn.conf.py")!r})
worker = "from ekinerja_gateway.app import create_app; print(create_app({{'AMQP_URI': {UNROUTABLE!r}}}).secret_key)"
keys = {{subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(2)}}
print(len(keys), len(next(iter(keys))))
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GATEWAY_SECRET_KEY", "EKINERJA_ENV")}
    env.update(extra)
    return env


def test_every_worker_of_a_run_signs_with_the_key_the_master_made():
    run = subprocess.run([sys.executable, "-c", MASTER], capture_output=True, text=True, cwd=ROOT, env=clean_env(),
                         timeout=120)

    assert run.returncode == 0, run.stderr[-2000:]
    workers_keys, length = run.stdout.split()[-2:]
    assert workers_keys == "1" and int(length) >= 32


def test_two_runs_without_a_configured_key_do_not_share_one(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "")
    first = create_app({"AMQP_URI": UNROUTABLE}).secret_key
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "")
    second = create_app({"AMQP_URI": UNROUTABLE}).secret_key

    assert first and second and first != second


def test_the_configured_key_is_used(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "k" * 48)

    assert create_app({"AMQP_URI": UNROUTABLE}).secret_key == "k" * 48


def test_a_production_gateway_without_a_key_does_not_start(monkeypatch):
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "")
    monkeypatch.setenv("EKINERJA_ENV", "production")

    with pytest.raises(MissingSecret, match="GATEWAY_SECRET_KEY"):
        create_app({"AMQP_URI": UNROUTABLE})


def test_a_production_gunicorn_without_a_key_stops_before_any_worker_saying_why():
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    env = clean_env(EKINERJA_ENV="production", GATEWAY_PORT=str(free_port()), AMQP_URI=UNROUTABLE)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    run = subprocess.run([gunicorn, "-c", "gateway/gunicorn.conf.py", "ekinerja_gateway.app:create_app()"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)

    assert run.returncode != 0
    assert "GATEWAY_SECRET_KEY is not set" in run.stderr and "EKINERJA_ENV=production" in run.stderr
