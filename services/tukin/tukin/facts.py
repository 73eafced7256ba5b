"""The facts tukin keeps from other services' events, so a month is computed without calling any
service per employee: staff (sync), closed days and returned entries (harian), predikat (skp)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.inbox import first_delivery

from .tables import days, employees, evaluations, inbox, returned

PATTERNS = ("ekinerja.employee.#", "ekinerja.harian.day_closed.#", "ekinerja.harian.returned.#",
            "ekinerja.skp.evaluated.#")


def _employee(s: Session, data: dict[str, Any]) -> None:
    position = data.get("position") or {}
    upsert(s, employees, {"nip": data["nip"]}, {
        "name": data["name"], "status": data["status"], "agency_id": data.get("agency_id"),
        "unit_id": data.get("unit_id"), "supervisor_nip": data.get("supervisor_nip"),
        "kelas_jabatan": position.get("kelas_jabatan"), "updated_at": utcnow()})


def _day_closed(s: Session, data: dict[str, Any]) -> None:
    upsert(s, days, {"nip": data["nip"], "date": dt.date.fromisoformat(data["date"])}, {
        "status": data["status"], "entries": data["entries"], "blank": data["blank"],
        "justified": data["justified"], "absence": data.get("absence"), "late": data["late"],
        "obligation_start": dt.date.fromisoformat(data["obligation_start"]) if data.get("obligation_start") else None})


def _returned(s: Session, data: dict[str, Any]) -> None:
    day = dt.date.fromisoformat(data["date"])
    known = {r.entry_id for r in s.execute(select(returned.c.entry_id).where(
        returned.c.entry_id.in_(data["entry_ids"])))}
    for entry_id in data["entry_ids"]:
        if entry_id not in known:
            s.execute(insert(returned).values(entry_id=entry_id, nip=data["nip"], date=day))


def _evaluated(s: Session, data: dict[str, Any]) -> None:
    period = data["period"]
    upsert(s, evaluations, {"skp_id": data["skp_id"], "period_id": period["id"]}, {
        "nip": data["nip"], "year": data["year"], "period_kind": period["kind"],
        "period_end": dt.date.fromisoformat(period["end"]), "predikat": data["predikat"]})


HANDLERS = {
    "ekinerja.employee.upserted.v1": _employee,
    "ekinerja.harian.day_closed.v1": _day_closed,
    "ekinerja.harian.returned.v1": _returned,
    "ekinerja.skp.evaluated.v1": _evaluated,
}


def on_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    handle = HANDLERS.get(envelope["type"])
    if handle is None:
        return
    with unit_of_work(factory) as s:
        if first_delivery(s, inbox, envelope):
            handle(s, envelope["data"])
