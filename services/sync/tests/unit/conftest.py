"""Shared set-up of sync's unit tests: `sync_db`, an empty sync database on a SQLite file;
`import_master_data`, a file import into it that must accept every row; `demo_masterdata`, the demo
agencies' master data (deploy/demo/masterdata.json); and `demo_registry`, SIASN simulated holding
that data. A test module names what its tests start from in a fixture of its own (usually
`factory`) built on these, and adds there what only it needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import make_engine, session_factory
from sync.handlers import import_records
from sync.registry.simulator import Registry
from sync.tables import OUTBOX, metadata

DEMO_MASTERDATA = Path(__file__).resolve().parents[4] / "deploy" / "demo" / "masterdata.json"


@pytest.fixture
def sync_db(tmp_path) -> Iterator[sessionmaker[Session]]:
    """The session factory of an empty sync database (every table of sync.tables) on a SQLite file
    of this test's own, as the service opens it (`make_engine`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'sync.db'}")
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def import_master_data(sync_db) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """`import_master_data(payload)`: imports payload into `sync_db` as a file import does (its events
    in the outbox) and returns the report, failing the test if any row was refused. For data a test
    starts from; a test of the import itself calls `import_records` and reads the report."""

    def load(payload: dict[str, Any]) -> dict[str, Any]:
        report = import_records(sync_db, OUTBOX, payload)
        assert report["rejected"] == 0, report["errors"]
        return report

    return load


@pytest.fixture
def demo_masterdata() -> dict[str, Any]:
    """The demo agencies' master data as `make up` imports it; a copy of this test's own to change."""
    return json.loads(DEMO_MASTERDATA.read_text(encoding="utf-8"))


@pytest.fixture
def demo_registry(demo_masterdata) -> Registry:
    """SIASN simulated, holding the demo master data (a copy of its own: changing the registry
    leaves `demo_masterdata` as the file has it)."""
    return Registry(json.loads(json.dumps(demo_masterdata)))
