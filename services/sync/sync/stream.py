"""Applying a stream of master-data rows in chunks: a full sync of a national registry is millions
of rows, so it never runs as one transaction holding everything in memory.

Rows are fed one at a time, by kind (agencies, units, positions, employees, in that order). Every
`chunk_size` rows are applied by the same rules as a file import (`handlers._Import`: each row
whole or not at all, events only for real changes) in one transaction, then the greenthread yields
(`eventlet.sleep(0)`) so AMQP heartbeats and other workers keep running.

An employee whose supervisor is neither stored nor in the same chunk waits (the registry lists in
any order); waiting rows are retried after the stream until no more can be placed, then applied
anyway so that what is still missing is reported as the row's error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import eventlet
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.identifiers import is_nip
from ekinerja_kernel.outbox import Outbox

from . import overrides as held_values
from . import rediagnose
from .domain import fixes
from .domain.model import Agency, Employee, Position, Unit
from .domain.overrides import Override, held_supervisor
from .handlers import KINDS, _Import
from .registry.siasn import REGISTRY_ROLES
from .repository import MasterData, employee_from_row
from .tables import employees, registry_refused, registry_synced

MAX_ERRORS = 100
EMPTY = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}


class StreamApplier:
    """Feed rows with `feed(kind, row)`, then `close()`. `counts`, `errors` (the first MAX_ERRORS),
    `error_count`, `warning_count` and `events` say what happened.

    `synced_run_id`: mark each employee applied (stored or unchanged) as synced from the registry
    by that run, in the chunk's transaction. `merge_roles`: an employee's roles are the row's plus
    the e-Kinerja roles already stored (admins), as the registry does not know those.
    `on_chunk(session, applier)` runs inside each chunk's transaction (progress of a run);
    `after_chunk()` after its commit (wake the outbox relay).
    """

    def __init__(self, factory: sessionmaker[Session], outbox: Outbox, chunk_size: int = 500,
                 synced_run_id: str | None = None, merge_roles: bool = False,
                 on_chunk: Callable[[Session, StreamApplier], None] | None = None,
                 after_chunk: Callable[[], None] | None = None) -> None:
        self.factory, self.outbox, self.chunk_size = factory, outbox, max(1, chunk_size)
        self.synced_run_id, self.merge_roles = synced_run_id, merge_roles
        self.on_chunk, self.after_chunk = on_chunk, after_chunk
        self.counts: dict[str, dict[str, int]] = {k: dict(EMPTY) for k in KINDS}
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.warning_count = 0
        self.emptied: list[dict[str, Any]] = []  # the first MAX_ERRORS records that lost a unit, position or supervisor
        self.events = 0
        self.chunks = 0
        self._kind: str | None = None
        self._buffer: list[dict[str, Any]] = []
        self._waiting: list[dict[str, Any]] = []

    def feed(self, kind: str, row: dict[str, Any]) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown record kind {kind}")
        if kind != self._kind:
            self._flush()
            self._kind = kind
        self._buffer.append(row)
        if len(self._buffer) >= self.chunk_size:
            self._flush()

    def feed_all(self, kind: str, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.feed(kind, row)

    def close(self) -> None:
        self._flush()
        while self._waiting:  # each pass places the rows whose supervisor arrived meanwhile
            waiting, self._waiting = self._waiting, []
            for start in range(0, len(waiting), self.chunk_size):
                self._apply("employees", waiting[start:start + self.chunk_size], defer=True)
            if len(self._waiting) == len(waiting):  # nothing placed: apply them to report why
                waiting, self._waiting = self._waiting, []
                for start in range(0, len(waiting), self.chunk_size):
                    self._apply("employees", waiting[start:start + self.chunk_size], defer=False)
        self._kind = None

    @property
    def employee_counts(self) -> dict[str, int]:
        return dict(self.counts["employees"])

    # --- inside -------------------------------------------------------------------------------------

    def _flush(self) -> None:
        if self._buffer:
            rows, self._buffer = self._buffer, []
            self._apply(self._kind or "employees", rows, defer=True)

    def _apply(self, kind: str, rows: list[dict[str, Any]], defer: bool) -> None:
        with unit_of_work(self.factory) as session:
            held: dict[str, list[Override]] = {}
            if kind == "employees":
                held = held_values.of(session, [_nip(r) for r in rows])
                if defer:
                    rows = self._without_missing_supervisors(session, rows, held)
                if self.merge_roles:
                    self._merge_roles(session, rows)
            if rows:
                run = _Import(session, self.outbox, self.synced_run_id)
                run.repo = cache = ChunkCache(session)
                if kind == "employees":
                    cache.prefetch(rows, held)
                getattr(run, kind)(rows)
                if self.synced_run_id:
                    _in_registry_words(run.errors, rows)
                self._collect(kind, run)
                if kind == "employees" and self.synced_run_id:
                    self._mark_synced(session, rows, run.errors)
            if self.on_chunk:
                self.on_chunk(session, self)
        self.chunks += 1
        if self.after_chunk and rows:
            self.after_chunk()
        eventlet.sleep(0)  # a long sync must not starve heartbeats and other workers

    def _without_missing_supervisors(self, session: Session, rows: list[dict[str, Any]],
                                     held: dict[str, list[Override]]) -> list[dict[str, Any]]:
        """The rows whose supervisor (an admin's, where one holds) is stored or placed in this
        chunk; the others wait."""
        nip = _nip

        def boss(r: dict[str, Any]) -> str:
            return held_supervisor(r, held.get(nip(r), ())) or ""

        in_chunk = {nip(r) for r in rows}
        wanted = {boss(r) for r in rows} - in_chunk - {""}
        stored: set[str] = set()
        if wanted:
            stored = set(session.execute(select(employees.c.nip).where(employees.c.nip.in_(wanted))).scalars())
        placed: set[str] = set()
        ready = [False] * len(rows)
        progress = True
        while progress:  # a row is placed once its supervisor is stored or placed (chains inside a chunk)
            progress = False
            for i, r in enumerate(rows):
                if not ready[i] and (not boss(r) or boss(r) == nip(r) or boss(r) in stored or boss(r) in placed):
                    ready[i], progress = True, True
                    placed.add(nip(r))
        self._waiting.extend(r for i, r in enumerate(rows) if not ready[i])
        return [r for i, r in enumerate(rows) if ready[i]]

    def _merge_roles(self, session: Session, rows: list[dict[str, Any]]) -> None:
        nips = [str(r.get("nip") or "").strip() for r in rows]
        current = dict(session.execute(select(employees.c.nip, employees.c.roles)
                                       .where(employees.c.nip.in_(nips))).all())
        for r in rows:
            kept = {x for x in current.get(str(r.get("nip") or "").strip()) or () if x not in REGISTRY_ROLES}
            r["roles"] = sorted(kept | set(r.get("roles") or ()))

    def _mark_synced(self, session: Session, rows: list[dict[str, Any]], errors: list[dict[str, Any]]) -> None:
        """Each employee applied (stored or unchanged) is synced by this run and no longer refused;
        each one refused keeps why (and the agency and name its record gives, for the agency admin's
        list), for the diagnosis. Either change may alter their findings."""
        given = {str(r.get("nip") or "").strip(): r for r in rows}
        nips = list(given)
        why: dict[str, list[dict[str, Any]]] = {}
        for e in errors:
            why.setdefault(str(e.get("key")), []).append({k: e[k] for k in ("field", "rule", "detail", "detail_id",
                                                                            "supervisor_nip") if k in e})
        now = utcnow()
        done = sorted({n for n in nips if n and n not in why})
        cleared: list[str] = []
        first_synced: list[str] = []
        if done:
            # A principal synced for the first time changes their teachers' findings (pmm).
            known = set(session.execute(select(registry_synced.c.nip).where(registry_synced.c.nip.in_(done)))
                        .scalars())
            first_synced = [n for n in done if n not in known]
            session.execute(delete(registry_synced).where(registry_synced.c.nip.in_(done)))
            session.execute(insert(registry_synced), [{"nip": n, "synced_at": now, "run_id": self.synced_run_id}
                                                      for n in done])
            cleared = list(session.execute(select(registry_refused.c.nip)
                                           .where(registry_refused.c.nip.in_(done))).scalars())
            if cleared:
                session.execute(delete(registry_refused).where(registry_refused.c.nip.in_(cleared)))
        refused = {n: w for n, w in why.items() if is_nip(n)}  # not "#row3" or a malformed NIP
        if refused:
            session.execute(delete(registry_refused).where(registry_refused.c.nip.in_(refused)))
            session.execute(insert(registry_refused), [
                {"nip": n, "refused_at": now, "run_id": self.synced_run_id, "errors": w,
                 "agency_id": _given(given.get(n), "agency_id", 64), "name": _given(given.get(n), "name", 300)}
                for n, w in refused.items()])
        rediagnose.queue(session, [*cleared, *refused])
        rediagnose.queue(session, first_synced, cascade=True)

    def _collect(self, kind: str, run: _Import) -> None:
        for k, counts in run.counts.items():
            for outcome, n in counts.items():
                self.counts[k][outcome] += n
        self.events += run.events
        self.warning_count += len(run.warnings)
        for warning in run.warnings:
            if warning.get("rule") == "emptied" and len(self.emptied) < MAX_ERRORS:
                self.emptied.append({k: v for k, v in warning.items() if k != "row"})
        self.error_count += len(run.errors)
        for error in run.errors:
            if len(self.errors) < MAX_ERRORS:
                self.errors.append({k: v for k, v in error.items() if k != "row"})  # a row number of a chunk


def _nip(row: dict[str, Any]) -> str:
    return str(row.get("nip") or "").strip()


def _given(row: dict[str, Any] | None, field: str, longest: int) -> str | None:
    """A field of a refused row as a label: its text, if it has one that fits."""
    value = str((row or {}).get(field) or "").strip()
    return value if 0 < len(value) <= longest else None


def _in_registry_words(errors: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """"Employee X does not exist (import it first...)" speaks of files; from the registry, say who
    acts, naming the registry's supervisor; and each error says who fixes it."""
    by_nip = {_nip(r): r for r in rows}
    for error in errors:
        if error.get("field") == "supervisor_nip" and error.get("rule") == "exists":
            boss = str((by_nip.get(str(error.get("key"))) or {}).get("supervisor_nip") or "").strip()
            error.update(fixes.supervisor_not_synced(boss))
        error.update(fixes.for_row_error(error))


class ChunkCache(MasterData):
    """Master data as one chunk's transaction sees it, each record read once: the import asks for
    the same agency, unit, position and supervisors row after row. Writes go to the database and
    to the cache (the chunk's own rows are then found without asking again). Lives for one
    transaction only, so nothing another writer commits meanwhile is missed across chunks."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._agencies: dict[str, Agency | None] = {}
        self._units: dict[str, Unit | None] = {}
        self._positions: dict[str, Position | None] = {}
        self._employees: dict[str, Employee | None] = {}
        self._niks: dict[str, str | None] = {}
        self._overrides: dict[str, list[Override]] = {}

    def prefetch(self, rows: list[dict[str, Any]], held: dict[str, list[Override]] | None = None) -> None:
        """The stored records of a chunk's employees, and who holds their NIKs, in two queries;
        `held`: their overrides, already read."""
        nips = {str(r.get("nip") or "").strip() for r in rows} - {""}
        self._overrides = {n: (held or {}).get(n, []) for n in nips} if held is not None else {}
        niks = {str(r.get("nik") or "").strip() for r in rows} - {""}
        for row in self.session.execute(select(employees).where(employees.c.nip.in_(nips))).mappings():
            self._employees[row["nip"]] = employee_from_row(row)
            self._niks[row["nik"]] = row["nip"]
        for nip in nips - self._employees.keys():
            self._employees[nip] = None
        for nik, nip in self.session.execute(select(employees.c.nik, employees.c.nip)
                                             .where(employees.c.nik.in_(niks - self._niks.keys()))).all():
            self._niks[nik] = nip
        for nik in niks - self._niks.keys():
            self._niks[nik] = None

    def _save(self, table: Table, key_col, key: str, values: dict[str, Any], exists: bool) -> None:
        values = {**values, "updated_at": utcnow()}
        if exists:
            self.session.execute(update(table).where(key_col == bindparam("_key")), {**values, "_key": key})
        else:
            self.session.execute(insert(table), values)

    def agency(self, agency_id: str) -> Agency | None:
        if agency_id not in self._agencies:
            self._agencies[agency_id] = super().agency(agency_id)
        return self._agencies[agency_id]

    def save_agency(self, agency: Agency, exists: bool) -> None:
        super().save_agency(agency, exists)
        self._agencies[agency.id] = agency

    def unit(self, unit_id: str) -> Unit | None:
        if unit_id not in self._units:
            self._units[unit_id] = super().unit(unit_id)
        return self._units[unit_id]

    def save_unit(self, unit: Unit, exists: bool) -> None:
        super().save_unit(unit, exists)
        self._units[unit.id] = unit

    def parent_of(self, unit_id: str) -> str | None:
        unit = self.unit(unit_id)
        return unit.parent_id if unit else None

    def position(self, position_id: str) -> Position | None:
        if position_id not in self._positions:
            self._positions[position_id] = super().position(position_id)
        return self._positions[position_id]

    def save_position(self, position: Position, exists: bool) -> None:
        super().save_position(position, exists)
        self._positions[position.id] = position

    def employee(self, nip: str) -> Employee | None:
        if nip not in self._employees:
            self._employees[nip] = super().employee(nip)
        return self._employees[nip]

    def save_employee(self, employee: Employee, exists: bool) -> None:
        old = self._employees.get(employee.nip)
        super().save_employee(employee, exists)
        if old is not None and old.nik != employee.nik:
            self._niks[old.nik] = None
        self._employees[employee.nip] = employee
        self._niks[employee.nik] = employee.nip

    def overrides(self, nip: str) -> list[Override]:
        if nip not in self._overrides:
            self._overrides[nip] = super().overrides(nip)
        return self._overrides[nip]

    def supervisor_of(self, nip: str) -> str | None:
        employee = self.employee(nip)
        return employee.supervisor_nip if employee else None

    def nip_with_nik(self, nik: str) -> str | None:
        if nik not in self._niks:
            self._niks[nik] = super().nip_with_nik(nik)
        return self._niks[nik]

