"""Configuration from environment variables, with defaults that run on one machine."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

SERVICES = ("identity", "sync", "skp", "harian", "tukin", "events")

# Default Prometheus port of each service when it runs alone on a host; 0 disables.
DEFAULT_METRICS_PORTS = {"identity": 9101, "sync": 9102, "skp": 9103, "harian": 9104, "tukin": 9105,
                         "events": 9106}

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672/"


def env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_float(name: str, default: float) -> float:
    return float(env(name, str(default)))


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def production() -> bool:
    """A production start: `EKINERJA_ENV=production`. It refuses what is only fit for one machine (a
    secret made up at start, the SQLite fallback) instead of falling back on it."""
    return env("EKINERJA_ENV", "development").strip().lower() == "production"


class MissingSecret(RuntimeError):
    """A production start without a secret it needs: the process must not start."""


MIN_SECRET_LENGTH = 32


def secret(name: str) -> str:
    """The secret in the environment variable `name`; the source holds none, not even a default.

    A production start refuses to go on without it (or with one shorter than MIN_SECRET_LENGTH).
    Elsewhere (tests, a developer's shell) a random one is made and written back to the environment,
    so that what this process starts or forks afterwards (gunicorn's workers, when the master asked
    first) uses the same; `make up` gives each install its own under var/secrets/ instead."""
    value = os.environ.get(name, "")
    if value and (len(value) >= MIN_SECRET_LENGTH or not production()):
        return value
    if production():
        problem = "is too short" if value else "is not set"
        raise MissingSecret(
            f"{name} {problem}: a production start (EKINERJA_ENV=production) needs a random secret of at least "
            f"{MIN_SECRET_LENGTH} characters, the same for every process that shares it. Make one with "
            f"`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'` and set it from your secret store.")
    value = secrets.token_urlsafe(48)
    os.environ[name] = value
    return value


def var_dir() -> Path:
    """Where local state lives (SQLite files, logs, broker data) when nothing else is set."""
    return Path(env("EKINERJA_VAR_DIR", str(Path.cwd() / "var"))).resolve()


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def events_exchange() -> str:
    """The internal topic exchange the services announce their facts on (NIK included), on the broker's
    vhost of AMQP_URI, which no outside account can read. Other government systems get the public
    exchange instead (publicevents)."""
    return env("EVENTS_EXCHANGE", "ekinerja.internal")


def public_vhost() -> str:
    """The broker's virtual host of the public exchange and of the subscribers' accounts."""
    return env("PUBLIC_VHOST", "ekinerja-public")


def public_amqp_uri(internal_uri: str | None = None) -> str:
    """Where the outbox relays publish public events: `PUBLIC_AMQP_URI`, else AMQP_URI's broker and
    account on the public vhost (the account is given its permissions there by `ekinerja-events
    broker setup`)."""
    explicit = os.environ.get("PUBLIC_AMQP_URI")
    if explicit:
        return explicit
    scheme, sep, rest = (internal_uri or amqp_uri()).partition("://")
    authority, _, _ = rest.partition("/")
    return f"{scheme}{sep}{authority}/{quote(public_vhost(), safe='')}"


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else a SQLite file under the var dir."""
    name = f"{service.upper()}_DATABASE_URL"
    url = os.environ.get(name)
    if url:
        return url
    if env("EKINERJA_REQUIRE_DATABASE_URL", "0") == "1" or production():
        # In production N replicas each falling back to a private SQLite file would be N databases.
        raise RuntimeError(f"{name} is not set and EKINERJA_REQUIRE_DATABASE_URL=1 (or EKINERJA_ENV=production) "
                           "forbids the SQLite fallback")
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
