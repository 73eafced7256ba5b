"""Tukin use cases: policies (loaded by an agency admin), computing a month, and reading it: my own
lines, my team's, the whole agency with totals, the payroll file (CSV or XLSX), and the promotion hint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from .domain.months import month_open
from .domain.payroll import payroll_table
from .domain.policy import parse_policy
from .domain.promotion import promotion_hint
from .domain.team import team_of
from .domain.team import totals as team_totals
from .export import FORMATS, render
from .monthly import compute_agency_month, latest_run, parse_month, run_ref, run_view
from .tables import employees, evaluations, policies, results, runs


def _admin_of(caller: Caller, agency_id: str | None) -> str:
    chosen = agency_id or caller.agency_id
    if not chosen or not caller.administers(chosen):
        raise forbidden("Only an admin of this agency manages and reads its allowances as a whole.",
                        "Hanya admin instansi ini yang dapat mengelola dan membaca tunjangan instansinya.")
    return chosen


# --- policies ---------------------------------------------------------------------------------

def save_policy(s: Session, body: dict[str, Any], loaded_by: str) -> dict[str, Any]:
    """Stores a policy version (validated whole first); the same agency and date again is a 409."""
    policy = parse_policy(body)
    exists = s.execute(select(policies.c.id).where(policies.c.agency_id == policy.agency_id,
                                                   policies.c.effective_from == policy.effective_from)).first()
    if exists:
        raise DomainError(code="tukin-policy-exists", status=409, title="Policy version exists",
                          detail=f"{policy.agency_id} already has a policy from {policy.effective_from}: "
                                 "give the new version its own effective date.",
                          detail_id=f"{policy.agency_id} sudah memiliki kebijakan mulai {policy.effective_from}: "
                                    "beri versi baru tanggal berlaku sendiri.", extra={"field": "effective_from"})
    s.execute(insert(policies).values(agency_id=policy.agency_id, effective_from=policy.effective_from,
                                      body=policy.to_dict(), loaded_by=loaded_by, loaded_at=utcnow()))
    return policy.to_dict()


def put_policy(factory: sessionmaker[Session], ctx: RequestContext, body: Any) -> dict[str, Any]:
    caller = require(ctx.caller)
    policy = parse_policy(body)
    _admin_of(caller, policy.agency_id)
    with unit_of_work(factory) as s:
        return save_policy(s, body, caller.nip)


def list_policies(factory: sessionmaker[Session], ctx: RequestContext, agency_id: str | None = None) -> dict[str, Any]:
    caller = require(ctx.caller)
    chosen = agency_id or caller.agency_id
    if chosen != caller.agency_id and not caller.administers(chosen):
        raise forbidden("You can read your own agency's policy only.",
                        "Anda hanya dapat membaca kebijakan instansi Anda.")
    with factory() as s:
        rows = s.execute(select(policies).where(policies.c.agency_id == chosen)
                         .order_by(policies.c.effective_from)).all()
        return {"agency_id": chosen, "policies": [{**r.body, "loaded_by": r.loaded_by,
                                                   "loaded_at": as_utc(r.loaded_at).isoformat()} for r in rows]}


# --- computing --------------------------------------------------------------------------------

def compute(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, month: str,
            agency_id: str | None = None) -> dict[str, Any]:
    caller = require(ctx.caller)
    chosen = _admin_of(caller, agency_id)
    with unit_of_work(factory) as s:
        return compute_agency_month(s, outbox, chosen, month, caller.nip)


def _run(s: Session, agency_id: str | None, month: str) -> Any:
    year, month_no = parse_month(month)
    key = f"{year:04d}-{month_no:02d}"
    run = latest_run(s, agency_id or "", key)
    if run is None:
        raise DomainError(code="not-found", status=404, title="Not computed",
                          detail=f"The allowances of {agency_id} for {key} have not been computed yet: the agency "
                                 "admin computes the month (POST /api/v1/tukin/computations).",
                          detail_id=f"Tunjangan {agency_id} bulan {key} belum dihitung: admin instansi menghitung "
                                    "bulan itu (POST /api/v1/tukin/computations).",
                          extra={"field": "month", "month": key})
    return run


def mine(factory: sessionmaker[Session], ctx: RequestContext, month: str) -> dict[str, Any]:
    """My own computation, line by line, with what changed at each revision (the run without the
    agency's totals: those are its admin's)."""
    caller = require(ctx.caller)
    with factory() as s:
        run = _run(s, caller.agency_id, month)
        rows = s.execute(select(results.c.body, results.c.difference, runs.c.revision, runs.c.computed_at)
                         .join(runs, runs.c.id == results.c.run_id)
                         .where(runs.c.agency_id == run.agency_id, runs.c.month == run.month,
                                results.c.nip == caller.nip).order_by(runs.c.revision)).all()
        if not rows:
            raise DomainError(code="not-found", status=404, title="Not computed",
                              detail=f"Your allowance for {run.month} is not in the agency's computation "
                                     f"(revision {run.revision}): you were not an active employee of the agency in "
                                     "tukin's master data when it was computed. Ask the agency admin to check your "
                                     "data and compute the month again.",
                              detail_id=f"Tunjangan Anda bulan {run.month} tidak ada dalam perhitungan instansi "
                                        f"(revisi {run.revision}): Anda belum tercatat sebagai pegawai aktif instansi "
                                        "ini saat bulan itu dihitung. Minta admin instansi memeriksa data Anda dan "
                                        "menghitung ulang bulan itu.",
                              extra={"field": "month", "month": run.month})
        return {"run": run_ref(run), "computation": rows[-1].body,
                "revisions": [{"revision": r.revision, "computed_at": as_utc(r.computed_at).isoformat(),
                               "net": r.body.get("net"), "difference": r.difference} for r in rows]}


def _summary(body: dict[str, Any]) -> dict[str, Any]:
    if "error" in body:
        return {"nip": body["nip"], "name": body["name"], "error": body["error"]["detail"],
                "error_id": body["error"]["detail_id"]}
    return {"nip": body["nip"], "name": body["name"], "kelas_jabatan": body["kelas_jabatan"], "gross": body["gross"],
            "total_deduction": body["total_deduction"], "net": body["net"], "summary": body["summary"]}


def _reports_of(s: Session, agency_id: str | None) -> Any:
    def reports_of(nips: set[str]) -> list[str]:
        return list(s.scalars(select(employees.c.nip).where(employees.c.supervisor_nip.in_(sorted(nips)),
                                                            employees.c.agency_id == agency_id)))
    return reports_of


def no_team(caller: Caller) -> DomainError:
    agency = caller.agency_id
    return DomainError(
        code="no-team", status=403, title="No team to show",
        detail=f"Nobody in agency {agency} reports to you, directly or through others, in the master data tukin "
               "has: a team's allowances are for its supervisor. Your own allowance is at /api/v1/tukin/me; the "
               "agency's totals are for its admin (/api/v1/tukin/agency). If you do supervise someone, the agency "
               "admin corrects the supervisor in master data.",
        detail_id=f"Tidak ada pegawai instansi {agency} yang melapor kepada Anda, langsung maupun melalui atasan "
                  "lain, menurut data induk yang dimiliki tukin: tunjangan sebuah tim hanya untuk atasannya. "
                  "Tunjangan Anda sendiri ada di /api/v1/tukin/me; total instansi hanya untuk admin instansi "
                  "(/api/v1/tukin/agency). Jika Anda memang atasan seseorang, admin instansi membetulkan atasan di "
                  "data induk.")


def team(factory: sessionmaker[Session], ctx: RequestContext, month: str) -> dict[str, Any]:
    """The latest computations of everyone below the caller (direct and indirect reports, by master data
    as tukin keeps it) with the team's totals; anyone with nobody below them is refused."""
    caller = require(ctx.caller)
    with factory() as s:
        members = team_of(caller.nip, _reports_of(s, caller.agency_id))
        if not members:
            raise no_team(caller)
        run = _run(s, caller.agency_id, month)
        bodies = [r.body for r in s.execute(select(results.c.body).where(
            results.c.run_id == run.id, results.c.nip.in_(sorted(members.members))).order_by(results.c.nip))]
        return {"run": run_ref(run), "supervisor_nip": caller.nip, "direct_reports": sorted(members.direct),
                "totals": team_totals(bodies), "team": bodies}


def agency(factory: sessionmaker[Session], ctx: RequestContext, month: str, agency_id: str | None = None,
           offset: int = 0, limit: int = 200) -> dict[str, Any]:
    caller = require(ctx.caller)
    chosen = _admin_of(caller, agency_id)
    limit = max(1, min(int(limit), 1000))
    with factory() as s:
        run = _run(s, chosen, month)
        rows = s.execute(select(results.c.body).where(results.c.run_id == run.id).order_by(results.c.nip)
                         .offset(max(0, int(offset))).limit(limit)).all()
        return {"run": run_view(run), "totals": {"employees": run.employees, "gross": run.gross,
                                                 "deductions": run.deductions, "net": run.net},
                "offset": offset, "limit": limit, "employees": [_summary(r.body) for r in rows]}


def export(factory: sessionmaker[Session], ctx: RequestContext, month: str, agency_id: str | None = None,
           fmt: str = "csv") -> dict[str, Any]:
    """The payroll file of the latest revision of a closed month (domain.payroll; CSV or XLSX), for an
    admin of the agency; a preview (the month has not closed) is refused, never exported."""
    caller = require(ctx.caller)
    if fmt not in FORMATS:
        raise validation_error([FieldError("format", "one-of", f"format must be one of: {', '.join(FORMATS)}.",
                                           f"format harus salah satu dari: {', '.join(FORMATS)}.")])
    chosen = _admin_of(caller, agency_id)
    with factory() as s:
        run = _run(s, chosen, month)
        if run.preview:
            raise month_open(run.agency_id, run.month, run.revision)
        listed = [(r.body, r.unit_id) for r in s.execute(select(results.c.body, results.c.unit_id)
                                                          .where(results.c.run_id == run.id).order_by(results.c.nip))]
    table = payroll_table({"agency_id": run.agency_id, "month": run.month, "revision": run.revision,
                           "computed_at": as_utc(run.computed_at).isoformat()}, listed)
    return render(table, fmt)


def promotion(factory: sessionmaker[Session], ctx: RequestContext, nip: str | None = None) -> dict[str, Any]:
    """Whether the annual predikat was at least Baik in each of the last two years (regular promotion)."""
    caller = require(ctx.caller)
    nip = nip or caller.nip
    with factory() as s:
        person = s.execute(select(employees).where(employees.c.nip == nip)).first()
        if person is None:
            raise not_found("employee", "Pegawai", nip)
        if nip != caller.nip and person.supervisor_nip != caller.nip and not caller.administers(person.agency_id):
            raise forbidden("This is someone else's record.", "Ini data pegawai lain.")
        history = {r.year: r.predikat for r in s.execute(
            select(evaluations).where(evaluations.c.nip == nip, evaluations.c.period_kind == "annual")
            .order_by(evaluations.c.period_end))}
        last_year = utcnow().year - 1
        return {"nip": nip, "history": {str(y): p for y, p in sorted(history.items())},
                **promotion_hint(history, last_year).to_dict()}

