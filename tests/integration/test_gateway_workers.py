"""The real gateway under gunicorn, started exactly as deploy/Procfile does, with two workers:
it is ready when every service answers, and its metrics add up across the workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
SERVICES = ("identity", "sync", "skp", "harian", "tukin", "events")
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


def test_readyz_says_the_worker_can_serve_and_deep_reports_every_service_ok(gunicorn):
    response = requests.get(gunicorn.url("/readyz"), timeout=10)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["broker"] == "ok" and body["revocations"]["status"] == "current"
    assert "services" not in body  # a worker's readiness is its own

    deep = requests.get(gunicorn.url("/readyz?deep=1"), timeout=10)
    assert deep.status_code == 200, deep.text
    body = deep.json()
    assert set(body["services"]) == set(SERVICES)
    for name, state in body["services"].items():
        assert state["status"] == "ok" and state["database"] == "ok", f"{name}: {state}"


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


# --- ending a session ends it on every worker ------------------------------------------------------
#
# Each gunicorn worker decides alone whether an access token still counts, from what it has heard of
# identity's session.revoked events. To ask one worker on purpose, the other is held on an
# unfinished request (the accept queue is FIFO): the first hold takes whichever worker accepts
# first, every request meanwhile reaches the other; a second hold then takes that other worker, and
# releasing the first frees the first worker alone.

REVOCATION_SECONDS = 5.0
RESETTER = ("199207222019031008", "3171012207920008", "Reza Revoke")
RESET_PASSWORD = "Kinerja-Sesi-2026"


def hold(server: Gunicorn) -> socket.socket:
    held = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    held.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return held


def release(held: socket.socket) -> None:
    try:
        held.sendall(b"Connection: close\r\n\r\n")
        reply = b""
        while chunk := held.recv(65536):
            reply += chunk
    finally:
        held.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]


def on_each_worker(server: Gunicorn, check, deadline: float, what: str) -> None:
    """`check()` holds on one worker, then on the other, each polled until `deadline` (monotonic)."""
    def poll(where: str) -> None:
        wait_for(check, timeout=max(0.0, deadline - time.monotonic()), interval=0.05, what=f"{what} on {where}")

    first = hold(server)
    try:
        poll("one worker")
        second = hold(server)
        try:
            release(first)
            first = None
            poll("the other worker")
        finally:
            release(second)
    finally:
        if first is not None:
            release(first)


def me(server: Gunicorn, token: str) -> requests.Response:
    return requests.get(server.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"}, timeout=10)


def accepted(server: Gunicorn, token: str):
    return lambda: me(server, token).status_code == 200


def refused(server: Gunicorn, token: str):
    def check() -> bool:
        response = me(server, token)
        if response.status_code != 401:
            assert response.status_code == 200, response.text  # still counted, or refused: nothing else
            return False
        assert response.headers["Content-Type"].split(";")[0].strip() == "application/problem+json"
        body = response.json()
        assert body["code"] == "session-revoked" and body["detail"] and body["detail_id"], body
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        return True
    return check


def sign_in(server: Gunicorn, nip: str, password: str) -> dict:
    response = requests.post(server.url("/api/v1/auth/login"), json={"nip": nip, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "authenticated", body
    return body


def plain_demo_account(demo_logins: dict, index: int) -> dict:
    plain = [a for a in demo_logins.values() if "totp_secret" not in a and a["roles"] == ["pegawai"]]
    return plain[index]


def soon() -> float:
    return time.monotonic() + REVOCATION_SECONDS


def test_after_logout_the_token_is_refused_on_both_workers_within_seconds(gunicorn, demo_logins):
    account = plain_demo_account(demo_logins, 0)
    session = sign_in(gunicorn, account["nip"], account["password"])
    on_each_worker(gunicorn, accepted(gunicorn, session["access_token"]), soon(), "the token to be accepted")

    out = requests.post(gunicorn.url("/api/v1/auth/logout"),
                        headers={"Authorization": f"Bearer {session['access_token']}"}, timeout=10)
    assert out.status_code == 200, out.text

    on_each_worker(gunicorn, refused(gunicorn, session["access_token"]), soon(), "the logged-out token's refusal")


def test_a_revoked_session_s_token_is_refused_on_both_workers_and_the_other_session_stays(gunicorn, demo_logins):
    account = plain_demo_account(demo_logins, 1)
    phone = sign_in(gunicorn, account["nip"], account["password"])
    laptop = sign_in(gunicorn, account["nip"], account["password"])
    on_each_worker(gunicorn, accepted(gunicorn, phone["access_token"]), soon(), "the phone's token to be accepted")

    revoked = requests.delete(gunicorn.url(f"/api/v1/auth/sessions/{phone['session_id']}"),
                              headers={"Authorization": f"Bearer {laptop['access_token']}"}, timeout=10)
    assert revoked.status_code == 200, revoked.text

    on_each_worker(gunicorn, refused(gunicorn, phone["access_token"]), soon(), "the revoked session's refusal")
    on_each_worker(gunicorn, accepted(gunicorn, laptop["access_token"]), soon(), "the other session to still count")


def test_a_reused_refresh_token_ends_the_session_s_access_tokens_on_both_workers(gunicorn, demo_logins):
    account = plain_demo_account(demo_logins, 2)
    first = sign_in(gunicorn, account["nip"], account["password"])
    rotated = requests.post(gunicorn.url("/api/v1/auth/refresh"), json={"refresh_token": first["refresh_token"]},
                            timeout=10).json()
    assert rotated["session_id"] == first["session_id"]
    on_each_worker(gunicorn, accepted(gunicorn, rotated["access_token"]), soon(), "the rotated token to be accepted")

    reuse = requests.post(gunicorn.url("/api/v1/auth/refresh"), json={"refresh_token": first["refresh_token"]},
                          timeout=10)
    assert reuse.status_code == 401, reuse.text

    deadline = soon()
    on_each_worker(gunicorn, refused(gunicorn, rotated["access_token"]), deadline, "the newest token's refusal")
    on_each_worker(gunicorn, refused(gunicorn, first["access_token"]), deadline, "the first token's refusal")


def test_a_password_reset_ends_every_session_s_tokens_on_both_workers(gunicorn, rpc, mailbox, demo_logins,
                                                                      service_databases):
    from builders import employee

    nip, nik, name = RESETTER
    head = next(a["nip"] for a in demo_logins.values() if a["agency_id"] == "kemendemo" and "atasan" in a["roles"])
    row = employee(nip, nik, name, agency_id="kemendemo", unit_id="kd-bag-eval", position_id="kd-prakom",
                   supervisor=head)
    assert rpc.sync.import_records({"employees": [row]})["rejected"] == 0

    engine = create_engine(service_databases["identity"])

    def known() -> bool:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM accounts WHERE nip = :n"), {"n": nip}).first() is not None

    try:
        wait_for(known, timeout=30, what="identity's copy of the new employee")
    finally:
        engine.dispose()

    def mail_token(path: str, body: dict) -> str:
        before = len(mailbox.messages(row["email"]))
        response = requests.post(gunicorn.url(path), json=body, timeout=10)
        assert response.status_code == 202, response.text
        wait_for(lambda: len(mailbox.messages(row["email"])) > before, timeout=30, what=f"the mail of {path}")
        return mailbox.token_in(mailbox.messages(row["email"])[-1])

    token = mail_token("/api/v1/auth/activation", {"nip": nip, "nik": nik, "email": row["email"]})
    assert requests.post(gunicorn.url("/api/v1/auth/activation/confirm"),
                         json={"token": token, "password": RESET_PASSWORD}, timeout=10).status_code == 200
    one, two = sign_in(gunicorn, nip, RESET_PASSWORD), sign_in(gunicorn, nip, RESET_PASSWORD)
    on_each_worker(gunicorn, accepted(gunicorn, one["access_token"]), soon(), "the token to be accepted")

    token = mail_token("/api/v1/auth/password/forgot", {"nip": nip, "email": row["email"]})
    reset = requests.post(gunicorn.url("/api/v1/auth/password/reset"),
                          json={"token": token, "password": RESET_PASSWORD + "!"}, timeout=10)
    assert reset.status_code == 200, reset.text

    deadline = soon()
    on_each_worker(gunicorn, refused(gunicorn, one["access_token"]), deadline, "the first session's refusal")
    on_each_worker(gunicorn, refused(gunicorn, two["access_token"]), deadline, "the second session's refusal")
    fresh = sign_in(gunicorn, nip, RESET_PASSWORD + "!")
    on_each_worker(gunicorn, accepted(gunicorn, fresh["access_token"]), soon(), "a new session to count")

