"""Computing an agency's month as a streaming batch: employees in chunks (keyset by NIP), their
facts read in one query per chunk from tukin's own tables, each result written as it is made.
Re-running a month that nothing changed is a no-op; a change makes a new revision that records,
per employee, the difference from the previous one. Announced as tukin.computed."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import eventlet
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ekinerja_kernel import config
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import monitoring
from .domain.compute import compute_month
from .domain.compute import difference as compare
from .domain.facts import AbsenceKind, DayFacts, DayStatus, EmployeeMonth
from .domain.months import has_closed, month_bounds, month_key, parse_month
from .domain.policy import Policy, parse_policy, policy_in_force
from .domain.predikat import Predikat
from .tables import days, employees, evaluations, policies, results, returned, runs

CHUNK = 500


__all__ = ["compute_agency_month", "latest_run", "month_bounds", "parse_month", "run_ref", "run_view"]


def stored_policies(s: Session, agency_id: str) -> list[tuple[int, Policy]]:
    rows = s.execute(select(policies).where(policies.c.agency_id == agency_id)).all()
    return [(r.id, parse_policy(r.body)) for r in rows]


def policy_for(s: Session, agency_id: str, first: dt.date) -> tuple[int, Policy]:
    stored = stored_policies(s, agency_id)
    chosen = policy_in_force([p for _, p in stored], first, agency_id)
    return next(i for i, p in stored if p is chosen), chosen


def latest_run(s: Session, agency_id: str, month: str) -> Any:
    return s.execute(select(runs).where(runs.c.agency_id == agency_id, runs.c.month == month)
                     .order_by(runs.c.revision.desc()).limit(1)).first()


def _chunks(s: Session, agency_id: str, size: int) -> Iterator[Sequence[Any]]:
    after = ""
    while True:
        rows = s.execute(select(employees).where(employees.c.agency_id == agency_id, employees.c.status == "active",
                                                 employees.c.nip > after)
                         .order_by(employees.c.nip).limit(size)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].nip


# A month's closed days are a million rows for a large agency: their enums by a dict look-up (a
# KeyError for a value no enum has, as the enum's own ValueError would refuse it).
_STATUS = {s.value: s for s in DayStatus}
_ABSENCE = {a.value: a for a in AbsenceKind}


def _facts(s: Session, people: Sequence[Any], agency_id: str, year: int, month: int) -> list[EmployeeMonth]:
    first, last = month_bounds(year, month)
    nips = [p.nip for p in people]
    closed: dict[str, list[DayFacts]] = defaultdict(list)
    obligation: dict[str, dt.date | None] = {}
    for r in s.execute(select(days).where(days.c.nip.in_(nips), days.c.date >= first, days.c.date <= last)
                       .order_by(days.c.date)):
        closed[r.nip].append(DayFacts(r.date, _STATUS[r.status], r.entries,
                                      _ABSENCE[r.absence] if r.absence else None, r.late))
        obligation[r.nip] = r.obligation_start  # as harian said it on the month's latest closed day
    returns: dict[str, int] = dict(s.execute(select(returned.c.nip, func.count()).where(
        returned.c.nip.in_(nips), returned.c.date >= first, returned.c.date <= last).group_by(returned.c.nip)).all())
    latest: dict[str, Predikat] = {}
    annual: dict[str, dict[int, Predikat]] = defaultdict(dict)
    for r in s.execute(select(evaluations).where(evaluations.c.nip.in_(nips), evaluations.c.period_end <= last)
                       .order_by(evaluations.c.period_end)):
        latest[r.nip] = Predikat(r.predikat)  # ordered by period end: the last one wins
        if r.period_kind == "annual":
            annual[r.nip][r.year] = Predikat(r.predikat)
    return [EmployeeMonth(p.nip, p.name, p.kelas_jabatan or 0, year, month, tuple(closed.get(p.nip, ())),
                          returns.get(p.nip, 0), latest.get(p.nip), annual.get(p.nip, {}), agency_id,
                          obligation_start=obligation.get(p.nip))
            for p in people]


def latest_closed_day(s: Session, agency_id: str) -> dt.date | None:
    """The latest working day harian closed for anyone of the agency (by tukin's copy of staff)."""
    return s.execute(select(func.max(days.c.date)).join(employees, employees.c.nip == days.c.nip)
                     .where(employees.c.agency_id == agency_id)).scalar()


def compute_agency_month(s: Session, outbox: Outbox, agency_id: str, month_text: str, actor: str,
                         chunk: int = CHUNK, today: dt.date | None = None) -> dict[str, Any]:
    """Computes (or recomputes) one agency-month inside the caller's transaction. Returns the run;
    `new_revision` says whether anything changed. Employees who cannot be computed (no kelas
    jabatan, no base amount for it) are listed with the reason, not silently left out. A month that
    has not closed (domain.months) is computed as a preview: the run says so, and a later
    computation once it has closed is a new revision even when no amount changed."""
    year, month = parse_month(month_text)
    key = month_key(year, month)
    preview = not has_closed(year, month, today or config.today(), latest_closed_day(s, agency_id))
    policy_id, policy = policy_for(s, agency_id, dt.date(year, month, 1))
    previous = latest_run(s, agency_id, key)
    run_id = str(uuid.uuid4())
    totals = {"gross": Decimal(0), "deductions": Decimal(0), "net": Decimal(0)}
    counted = changed = 0
    skipped: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for people in _chunks(s, agency_id, chunk):
        before = {}
        if previous is not None:
            before = {r.nip: r for r in s.execute(select(results.c.nip, results.c.body).where(
                results.c.run_id == previous.id, results.c.nip.in_([p.nip for p in people])))}
        info = {p.nip: p for p in people}
        for facts in _facts(s, people, agency_id, year, month):
            try:
                body = compute_month(policy, facts).to_dict()
            except DomainError as exc:
                body = {"nip": facts.nip, "name": facts.name, "month": key, "error": exc.to_problem()}
                skipped.append({"nip": facts.nip, "name": facts.name, "reason": exc.detail, "reason_id": exc.detail_id})
            old = before.get(facts.nip)
            difference = None
            if old is None or old.body != body:
                changed += 1
                if old is not None and "error" not in old.body and "error" not in body:
                    difference = compare(old.body, body).to_dict()
            if "error" not in body:
                counted += 1
                totals["gross"] += Decimal(body["gross"])
                totals["deductions"] += Decimal(body["total_deduction"])
                totals["net"] += Decimal(body["net"])
            person = info[facts.nip]
            rows.append({"run_id": run_id, "nip": facts.nip, "unit_id": person.unit_id,
                         "supervisor_nip": person.supervisor_nip, "net": body.get("net", "0"), "body": body,
                         "difference": difference})
        if rows and len(rows) >= chunk:
            s.execute(insert(results), rows)
            rows = []
        eventlet.sleep(0)  # a long batch must not starve the AMQP heartbeats
    if previous is not None and changed == 0 and _result_count(s, previous.id) == counted + len(skipped) \
            and bool(previous.preview) == preview:
        s.rollback()  # the same month again: nothing new to record
        return {**run_view(previous), "new_revision": False}
    if rows:
        s.execute(insert(results), rows)
    revision = (previous.revision + 1) if previous is not None else 1
    monitoring.touch_month(s, agency_id, key)  # its monitoring totals follow the new revision
    s.execute(insert(runs).values(
        id=run_id, agency_id=agency_id, month=key, revision=revision, policy_id=policy_id, employees=counted,
        gross=str(totals["gross"]), deductions=str(totals["deductions"]), net=str(totals["net"]), changed=changed,
        preview=preview, computed_by=actor, computed_at=utcnow()))
    run = s.execute(select(runs).where(runs.c.id == run_id)).first()
    outbox.add(s, "tukin.computed", agency_id, {
        "run_id": run_id, "agency_id": agency_id, "month": key, "revision": revision,
        "allowance_kind": policy.kind.value, "policy_effective_from": policy.effective_from.isoformat(),
        "employees": counted, "skipped": len(skipped), "changed": changed, "gross": str(totals["gross"]),
        "deductions": str(totals["deductions"]), "net": str(totals["net"]), "preview": preview})
    return {**run_view(run), "new_revision": True, "skipped": skipped}


def _result_count(s: Session, run_id: str) -> int:
    return s.execute(select(func.count()).select_from(results).where(results.c.run_id == run_id)).scalar_one()


def run_ref(run: Any) -> dict[str, Any]:
    """Which computation an employee's or a team's lines come from, without the agency's totals."""
    return {"run_id": run.id, "agency_id": run.agency_id, "month": run.month, "revision": run.revision,
            "preview": bool(run.preview), "computed_at": as_utc(run.computed_at).isoformat()}


def run_view(run: Any) -> dict[str, Any]:
    return {"run_id": run.id, "agency_id": run.agency_id, "month": run.month, "revision": run.revision,
            "employees": run.employees, "changed": run.changed, "gross": run.gross, "deductions": run.deductions,
            "net": run.net, "preview": bool(run.preview), "computed_by": run.computed_by,
            "computed_at": as_utc(run.computed_at).isoformat()}
