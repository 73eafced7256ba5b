"""Shared set-up of skp's unit tests.

skp decides with today's date (open planning years, fill-in deadlines, when a period can be rated,
acting officials' dates): `clock` sets that date for every test, so they pass on any day they run.
`skp_db` is an empty skp database on a SQLite file, and `add_employee` puts an employee of skp's
copy of master data in it. A test module names what its tests start from in a fixture of its own
(`factory`, or a `world` of helpers) built on these, and adds there what only it needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.events import utcnow
from skp.tables import employees, metadata


class Clock:
    def __init__(self, today: dt.date) -> None:
        self.today = today

    def set(self, today: dt.date) -> None:
        self.today = today


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    current = Clock(dt.date(2027, 1, 4))  # a Monday early in the year the tests plan
    monkeypatch.setattr(config, "today", lambda: current.today)
    return current


@pytest.fixture
def skp_db(tmp_path) -> Iterator[sessionmaker[Session]]:
    """The session factory of an empty skp database (every table of skp.tables) on a SQLite file of
    this test's own, as the service opens it (`make_engine`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'skp.db'}")
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def add_employee(skp_db) -> Callable[..., None]:
    """`add_employee(nip, supervisor, jenjang, kind="fungsional", agency=...)`: one employee in
    `skp_db`, active, in unit u1, holding position `p-<nip>`, named `Pegawai <last four digits>`
    unless the keywords say otherwise."""

    def add(nip: str, supervisor: str | None, jenjang: str | None, kind: str = "fungsional", *, agency: str,
            name: str | None = None, status: str = "active", unit: str = "u1",
            position_name: str | None = None) -> None:
        with skp_db.begin() as s:
            s.execute(insert(employees).values(
                nip=nip, name=name or f"Pegawai {nip[-4:]}", status=status, agency_id=agency, unit_id=unit,
                supervisor_nip=supervisor, position_id=f"p-{nip}", position_name=position_name, position_kind=kind,
                jenjang=jenjang, updated_at=utcnow()))

    return add
