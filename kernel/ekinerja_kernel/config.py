"""Configuration from environment variables, with defaults that run on one machine."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

SERVICES = ("identity", "sync", "skp", "harian", "tukin")

# Default Prometheus port of each service when it runs alone on a host; 0 disables.
DEFAULT_METRICS_PORTS = {"identity": 9101, "sync": 9102, "skp": 9103, "harian": 9104, "tukin": 9105}

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"


def env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_float(name: str, default: float) -> float:
    return float(env(name, str(default)))


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def var_dir() -> Path:
    """Where local state lives (SQLite files, logs, broker data) when nothing else is set."""
    return Path(env("EKINERJA_VAR_DIR", str(Path.cwd() / "var"))).resolve()


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def events_exchange() -> str:
    """The public topic exchange other government systems subscribe to."""
    return env("EVENTS_EXCHANGE", "ekinerja.events")


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a SQLite file under the var dir."""
    name = f"{service.upper()}_DATABASE_URL"
    url = os.environ.get(name)
    if url:
        return url
    if env("EKINERJA_REQUIRE_DATABASE_URL", "0") == "1":
        # In production N replicas each falling back to a private SQLite file would be N databases.
        raise RuntimeError(f"{name} is not set and EKINERJA_REQUIRE_DATABASE_URL=1 forbids the SQLite fallback")
    path = var_dir() / f"{service}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def metrics_port(service: str) -> int:
    return env_int(f"{service.upper()}_METRICS_PORT", DEFAULT_METRICS_PORTS.get(service, 0))


def rpc_timeout() -> float:
    """Seconds the gateway waits for a service's answer before giving the client a 504."""
    return env_float("RPC_TIMEOUT", 5.0)


def timezone() -> ZoneInfo:
    """Where "today" is decided (working days, deadlines, acting dates): WIB unless set."""
    return ZoneInfo(env("EKINERJA_TIMEZONE", "Asia/Jakarta"))


def today() -> dt.date:
    return dt.datetime.now(timezone()).date()
