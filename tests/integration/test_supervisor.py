"""`make up`'s supervisor (deploy/bin/supervise.py): a process that dies is started again on its own,
with a growing delay while it keeps dying, and the others keep serving meanwhile; N copies of a
process run side by side; stopping the supervisor stops every process."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ekinerja_kernel.localservers import free_port, port_open, wait_for

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = ROOT / "deploy" / "bin" / "supervise.py"

# A process that answers HTTP with its pid and replica number, on PINGER_PORT + its replica number.
PINGER = """
import http.server, os, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{os.getpid()} {os.environ['EKINERJA_REPLICA']}".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
print("pinger listening", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


@functools.cache
def load_supervise():
    spec = importlib.util.spec_from_file_location("supervise", SUPERVISE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["supervise"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def real_procfile_line(name: str) -> str:
    for line in (ROOT / "deploy" / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}:"):
            return line
    raise AssertionError(f"no {name} line in deploy/Procfile")


class Stack:
    """The supervisor in its own process, as deploy/bin/dev starts it."""

    def __init__(self, tmp: Path, procfile: str, *args: str, **env: str) -> None:
        self.state = tmp / "supervisor.json"
        self.log = tmp / "services.log"
        (tmp / "Procfile").write_text(procfile, encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, str(SUPERVISE), "run", "--procfile", str(tmp / "Procfile"),
             "--state", str(self.state), *args],
            # As under make: the venv's commands first on PATH (the Procfile says `python`, `nameko`).
            cwd=ROOT, env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env},
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def processes(self) -> dict[str, dict]:
        try:
            return {p["name"]: p for p in json.loads(self.state.read_text())["processes"]}
        except (OSError, ValueError):
            return {}

    def running(self, name: str) -> dict | None:
        proc = self.processes().get(name)
        return proc if proc and proc["state"] == "running" else None

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)


def get(port: int) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
        return response.status, response.read().decode()


def answers(port: int) -> bool:
    try:
        get(port)
        return True
    except (OSError, urllib.error.URLError):
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def pinger(tmp_path):
    script = tmp_path / "pinger.py"
    script.write_text(PINGER, encoding="utf-8")
    return f"{sys.executable} {script}"


def test_a_killed_process_comes_back_while_the_others_keep_answering(tmp_path, pinger):
    base, registry_port = free_port(), free_port()
    while {base + 1, base + 2} & {registry_port}:
        registry_port = free_port()
    procfile = (f"pinger: {pinger} $((PINGER_PORT + EKINERJA_REPLICA))\n"
                f"{real_procfile_line('registry')}\n")
    stack = Stack(tmp_path, procfile, "--replicas", "pinger=2",
                  PINGER_PORT=str(base), REGISTRY_PORT=str(registry_port), SUPERVISOR_BACKOFF_BASE="0.2")
    try:
        wait_for(lambda: answers(base + 1) and answers(base + 2) and port_open(registry_port),
                 timeout=60, what="both pingers and the registry simulator")
        procs = stack.processes()
        assert set(procs) == {"pinger.1", "pinger.2", "registry.1"}
        first, second, registry = procs["pinger.1"]["pid"], procs["pinger.2"]["pid"], procs["registry.1"]["pid"]
        assert get(base + 1) == (200, f"{first} 1")
        assert get(base + 2) == (200, f"{second} 2")

        os.kill(first, signal.SIGKILL)

        answered = 0

        def back_and_others_answering():
            nonlocal answered
            # Every round the other copy and the registry answer, from the same processes.
            assert get(base + 2) == (200, f"{second} 2")
            with urllib.request.urlopen(f"http://127.0.0.1:{registry_port}/_control/state", timeout=2):
                pass
            answered += 1
            proc = stack.running("pinger.1")
            return proc if proc and proc["pid"] != first and answers(base + 1) else None

        restarted = wait_for(back_and_others_answering, timeout=30, interval=0.02, what="pinger.1 back")

        assert answered >= 1
        assert restarted["restarts"] == 1 and restarted["last_exit"] == "killed by SIGKILL"
        assert get(base + 1) == (200, f"{restarted['pid']} 1")
        procs = stack.processes()
        assert procs["pinger.2"]["pid"] == second and procs["pinger.2"]["restarts"] == 0
        assert procs["registry.1"]["pid"] == registry and procs["registry.1"]["restarts"] == 0
        log = stack.log.read_text()
        assert f"pinger.1 (pid={first}) died: killed by SIGKILL" in log
        assert f"pinger.1 started (pid={restarted['pid']})" in log
        assert re.search(r"^\d\d:\d\d:\d\d pinger\.2 +\| pinger listening$", log, re.MULTILINE)
    finally:
        assert stack.stop() == 0

    # Stopping the supervisor stops every process it started.
    assert not any(alive(p) for p in (restarted["pid"], second, registry))
    assert all(p["state"] == "stopped" for p in stack.processes().values())


def test_a_process_that_keeps_dying_is_retried_with_a_growing_delay(tmp_path, pinger):
    port = free_port()
    procfile = (f"crasher: {sys.executable} -c 'import sys; print(\"crashing\"); sys.exit(3)'\n"
                f"pinger: {pinger} $((PINGER_PORT + EKINERJA_REPLICA - 1))\n")
    stack = Stack(tmp_path, procfile, PINGER_PORT=str(port),
                  SUPERVISOR_BACKOFF_BASE="0.05", SUPERVISOR_BACKOFF_MAX="0.4")
    try:
        wait_for(lambda: answers(port), timeout=30, what="the pinger")
        pid = stack.processes()["pinger.1"]["pid"]

        wait_for(lambda: stack.processes()["crasher.1"]["restarts"] >= 5, timeout=30, what="five restarts")

        log = stack.log.read_text()
        delays = [line.split(" in ")[1].split("s,")[0] for line in log.splitlines() if "crasher.1 (pid=" in line]
        assert delays[:5] == ["0.1", "0.1", "0.2", "0.4", "0.4"]  # 0.05, 0.1, 0.2, then capped (1 decimal)
        assert "exit code 3" in log
        assert stack.processes()["pinger.1"]["pid"] == pid and answers(port)
    finally:
        assert stack.stop() == 0


def test_backoff_doubles_while_a_copy_dies_soon_and_starts_over_after_a_stable_run():
    backoff = load_supervise().Backoff(base=1, maximum=30, stable=30)

    failures, delays = 0, []
    for _ in range(7):
        failures = backoff.next_failures(failures, ran_for=2)
        delays.append(backoff.delay(failures))

    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay(backoff.next_failures(failures, ran_for=45)) == 1


def test_replicas_get_their_own_metrics_port_and_unknown_names_are_refused(tmp_path):
    supervise = load_supervise()
    procfile = tmp_path / "Procfile"
    procfile.write_text("harian: nameko run harian.service:HarianService\ngateway: gunicorn app\n")

    copies = supervise.copies_of(procfile, {"harian": 3}, {})

    assert [c.name for c in copies] == ["harian.1", "harian.2", "harian.3", "gateway.1"]
    assert [c.env.get("HARIAN_METRICS_PORT") for c in copies[:3]] == [None, "9204", "9304"]
    assert [c.env["EKINERJA_REPLICA"] for c in copies] == ["1", "2", "3", "1"]
    with pytest.raises(SystemExit, match="harain"):
        supervise.copies_of(procfile, {"harain": 2}, {})


def test_status_says_stopped_without_a_running_supervisor(tmp_path, capsys):
    state = tmp_path / "supervisor.json"
    state.write_text(json.dumps({"supervisor": 2**22 + 12345, "stopping": False, "processes": []}))

    assert load_supervise().status(state) == 1
    assert capsys.readouterr().out.strip() == "services: stopped"


def test_a_variable_given_for_one_process_reaches_its_copies_only(tmp_path):
    supervise = load_supervise()
    procfile = tmp_path / "Procfile"
    procfile.write_text("harian: nameko run harian.service:HarianService\ngateway: gunicorn app\n")

    own = supervise.parse_env(["gateway:PROMETHEUS_MULTIPROC_DIR=/tmp/m", "gateway:GATEWAY_WORKERS=3"])
    copies = supervise.copies_of(procfile, {"harian": 2}, {"PATH": "/bin"}, own_env=own)

    env = {c.name: c.env for c in copies}
    assert env["gateway.1"]["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/m" and env["gateway.1"]["GATEWAY_WORKERS"] == "3"
    assert all("PROMETHEUS_MULTIPROC_DIR" not in env[n] for n in ("harian.1", "harian.2"))
    assert all(e["PATH"] == "/bin" for e in env.values())
    with pytest.raises(SystemExit, match="NAME:VAR=VALUE"):
        supervise.parse_env(["PROMETHEUS_MULTIPROC_DIR=/tmp/m"])
    with pytest.raises(SystemExit, match="gatewey"):
        supervise.copies_of(procfile, {}, {}, own_env={"gatewey": {"X": "1"}})
