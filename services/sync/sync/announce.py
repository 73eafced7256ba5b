"""Announcing the current master data again, for a consumer that joined late or lost its read-copy
(events are sent only on change, so it would never hear of data that does not change). Consumers
upsert, so a second announcement of the same data changes nothing there."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import eventlet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.outbox import Outbox

from .domain import changes
from .findings import reannounce
from .repository import MasterData
from .tables import acting, employees, units

CHUNK = 500


def _keys(s: Session, column: Any, agency_column: Any, agency_id: str | None, after: str) -> list[str]:
    query = select(column).where(column > after).order_by(column).limit(CHUNK)
    if agency_id:
        query = query.where(agency_column == agency_id)
    return list(s.execute(query).scalars())


def _chunks(factory: sessionmaker[Session], column: Any, agency_column: Any,
            agency_id: str | None) -> Iterator[tuple[Session, list[str]]]:
    after = ""
    while True:
        with unit_of_work(factory) as s:
            keys = _keys(s, column, agency_column, agency_id, after)
            if not keys:
                return
            yield s, keys
        after = keys[-1]
        eventlet.sleep(0)


def announce(factory: sessionmaker[Session], outbox: Outbox, agency_id: str | None = None) -> dict[str, int]:
    """Puts unit.upserted, employee.upserted and acting.assigned for every record (of one agency, or
    all) in the outbox, in chunks of CHUNK records per transaction; the running relay publishes them.
    And queues everyone's findings to be sent again (employee.diagnosed, by the running service)."""
    counts = {"units": 0, "employees": 0, "acting": 0}
    for s, keys in _chunks(factory, units.c.id, units.c.agency_id, agency_id):
        repo = MasterData(s)
        for key in keys:
            unit = repo.unit(key)
            assert unit is not None  # its key was just read in this transaction, and records are never deleted
            for name, data in changes.unit_events(None, unit):
                outbox.add(s, name, key, data)
            counts["units"] += 1
    for s, keys in _chunks(factory, employees.c.nip, employees.c.agency_id, agency_id):
        repo = MasterData(s)
        for key in keys:
            person = repo.employee(key)
            assert person is not None  # its key was just read in this transaction, and records are never deleted
            snapshot = repo.position_snapshot(person.position_id)
            name, data = changes.employee_events(None, person, snapshot)[0]  # the upsert, not the changes
            outbox.add(s, name, key, data)
            counts["employees"] += 1
    for s, keys in _chunks(factory, acting.c.id, acting.c.agency_id, agency_id):
        repo = MasterData(s)
        for key in keys:
            record = repo.acting(key)
            assert record is not None  # its key was just read in this transaction, and records are never deleted
            for name, data in changes.acting_events(None, record):
                outbox.add(s, name, record.nip, data)
            counts["acting"] += 1
    reannounce(factory, agency_id)
    return counts
