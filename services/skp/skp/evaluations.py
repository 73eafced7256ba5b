"""Evaluation use cases (periods, realisasi, rating, finalising a unit), each given a session factory
and the request context, like handlers.py; the rules are in domain/periods.py and domain/evaluation.py."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.errors import DomainError, not_found
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import staff
from .domain import evaluation as ev
from .domain import periods as pd
from .domain.evaluation import EvaluationState
from .domain.predikat import Predikat
from .domain.workflow import Actor
from .handlers import _actor, _may_read, _not_yours, _rhk_rows, _skp, _year
from .tables import agency_settings, employees, evaluations, periods

# --- agency settings and periods ---------------------------------------------------------------


def _settings(s: Session, agency_id: str) -> tuple[pd.Frequency, pd.DistributionMode]:
    row = s.execute(select(agency_settings).where(agency_settings.c.agency_id == agency_id)).first()
    if row is None:
        return pd.DEFAULT_FREQUENCY, pd.DEFAULT_DISTRIBUTION_MODE
    return pd.Frequency(row.evaluation_frequency), pd.DistributionMode(row.distribution_mode)


def save_settings(s: Session, agency_id: str, frequency: pd.Frequency | None = None,
                  mode: pd.DistributionMode | None = None) -> tuple[pd.Frequency, pd.DistributionMode]:
    current_frequency, current_mode = _settings(s, agency_id)
    values = {"evaluation_frequency": (frequency or current_frequency).value,
              "distribution_mode": (mode or current_mode).value, "updated_at": utcnow()}
    upsert(s, agency_settings, {"agency_id": agency_id}, values)
    return pd.Frequency(values["evaluation_frequency"]), pd.DistributionMode(values["distribution_mode"])


def _period_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "seq": row.seq, "start": row.start_date.isoformat(),
            "end": row.end_date.isoformat(), "deadline": row.deadline.isoformat(),
            "months": pd.months_of(row.kind)}


def _year_view(s: Session, agency_id: str, year: int) -> dict[str, Any]:
    frequency, mode = _settings(s, agency_id)
    rows = s.execute(select(periods).where(periods.c.agency_id == agency_id, periods.c.year == year)
                     .order_by(periods.c.start_date, periods.c.kind)).all()
    annual = [r for r in rows if r.kind == pd.PeriodKind.ANNUAL]  # the annual period first
    periodic = [r for r in rows if r.kind != pd.PeriodKind.ANNUAL]
    return {"agency_id": agency_id, "year": year, "frequency": periodic[0].kind if periodic else None,
            "settings": {"evaluation_frequency": frequency.value, "distribution_mode": mode.value},
            "periods": [_period_view(r) for r in annual + periodic]}


def _agency_of(caller: Caller) -> str:
    if not caller.agency_id:
        raise forbidden("Your account belongs to no agency, so it has no evaluation periods.",
                        "Akun Anda tidak terdaftar pada instansi mana pun, sehingga tidak memiliki periode penilaian.")
    return caller.agency_id


def define_periods(factory: sessionmaker[Session], ctx: RequestContext, year: int, frequency: str | None = None,
                   deadline_days: int | None = None, distribution_mode: str | None = None) -> dict[str, Any]:
    """The agency's annual and periodic periods of `year` (made, or remade when the frequency changes
    and no evaluation uses them yet); the frequency and distribution mode become the agency's settings."""
    caller = require(ctx.caller)
    agency_id = _agency_of(caller)
    if not caller.administers(agency_id):
        raise forbidden("Only an admin of your agency can define its evaluation periods.",
                        "Hanya admin instansi Anda yang dapat menetapkan periode penilaian.")
    year = _year(year)
    wanted_frequency = pd.frequency(frequency) if frequency is not None else None
    days = pd.deadline_days(deadline_days)
    mode = pd.distribution_mode(distribution_mode) if distribution_mode is not None else None
    return make_periods(factory, agency_id, year, wanted_frequency, days, mode)


def make_periods(factory: sessionmaker[Session], agency_id: str, year: int, frequency: pd.Frequency | None = None,
                 deadline_days: int = pd.DEFAULT_DEADLINE_DAYS,
                 mode: pd.DistributionMode | None = None) -> dict[str, Any]:
    """Save the agency's settings (those given) and make its periods of `year` agree with them."""
    with unit_of_work(factory) as s:
        chosen, _ = save_settings(s, agency_id, frequency, mode)
        wanted = {(p.kind.value, p.seq): p for p in pd.periods_of_year(year, chosen, deadline_days)}
        existing = {(r.kind, r.seq): r for r in s.execute(
            select(periods).where(periods.c.agency_id == agency_id, periods.c.year == year))}
        stale = [r.id for key, r in existing.items() if key not in wanted]
        if stale:
            used = s.execute(select(evaluations.c.id).where(evaluations.c.period_id.in_(stale))).first()
            if used:
                raise DomainError(
                    code="periods-in-use", status=409, title="Periods already in use",
                    detail=f"Evaluations of {year} already use the current periods: the frequency cannot "
                           "change for that year any more (field frequency).",
                    detail_id=f"Penilaian tahun {year} sudah memakai periode yang ada: frekuensi untuk tahun "
                              "itu tidak dapat diubah lagi (kolom frequency).",
                    extra={"field": "frequency"})
            s.execute(delete(periods).where(periods.c.id.in_(stale)))
        for key, p in wanted.items():
            if key in existing:
                s.execute(update(periods).where(periods.c.id == existing[key].id).values(deadline=p.deadline))
            else:
                s.execute(insert(periods).values(id=str(uuid.uuid4()), agency_id=agency_id, year=year,
                                                 kind=p.kind.value, seq=p.seq, start_date=p.start,
                                                 end_date=p.end, deadline=p.deadline))
        return _year_view(s, agency_id, year)


def list_periods(factory: sessionmaker[Session], ctx: RequestContext, year: int) -> dict[str, Any]:
    caller = require(ctx.caller)
    agency_id = _agency_of(caller)
    year = _year(year)
    with factory() as s:
        return _year_view(s, agency_id, year)


def _period(s: Session, period_id: str) -> Any:
    row = s.execute(select(periods).where(periods.c.id == period_id)).first()
    if row is None:
        raise not_found("evaluation period", "Periode penilaian", period_id)
    return row


# --- one SKP's evaluations ---------------------------------------------------------------------

def _evaluation(s: Session, skp_id: str, period_id: str, lock: bool = False) -> Any:
    """Locked when about to change it: finalising locks the same rows, so a rating racing the unit's
    finalisation either lands before it or sees the evaluation final."""
    query = select(evaluations).where(evaluations.c.skp_id == skp_id, evaluations.c.period_id == period_id)
    return s.execute(query.with_for_update() if lock else query).first()


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _evaluation_view(s: Session, row: Any, period: Any | None = None) -> dict[str, Any]:
    period = period or _period(s, row.period_id)
    owner = staff.employee(s, row.nip)
    return {
        "id": row.id, "skp_id": row.skp_id, "nip": row.nip, "name": owner.name if owner else None,
        "period": _period_view(period), "state": row.state, "skp_version": row.skp_version,
        "realisasi": row.realisasi, "realisasi_at": _iso(row.realisasi_at),
        "feedback_rhk": row.feedback_rhk or {}, "feedback_perilaku": row.feedback_perilaku or {},
        "rating_hasil_kerja": row.rating_hasil_kerja, "rating_perilaku": row.rating_perilaku,
        "predikat": row.predikat, "angka_kredit": row.angka_kredit, "penilai_nip": row.penilai_nip,
        "evaluated_at": _iso(row.evaluated_at), "unit_id": row.unit_id, "unit_predikat": row.unit_predikat,
        "finalised_by": row.finalised_by, "finalised_at": _iso(row.finalised_at),
    }


def _approved_version(skp: Any) -> int:
    if skp.approved_version is None:
        raise DomainError(code="skp-not-approved", status=409, title="SKP not approved",
                          detail="Only an approved SKP is evaluated: this one has no approved version yet.",
                          detail_id="Hanya SKP yang telah disetujui yang dinilai: SKP ini belum memiliki versi "
                                    "yang disetujui.",
                          extra={"state": skp.state})
    return skp.approved_version


def _check_actor(s: Session, caller: Caller, skp: Any) -> Actor | None:
    actor = _actor(s, caller, skp)
    if actor is None and not _may_read(s, caller, skp):
        raise _not_yours()
    return actor


def record_realisasi(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str, period_id: str,
                     items: list[dict[str, Any]]) -> dict[str, Any]:
    """The owner's realisasi and evidence per RHK of the approved plan, for one period (replaces
    what was recorded before, while the evaluation is still a draft)."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        skp = _skp(s, skp_id, lock=True)  # serialises the first recording of a period
        actor = _check_actor(s, caller, skp)
        period = _period(s, period_id)
        current = _evaluation(s, skp_id, period_id, lock=True)
        ev.step("record", EvaluationState(current.state) if current else None, actor)
        version = _approved_version(skp)
        pd.check_period_fits_skp(period.year, period.agency_id, skp.year, skp.agency_id)
        pd.check_fill_in_open(period.deadline, config.today())
        items_ = ev.parse_realisasi(items, [r.id for r in _rhk_rows(s, skp_id, version)])
        now = utcnow()
        # Answers the version in force now (a revision approved since an earlier recording moves it).
        values = {"skp_version": version, "state": EvaluationState.DRAFT.value,
                  "realisasi": [i.to_dict() for i in items_], "realisasi_at": now, "updated_at": now}
        if current is None:
            s.execute(insert(evaluations).values(id=str(uuid.uuid4()), skp_id=skp_id, period_id=period_id,
                                                 nip=skp.nip, **values))
        else:
            s.execute(update(evaluations).where(evaluations.c.id == current.id).values(**values))
        return _evaluation_view(s, _evaluation(s, skp_id, period_id), period)


def evaluate(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, skp_id: str, period_id: str,
             rating_hasil_kerja: str, rating_perilaku: str, feedback_rhk: dict[str, str] | None = None,
             feedback_perilaku: dict[str, str] | None = None) -> dict[str, Any]:
    """The penilai's feedback and ratings; the predikat from the quadrant and, for functional
    positions, the credit points of the period. Announced as skp.evaluated."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        skp = _skp(s, skp_id, lock=True)
        actor = _check_actor(s, caller, skp)
        period = _period(s, period_id)
        current = _evaluation(s, skp_id, period_id, lock=True)
        ev.step("evaluate", EvaluationState(current.state) if current else None, actor)
        assessment = ev.parse_assessment(feedback_rhk, feedback_perilaku, rating_hasil_kerja, rating_perilaku,
                                         [r.id for r in _rhk_rows(s, skp_id, current.skp_version)])
        owner = staff.employee(s, skp.nip)
        value = assessment.predikat
        ak = ev.angka_kredit(pd.months_of(period.kind), value, owner.position_kind if owner else None,
                             owner.jenjang if owner else None)
        now = utcnow()
        s.execute(update(evaluations).where(evaluations.c.id == current.id).values(
            state=EvaluationState.DINILAI.value, feedback_rhk=assessment.feedback_rhk,
            feedback_perilaku=assessment.feedback_perilaku,
            rating_hasil_kerja=assessment.rating_hasil_kerja.value, rating_perilaku=assessment.rating_perilaku.value,
            predikat=value.value, angka_kredit=str(ak) if ak is not None else None, penilai_nip=caller.nip,
            evaluated_at=now, updated_at=now))
        outbox.add(s, "skp.evaluated", skp.nip, {
            "skp_id": skp.id, "nip": skp.nip, "agency_id": skp.agency_id, "year": skp.year,
            "period": {"id": period.id, "kind": period.kind, "seq": period.seq,
                       "start": period.start_date.isoformat(), "end": period.end_date.isoformat()},
            "rating_hasil_kerja": assessment.rating_hasil_kerja.value,
            "rating_perilaku": assessment.rating_perilaku.value, "predikat": value.value,
            "angka_kredit": str(ak) if ak is not None else None, "penilai_nip": caller.nip})
        return _evaluation_view(s, _evaluation(s, skp_id, period_id), period)


def skp_evaluations(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str) -> dict[str, Any]:
    """Every evaluation of one SKP, in period order (owner, anyone above in the chain, agency admin)."""
    caller = require(ctx.caller)
    with factory() as s:
        skp = _skp(s, skp_id)
        if not _may_read(s, caller, skp):
            raise _not_yours()
        rows = s.execute(select(evaluations, periods.c.start_date, periods.c.kind)
                         .join(periods, periods.c.id == evaluations.c.period_id)
                         .where(evaluations.c.skp_id == skp_id)
                         .order_by(periods.c.kind == pd.PeriodKind.ANNUAL.value, periods.c.start_date)).all()
        return {"skp_id": skp_id, "nip": skp.nip, "year": skp.year,
                "evaluations": [_evaluation_view(s, r) for r in rows]}


# --- finalising a unit -------------------------------------------------------------------------

def finalise_unit(factory: sessionmaker[Session], ctx: RequestContext, unit_id: str, period_id: str,
                  unit_predikat: str) -> dict[str, Any]:
    """Finalise the rated evaluations of a unit's staff for a period, after checking their predikat
    against the unit's own predikat: "warn" agencies finalise and get the violations back, "block"
    agencies get a 409 and nothing changes. By a head of the unit or an admin of its agency."""
    caller = require(ctx.caller)
    unit_value = ev.unit_predikat(unit_predikat)
    with unit_of_work(factory) as s:
        members = s.execute(select(employees).where(employees.c.unit_id == unit_id,
                                                    employees.c.status == "active")).all()
        if not members:
            raise not_found("unit", "Unit", unit_id)
        agency_id = members[0].agency_id
        period = _period(s, period_id)
        if period.agency_id != agency_id:
            raise DomainError(code="period-other-agency", status=409, title="Period of another agency",
                              detail="The period was defined by another agency than the unit's (field period_id).",
                              detail_id="Periode ini ditetapkan oleh instansi lain, bukan instansi unit ini "
                                        "(kolom period_id).",
                              extra={"field": "period_id"})
        heads = ev.unit_heads({m.nip: m.supervisor_nip for m in members})
        if caller.nip not in heads and not caller.administers(agency_id):
            raise forbidden("Only the head of this unit or an admin of its agency can finalise its evaluations.",
                            "Hanya kepala unit ini atau admin instansinya yang dapat memfinalisasi penilaiannya.")
        staff = [m.nip for m in members if m.nip not in heads]
        rows = s.execute(select(evaluations).where(evaluations.c.period_id == period_id,
                                                   evaluations.c.nip.in_(staff))
                         .with_for_update()).all()
        rated = [r for r in rows if r.state in (EvaluationState.DINILAI, EvaluationState.FINAL)]
        to_finalise = [r for r in rows if r.state == EvaluationState.DINILAI]
        if not to_finalise:
            raise DomainError(code="nothing-to-finalise", status=409, title="Nothing to finalise",
                              detail="No evaluation of this unit's staff is rated and waiting to be finalised "
                                     "for this period.",
                              detail_id="Tidak ada penilaian staf unit ini untuk periode ini yang sudah dinilai "
                                        "dan menunggu finalisasi.",
                              extra={"state": None, "required_state": EvaluationState.DINILAI.value})
        _, mode = _settings(s, agency_id)
        violations = ev.finalisation(mode, unit_value, [Predikat(r.predikat) for r in rated])
        now = utcnow()
        s.execute(update(evaluations).where(evaluations.c.id.in_([r.id for r in to_finalise])).values(
            state=EvaluationState.FINAL.value, unit_id=unit_id, unit_predikat=unit_value.value,
            finalised_by=caller.nip, finalised_at=now, updated_at=now))
        evaluated = {r.nip for r in rows if r.state != EvaluationState.DRAFT}
        return {"unit_id": unit_id, "period": _period_view(period), "unit_predikat": unit_value.value,
                "distribution_mode": mode.value, "finalised": sorted(r.nip for r in to_finalise),
                "counted": len(rated), "not_rated": sorted(n for n in staff if n not in evaluated),
                "warnings": [ev.violation_dict(v) for v in violations]}
