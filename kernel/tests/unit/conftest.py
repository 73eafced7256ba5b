"""Shared set-up of the kernel's unit tests. The kernel has no tables of its own: a test defines the
few it needs on a MetaData and asks `sqlite_db` for a database holding them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import make_engine, session_factory


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[Callable[[MetaData], sessionmaker[Session]]]:
    """`sqlite_db(metadata)`: the session factory of a new SQLite file (under tmp_path) holding
    metadata's tables, made the way the services make theirs (`make_engine`). Disposed afterwards."""
    engines: list[Engine] = []

    def make(metadata: MetaData) -> sessionmaker[Session]:
        engine = make_engine(f"sqlite:///{tmp_path / f'kernel-{len(engines)}.db'}")
        engines.append(engine)
        metadata.create_all(engine)
        return session_factory(engine)

    yield make
    for engine in engines:
        engine.dispose()
