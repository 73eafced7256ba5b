"""Private RabbitMQ and PostgreSQL servers on loopback, for tests and for `make up`.

Both run from Debian's packages as their own system users (neither runs as root), on ports
and directories of our choosing, so they never touch a system-wide server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
RABBIT_HOME = "/var/lib/rabbitmq"  # holds the Erlang cookie rabbitmqctl needs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _chown_tree(path: Path, user: str) -> None:
    shutil.chown(path, user, user)
    for p in path.rglob("*"):
        shutil.chown(p, user, user)


def _open_parents(path: Path) -> None:
    """Let a system user reach `path` (mkdtemp makes 0700 directories)."""
    for parent in [path, *path.parents]:
        if str(parent) in ("/", "/tmp", "/root"):
            continue
        mode = parent.stat().st_mode
        os.chmod(parent, mode | 0o711)


class RabbitNode:
    """One RabbitMQ node with its data under `base`."""

    def __init__(self, base: Path, port: int | None = None, name: str | None = None,
                 prometheus_port: int | None = None, management_port: int | None = None) -> None:
        self.base = Path(base).resolve()
        self.port = port or free_port()
        self.dist_port = free_port()
        self.name = name or f"ekinerja-{uuid.uuid4().hex[:8]}@localhost"
        # The rabbitmq_prometheus plugin on this port (queue depth, consumers, unacked); None: off.
        self.prometheus_port = prometheus_port
        # The rabbitmq_management plugin's HTTP API on this port (where the events service's CLI makes
        # the public vhost and the subscribers' accounts); None: off.
        self.management_port = management_port
        self.process: subprocess.Popen | None = None

    @property
    def management_url(self) -> str | None:
        return f"http://127.0.0.1:{self.management_port}" if self.management_port else None

    @property
    def prometheus_url(self) -> str | None:
        return f"http://127.0.0.1:{self.prometheus_port}/metrics" if self.prometheus_port else None

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "HOME": RABBIT_HOME,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbit.pid"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
        })
        return env

    def ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "rabbitmq", "--", str(RABBIT_BIN / "rabbitmqctl"), "-n", self.name, *args],
            env=self._env(), capture_output=True, text=True, timeout=timeout, cwd=RABBIT_HOME)

    def start(self, timeout: float = 90) -> RabbitNode:
        for sub in ("mnesia", "log"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        plugins = (["rabbitmq_prometheus"] if self.prometheus_port else []) \
            + (["rabbitmq_management"] if self.management_port else [])
        (self.base / "enabled_plugins").write_text(f"[{','.join(plugins)}].\n")
        # Small heartbeat for fast failure detection; no disk alarm on a nearly full test disk.
        config = "heartbeat = 15\ndisk_free_limit.absolute = 50MB\nloopback_users = none\n"
        if self.prometheus_port:
            # Per queue (harian.submissions, the dead-letter queues), as deploy/grafana reads them.
            config += (f"prometheus.tcp.port = {self.prometheus_port}\nprometheus.tcp.ip = 127.0.0.1\n"
                       "prometheus.return_per_object_metrics = true\n")
        if self.management_port:
            config += f"management.tcp.port = {self.management_port}\nmanagement.tcp.ip = 127.0.0.1\n"
        (self.base / "rabbitmq.conf").write_text(config)
        (self.base / "advanced.config").write_text("[].\n")
        _chown_tree(self.base, "rabbitmq")
        _open_parents(self.base)
        out = open(self.base / "log" / "server.out", "ab")
        self.process = subprocess.Popen(
            ["runuser", "-u", "rabbitmq", "--", str(RABBIT_BIN / "rabbitmq-server")],
            env=self._env(), stdout=out, stderr=subprocess.STDOUT, cwd=RABBIT_HOME,
            start_new_session=True)
        # `wait` first waits for the pid file (the node may not be registered yet), then for boot.
        result = self.ctl("wait", str(self.base / "rabbit.pid"), "--timeout", str(int(timeout)),
                          timeout=timeout + 5)
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"RabbitMQ did not start: {result.stdout}{result.stderr}\n"
                               f"see {self.base / 'log'}")
        self.add_public_vhost()
        return self

    def add_public_vhost(self) -> None:
        """The vhost of the public events, where `guest` (the services' account on this node) may do
        everything: the outbox relays publish there from their first event (`ekinerja-events broker
        setup` does the same through the management API on a production broker)."""
        from .config import public_vhost

        vhost = public_vhost()
        for args in (("add_vhost", vhost), ("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")):
            result = self.ctl(*args)
            if result.returncode != 0 and "already_exists" not in result.stdout + result.stderr:
                raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stdout}{result.stderr}")

    def join(self, other: RabbitNode) -> None:
        """Join `other`'s cluster (this node's own data is reset): a cluster of nodes on loopback."""
        for step in (("stop_app",), ("reset",), ("join_cluster", other.name), ("start_app",)):
            result = self.ctl(*step)
            if result.returncode != 0:
                raise RuntimeError(f"rabbitmqctl {' '.join(step)} on {self.name}: {result.stdout}{result.stderr}")
        self.ctl("await_startup")

    def restart_app(self) -> None:
        """Stop and start the broker application: every client connection is dropped."""
        for step in ("stop_app", "start_app"):
            result = self.ctl(step)
            if result.returncode != 0:
                raise RuntimeError(f"rabbitmqctl {step}: {result.stderr}")
        self.ctl("await_startup")

    def stop(self) -> None:
        self.ctl("stop", timeout=60)
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
            self.process = None


class PostgresCluster:
    """One PostgreSQL cluster with its data under `base`, listening on loopback only.

    `durable=False` (tests): no fsync, a crash may lose the data, starts in about a second.
    `durable=True` (`make up DB=postgres`, whose data is kept between runs, and `make bench` on it):
    PostgreSQL's defaults, every commit on disk before it returns."""

    def __init__(self, base: Path, port: int | None = None, durable: bool = False) -> None:
        self.base = Path(base).resolve()
        self.port = port or free_port()
        self.durable = durable
        self.bin = self._find_bin()

    @staticmethod
    def _find_bin() -> Path:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not versions:
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        return versions[-1].parent

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True,
                              text=True, cwd="/", **kwargs)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresCluster:
        data = self.base / "data"
        self.base.mkdir(parents=True, exist_ok=True)
        _chown_tree(self.base, "postgres")
        _open_parents(self.base)
        if not (data / "PG_VERSION").exists():
            r = self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8")
            if r.returncode != 0:
                raise RuntimeError(f"initdb failed: {r.stderr}")
        opts = (f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} "
                "-c max_connections=200")
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        r = self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.base / "server.log"),
                      "-o", opts, "-w", "-t", "60", "start")
        if r.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {r.stdout}{r.stderr}")
        return self

    def running(self) -> bool:
        return (self.base / "data" / "PG_VERSION").exists() and \
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.base / "data"), "status").returncode == 0

    def create_database(self, name: str, exist_ok: bool = False) -> str:
        r = self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        if r.returncode != 0 and not (exist_ok and "already exists" in r.stderr):
            raise RuntimeError(f"createdb {name}: {r.stderr}")
        return self.url(name)

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` for throw-away test data; `fast` (a clean shutdown) for data that is kept."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.base / "data"), "-m", mode, "-w", "stop")


def postgres_main(argv: list[str]) -> int:
    """`python -m ekinerja_kernel.localservers postgres start|stop|status DIR [--port N] [--database NAME]...`:
    `make up DB=postgres`'s cluster, durable, its data kept in DIR between runs; `start` also creates
    each named database that is not there yet."""
    import argparse

    parser = argparse.ArgumentParser(prog="localservers postgres")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("dir")
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--database", action="append", default=[])
    args = parser.parse_args(argv)
    cluster = PostgresCluster(Path(args.dir), port=args.port, durable=True)
    running = cluster.running()
    if args.action == "status":
        print(f"postgresql: {'running' if running else 'stopped'} (port {args.port}, data in {cluster.base})")
        return 0 if running else 1
    if args.action == "stop":
        if running:
            cluster.stop(mode="fast")
        print("postgresql: stopped")
        return 0
    if not running:
        if port_open(args.port):
            print(f"port {args.port} is taken by another program: stop it or set POSTGRES_PORT")
            return 1
        cluster.start()
    for name in args.database:
        cluster.create_database(name, exist_ok=True)
    print(f"postgresql: {'already running' if running else 'started'} on 127.0.0.1:{args.port}, "
          f"data in {cluster.base}, databases {', '.join(args.database) or '-'}")
    return 0


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns a truthy value (synchronisation on state, not on time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def main(argv: list[str] | None = None) -> int:
    """`python -m ekinerja_kernel.localservers rabbit start|stop|status DIR [--port N] [--name NODE]
    [--prometheus-port N]`, or `... postgres ...` (postgres_main)"""
    import argparse
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["postgres"]:
        return postgres_main(argv[1:])

    parser = argparse.ArgumentParser(prog="localservers")
    parser.add_argument("server", choices=["rabbit"])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("dir")
    parser.add_argument("--port", type=int, default=5672)
    parser.add_argument("--name", default="ekinerja-dev@localhost")
    parser.add_argument("--prometheus-port", type=int, default=None, help="rabbitmq_prometheus's port (off if unset)")
    parser.add_argument("--management-port", type=int, default=None, help="rabbitmq_management's port (off if unset)")
    args = parser.parse_args(argv)
    node = RabbitNode(Path(args.dir), port=args.port, name=args.name, prometheus_port=args.prometheus_port,
                      management_port=args.management_port)
    running = node.ctl("status", timeout=30).returncode == 0
    if args.action == "status":
        print(f"rabbitmq {args.name}: {'running' if running else 'stopped'} (port {args.port})")
        if running and node.prometheus_url:
            assert node.prometheus_port is not None  # prometheus_url is set only with the port
            print(f"rabbitmq metrics: {node.prometheus_url}"
                  f"{'' if port_open(node.prometheus_port) else ' (not answering: restart with make down; make up)'}")
        return 0 if running else 1
    if args.action == "stop":
        if running:
            node.stop()
        print(f"rabbitmq {args.name}: stopped")
        return 0
    if running:
        node.add_public_vhost()  # a node started by an older release has none yet
        print(f"rabbitmq {args.name}: already running on port {args.port}")
        return 0
    if port_open(args.port):
        print(f"port {args.port} is taken by another program: stop it or set AMQP_PORT")
        return 1
    if node.prometheus_port and port_open(node.prometheus_port):
        print(f"port {node.prometheus_port} is taken by another program: stop it or set RABBITMQ_PROMETHEUS_PORT")
        return 1
    if node.management_port and port_open(node.management_port):
        print(f"port {node.management_port} is taken by another program: stop it or set RABBITMQ_MANAGEMENT_PORT")
        return 1
    node.start()
    print(f"rabbitmq {args.name}: started on 127.0.0.1:{args.port}, data in {node.base}"
          + (f", metrics on {node.prometheus_url}" if node.prometheus_url else ""))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
