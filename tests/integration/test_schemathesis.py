"""The real gateway under gunicorn in front of every service, tested from outside: schemathesis
over its OpenAPI document as a signed-in employee finds no 5xx and no answer outside its schema;
and the limits hold on the wire (a chunked body over the limit is 413, a request line longer than
gunicorn takes is 414, every one of them problem+json)."""

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
from schemathesis_run import demo_employee
from schemathesis_run import run as run_schemathesis

from ekinerja_kernel.localservers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"
# These two ask the national registry, which this stack does not run (without one they answer 503
# registry-not-configured, rightly a server-side state): tests/integration/test_sync_registry.py
# covers them with the registry simulator, and `make schemathesis` includes them.
WITHOUT_REGISTRY = ("/api/v1/me/sync", "/api/v1/me/pmm/sync")


@pytest.fixture(scope="module")
def gateway_url(rabbit, services, demo_logins, tmp_path_factory):
    """gunicorn started as deploy/Procfile starts it, with two workers."""
    workdir = tmp_path_factory.mktemp("gunicorn-schemathesis")
    port = free_port()
    env = {**os.environ, "AMQP_URI": rabbit.amqp_uri, "GATEWAY_PORT": str(port), "GATEWAY_WORKERS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(workdir), "AUTH_RATE_LIMIT": "100000", "SUBMIT_RATE_LIMIT": "100000"}
    env.pop("GATEWAY_HOST", None)
    log = workdir / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gateway/gunicorn.conf.py",
                                    "ekinerja_gateway.app:create_app()"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            return requests.get(f"{base}/readyz", timeout=3).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    try:
        wait_for(ready, timeout=90, interval=0.2, what="the gateway's /readyz")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def raw_request(base: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends `data` as it is on one connection; the status, headers and body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(data)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.timeout(900)  # the stack starting on a busy two-core machine; the run itself is ~2 minutes
def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema(gateway_url):
    nip, password = demo_employee()

    # The document's examples and a few generated cases per operation, within the suite's time;
    # `make schemathesis` adds the coverage phase (every boundary of the document) and more cases.
    result = run_schemathesis(gateway_url, nip, password, max_examples=3, workers=2, excluded=WITHOUT_REGISTRY,
                              phases="examples,fuzzing", timeout=600)

    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout, result.stdout[-3000:]


def test_a_chunked_body_over_the_limit_is_413_problem(gateway_url):
    def chunks():
        piece = b"x" * 65536
        yield b'{"nip": "198201272019112004", "password": "'
        for _ in range(20):  # 1.25 MiB, more than the 1 MiB limit
            yield piece
        yield b'"}'

    response = requests.post(f"{gateway_url}/api/v1/auth/login", data=chunks(),
                             headers={"Content-Type": "application/json"}, timeout=30)

    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413 and response.headers["Content-Type"] == PROBLEM
    assert response.json()["code"] == "body-too-large" and response.json()["detail_id"]


def test_uris_too_long_for_the_app_or_for_gunicorn_are_414_problems(gateway_url):
    for length in (8100, 20_000):
        status, headers, body = raw_request(
            gateway_url, f"GET /healthz?x={'a' * length} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .encode())

        assert status == 414 and headers["content-type"] == PROBLEM, (length, body[:300])
        problem = json.loads(body)
        assert problem["status"] == 414 and problem["code"] == "uri-too-long" and problem["detail_id"]
