"""The real gateway under gunicorn, started exactly as deploy/Procfile does, with two workers:
it is ready when every service answers, and its metrics add up across the workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from ekinerja_kernel.localservers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
SERVICES = ("identity", "sync", "skp", "harian", "tukin")
HEALTHZ_REQUESTS = 40


class Gunicorn:
    def __init__(self, process: subprocess.Popen, port: int, log: Path, metrics_dir: Path) -> None:
        self.process = process
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.log = log
        self.metrics_dir = metrics_dir

    def url(self, path: str) -> str:
        return self.base + path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]


def procfile_command(name: str) -> str:
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}:"):
            return line.partition(":")[2].strip()
    raise AssertionError(f"no {name} line in {PROCFILE}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def gunicorn(rabbit, services, tmp_path_factory):
    command = procfile_command("gateway")
    assert command == 'gunicorn -c gateway/gunicorn.conf.py "ekinerja_gateway.app:create_app()"', command
    workdir = tmp_path_factory.mktemp("gunicorn")
    metrics_dir = workdir / "prometheus"
    metrics_dir.mkdir()
    log = workdir / "gunicorn.log"
    port = free_port()
    env = dict(os.environ)
    env.update({
        "AMQP_URI": rabbit.amqp_uri,
        "GATEWAY_PORT": str(port),
        "GATEWAY_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    })
    env.pop("GATEWAY_HOST", None)
    gunicorn_bin = str(Path(sys.executable).parent / "gunicorn")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [gunicorn_bin, "-c", "gateway/gunicorn.conf.py", "ekinerja_gateway.app:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Gunicorn(process, port, log, metrics_dir)
    try:
        def alive():
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {process.returncode}:\n{server.output()}")
            try:
                return requests.get(server.url("/healthz"), timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # still booting on a busy machine
                return False

        wait_for(alive, timeout=60, interval=0.1, what="gunicorn's /healthz")
        yield server
    finally:
        stop(process)


def healthz_total(text: str) -> float:
    return sum(sample.value
               for family in text_string_to_metric_families(text)  # raises unless valid exposition format
               for sample in family.samples
               if sample.name == "ekinerja_http_requests_total" and sample.labels.get("route") == "/healthz")


def metrics_text(server: Gunicorn) -> str:
    response = requests.get(server.url("/metrics"), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.text


def healthz_per_worker(metrics_dir: Path) -> dict[str, float]:
    """/healthz count written by each worker process, read from its own multiprocess file."""
    counts = {}
    for path in sorted(metrics_dir.glob("counter_*.db")):
        total = sum(sample.value
                    for metric in MultiProcessCollector.merge([str(path)])
                    for sample in metric.samples
                    if sample.name == "ekinerja_http_requests_total" and sample.labels.get("route") == "/healthz")
        counts[path.stem.removeprefix("counter_")] = total
    return counts


def test_readyz_reports_every_service_ok(gunicorn):
    response = requests.get(gunicorn.url("/readyz"), timeout=10)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["broker"] == "ok"
    assert set(body["services"]) == set(SERVICES)
    for name, state in body["services"].items():
        assert state["status"] == "ok", f"{name}: {state}"


def test_metrics_count_requests_of_both_workers(gunicorn):
    before = healthz_total(metrics_text(gunicorn))

    # Hold one worker on an unfinished request (the accept queue is FIFO, so the first worker to accept
    # takes this connection and blocks reading it): the 40 requests below are then all answered by the
    # other worker, and each worker has counted /healthz requests of its own.
    held = socket.create_connection(("127.0.0.1", gunicorn.port), timeout=30)
    try:
        held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(HEALTHZ_REQUESTS):
            response = requests.get(gunicorn.url("/healthz"), timeout=20)  # a new connection each time
            assert response.status_code == 200
            assert response.json() == {"status": "ok"}
        held.sendall(b"Connection: close\r\n\r\n")
        reply = b""
        while chunk := held.recv(65536):
            reply += chunk
    finally:
        held.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]

    after = healthz_total(metrics_text(gunicorn))

    assert after >= HEALTHZ_REQUESTS
    assert after - before == HEALTHZ_REQUESTS + 1, (before, after)
    per_worker = healthz_per_worker(gunicorn.metrics_dir)
    assert len([n for n in per_worker.values() if n > 0]) == 2, per_worker
    assert sum(per_worker.values()) == after


def test_unknown_path_is_problem_json_404(gunicorn):
    response = requests.get(gunicorn.url("/no/such/path"), timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "http-404"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_openapi_document_is_served_under_gunicorn(gunicorn):
    response = requests.get(gunicorn.url("/api/v1/openapi.json"), timeout=10)

    assert response.status_code == 200, response.text
    expected = json.loads((ROOT / "gateway" / "ekinerja_gateway" / "openapi.json").read_text(encoding="utf-8"))
    assert response.json() == expected
