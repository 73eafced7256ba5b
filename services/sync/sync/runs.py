"""Sync runs: master data pulled from the registry, each run recorded (table `sync_runs`).

- `Syncer.sync_nip`: "Sinkronisasi ASN" of one NIP (asked by its owner, or an admin): the registry's
  data utama, with the agency, unit tree and position it needs.
- `Syncer.sync_agency`: an agency's changes since its cursor (incremental), or all of it (full).
- `Syncer.scheduled`: every configured agency incrementally, as one run; the first run of an
  agency without a cursor is its full sync.

Rows are applied through `stream.StreamApplier` (the import's rules, in chunks), so only real
changes emit events. A registry failure (down, timing out, circuit open) ends the run as `failed`
and leaves the agency's cursor where it was, so the next run fetches the same changes again; rows
the import refuses make it `partial`; otherwise it is `ok`. No nameko here.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import rules as kernel_rules
from ekinerja_kernel.caller import ADMIN_ROLES, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import overrides as held_values
from .domain import fixes, overrides
from .domain.identifiers import require_nip
from .domain.overrides import Override
from .registry.client import RegistryClient, RegistryError, RegistryNotFound, RegistryUnavailable
from .registry.siasn import agency_row, employee_row, position_row, unit_row
from .stream import MAX_ERRORS, StreamApplier
from .tables import agencies, employees, sync_cursors, sync_runs, units

log = logging.getLogger("ekinerja.sync.runs")

RUNS = Counter("ekinerja_sync_runs_total", "Registry sync runs finished, by kind and status", ["kind", "status"])
RECORDS = Counter("ekinerja_sync_records_total", "Employees seen by registry sync runs, by outcome", ["outcome"])

KINDS = ("incremental", "full", "nip", "pmm")
TRIGGERS = ("schedule", "admin", "employee", "cli")
STATUSES = ("queued", "running", "ok", "partial", "failed")
ALL = "*"
SCHEDULE_LEASE = "~schedule"


# --- run records -------------------------------------------------------------------------------

def new_run(session: Session, kind: str, scope: str, trigger: str, requested_by: str | None,
            agency_id: str | None, status: str = "running") -> str:
    run_id, now = str(uuid.uuid4()), utcnow()
    session.execute(insert(sync_runs).values(
        id=run_id, kind=kind, scope=scope, agency_id=agency_id, trigger=trigger, requested_by=requested_by,
        status=status, queued_at=now, started_at=now if status == "running" else None, finished_at=None,
        created=0, updated=0, unchanged=0, rejected=0, events=0, counts={}, errors=[], error_count=0))
    return run_id


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value else None


def run_json(row: Any) -> dict[str, Any]:
    duration = None
    if row.started_at and row.finished_at:
        duration = round((as_utc(row.finished_at) - as_utc(row.started_at)).total_seconds(), 3)
    return {"id": row.id, "kind": row.kind, "scope": row.scope, "agency_id": row.agency_id,
            "trigger": row.trigger, "requested_by": row.requested_by, "status": row.status,
            "queued_at": _iso(row.queued_at), "started_at": _iso(row.started_at),
            "finished_at": _iso(row.finished_at), "duration_seconds": duration,
            "created": row.created, "updated": row.updated, "unchanged": row.unchanged,
            "rejected": row.rejected, "events": row.events, "counts": row.counts or {},
            "errors": row.errors or [], "error_count": row.error_count, "since": row.since, "until": row.until}


def get_run(factory: sessionmaker[Session], run_id: str) -> dict[str, Any]:
    with factory() as s:
        row = s.execute(select(sync_runs).where(sync_runs.c.id == run_id)).first()
        if row is None:
            raise not_found("sync run", "Proses sinkronisasi", run_id)
        return run_json(row)


class Progress:
    """What a run has done so far; written to its row with each chunk and at the end."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.appliers: list[StreamApplier] = []
        self.errors: list[dict[str, Any]] = []  # the run's own (registry failures)
        self.extra: dict[str, Any] = {}
        self.own = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "events": 0}  # not from rows
        self.failed = False

    def error(self, key: str, rule: str, detail: str, detail_id: str, record: str = "registry",
              fixed: dict[str, Any] | None = None) -> None:
        """An error of the run itself; `fixed`: who fixes it (fixers, fixed_by, fixed_by_id), when
        not the registry's usual ones."""
        self.errors.append({"record": record, "key": key, "field": "*", "rule": rule, "detail": detail,
                            "detail_id": detail_id, **(fixed or fixes.for_run_error(rule))})

    def values(self) -> dict[str, Any]:
        totals: dict[str, dict[str, int]] = {}
        for a in self.appliers:
            for kind, by_outcome in a.counts.items():
                into = totals.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0})
                for outcome, n in by_outcome.items():
                    into[outcome] += n
        totals = {k: v for k, v in totals.items() if any(v.values())}
        staff = totals.get("employees", {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0})
        staff = {k: staff[k] + self.own[k] for k in staff}
        row_errors = [e for a in self.appliers for e in a.errors]
        errors = (self.errors + row_errors)[:MAX_ERRORS]
        warnings = sum(a.warning_count for a in self.appliers)
        emptied = [w for a in self.appliers for w in a.emptied][:MAX_ERRORS]
        counts: dict[str, Any] = {**totals, **({"warnings": warnings} if warnings else {}),
                                  **({"emptied": emptied} if emptied else {}), **self.extra}
        return {**staff, "events": sum(a.events for a in self.appliers) + self.own["events"], "counts": counts,
                "errors": errors, "error_count": len(self.errors) + sum(a.error_count for a in self.appliers)}

    def status(self) -> str:
        values = self.values()
        if self.failed:
            return "failed"
        return "partial" if values["error_count"] else "ok"


def _save_progress(session: Session, progress: Progress) -> None:
    session.execute(update(sync_runs).where(sync_runs.c.id == progress.run_id).values(**progress.values()))


def finish_run(factory: sessionmaker[Session], progress: Progress, kind: str, since: str | None = None,
               until: str | None = None) -> dict[str, Any]:
    status = progress.status()
    with unit_of_work(factory) as s:
        s.execute(update(sync_runs).where(sync_runs.c.id == progress.run_id).values(
            status=status, finished_at=utcnow(), since=since, until=until, **progress.values()))
        row = s.execute(select(sync_runs).where(sync_runs.c.id == progress.run_id)).first()
    assert row is not None  # the run's row, just updated (runs are never deleted)
    RUNS.labels(kind, status).inc()
    for outcome in ("created", "updated", "unchanged", "rejected"):
        RECORDS.labels(outcome).inc(getattr(row, outcome))
    result = run_json(row)
    log.info("sync run %s %s %s: %s", kind, row.scope, status,
             {k: result[k] for k in ("created", "updated", "unchanged", "rejected", "events", "error_count")},
             extra={"sync_run": row.id, "kind": kind, "scope": row.scope, "status": status})
    return result


# --- who may see and ask what ------------------------------------------------------------------

def list_runs(factory: sessionmaker[Session], ctx: RequestContext, agency_id: str | None = None,
              kind: str | None = None, status: str | None = None, offset: int = 0,
              limit: int = 50) -> dict[str, Any]:
    """Runs newest first. An agency admin sees their agency's runs and the scheduled ones (which
    cover every agency); a national admin sees all, or one agency's with `agency_id`."""
    caller = require(ctx.caller)
    errors = []
    if kind is not None and kind not in KINDS:
        errors.append(FieldError("kind", "one-of", f"kind must be one of: {', '.join(KINDS)}.",
                                 f"kind harus salah satu dari: {', '.join(KINDS)}."))
    if status is not None and status not in STATUSES:
        errors.append(FieldError("status", "one-of", f"status must be one of: {', '.join(STATUSES)}.",
                                 f"status harus salah satu dari: {', '.join(STATUSES)}."))
    if not isinstance(offset, int) or offset < 0 or not isinstance(limit, int) or not 1 <= limit <= 200:
        errors.append(FieldError("limit", "range", "offset must be 0 or more and limit from 1 to 200.",
                                 "offset minimal 0 dan limit antara 1 sampai 200."))
    if errors:
        raise validation_error(errors)
    if caller.has("admin_nasional"):
        where = [sync_runs.c.agency_id == agency_id] if agency_id else []
    elif caller.has("admin_instansi"):
        if agency_id and agency_id != caller.agency_id:
            raise _not_your_agency()
        where = [or_(sync_runs.c.agency_id == caller.agency_id,
                     and_(sync_runs.c.agency_id.is_(None), sync_runs.c.scope == ALL))]
    else:
        raise forbidden("Only administrators see sync runs.", "Hanya admin yang dapat melihat proses sinkronisasi.")
    if kind:
        where.append(sync_runs.c.kind == kind)
    if status:
        where.append(sync_runs.c.status == status)
    with factory() as s:
        total = s.execute(select(func.count()).select_from(sync_runs).where(*where)).scalar_one()
        rows = s.execute(select(sync_runs).where(*where).order_by(sync_runs.c.queued_at.desc(), sync_runs.c.id)
                         .offset(offset).limit(limit)).all()
        return {"total": total, "offset": offset, "limit": limit, "runs": [run_json(r) for r in rows]}


def run_for(factory: sessionmaker[Session], ctx: RequestContext, run_id: str) -> dict[str, Any]:
    caller = require(ctx.caller)
    run = get_run(factory, run_id)
    mine = run["requested_by"] == caller.nip
    if not (mine or caller.has("admin_nasional") or (caller.has("admin_instansi") and (
            run["agency_id"] == caller.agency_id or (run["agency_id"] is None and run["scope"] == ALL)))):
        raise not_found("sync run", "Proses sinkronisasi", run_id)  # not telling others' runs apart
    return run


def _not_your_agency() -> DomainError:
    return forbidden("An agency admin syncs and sees only their own agency.",
                     "Admin instansi hanya dapat menyinkronkan dan melihat instansinya sendiri.")


def queue_agency_run(factory: sessionmaker[Session], ctx: RequestContext, agency_id: str, full: bool = False,
                     configured: bool = True) -> tuple[dict, bool]:
    """An agency's sync asked by its admin (its changes since the last run, or everything when
    `full`), queued for the sync loop. Returns (run, new): a run already queued or running for the
    agency is returned instead of a second one."""
    caller = require(ctx.caller)
    if not caller.administers(agency_id):
        raise _not_your_agency() if caller.has("admin_instansi") else forbidden(
            "Only the agency's admin syncs a whole agency.", "Hanya admin instansi yang dapat menyinkronkan instansi.")
    if not isinstance(full, bool):
        raise validation_error([FieldError("full", "boolean", "full must be true or false.",
                                           "full harus true atau false.")])
    if not configured:
        raise registry_off()
    with unit_of_work(factory) as s:
        pending = s.execute(select(sync_runs).where(sync_runs.c.agency_id == agency_id,
                                                    sync_runs.c.scope == agency_id,
                                                    sync_runs.c.status.in_(("queued", "running")))
                            .order_by(sync_runs.c.queued_at)).first()
        if pending is not None:
            return run_json(pending), False
        run_id = new_run(s, "full" if full else "incremental", agency_id, "admin", caller.nip, agency_id,
                         status="queued")
        return run_json(s.execute(select(sync_runs).where(sync_runs.c.id == run_id)).first()), True


def claim_queued(factory: sessionmaker[Session], stale_after: float = 6 * 3600) -> Any:
    """The oldest queued run, now marked running by us (a replica that lost the race gets the next).
    Runs left `running` by a process that died are closed as failed first."""
    now = utcnow()
    with unit_of_work(factory) as s:
        s.execute(update(sync_runs).where(sync_runs.c.status == "running",
                                          sync_runs.c.started_at < now - dt.timedelta(seconds=stale_after))
                  .values(status="failed", finished_at=now, error_count=sync_runs.c.error_count + 1,
                          errors=[{"record": "run", "key": "*", "field": "*", "rule": "interrupted",
                                   "detail": "The run was interrupted (its process stopped).",
                                   "detail_id": "Proses terhenti (prosesnya berhenti)."}]))
    for _ in range(5):
        with unit_of_work(factory) as s:
            row = s.execute(select(sync_runs).where(sync_runs.c.status == "queued")
                            .order_by(sync_runs.c.queued_at).limit(1)).first()
            if row is None:
                return None
            claimed = s.execute(update(sync_runs).where(sync_runs.c.id == row.id, sync_runs.c.status == "queued")  # type: ignore[attr-defined]  # DML executes to a CursorResult
                                .values(status="running", started_at=utcnow())).rowcount
        if claimed:
            return row
    return None


def last_scheduled(factory: sessionmaker[Session]) -> dt.datetime | None:
    with factory() as s:
        value = s.execute(select(func.max(sync_runs.c.queued_at)).where(sync_runs.c.trigger == "schedule")).scalar()
        return as_utc(value) if value else None


def acquire_lease(factory: sessionmaker[Session], scope: str, owner: str, seconds: float) -> bool:
    now = utcnow()
    until = now + dt.timedelta(seconds=seconds)
    try:
        with unit_of_work(factory) as s:
            if s.execute(select(sync_cursors.c.scope).where(sync_cursors.c.scope == scope)).first() is None:
                s.execute(insert(sync_cursors).values(scope=scope, since=None, lease_owner=owner, lease_until=until,
                                                      updated_at=now))
                return True
            return s.execute(update(sync_cursors).where(  # type: ignore[attr-defined]  # DML executes to a CursorResult
                sync_cursors.c.scope == scope,
                or_(sync_cursors.c.lease_until.is_(None), sync_cursors.c.lease_until < now,
                    sync_cursors.c.lease_owner == owner))
                .values(lease_owner=owner, lease_until=until, updated_at=now)).rowcount == 1
    except IntegrityError:  # another replica inserted it first
        return False


def release_lease(factory: sessionmaker[Session], scope: str, owner: str) -> None:
    with unit_of_work(factory) as s:
        s.execute(update(sync_cursors).where(sync_cursors.c.scope == scope, sync_cursors.c.lease_owner == owner)
                  .values(lease_owner=None, lease_until=None, updated_at=utcnow()))


def cursor(factory: sessionmaker[Session], agency_id: str) -> str | None:
    with factory() as s:
        return s.execute(select(sync_cursors.c.since).where(sync_cursors.c.scope == agency_id)).scalar()


def _save_cursor(session: Session, agency_id: str, since: str) -> None:
    now = utcnow()
    if session.execute(select(sync_cursors.c.scope).where(sync_cursors.c.scope == agency_id)).first():
        session.execute(update(sync_cursors).where(sync_cursors.c.scope == agency_id)
                        .values(since=since, updated_at=now))
    else:
        session.execute(insert(sync_cursors).values(scope=agency_id, since=since, updated_at=now))


# --- the runs themselves -----------------------------------------------------------------------

class _NotYours(Exception):
    """The registry's record belongs to an agency the one who asked does not administer."""


class Syncer:
    """Pulls from the registry and applies. `client` is the registry's; `notify` wakes the outbox
    relay after each committed chunk."""

    def __init__(self, factory: sessionmaker[Session], outbox: Outbox, client: RegistryClient,
                 notify: Callable[[], None] = lambda: None, chunk_size: int = 500,
                 agencies: tuple[str, ...] = ()) -> None:
        self.factory, self.outbox, self.client, self.notify = factory, outbox, client, notify
        self.chunk_size, self.agencies = chunk_size, agencies

    def _applier(self, progress: Progress) -> StreamApplier:
        applier = StreamApplier(self.factory, self.outbox, self.chunk_size, synced_run_id=progress.run_id,
                                merge_roles=True, on_chunk=lambda s, _a: _save_progress(s, progress),
                                after_chunk=self.notify)
        progress.appliers.append(applier)
        return applier

    def _registry_failed(self, progress: Progress, exc: RegistryError, where: str) -> None:
        progress.failed = True
        if isinstance(exc, RegistryUnavailable):
            progress.error(where, "registry-unavailable",
                           f"The national registry (SIASN) is not answering: {exc}. Nothing is lost; the "
                           "next sync fetches the same changes again.",
                           "Registri nasional (SIASN) tidak menjawab. Tidak ada data yang hilang; sinkronisasi "
                           "berikutnya mengambil perubahan yang sama lagi.")
        else:
            progress.error(where, "registry-refused", f"The national registry refused the request: {exc}.",
                           "Registri nasional (SIASN) menolak permintaan ini; hubungi admin sistem.")

    def _crashed(self, progress: Progress, exc: Exception, where: str) -> None:
        log.exception("sync run %s failed unexpectedly", progress.run_id, extra={"sync_run": progress.run_id})
        progress.failed = True
        progress.error(where, "internal-error", f"The run stopped on an internal error ({type(exc).__name__}); it "
                       "has been logged with the run id.",
                       "Proses berhenti karena kesalahan internal; kejadian ini telah dicatat dengan id proses.")

    # one NIP ------------------------------------------------------------------------------------------

    def sync_nip(self, nip: str, trigger: str = "employee", requested_by: str | None = None,
                 allowed: Callable[[str | None], bool] | None = None) -> dict[str, Any]:
        """`allowed(agency_id)`: whether the record the registry gives, of that agency, may be applied
        for the one who asked (an agency admin pulls only their own agency's people)."""
        with self.factory() as s:
            local_agency = s.execute(select(employees.c.agency_id).where(employees.c.nip == nip)).scalar()
        with unit_of_work(self.factory) as s:
            progress = Progress(new_run(s, "nip", nip, trigger, requested_by, local_agency))
        agency_id = local_agency
        try:
            doc = self.client.employee(nip)
            row = employee_row(doc)
            agency_id = row["agency_id"] or local_agency
            if allowed is not None and not allowed(agency_id):
                raise _NotYours(agency_id)
            applier = self._applier(progress)
            with self.factory() as s:
                have_agency = agency_id and s.execute(
                    select(agencies.c.id).where(agencies.c.id == agency_id)).first() is not None
                have_unit = not row["unit_id"] or s.execute(
                    select(units.c.id).where(units.c.id == row["unit_id"])).first() is not None
            if agency_id and not have_agency:
                found = [a for a in self.client.agencies() if a.get("Id") == agency_id]
                applier.feed_all("agencies", [agency_row(a) for a in found])
            if agency_id and not have_unit:
                applier.feed_all("units", [unit_row(u) for u in self.client.units(agency_id)])
            position = position_row(doc)
            if position:
                applier.feed("positions", position)
            applier.feed("employees", row)
            applier.close()
        except _NotYours:
            progress.failed = True
            progress.error(nip, "not-your-agency",
                           f"The registry places NIP {nip} in another agency ({agency_id}): its admin, or a national "
                           "admin, syncs it. Nothing was changed.",
                           f"Registri mencatat NIP {nip} di instansi lain ({agency_id}): admin instansi tersebut, "
                           "atau admin nasional, yang menyinkronkannya. Tidak ada yang berubah.")
        except RegistryNotFound:
            progress.failed = True
            progress.error(nip, "not-in-registry",
                           f"NIP {nip} is not in the national registry (SIASN). Your agency's admin "
                           "(BKD/BKPSDM) checks and registers it there.",
                           f"NIP {nip} tidak ada di registri nasional (SIASN). Admin instansi (BKD/BKPSDM) "
                           "memeriksa dan mendaftarkannya di sana.")
        except RegistryError as exc:
            self._registry_failed(progress, exc, nip)
        except Exception as exc:
            self._crashed(progress, exc, nip)
        with unit_of_work(self.factory) as s:
            s.execute(update(sync_runs).where(sync_runs.c.id == progress.run_id).values(agency_id=agency_id))
        return finish_run(self.factory, progress, "nip")

    # one agency ---------------------------------------------------------------------------------------

    def sync_agency(self, agency_id: str, full: bool = False, trigger: str = "admin",
                    requested_by: str | None = None, run_id: str | None = None) -> dict[str, Any]:
        """An agency's changes since its cursor, or everything when `full` or it has no cursor yet.
        `run_id`: a queued run already claimed; else a new run is recorded."""
        kind = "full" if full else "incremental"
        if run_id is None:
            with unit_of_work(self.factory) as s:
                run_id = new_run(s, kind, agency_id, trigger, requested_by, agency_id)
        progress = Progress(run_id)
        since = None if full else cursor(self.factory, agency_id)
        until = self._agency(progress, agency_id, since)
        return finish_run(self.factory, progress, kind, since, until)

    def _agency(self, progress: Progress, agency_id: str, since: str | None) -> str | None:
        """Applies one agency's unit tree and changed employees; returns the new cursor, or None
        when the registry failed (the cursor then stays)."""
        applier = self._applier(progress)
        until = None
        try:
            if since is None:  # a first or full sync also takes the agency record itself
                found = [a for a in self.client.agencies() if a.get("Id") == agency_id]
                if not found:
                    raise RegistryNotFound(f"agency {agency_id} is not in the registry", 404, agency_id)
                applier.feed_all("agencies", [agency_row(a) for a in found])
            applier.feed_all("units", [unit_row(u) for u in self.client.units(agency_id)])
            seen_positions: dict[str, dict[str, Any]] = {}
            for page, server_time in self.client.changed_since(agency_id, since):
                until = until or server_time  # the registry's clock when the listing began
                for doc in page:
                    position = position_row(doc)
                    if position and seen_positions.get(position["id"]) != position:
                        seen_positions[position["id"]] = position
                        applier.feed("positions", position)
                    applier.feed("employees", employee_row(doc))
            applier.close()
        except RegistryNotFound as exc:
            applier.close()
            progress.failed = True
            progress.error(agency_id, "not-in-registry", f"The registry does not know agency {agency_id}: {exc}.",
                           f"Registri nasional tidak mengenal instansi {agency_id}.")
            return None
        except RegistryError as exc:
            applier.close()  # what was fetched is applied: those rows are real and whole
            self._registry_failed(progress, exc, agency_id)
            return None
        except Exception as exc:  # a bug or a lost database: the run must not stay "running"
            self._crashed(progress, exc, agency_id)
            return None
        if until:
            with unit_of_work(self.factory) as s:
                _save_cursor(s, agency_id, until)
        return until

    # the schedule -------------------------------------------------------------------------------------

    def scheduled(self) -> dict[str, Any]:
        """Every configured agency (all the registry lists when none is configured), incrementally,
        recorded as one run. Stops at the first registry failure: the others would fail the same."""
        with unit_of_work(self.factory) as s:
            progress = Progress(new_run(s, "incremental", ALL, "schedule", None, None))
        done: list[str] = []
        try:
            targets = list(self.agencies) or [a["Id"] for a in self.client.agencies()]
        except RegistryError as exc:
            self._registry_failed(progress, exc, ALL)
            targets = []
        for agency_id in targets:
            if self._agency(progress, agency_id, cursor(self.factory, agency_id)) is None:
                break
            done.append(agency_id)
        progress.extra["agencies_synced"] = done
        progress.extra["agencies_planned"] = len(targets)
        return finish_run(self.factory, progress, "incremental")

    def execute(self, row: Any) -> dict[str, Any]:
        """A run claimed from the queue."""
        return self.sync_agency(row.scope, full=row.kind == "full", trigger=row.trigger,
                                requested_by=row.requested_by, run_id=row.id)


def self_sync_refusal(nip: str, status: str | None, held: Override | None) -> DomainError | None:
    """An employee whose record is inactive (by an admin's repair or by the registry) cannot start a
    sync of their own record: it could bring their status back. Their agency admin can."""
    if status is None or kernel_rules.is_active(status):
        return None
    by_en, by_id = overrides.set_by(held) if held else ("as SIASN records it", "sesuai catatan SIASN")
    return DomainError(
        code="account-inactive", status=403, title="An inactive record cannot sync itself",
        detail=f"Your record is inactive in e-Kinerja ({by_en}), so a sync you start yourself cannot change it. "
               "Your agency admin (BKD/BKPSDM) syncs your record or reactivates it.",
        detail_id=f"Data Anda tidak aktif di e-Kinerja ({by_id}), sehingga sinkronisasi yang Anda mulai sendiri "
                  "tidak dapat mengubahnya. Admin instansi (BKD/BKPSDM) Anda yang menyinkronkan atau "
                  "mengaktifkannya kembali.",
        extra={"fixers": ["admin_instansi"],
               "fixed_by": f"your agency admin (BKD/BKPSDM): POST /api/v1/admin/employees/{nip}/sync, or reactivates "
                           "the record",
               "fixed_by_id": f"admin instansi (BKD/BKPSDM): POST /api/v1/admin/employees/{nip}/sync, atau "
                              "mengaktifkan kembali datanya"})


def _own_record(factory: sessionmaker[Session], nip: str) -> tuple[str | None, Override | None]:
    with factory() as s:
        status = s.execute(select(employees.c.status).where(employees.c.nip == nip)).scalar()
        held = next((o for o in held_values.of(s, [nip]).get(nip, []) if o.field == overrides.STATUS), None)
    return status, held


def sync_state(factory: sessionmaker[Session], ctx: RequestContext, configured: bool,
               circuit: dict[str, Any] | None = None) -> dict[str, Any]:
    """Whether the caller can press "Sinkronisasi ASN" now and, if not, why and who can: the same
    rules sync_me refuses by (for GET /api/v1/me). `circuit`: the registry breaker's snapshot."""
    caller = require(ctx.caller)
    refusal = self_sync_refusal(caller.nip, *_own_record(factory, caller.nip))
    if refusal is None and not configured:
        refusal = registry_off()
    elif refusal is None and (circuit or {}).get("state") == "open":
        assert circuit is not None  # its state is open
        refusal = _registry_unavailable({"retry_after": max(1, round(circuit.get("retry_in_seconds") or 1))})
    if refusal is None:
        return {"can_sync": True}
    problem = refusal.to_problem()
    return {"can_sync": False, **{k: problem[k] for k in ("code", "title", "detail", "detail_id") if k in problem},
            **{k: problem[k] for k in ("fixers", "fixed_by", "fixed_by_id", "retry_after") if k in problem}}


def _registry_unavailable(extra: dict[str, Any]) -> DomainError:
    return DomainError(code="registry-unavailable", status=503, title="The national registry is not answering",
                       detail="The national registry (SIASN) is not answering right now; nothing was changed. "
                              "Please try again in a few minutes.",
                       detail_id="Registri nasional (SIASN) sedang tidak menjawab; tidak ada yang berubah. "
                                 "Silakan coba lagi beberapa menit lagi.",
                       extra={**fixes.for_run_error("registry-unavailable"), **extra})


def sync_me(factory: sessionmaker[Session], syncer: Syncer | None, ctx: RequestContext,
            nip: str | None = None) -> dict[str, Any]:
    """"Sinkronisasi ASN": the caller's own record (or, for an admin, one of their agency's, also
    one not in e-Kinerja yet: the registry's record says whose it is)."""
    caller = require(ctx.caller)
    nip = nip or caller.nip
    require_nip(nip)
    allowed = None
    if nip != caller.nip:
        with factory() as s:
            agency_id = s.execute(select(employees.c.agency_id).where(employees.c.nip == nip)).scalar()
        if agency_id is None and any(caller.has(r) for r in ADMIN_ROLES):
            allowed = caller.administers  # not here yet: decided on the registry's record
        elif not caller.administers(agency_id):
            raise forbidden("You can sync only your own data (an admin: their agency's employees).",
                            "Anda hanya dapat menyinkronkan data Anda sendiri (admin: pegawai instansinya).")
    else:
        refusal = self_sync_refusal(nip, *_own_record(factory, nip))
        if refusal is not None:
            raise refusal
    if syncer is None:
        raise registry_off()
    run = syncer.sync_nip(nip, "employee" if nip == caller.nip else "admin", caller.nip, allowed)
    if any(e["rule"] == "not-your-agency" for e in run["errors"]):
        error = run["errors"][0]
        raise DomainError(code="forbidden", status=403, title="Not allowed", detail=error["detail"],
                          detail_id=error["detail_id"], extra={"run": run})
    if any(e["rule"] == "not-in-registry" for e in run["errors"]):
        error = run["errors"][0]
        raise DomainError(code="not-in-registry", status=404, title="Not in the national registry",
                          detail=error["detail"], detail_id=error["detail_id"],
                          extra={"fixed_by": "agency admin", "fixed_by_id": "admin instansi", "run": run})
    if run["status"] == "failed" and any(e["rule"] == "registry-unavailable" for e in run["errors"]):
        raise _registry_unavailable({"retry_after": 60, "run": run})
    return run


def registry_off() -> DomainError:
    return DomainError(code="registry-not-configured", status=503, title="No registry connected",
                       detail="This deployment is not connected to the national registry (SYNC_REGISTRY_URL); "
                              "master data comes from file imports only.",
                       detail_id="Sistem ini tidak terhubung ke registri nasional (SYNC_REGISTRY_URL); data induk "
                                 "hanya berasal dari impor berkas.")
