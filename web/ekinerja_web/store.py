"""Server-side sessions in one SQLite file, shared by every gunicorn worker of the host.

The browser's cookie carries only a random id; the row is found by the id's SHA-256, so the file
alone does not let anyone forge a cookie. What a session holds (the API's tokens, the CSRF token, a
pending second-factor ticket) never leaves the server."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at REAL NOT NULL
)"""


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class SessionStore:
    def __init__(self, path: str, idle_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.idle_seconds = idle_seconds
        self.clock = clock
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
        try:
            os.chmod(path, 0o600)  # it holds live refresh tokens
        except OSError:
            pass

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            yield db
        finally:
            db.close()

    def create(self, data: dict[str, Any]) -> str:
        sid = secrets.token_urlsafe(32)
        with self._connect() as db:
            db.execute("INSERT INTO sessions (key, data, expires_at) VALUES (?, ?, ?)",
                       (_key(sid), json.dumps(data), self.clock() + self.idle_seconds))
            if secrets.randbelow(100) == 0:  # now and then, forget sessions nobody came back to
                db.execute("DELETE FROM sessions WHERE expires_at < ?", (self.clock(),))
        return sid

    def load(self, sid: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT data, expires_at FROM sessions WHERE key = ?", (_key(sid),)).fetchone()
        if row is None or row[1] < self.clock():
            return None
        return json.loads(row[0])

    def save(self, sid: str, data: dict[str, Any]) -> None:
        with self._connect() as db:
            db.execute("UPDATE sessions SET data = ?, expires_at = ? WHERE key = ?",
                       (json.dumps(data), self.clock() + self.idle_seconds, _key(sid)))

    def touch(self, sid: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE sessions SET expires_at = ? WHERE key = ?",
                       (self.clock() + self.idle_seconds, _key(sid)))

    def update(self, sid: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any] | None:
        """Apply `change` to the stored session under the database's write lock, so two workers
        serving one browser (two tabs) never both spend the same single-use refresh token."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT data FROM sessions WHERE key = ?", (_key(sid),)).fetchone()
                if row is None:
                    db.execute("ROLLBACK")
                    return None
                data = change(json.loads(row[0]))
                db.execute("UPDATE sessions SET data = ?, expires_at = ? WHERE key = ?",
                           (json.dumps(data), self.clock() + self.idle_seconds, _key(sid)))
                db.execute("COMMIT")
                return data
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def delete(self, sid: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM sessions WHERE key = ?", (_key(sid),))
