"""The deployment files agree with the code and with each other: the Procfile's processes exist,
each has its runbook and a Kubernetes Deployment (deploy/k8s/base) whose container runs that same
Procfile line through the image's entrypoint, and the demo accounts are usable. No broker or
database is needed. The rendered overlays are checked in test_deploy_k8s.py."""

from __future__ import annotations

import base64
import binascii
import importlib
import inspect
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from nameko.containers import get_service_name
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = ("identity", "sync", "skp", "harian", "tukin", "events")
TARGET = re.compile(r"^([A-Za-z_][\w.]*):([A-Za-z_]\w*)(\(\))?$")


def procfile() -> dict[str, str]:
    processes = {}
    for line in (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        assert sep and re.fullmatch(r"[a-z][a-z0-9_-]*", name), f"malformed Procfile line: {line!r}"
        assert name not in processes, f"process {name} appears twice in the Procfile"
        processes[name] = command.strip()
    return processes


PROCESSES = procfile()
# Processes of the development stack only (`make up`), not deployed: no Kubernetes manifest.
DEV_ONLY = {"registry"}


def target_of(command: str) -> tuple[str, str, str]:
    """(token, module, attribute) of the one `module:attr` argument of a Procfile command."""
    targets = [t for t in shlex.split(command) if TARGET.match(t)]
    assert len(targets) == 1, f"expected one module:attribute in {command!r}, found {targets}"
    match = TARGET.match(targets[0])
    return targets[0], match.group(1), match.group(2)


def load(module: str, attribute: str):
    return getattr(importlib.import_module(module), attribute)


def deployment(name: str) -> dict:
    path = DEPLOY / "k8s" / "base" / f"{name}.yaml"
    assert path.is_file(), f"{path} is missing"
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    assert len(deployments) == 1, f"{path}: expected one Deployment, found {len(deployments)}"
    return deployments[0]


def test_procfile_lists_every_service_the_gateway_and_the_web():
    assert set(PROCESSES) == {*SERVICES, "gateway", "web", *DEV_ONLY}


def test_procfile_registry_is_the_simulator_serving_the_demo_data():
    argv = shlex.split(PROCESSES["registry"])
    assert argv[:3] == ["python", "-m", "sync.registry.simulator"]
    assert (ROOT / argv[argv.index("--data") + 1]).is_file()
    assert importlib.import_module("sync.registry.simulator").main


@pytest.mark.parametrize("name", SERVICES)
def test_procfile_service_line_names_a_nameko_service_of_that_name(name):
    command = PROCESSES[name]
    argv = shlex.split(command)
    assert argv[:2] == ["nameko", "run"], command
    config = argv[argv.index("--config") + 1]
    assert (ROOT / config).is_file(), f"{name}: nameko config {config} does not exist"
    _, module, attribute = target_of(command)

    cls = load(module, attribute)

    assert inspect.isclass(cls), f"{module}:{attribute} is not a class"
    assert get_service_name(cls) == name
    entrypoints = [ext for _, member in inspect.getmembers(cls, callable)
                   for ext in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ())]
    assert any(isinstance(ext, Rpc) for ext in entrypoints), f"{module}:{attribute} has no RPC entrypoint"


@pytest.mark.parametrize(("name", "module"), [("gateway", "ekinerja_gateway.app"), ("web", "ekinerja_web.app")])
def test_procfile_http_line_names_the_app_factory(name, module):
    command = PROCESSES[name]
    argv = shlex.split(command)
    assert argv[0] == "gunicorn"
    config = argv[argv.index("-c") + 1]
    assert (ROOT / config).is_file(), f"gunicorn config {config} does not exist"
    token, found, attribute = target_of(command)
    assert token.endswith("()"), f"{token}: gunicorn must call the factory"

    factory = load(found, attribute)

    assert callable(factory)
    assert (found, attribute) == (module, "create_app")


def test_shared_nameko_config_parses():
    config = yaml.safe_load((DEPLOY / "nameko.yaml").read_text(encoding="utf-8"))
    assert {"AMQP_URI", "serializer", "max_workers", "LOGGING"} <= set(config)


@pytest.mark.parametrize("name", sorted(PROCESSES))
def test_runbook_exists_and_shows_the_procfile_command(name):
    runbook = DEPLOY / "services" / f"{name}.md"

    assert runbook.is_file(), f"{runbook} is missing"
    assert PROCESSES[name] in runbook.read_text(encoding="utf-8"), f"{runbook} does not show the Procfile command"


@pytest.mark.parametrize("name", sorted(set(PROCESSES) - DEV_ONLY))
def test_k8s_deployment_runs_the_procfile_line(name, tmp_path):
    containers = deployment(name)["spec"]["template"]["spec"]["containers"]

    assert len(containers) == 1, f"{name}: expected one container"
    assert "command" not in containers[0], f"{name}: the image's entrypoint (deploy/bin/process) starts it"
    args = containers[0]["args"]
    assert args == [name]
    # What the entrypoint runs for these args: the Procfile's line, word for word.
    echoing = tmp_path / "Procfile"
    echoing.write_text("".join(f"{n}: echo {shlex.quote(c)}\n" for n, c in PROCESSES.items()), encoding="utf-8")
    ran = subprocess.run([str(DEPLOY / "bin" / "process"), *args], env={**os.environ, "PROCFILE": str(echoing)},
                         capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == PROCESSES[name]


@pytest.fixture(scope="module")
def accounts():
    data = json.loads((DEPLOY / "demo" / "accounts.json").read_text(encoding="utf-8"))
    assert isinstance(data.get("accounts"), list) and data["accounts"], "accounts.json has no accounts list"
    return data["accounts"]


@pytest.fixture(scope="module")
def employees():
    data = json.loads((DEPLOY / "demo" / "masterdata.json").read_text(encoding="utf-8"))
    return {e["nip"]: e for e in data["employees"]}


def test_demo_accounts_are_employees_with_passwords_and_roles(accounts, employees):
    nips = [a.get("nip") for a in accounts]
    assert len(nips) == len(set(nips)), "an account NIP appears twice"
    for account in accounts:
        nip = account.get("nip")
        assert isinstance(nip, str) and re.fullmatch(r"\d{18}", nip), f"bad nip: {nip!r}"
        assert nip in employees, f"{nip} is not an employee in masterdata.json"
        assert isinstance(account.get("password"), str) and account["password"], f"{nip}: no password"
        roles = account.get("roles")
        assert isinstance(roles, list) and roles, f"{nip}: roles must be a non-empty list"
        assert all(isinstance(r, str) and r for r in roles), f"{nip}: roles {roles}"
        if "agency_id" in account:
            assert account["agency_id"] == employees[nip]["agency_id"], f"{nip}: agency differs from masterdata"


def test_demo_totp_secrets_are_base32(accounts):
    secrets = [a for a in accounts if "totp_secret" in a]
    assert secrets, "no demo account has a TOTP secret to try MFA with"
    for account in secrets:
        secret = account["totp_secret"]
        assert isinstance(secret, str) and secret, f"{account['nip']}: empty totp_secret"
        try:
            key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        except (binascii.Error, ValueError) as exc:
            pytest.fail(f"{account['nip']}: totp_secret is not base32: {exc}")
        assert len(key) >= 10, f"{account['nip']}: TOTP key shorter than 80 bits"
