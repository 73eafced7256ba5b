"""Each service's alembic migrations build exactly the schema its `tables.metadata` describes, on
PostgreSQL and on SQLite, and running them again changes nothing."""

from __future__ import annotations

import importlib
import pprint
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text

from ekinerja_kernel.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "sync", "skp", "harian", "tukin")


def service_dir(service: str) -> Path:
    return ROOT / "services" / service


def tables_module(service: str):
    return importlib.import_module(f"{service}.tables")


def head_revision(service: str) -> str:
    script = ScriptDirectory.from_config(Config(str(service_dir(service) / "alembic.ini")))
    head = script.get_current_head()
    assert head, f"{service} has no migration"
    return head


def schema_diff(url: str, service: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, tables_module(service).metadata)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def assert_matches_metadata(url: str, service: str) -> None:
    diff = schema_diff(url, service)
    assert diff == [], f"{service}: migrated schema differs from tables.metadata:\n{pprint.pformat(diff)}"
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    # Guards against comparing two empty schemas (e.g. a metadata that failed to load).
    expected = set(tables_module(service).metadata.tables)
    assert expected and expected <= tables, f"{service}: missing tables {sorted(expected - tables)}"
    assert current_revision(url) == head_revision(service)


def sqlite_url(directory: Path, service: str) -> str:
    return "sqlite:///" + str(directory / f"{service}-{uuid.uuid4().hex[:8]}.db")


@pytest.mark.parametrize("service", SERVICES)
def test_postgres_schema_matches_metadata(service, service_databases):
    assert_matches_metadata(service_databases[service], service)


@pytest.mark.parametrize("service", SERVICES)
def test_sqlite_schema_matches_metadata(service, tmp_path):
    url = sqlite_url(tmp_path, service)

    upgrade(service_dir(service), url)

    assert_matches_metadata(url, service)


def _add_outbox_row(url: str, service: str) -> str:
    outbox = tables_module(service).outbox_table
    event_id = str(uuid.uuid4())
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(outbox.insert().values(id=event_id, type="test.migrations", body="{}",
                                                      created_at=datetime.now(UTC), published_at=None))
    finally:
        engine.dispose()
    return event_id


def _outbox_ids(url: str, service: str) -> list[str]:
    outbox = tables_module(service).outbox_table
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(outbox.c.id)).scalars())
    finally:
        engine.dispose()


def _assert_second_upgrade_is_harmless(url: str, service: str) -> None:
    upgrade(service_dir(service), url)
    event_id = _add_outbox_row(url, service)

    upgrade(service_dir(service), url)  # must neither fail nor touch existing rows

    assert _outbox_ids(url, service) == [event_id]
    assert_matches_metadata(url, service)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert versions == 1


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_twice_is_harmless_on_sqlite(service, tmp_path):
    _assert_second_upgrade_is_harmless(sqlite_url(tmp_path, service), service)


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_twice_is_harmless_on_postgres(service, postgres):
    # A database of its own: the shared per-service databases stay untouched by the test's row.
    url = postgres.create_database(f"{service}_migr_{uuid.uuid4().hex[:8]}")
    _assert_second_upgrade_is_harmless(url, service)


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_again_on_the_shared_database_is_harmless(service, service_databases):
    url = service_databases[service]
    before = _count_outbox(url, service)

    upgrade(service_dir(service), url)

    assert _count_outbox(url, service) == before
    assert_matches_metadata(url, service)


def _count_outbox(url: str, service: str) -> int:
    outbox = tables_module(service).outbox_table
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(outbox)).scalar_one()
    finally:
        engine.dispose()
