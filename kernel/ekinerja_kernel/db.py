"""Database engine and sessions: SQLite by default, PostgreSQL in production and CI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

_sqlite_engines: dict[str, Engine] = {}


def _green() -> bool:
    """Whether this process runs under eventlet's monkey patching (the nameko services)."""
    eventlet = sys.modules.get("eventlet")
    return eventlet is not None and eventlet.patcher.is_monkey_patched("thread")


def _hub_turn() -> None:
    sys.modules["eventlet"].sleep(0)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str) -> Engine:
    """One engine with ONE connection per SQLite file and process.

    SQLite allows one writer; under eventlet a second connection waiting for the lock would
    block the whole hub inside C (the holder could never commit). With one pooled connection,
    greenthreads queue for it on a green lock instead. SQLite is the one-machine default only;
    production runs PostgreSQL.
    """
    engine = _sqlite_engines.get(url)
    if engine is None:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               pool_size=1, max_overflow=0, pool_timeout=60)

        # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself.
        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        if _green():
            # sqlite3 runs in C and never yields to eventlet's hub: a batch of hundreds of statements
            # would hold every other greenthread of the process (RPC consumers, heartbeats, health
            # checks) until it ends. One turn for them after each statement.
            @event.listens_for(engine, "after_cursor_execute")
            def _yield(*_args):
                _hub_turn()

        _sqlite_engines[url] = engine
    return engine


def probe_engine(url: str) -> Engine:
    """An engine of its own for health checks, never waiting for the workers' connections: on SQLite
    a second connection (WAL: a reader is not blocked by the writer's transaction; reads and `SELECT 1`
    take no write lock, so it cannot block the hub either), elsewhere one pooled connection."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": 1}, pool_size=1,
                             max_overflow=0, pool_timeout=5)
    return create_engine(url, pool_size=1, max_overflow=1, pool_timeout=5, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()


def upsert(session: Session, table: Table, key: dict[str, Any], values: dict[str, Any]) -> bool:
    """Insert the row with `key`, or update it; True when it was new. Portable across SQLite and
    PostgreSQL (read-copies are written by one consumer at a time, so no race to guard)."""
    where = [table.c[name] == value for name, value in key.items()]
    if session.execute(select(*[table.c[name] for name in key]).where(*where)).first():
        session.execute(update(table).where(*where).values(**values))
        return False
    session.execute(insert(table).values(**key, **values))
    return True


def keep_latest(session: Session, table: Table, key: dict[str, Any], values: dict[str, Any], at: str) -> bool:
    """Insert the row with `key`, or update it unless it already holds a later `values[at]`: events
    may arrive out of order, and the latest wins. One conditional UPDATE, so an older event cannot
    overwrite a newer one even when two are handled at once (times are stored in UTC, so they also
    compare correctly on SQLite). True when written."""
    where = [table.c[name] == value for name, value in key.items()]
    if session.execute(update(table).where(*where, table.c[at] <= values[at]).values(**values)).rowcount:  # type: ignore[attr-defined]  # DML executes to a CursorResult
        return True
    if session.execute(select(*[table.c[name] for name in key]).where(*where)).first() is not None:
        return False
    session.execute(insert(table).values(**key, **values))
    return True
