"""The database the benchmark measures: SQLite files (make up's default) or the PostgreSQL cluster of
`make up DB=postgres` (durable: fsync on), as the running harian process has it; and throw-away
databases on that same PostgreSQL for the batch benchmarks (`make bench DB=postgres`)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def kind(url: str) -> str:
    return "postgres" if url.startswith("postgresql") else "sqlite"


def mismatch(wanted: str | None, running_url: str) -> str | None:
    """Why the running stack is not the one `DB=wanted` asks to measure (None: it is, or nothing asked)."""
    if wanted != "postgres" or kind(running_url) == "postgres":
        return None
    return ("DB=postgres, but the running harian stores on SQLite: start the stack on PostgreSQL first "
            "(make down && make up DB=postgres)")


def describe(url: str) -> str:
    """What it is and how durable, e.g. 'PostgreSQL 15.10 (fsync on, synchronous_commit on)'."""
    if kind(url) == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (WAL, a file per service)"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar()
            fsync = conn.execute(text("SHOW fsync")).scalar()
            commit = conn.execute(text("SHOW synchronous_commit")).scalar()
    finally:
        engine.dispose()
    return f"PostgreSQL {str(version).split()[0]} (fsync {fsync}, synchronous_commit {commit})"


@contextmanager
def scratch(server_url: str, purpose: str) -> Iterator[str]:
    """A new empty database on the server of `server_url`, dropped afterwards."""
    name = f"ekinerja_bench_{purpose}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
