"""The skp service's read-copy of master data (employees, acting officials, sync's diagnosis
findings), kept from sync's events, and the questions asked of it: who is whose penilai today, who
is in my team."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.inbox import first_delivery

from . import findings, monitoring
from .domain.penilai import Assignment, Penilai, Person, resolve
from .tables import acting, employees, inbox


def on_masterdata_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    kind, data = envelope["type"], envelope["data"]
    if kind == findings.DIAGNOSED:  # routed here by the queue's `ekinerja.employee.#` binding
        write: Callable[[Session], Any] = partial(findings.keep, data=data)
    elif kind == "ekinerja.employee.upserted.v1":
        position = data.get("position") or {}
        write = partial(upsert, table=employees, key={"nip": data["nip"]}, values={
            "name": data["name"], "status": data["status"], "agency_id": data.get("agency_id"),
            "unit_id": data.get("unit_id"), "supervisor_nip": data.get("supervisor_nip"),
            "position_id": data.get("position_id"), "position_name": position.get("name"),
            "position_kind": position.get("kind"), "jenjang": position.get("jenjang"), "updated_at": utcnow()})
    elif kind == "ekinerja.acting.assigned.v1":
        write = partial(upsert, table=acting, key={"id": data["id"]}, values={
            "nip": data["nip"], "unit_id": data["unit_id"], "position_id": data["position_id"],
            "kind": data["kind"], "start_date": dt.date.fromisoformat(data["start_date"]),
            "end_date": dt.date.fromisoformat(data["end_date"])})
    else:
        return  # supervisor.changed is also in employee.upserted; the others are not needed here
    with unit_of_work(factory) as s:
        if first_delivery(s, inbox, envelope):
            if kind == "ekinerja.employee.upserted.v1":
                monitoring.touch_employee(s, data["nip"])  # their plans, evaluations and headcount follow
            write(s)


def employee(s: Session, nip: str | None) -> Any:
    if not nip:
        return None
    return s.execute(select(employees).where(employees.c.nip == nip)).first()


def _person(s: Session, nip: str) -> Person | None:
    row = employee(s, nip)
    return Person(row.nip, row.status, row.unit_id, row.position_id, row.supervisor_nip) if row else None


def _acting_in(s: Session, unit_id: str, position_id: str) -> list[Assignment]:
    return [Assignment(r.nip, r.unit_id, r.position_id, r.kind, r.start_date, r.end_date)
            for r in s.execute(select(acting).where(acting.c.position_id == position_id,
                                                    acting.c.unit_id == unit_id))]


def penilai(s: Session, owner_nip: str, on: dt.date | None = None) -> Penilai:
    """Read at the moment of acting, so a supervisor change in master data moves pending approvals
    to the new supervisor, and an acting official's authority ends with their dates."""
    return resolve(owner_nip, on or config.today(), lambda n: _person(s, n), lambda u, p: _acting_in(s, u, p))


def in_chain_above(s: Session, caller_nip: str, nip: str, limit: int = 50) -> bool:
    """The caller supervises `nip` directly or higher up, or acts as their penilai today."""
    if penilai(s, nip).may_act(caller_nip):
        return True
    current = employee(s, nip)
    for _ in range(limit):
        current = employee(s, current.supervisor_nip) if current else None
        if current is None:
            return False
        if current.nip == caller_nip:
            return True
    return False


def team(s: Session, caller_nip: str, on: dt.date | None = None) -> list[Any]:
    """The active employees whose penilai the caller is today: direct reports, the teams of positions
    the caller acts in (PLT/PLH), and those of an inactive direct report (atasan pejabat penilai)."""
    on = on or config.today()
    stand_ins = [caller_nip]
    for seat in s.execute(select(acting).where(acting.c.nip == caller_nip, acting.c.start_date <= on,
                                               acting.c.end_date >= on)):
        stand_ins += [r.nip for r in s.execute(select(employees.c.nip).where(
            employees.c.position_id == seat.position_id, employees.c.unit_id == seat.unit_id))]
    frontier = list(stand_ins)
    for _ in range(50):  # walk down through inactive officials, whose teams come up to the atasan
        inactive = [r.nip for r in s.execute(select(employees.c.nip).where(
            employees.c.supervisor_nip.in_(frontier), employees.c.status != "active"))]
        if not inactive:
            break
        stand_ins += inactive
        frontier = inactive
    candidates = s.execute(select(employees).where(employees.c.supervisor_nip.in_(stand_ins),
                                                   employees.c.status == "active")
                           .order_by(employees.c.name)).all()
    return [m for m in candidates if m.nip != caller_nip and penilai(s, m.nip, on).may_act(caller_nip)]
