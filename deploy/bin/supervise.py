"""The process supervisor behind `make up`: every line of deploy/Procfile, N copies of some, each
restarted on its own when it dies while the others keep serving.

honcho (which `make up` used before) stops every process as soon as one exits, and starts none
again: one SIGKILL of harian closed the gateway too. This keeps honcho's Procfile parser and its
log format (`HH:MM:SS name.N | line`, one `var/log/services.log`) and changes the rule: a copy
that dies is started again after a delay that doubles while it keeps dying soon after starting
(1 s, 2 s, 4 s ... at most SUPERVISOR_BACKOFF_MAX), and goes back to the first delay once it
has run SUPERVISOR_STABLE_SECONDS. It never gives up: a service that cannot reach the broker
comes back by itself when the broker does. In Kubernetes the kubelet does this job.

    supervise.py run --procfile deploy/Procfile --state var/supervisor.json [--replicas harian=2]
                     [--env gateway:PROMETHEUS_MULTIPROC_DIR=var/prometheus-gateway]
    supervise.py status --state var/supervisor.json     # one line per copy; exit 1 if not running

`--env NAME:VAR=VALUE` sets a variable for that process's copies only (as a Kubernetes Deployment
sets it for its own pods): the gateway's multiprocess metrics directory is the gateway's, no other
process writes its series there.

Copies of one process (`--replicas NAME=N`) are competing consumers of its queues; copy N gets
EKINERJA_REPLICA=N and, from the second on, its own metrics port (the service's port + 100*(N-1)),
so that their Prometheus endpoints do not collide.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.printer import Message, Printer

SYSTEM = "supervisor"
REPLICA_PORT_STEP = 100


@dataclass(frozen=True)
class Backoff:
    """How long a copy waits before it is started again."""

    base: float = 1.0      # the first restart's delay
    maximum: float = 30.0  # the longest delay
    stable: float = 30.0   # a copy that ran this long was healthy: its next death starts again at base

    def next_failures(self, failures: int, ran_for: float) -> int:
        """Consecutive quick deaths after one more death of a copy that ran `ran_for` seconds."""
        return 1 if ran_for >= self.stable else failures + 1

    def delay(self, failures: int) -> float:
        return min(self.maximum, self.base * 2 ** max(0, failures - 1))

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Backoff:
        return cls(base=float(env.get("SUPERVISOR_BACKOFF_BASE", cls.base)),
                   maximum=float(env.get("SUPERVISOR_BACKOFF_MAX", cls.maximum)),
                   stable=float(env.get("SUPERVISOR_STABLE_SECONDS", cls.stable)))


@dataclass
class Copy:
    """One running copy of a Procfile process."""

    name: str          # honcho's naming: "harian.1", "harian.2"
    process: str
    command: str
    env: dict[str, str]
    popen: subprocess.Popen | None = None
    started: float = 0.0
    started_at: str | None = None
    restarts: int = 0
    failures: int = 0
    due: float | None = 0.0   # monotonic time of the next start; None while running or stopped
    last_exit: str | None = None
    readers: list[threading.Thread] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.popen is not None:
            return "running"
        return "backoff" if self.due is not None else "stopped"


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def metrics_port(process: str, env: dict[str, str]) -> int:
    """The service's own Prometheus port, as the kernel computes it (0: none)."""
    variable = f"{process.upper()}_METRICS_PORT"
    if variable in env:
        return int(env[variable])
    try:
        from ekinerja_kernel.config import DEFAULT_METRICS_PORTS
    except ImportError:  # the supervisor also runs Procfiles of processes that are no service
        return 0
    return DEFAULT_METRICS_PORTS.get(process, 0)


def copies_of(procfile: Path, replicas: dict[str, int], env: dict[str, str],
              only: list[str] | None = None, own_env: dict[str, dict[str, str]] | None = None) -> list[Copy]:
    processes = parse_procfile(procfile.read_text(encoding="utf-8")).processes
    own_env = own_env or {}
    unknown = (set(replicas) | set(only or ()) | set(own_env)) - set(processes)
    if unknown:
        raise SystemExit(f"not in {procfile}: {', '.join(sorted(unknown))}")
    copies = []
    for process, command in processes.items():
        if only and process not in only:
            continue
        count = replicas.get(process, 1)
        if count < 1:
            raise SystemExit(f"{process}: replicas must be at least 1, not {count}")
        base_port = metrics_port(process, env) if count > 1 else 0
        for index in range(1, count + 1):
            copy_env = dict(env, **own_env.get(process, {}), EKINERJA_REPLICA=str(index),
                            HONCHO_PROCESS_NAME=f"{process}.{index}")
            if index > 1 and base_port:
                copy_env[f"{process.upper()}_METRICS_PORT"] = str(base_port + REPLICA_PORT_STEP * (index - 1))
            copies.append(Copy(f"{process}.{index}", process, command, copy_env))
    return copies


class Supervisor:
    def __init__(self, copies: list[Copy], state_path: Path, backoff: Backoff,
                 kill_wait: float = 15.0, out=sys.stdout) -> None:
        self.copies = copies
        self.state_path = state_path
        self.backoff = backoff
        self.kill_wait = kill_wait
        self.lines: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.printer = Printer(out, width=max(len(SYSTEM), *(len(c.name) for c in copies)))
        self.stopping = False

    # -- output -------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.printer.write(Message("line", text, datetime.now(), SYSTEM, None))

    def _forward(self, name: str, stream) -> None:
        for line in iter(stream.readline, b""):
            self.lines.put((name, line))
        stream.close()

    def _drain(self) -> None:
        while True:
            try:
                name, line = self.lines.get_nowait()
            except queue.Empty:
                return
            self.printer.write(Message("line", line, datetime.now(), name, None))

    def write_state(self) -> None:
        state = {"supervisor": os.getpid(), "stopping": self.stopping,
                 "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "processes": [{"name": c.name, "state": c.state,
                                "pid": c.popen.pid if c.popen else None,
                                "started_at": c.started_at, "restarts": c.restarts,
                                "last_exit": c.last_exit} for c in self.copies]}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
        tmp.replace(self.state_path)

    # -- processes ----------------------------------------------------------------------------
    def start(self, copy: Copy) -> None:
        # `exec`: the pid we watch and signal is the process itself, not a shell around it.
        # Its own session: a signal to its group reaches its children (gunicorn's workers) too.
        copy.popen = subprocess.Popen(f"exec {copy.command}", shell=True, env=copy.env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        copy.started = time.monotonic()
        copy.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        copy.due = None
        reader = threading.Thread(target=self._forward, args=(copy.name, copy.popen.stdout), daemon=True)
        reader.start()
        copy.readers = [r for r in copy.readers if r.is_alive()] + [reader]
        self.say(f"{copy.name} started (pid={copy.popen.pid})")

    def _signal_group(self, pid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def reap(self, copy: Copy) -> bool:
        """True if the copy's process has exited (and then schedules its restart)."""
        returncode = copy.popen.poll()
        if returncode is None:
            return False
        pid, ran_for = copy.popen.pid, time.monotonic() - copy.started
        copy.popen = None
        copy.last_exit = describe_exit(returncode)
        # Whatever it left behind (gunicorn workers of a killed master) would hold its port.
        self._signal_group(pid, signal.SIGKILL)
        if self.stopping:
            copy.due = None
            self.say(f"{copy.name} stopped ({copy.last_exit})")
            return True
        copy.failures = self.backoff.next_failures(copy.failures, ran_for)
        delay = self.backoff.delay(copy.failures)
        copy.restarts += 1
        copy.due = time.monotonic() + delay
        self.say(f"{copy.name} (pid={pid}) died: {copy.last_exit} after {ran_for:.1f}s; "
                 f"restart {copy.restarts} in {delay:.1f}s, the others keep running")
        return True

    def run(self) -> int:
        def stop(signum, _frame) -> None:
            if not self.stopping:
                self.stopping = True
                self.say(f"{signal.Signals(signum).name} received: stopping every process")

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.write_state()
        while not self.stopping:
            changed = False
            now = time.monotonic()
            for copy in self.copies:
                if copy.popen is not None:
                    changed |= self.reap(copy)
                elif copy.due is not None and copy.due <= now and not self.stopping:
                    self.start(copy)
                    changed = True
            if changed:
                self.write_state()
            self._drain()
            time.sleep(0.05)
        return self.shutdown()

    def shutdown(self) -> int:
        for copy in self.copies:
            copy.due = None
            if copy.popen is not None:
                self.say(f"sending SIGTERM to {copy.name} (pid {copy.popen.pid})")
                self._signal_group(copy.popen.pid, signal.SIGTERM)
        self.write_state()
        deadline = time.monotonic() + self.kill_wait
        while any(c.popen is not None for c in self.copies):
            for copy in self.copies:
                if copy.popen is not None:
                    if time.monotonic() > deadline:
                        self.say(f"{copy.name} still running after {self.kill_wait:.0f}s: SIGKILL")
                        self._signal_group(copy.popen.pid, signal.SIGKILL)
                        copy.popen.wait()
                    self.reap(copy)
            self._drain()
            time.sleep(0.05)
        for copy in self.copies:
            for reader in copy.readers:
                reader.join(timeout=2)
        self._drain()
        self.write_state()
        return 0


# -- command line ---------------------------------------------------------------------------
def parse_replicas(values: list[str]) -> dict[str, int]:
    replicas = {}
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or not count.isdigit():
            raise SystemExit(f"--replicas takes NAME=N, not {value!r}")
        replicas[name] = int(count)
    return replicas


def parse_env(values: list[str]) -> dict[str, dict[str, str]]:
    """`NAME:VAR=VALUE` options: variables of one process's copies only."""
    own: dict[str, dict[str, str]] = {}
    for value in values:
        name, sep, assignment = value.partition(":")
        variable, eq, setting = assignment.partition("=")
        if not sep or not eq or not name or not variable:
            raise SystemExit(f"--env takes NAME:VAR=VALUE, not {value!r}")
        own.setdefault(name, {})[variable] = setting
    return own


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status(state_path: Path) -> int:
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        print("services: stopped")
        return 1
    if not alive(state.get("supervisor")) or state.get("stopping"):
        print("services: stopped")
        return 1
    print(f"services: supervisor pid {state['supervisor']}")
    for p in state["processes"]:
        pid = f"pid {p['pid']}" if p["pid"] else "no pid"
        exited = f", last exit: {p['last_exit']}" if p["last_exit"] else ""
        print(f"  {p['name']:<12} {p['state']:<8} {pid:<11} restarts {p['restarts']}{exited}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="supervise", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start every process and keep it running")
    run.add_argument("--procfile", type=Path, default=Path("deploy/Procfile"))
    run.add_argument("--state", type=Path, required=True)
    run.add_argument("--replicas", action="append", default=[], metavar="NAME=N")
    run.add_argument("--only", action="append", metavar="NAME", help="run only these processes")
    run.add_argument("--env", action="append", default=[], metavar="NAME:VAR=VALUE",
                     help="a variable for that process only")
    st = sub.add_parser("status", help="what runs, with pids and restarts")
    st.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "status":
        return status(args.state)
    env = dict(os.environ)
    copies = copies_of(args.procfile, parse_replicas(args.replicas), env, args.only, parse_env(args.env))
    supervisor = Supervisor(copies, args.state, Backoff.from_env(env),
                            kill_wait=float(env.get("SUPERVISOR_KILL_WAIT", "15")))
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
