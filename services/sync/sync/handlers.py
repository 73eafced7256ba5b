"""Use cases of the sync service, each given a session factory (no nameko here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import Caller, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, not_found, validation_error
from ekinerja_kernel.outbox import Outbox

from . import overrides as held_values
from . import rediagnose
from .domain import changes, fixes
from .domain.access import require_can_view
from .domain.graph import creates_cycle, dependency_order
from .domain.identifiers import require_nip
from .domain.overrides import Held, given, hold
from .domain.records import (
    RowErrors,
    acting_official_errors,
    parse_acting,
    parse_agency,
    parse_employee,
    parse_position,
    parse_unit,
)
from .repository import MasterData
from .schemas import employee_json

KINDS = ("agencies", "units", "positions", "employees", "acting")


def _err(field: str, rule: str, en: str, id_: str) -> RowErrors:
    return RowErrors([FieldError(field, rule, en, id_)])


def _missing(field: str, what: str, what_id: str, key: str) -> RowErrors:
    return _err(field, "exists", f"{what} {key} does not exist (import it first or in the same file).",
                f"{what_id} {key} tidak ada (impor lebih dulu atau dalam berkas yang sama).")


class _Import:
    """One import: every row is applied whole (in its own savepoint) or not at all. An employee's
    overrides (an admin's repairs) hold against the row; `run_id`: the registry sync run it is part
    of (None: a file import)."""

    def __init__(self, session: Session, outbox: Outbox, run_id: str | None = None) -> None:
        self.session = session
        self.repo = MasterData(session)
        self.outbox = outbox
        self.run_id = run_id
        self.counts = {k: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0} for k in KINDS}
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.events = 0

    def _reject(self, kind: str, row: int, key: Any, errors: list[FieldError]) -> None:
        self.counts[kind]["rejected"] += 1
        for e in errors:
            self.errors.append({"record": kind, "row": row, "key": key, **e.to_dict()})

    def _apply(self, kind: str, row: int, key: Any, step: Callable[[], tuple[bool, bool]]) -> None:
        events_before = self.events
        try:
            with self.session.begin_nested():
                existed, changed = step()
        except RowErrors as exc:
            self.events = events_before  # the row's events were rolled back with it
            self._reject(kind, row, key, exc.errors)
            return
        except IntegrityError as exc:
            self.events = events_before
            self._reject(kind, row, key, [FieldError("*", "conflict", f"Conflicts with stored data: {exc.orig}",
                                                     f"Bertentangan dengan data tersimpan: {exc.orig}")])
            return
        self.counts[kind]["unchanged" if not changed else "updated" if existed else "created"] += 1

    def _announce(self, events: list[tuple[str, dict[str, Any]]], subject: str) -> None:
        for name, data in events:
            self.outbox.add(self.session, name, subject, data)
            rediagnose.touch(self.session, name, subject, data)
            self.events += 1

    def _keyed(self, kind: str, rows: list[dict[str, Any]], key_field: str, dep_field: str):
        """Rows in dependency order as (row number, key, row); duplicates and loops rejected."""
        index: dict[str, tuple[int, dict[str, Any]]] = {}
        for i, raw in enumerate(rows, 1):
            key = str(raw.get(key_field) or "").strip() or f"#row{i}"  # parsers strip too
            if key in index:
                self._reject(kind, i, key, _err(key_field, "unique-in-file", f"{key} appears twice in this file.",
                                                f"{key} muncul dua kali dalam berkas ini.").errors)
                continue
            index[key] = (i, raw)
        order, stuck = dependency_order((k, str(r.get(dep_field) or "").strip() or None)
                                        for k, (_, r) in index.items())
        for key in stuck:
            self._reject(kind, index[key][0], key, _err(
                dep_field, "no-cycle", f"Rows in this file form a loop through {dep_field}.",
                f"Baris dalam berkas ini membentuk lingkaran melalui {dep_field}.").errors)
        return [(index[k][0], k, index[k][1]) for k in order]

    def agencies(self, rows: list[dict[str, Any]]) -> None:
        for i, raw in enumerate(rows, 1):
            def step(raw=raw):
                agency = parse_agency(raw)
                old = self.repo.agency(agency.id)
                if old != agency:
                    self.repo.save_agency(agency, old is not None)
                return old is not None, old != agency
            self._apply("agencies", i, raw.get("id"), step)

    def units(self, rows: list[dict[str, Any]]) -> None:
        for i, key, raw in self._keyed("units", rows, "id", "parent_id"):
            def step(raw=raw):
                unit = parse_unit(raw)
                agency = self.repo.agency(unit.agency_id)
                if agency is None:
                    raise _missing("agency_id", "Agency", "Instansi", unit.agency_id)
                if unit.parent_id:
                    parent = self.repo.unit(unit.parent_id)
                    if parent is None:
                        raise _missing("parent_id", "Unit", "Unit", unit.parent_id)
                    if parent.agency_id != unit.agency_id:
                        raise _err("parent_id", "same-agency", "The parent unit belongs to another agency.",
                                   "Unit induk milik instansi lain.")
                    if creates_cycle(unit.id, unit.parent_id, self.repo.parent_of):
                        raise _err("parent_id", "no-cycle", "This parent would make the unit tree loop.",
                                   "Induk ini membuat pohon unit berputar.")
                old = self.repo.unit(unit.id)
                events = changes.unit_events(old, unit)
                if events:
                    self.repo.save_unit(unit, old is not None)
                    self._announce(events, unit.id)
                return old is not None, bool(events)
            self._apply("units", i, key, step)

    def positions(self, rows: list[dict[str, Any]]) -> None:
        for i, raw in enumerate(rows, 1):
            def step(raw=raw):
                position = parse_position(raw)
                if self.repo.agency(position.agency_id) is None:
                    raise _missing("agency_id", "Agency", "Instansi", position.agency_id)
                old = self.repo.position(position.id)
                if old != position:
                    self.repo.save_position(position, old is not None)
                    for name, data in changes.position_events(old, position, self.repo.holders(position.id)):
                        self._announce([(name, data)], data["nip"])
                return old is not None, old != position
            self._apply("positions", i, raw.get("id"), step)

    def employees(self, rows: list[dict[str, Any]]) -> None:
        for i, key, raw in self._keyed("employees", rows, "nip", "supervisor_nip"):
            def step(raw=raw, i=i):
                nip = given(raw, "nip")
                held = hold(raw, self.repo.overrides(nip)) if nip else Held(raw)
                employee, warnings = parse_employee(held.row)
                self._check_employee_links(employee)
                old = self.repo.employee(employee.nip)
                events = changes.employee_events(old, employee, self.repo.position_snapshot(employee.position_id))
                if events:
                    self.repo.save_employee(employee, old is not None)
                    self._announce(events, employee.nip)
                held_values.settle(self.session, held.agreed, held.differ, self.run_id)
                for w in warnings:
                    self.warnings.append({"record": "employees", "row": i, "key": employee.nip, **w.to_dict()})
                for field in changes.emptied(old, employee):
                    self.warnings.append({"record": "employees", "row": i, "key": employee.nip,
                                          **fixes.emptied(field, getattr(old, field))})
                return old is not None, bool(events)
            self._apply("employees", i, key, step)

    def acting(self, rows: list[dict[str, Any]]) -> None:
        for i, raw in enumerate(rows, 1):
            def step(raw=raw):
                record = parse_acting(raw)
                if self.repo.agency(record.agency_id) is None:
                    raise _missing("agency_id", "Agency", "Instansi", record.agency_id)
                unit = self.repo.unit(record.unit_id)
                if unit is None:
                    raise _missing("unit_id", "Unit", "Unit", record.unit_id)
                if unit.agency_id != record.agency_id:
                    raise _err("unit_id", "same-agency", "The unit belongs to another agency.",
                               "Unit tersebut milik instansi lain.")
                position = self.repo.position(record.position_id)
                if position is None:
                    raise _missing("position_id", "Position", "Jabatan", record.position_id)
                if position.agency_id != record.agency_id:
                    raise _err("position_id", "same-agency", "The position belongs to another agency.",
                               "Jabatan tersebut milik instansi lain.")
                errors = acting_official_errors(self.repo.employee(record.nip), record)
                if errors:
                    raise RowErrors(errors)
                old = self.repo.acting(record.id)
                events = changes.acting_events(old, record)
                if events:
                    self.repo.save_acting(record, old is not None)
                    self._announce(events, record.nip)
                return old is not None, bool(events)
            self._apply("acting", i, raw.get("id"), step)

    def _check_employee_links(self, e) -> None:
        if self.repo.agency(e.agency_id) is None:
            raise _missing("agency_id", "Agency", "Instansi", e.agency_id)
        if e.unit_id:
            unit = self.repo.unit(e.unit_id)
            if unit is None:
                raise _missing("unit_id", "Unit", "Unit", e.unit_id)
            if unit.agency_id != e.agency_id:
                raise _err("unit_id", "same-agency", "The unit belongs to another agency.",
                           "Unit tersebut milik instansi lain.")
        if e.position_id:
            position = self.repo.position(e.position_id)
            if position is None:
                raise _missing("position_id", "Position", "Jabatan", e.position_id)
            if position.agency_id != e.agency_id:
                raise _err("position_id", "same-agency", "The position belongs to another agency.",
                           "Jabatan tersebut milik instansi lain.")
        holder = self.repo.nip_with_nik(e.nik)
        if holder is not None and holder != e.nip:
            raise _err("nik", "unique", "This NIK is already registered to another employee.",
                       "NIK ini sudah terdaftar untuk pegawai lain.")
        if e.supervisor_nip:
            if self.repo.employee(e.supervisor_nip) is None:
                raise _missing("supervisor_nip", "Employee", "Pegawai", e.supervisor_nip)
            if creates_cycle(e.nip, e.supervisor_nip, self.repo.supervisor_of):
                raise _err("supervisor_nip", "no-cycle", "This supervisor would make the supervision chain loop.",
                           "Atasan ini membuat rantai atasan berputar.")

    def report(self) -> dict[str, Any]:
        return {"counts": self.counts, "errors": self.errors, "warnings": self.warnings,
                "events": self.events,
                "rejected": sum(c["rejected"] for c in self.counts.values())}


def import_records(factory: sessionmaker[Session], outbox: Outbox, payload: Any) -> dict[str, Any]:
    """Import agencies, units, positions, employees and acting officials; bad rows are reported,
    good rows stored."""
    if not isinstance(payload, dict) or not any(k in payload for k in KINDS):
        raise validation_error([FieldError("payload", "has-records",
                                           f"Expected an object with one or more of: {', '.join(KINDS)}.",
                                           f"Diharapkan objek berisi salah satu dari: {', '.join(KINDS)}.")])
    for kind in KINDS:
        if not isinstance(payload.get(kind, []), list) or \
                not all(isinstance(r, dict) for r in payload.get(kind, [])):
            raise validation_error([FieldError(kind, "list-of-objects", f"{kind} must be a list of objects.",
                                               f"{kind} harus berupa daftar objek.")])
    with unit_of_work(factory) as session:
        run = _Import(session, outbox)
        for kind in KINDS:
            getattr(run, kind)(payload.get(kind, []))
    return run.report()


def get_employee(factory: sessionmaker[Session], caller: Caller | None, nip: str) -> dict[str, Any]:
    caller = require(caller)
    require_nip(nip)
    with factory() as session:
        repo = MasterData(session)
        view = repo.employee_view(nip)
        if view is None:
            raise not_found("employee", "Pegawai", nip)
        require_can_view(caller, nip, view["agency_id"], repo.supervisor_of)
    return employee_json(view)
