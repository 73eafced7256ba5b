"""CPU time of the system under test, read from /proc: the process tree under make up's supervisor
(deploy/bin/supervise.py: gunicorn master and workers, the five nameko services), the RabbitMQ node
of `make up` (var/rabbitmq) and, when a service's database URL points at a local PostgreSQL, that
cluster's processes.

A process's figure is utime + stime + cutime + cstime: the children it has already reaped (a
gunicorn worker that was replaced, a PostgreSQL backend that ended) stay counted through their
parent, and a process that started during the window counts whole."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CLK_TCK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
POSTGRES = ("postgres", "postmaster")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    comm: str
    ticks: int  # utime + stime + cutime + cstime
    start: int  # starttime (ticks after boot): tells a reused pid apart


def _stat(pid: int) -> Stat | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # comm is in parentheses and may contain spaces: split after the last ')'.
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    f = raw[raw.rindex(")") + 2:].split()
    # f[0] is field 3 (state); utime..cstime are fields 14..17, starttime 22.
    return Stat(pid, int(f[1]), comm, sum(int(x) for x in f[11:15]), int(f[19]))


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _environ(pid: int) -> dict[str, str]:
    try:
        raw = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if b"=" in item)
    return {k: v for k, _, v in pairs}


def _all() -> dict[int, Stat]:
    stats = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) is not None:
            stats[st.pid] = st
    return stats


def _descendants(roots: set[int], stats: dict[int, Stat]) -> set[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for st in stats.values():
        children[st.ppid].append(st.pid)
    found, todo = set(), [r for r in roots if r in stats]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def component(pid: int, comm: str) -> str:
    """A short name for what a process is: gateway, a service, rabbitmq, postgresql, supervisor."""
    if comm in ("sh", "bash", "dash", "runuser"):
        return "supervisor"  # the shells around it
    cmd = _cmdline(pid)
    if "supervise.py" in cmd:
        return "supervisor"  # it forwards every log line
    if "gunicorn" in cmd:
        return "gateway"
    if "nameko" in cmd:
        for word in cmd.split():
            if ".service:" in word:
                return word.split(".service:")[0]
        return "nameko"
    if comm in ("beam.smp", "erl_child_setup", "inet_gethost", "epmd") or "rabbitmq" in cmd:
        return "rabbitmq"
    if comm in POSTGRES:
        return "postgresql"
    return "other"


def _local_postgres_ports(service_pids: set[int]) -> set[int]:
    """Ports of local PostgreSQL servers named in the services' *_DATABASE_URL (their environment)."""
    ports = set()
    urls = [v for pid in service_pids for k, v in _environ(pid).items() if k.endswith("_DATABASE_URL")]
    urls += [v for k, v in os.environ.items() if k.endswith("_DATABASE_URL")]
    for url in urls:
        if not url.startswith("postgres"):
            continue
        parts = urlsplit(url)
        if parts.hostname in (None, "", "localhost", "127.0.0.1", "::1"):
            ports.add(parts.port or 5432)
    return ports


def _postmasters(ports: set[int], stats: dict[int, Stat]) -> set[int]:
    """The postmaster (a postgres process whose parent is not one) listening on one of `ports`:
    it runs in its data directory, whose postmaster.pid names the port on line 4."""
    found = set()
    for st in stats.values():
        parent = stats.get(st.ppid)
        if st.comm not in POSTGRES or (parent is not None and parent.comm in POSTGRES):
            continue  # not PostgreSQL, or one of its backends
        try:
            lines = (PROC / str(st.pid) / "cwd" / "postmaster.pid").read_text().splitlines()
            if int(lines[3]) in ports:
                found.add(st.pid)
        except (OSError, ValueError, IndexError):
            continue
    return found


@dataclass
class Snapshot:
    """CPU ticks of every process of the system under test, and of the whole machine."""
    procs: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)  # (pid, start) → (component, ticks)
    machine_busy: int = 0
    machine_total: int = 0
    taken: float = 0.0  # time.monotonic() when taken


class SystemProcesses:
    """Finds the system's processes (again at each snapshot: gunicorn may replace a worker)."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.supervisor_pidfile = var_dir / "supervisor.pid"  # deploy/bin/supervise.py, which make up runs
        self.rabbit_dir = var_dir / "rabbitmq"

    def pids(self, stats: dict[int, Stat]) -> set[int]:
        roots = set()
        if (supervisor := _read_pid(self.supervisor_pidfile)) is not None:
            roots.add(supervisor)
        if (beam := _read_pid(self.rabbit_dir / "rabbit.pid")) is not None:
            roots.add(beam)
        tree = _descendants(roots, stats)
        # The broker's processes also name var/rabbitmq in their command line or environment.
        marker = str(self.rabbit_dir)
        for st in stats.values():
            if st.comm in ("beam.smp", "erl_child_setup") and st.pid not in tree and (
                    marker in _cmdline(st.pid) or any(marker in v for v in _environ(st.pid).values())):
                tree |= _descendants({st.pid}, stats)
        ports = _local_postgres_ports({p for p in tree if "nameko" in _cmdline(p) or "gunicorn" in _cmdline(p)})
        if ports:
            tree |= _descendants(_postmasters(ports, stats), stats)
        return tree

    def environ_of(self, name: str) -> dict[str, str]:
        """The environment of the first running process of component `name` (empty if none)."""
        stats = _all()
        for pid in sorted(self.pids(stats)):
            if component(pid, stats[pid].comm) == name:
                return _environ(pid)
        return {}

    def found(self) -> dict[str, int]:
        """How many processes of each component are running now."""
        stats = _all()
        counts: dict[str, int] = defaultdict(int)
        for pid in self.pids(stats):
            counts[component(pid, stats[pid].comm)] += 1
        return dict(counts)

    def snapshot(self) -> Snapshot:
        stats = _all()
        snap = Snapshot()
        for pid in self.pids(stats):
            st = stats[pid]
            snap.procs[(pid, st.start)] = (component(pid, st.comm), st.ticks)
        snap.machine_busy, snap.machine_total = machine_ticks()
        snap.taken = time.monotonic()
        return snap


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all CPUs since boot, from /proc/stat (idle and iowait are not busy)."""
    fields = [int(x) for x in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total


def cpu_between(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds each component spent between two snapshots."""
    spent: dict[str, float] = defaultdict(float)
    for key, (name, ticks) in after.procs.items():
        earlier = before.procs.get(key)
        spent[name] += (ticks - (earlier[1] if earlier else 0)) / CLK_TCK
    return dict(spent)


def machine_cores_busy(before: Snapshot, after: Snapshot) -> float:
    """Average number of busy cores between two snapshots."""
    total = after.machine_total - before.machine_total
    ncpu = os.cpu_count() or 1
    return ncpu * (after.machine_busy - before.machine_busy) / total if total else 0.0
