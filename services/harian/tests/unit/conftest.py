"""Shared set-up of harian's unit tests: `harian_db`, an empty harian database on a SQLite file, and
`harian_rows`, which puts in it the rows most tests start from (employees of harian's copy of master
data, an agency's settings, a day's status, an absence). A test module names what its tests start
from in a fixture of its own (usually `factory`) built on these two, and adds there what only it
needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.events import utcnow
from harian.tables import absences, agency_settings, day_status, employees, metadata


@pytest.fixture
def harian_db(tmp_path) -> Iterator[sessionmaker[Session]]:
    """The session factory of an empty harian database (every table of harian.tables) on a SQLite
    file of this test's own, as the service opens it (`make_engine`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'harian.db'}")
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


class HarianRows:
    """Adds one row a call to `harian_db`, with the values that do not matter to a test filled in."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def _add(self, table: Table, values: dict[str, Any]) -> None:
        with self.factory.begin() as s:
            s.execute(insert(table).values(**values))

    def employee(self, nip: str, *, name: str | None = None, email: str | None = None, status: str = "active",
                 agency: str = "ag1", unit: str | None = "u1", supervisor: str | None = None) -> None:
        """An employee as sync announced them; named `Pegawai <last three digits>` unless named."""
        self._add(employees, {"nip": nip, "name": name or f"Pegawai {nip[-3:]}", "email": email, "status": status,
                              "agency_id": agency, "unit_id": unit, "supervisor_nip": supervisor,
                              "updated_at": utcnow()})

    def agency_settings(self, agency: str, settings: dict[str, Any], *, reminder_hour: int = 15) -> None:
        """An agency's settings as `parse_agency_settings` reads them, and its reminder hour."""
        self._add(agency_settings, {"agency_id": agency, "settings": settings, "reminder_hour": reminder_hour,
                                    "updated_at": utcnow()})

    def day_status(self, nip: str, day: dt.date, status: str, *, entries: int = 1, late: bool = False,
                   agency: str = "ag1", unit: str = "u1") -> None:
        """One employee-day of the day_status read model."""
        self._add(day_status, {"nip": nip, "date": day, "agency_id": agency, "unit_id": unit, "status": status,
                               "entries": entries, "late": late, "updated_at": utcnow()})

    def absence(self, id_: str, nip: str, kind: str, start: dt.date, end: dt.date | None = None, *,
                recorded_by: str, agency: str = "ag1") -> None:
        """A justified absence (cuti, sakit, dinas_luar) from start to end (one day unless given)."""
        self._add(absences, {"id": id_, "nip": nip, "agency_id": agency, "kind": kind, "start_date": start,
                             "end_date": end or start, "recorded_by": recorded_by, "recorded_at": utcnow()})


@pytest.fixture
def harian_rows(harian_db) -> HarianRows:
    """`harian_rows.employee(nip, supervisor=...)`, `.agency_settings(...)`, `.day_status(...)` and
    `.absence(...)`: each adds one row to `harian_db`."""
    return HarianRows(harian_db)
