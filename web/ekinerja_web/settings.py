"""The web's configuration, from the environment, with defaults that run on one machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def from_environment() -> dict[str, Any]:
    var_dir = Path(os.environ.get("EKINERJA_VAR_DIR", "./var"))
    gateway_port = os.environ.get("GATEWAY_PORT", "8000")
    return {
        # Where the gateway's public API answers (the web calls it like any other client).
        "API_URL": os.environ.get("EKINERJA_API_URL", f"http://127.0.0.1:{gateway_port}").rstrip("/"),
        "API_TIMEOUT": _float("WEB_API_TIMEOUT", 10.0),
        # One SQLite file shared by every gunicorn worker of this host: the server-side sessions.
        "SESSION_DB": os.environ.get("WEB_SESSION_DB", str(var_dir / "web-sessions.db")),
        "SESSION_IDLE_SECONDS": _int("WEB_SESSION_IDLE_MINUTES", 60) * 60,
        # "auto": Secure when the request came over HTTPS (as ProxyFix reports it); "1"/"0" force it.
        "COOKIE_SECURE": os.environ.get("WEB_COOKIE_SECURE", "auto"),
        "TRUSTED_PROXY_HOPS": _int("WEB_TRUSTED_PROXY_HOPS", 0),
        # How long a page waits on the server for a submitted day to be decided before it shows
        # "still being processed" (the page then keeps following it).
        "SUBMISSION_WAIT_SECONDS": _float("WEB_SUBMISSION_WAIT", 2.0),
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("EKINERJA_TIMEZONE", "Asia/Jakarta"),
    }
