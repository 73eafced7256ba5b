"""Evaluation use cases (periods, realisasi, rating, finalising a unit), each given a session factory
and the request context, like handlers.py; the rules are in domain/periods.py and domain/evaluation.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.errors import DomainError, not_found
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import monitoring, staff
from .domain import credit_points as ak
from .domain import evaluation as ev
from .domain import periods as pd
from .domain.evaluation import EvaluationState
from .domain.predikat import Predikat
from .domain.workflow import Actor
from .handlers import _actor, _check_read, _rhk_rows, _skp, _year
from .tables import agency_settings, employees, evaluations, periods, skps, unit_predikat

# --- agency settings and periods ---------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    frequency: pd.Frequency
    mode: pd.DistributionMode
    rating_opens_days: int  # days before a period's end its rating may start

    def as_dict(self) -> dict[str, Any]:
        return {"evaluation_frequency": self.frequency.value, "distribution_mode": self.mode.value,
                "rating_opens_days": self.rating_opens_days}


def _settings(s: Session, agency_id: str) -> Settings:
    row = s.execute(select(agency_settings).where(agency_settings.c.agency_id == agency_id)).first()
    if row is None:
        return Settings(pd.DEFAULT_FREQUENCY, pd.DEFAULT_DISTRIBUTION_MODE, pd.DEFAULT_RATING_OPENS_DAYS)
    return Settings(pd.Frequency(row.evaluation_frequency), pd.DistributionMode(row.distribution_mode),
                    row.rating_opens_days)


def save_settings(s: Session, agency_id: str, frequency: pd.Frequency | None = None,
                  mode: pd.DistributionMode | None = None, rating_opens_days: int | None = None) -> Settings:
    current = _settings(s, agency_id)
    chosen = Settings(frequency or current.frequency, mode or current.mode,
                      current.rating_opens_days if rating_opens_days is None else rating_opens_days)
    upsert(s, agency_settings, {"agency_id": agency_id}, {
        "evaluation_frequency": chosen.frequency.value, "distribution_mode": chosen.mode.value,
        "rating_opens_days": chosen.rating_opens_days, "updated_at": utcnow()})
    return chosen


def _period_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "seq": row.seq, "start": row.start_date.isoformat(),
            "end": row.end_date.isoformat(), "deadline": row.deadline.isoformat(),
            "months": pd.months_of(row.kind)}


def _year_view(s: Session, agency_id: str, year: int) -> dict[str, Any]:
    settings = _settings(s, agency_id)
    rows = s.execute(select(periods).where(periods.c.agency_id == agency_id, periods.c.year == year)
                     .order_by(periods.c.start_date, periods.c.kind)).all()
    annual = [r for r in rows if r.kind == pd.PeriodKind.ANNUAL]  # the annual period first
    periodic = [r for r in rows if r.kind != pd.PeriodKind.ANNUAL]
    return {"agency_id": agency_id, "year": year, "frequency": periodic[0].kind if periodic else None,
            "settings": settings.as_dict(),
            "periods": [_period_view(r) for r in annual + periodic]}


def _agency_of(caller: Caller) -> str:
    if not caller.agency_id:
        raise forbidden("Your account belongs to no agency, so it has no evaluation periods.",
                        "Akun Anda tidak terdaftar pada instansi mana pun, sehingga tidak memiliki periode penilaian.")
    return caller.agency_id


def define_periods(factory: sessionmaker[Session], ctx: RequestContext, year: int, frequency: str | None = None,
                   deadline_days: int | None = None, distribution_mode: str | None = None,
                   rating_opens_days: int | None = None) -> dict[str, Any]:
    """The agency's annual and periodic periods of `year` (made, or remade when the frequency changes
    and no evaluation uses them yet, and opening that year for planning); the frequency, distribution
    mode and rating window become the agency's settings."""
    caller = require(ctx.caller)
    agency_id = _agency_of(caller)
    if not caller.administers(agency_id):
        raise forbidden("Only an admin of your agency can define its evaluation periods.",
                        "Hanya admin instansi Anda yang dapat menetapkan periode penilaian.")
    year = _year(year)
    wanted_frequency = pd.frequency(frequency) if frequency is not None else None
    days = pd.deadline_days(deadline_days)
    mode = pd.distribution_mode(distribution_mode) if distribution_mode is not None else None
    return make_periods(factory, agency_id, year, wanted_frequency, days, mode, pd.rating_opens_days(rating_opens_days))


def make_periods(factory: sessionmaker[Session], agency_id: str, year: int, frequency: pd.Frequency | None = None,
                 deadline_days: int = pd.DEFAULT_DEADLINE_DAYS, mode: pd.DistributionMode | None = None,
                 rating_opens_days: int | None = None) -> dict[str, Any]:
    """Save the agency's settings (those given) and make its periods of `year` agree with them."""
    with unit_of_work(factory) as s:
        chosen = save_settings(s, agency_id, frequency, mode, rating_opens_days).frequency
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
        "predikat": row.predikat, "angka_kredit": row.angka_kredit, "ends_position": row.ends_position,
        "ak_months": row.ak_months, "ak_jenjang": row.ak_jenjang, "penilai_nip": row.penilai_nip,
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
    if actor is None:
        _check_read(s, caller, skp)
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
        monitoring.touch_evaluations(s, [(skp.nip, skp_id, period_id)])
        if current is None:
            s.execute(insert(evaluations).values(id=str(uuid.uuid4()), skp_id=skp_id, period_id=period_id,
                                                 nip=skp.nip, **values))
        else:
            s.execute(update(evaluations).where(evaluations.c.id == current.id).values(**values))
        return _evaluation_view(s, _evaluation(s, skp_id, period_id), period)


def _evaluated_event(skp: Any, period: Any, row: Any) -> dict[str, Any]:
    return {"skp_id": skp.id, "nip": skp.nip, "agency_id": skp.agency_id, "year": skp.year,
            "period": {"id": period.id, "kind": period.kind, "seq": period.seq,
                       "start": period.start_date.isoformat(), "end": period.end_date.isoformat()},
            "rating_hasil_kerja": row.rating_hasil_kerja, "rating_perilaku": row.rating_perilaku,
            "predikat": row.predikat, "angka_kredit": row.angka_kredit, "ends_position": row.ends_position,
            "ak_months": row.ak_months, "penilai_nip": row.penilai_nip}


def _rated(s: Session, skp_id: str) -> Sequence[Any]:
    return s.execute(select(evaluations, periods.c.kind, periods.c.seq, periods.c.start_date, periods.c.end_date)
                     .join(periods, periods.c.id == evaluations.c.period_id)
                     .where(evaluations.c.skp_id == skp_id,
                            evaluations.c.state.in_([EvaluationState.DINILAI.value, EvaluationState.FINAL.value]))
                     .with_for_update()).all()


def _count_credit_points(s: Session, outbox: Outbox, skp: Any, rated_now: str) -> None:
    """The year's credit points counted once (domain credit_points.count_year) over every rated
    evaluation of the SKP, after `rated_now` was rated: its own points, and those of the others its
    rating changes (a conversion shortens the annual count). A final one never changes: refused."""
    rows = _rated(s, skp.id)
    months = ak.count_year([ak.Counted(r.id, r.kind, r.start_date, r.end_date, r.ends_position) for r in rows])
    for r in sorted(rows, key=lambda r: r.id != rated_now):  # the one rated is announced first
        points = ev.angka_kredit(months[r.id], Predikat(r.predikat), "fungsional", r.ak_jenjang) \
            if months[r.id] and r.ak_jenjang else None
        counted = str(points) if points is not None else None
        months_counted = months[r.id] if r.ak_jenjang else None
        if r.id != rated_now and (counted, months_counted) == (r.angka_kredit, r.ak_months):
            continue
        if r.id != rated_now and r.state == EvaluationState.FINAL:
            raise DomainError(
                code="credit-points-final", status=409, title="Credit points already final",
                detail=f"The {r.kind} evaluation ending {r.end_date.isoformat()} is final and has counted these "
                       "months' credit points: a position ending in this period can no longer be counted.",
                detail_id=f"Penilaian {r.kind} yang berakhir {r.end_date.isoformat()} sudah final dan telah "
                          "menghitung angka kredit bulan-bulan ini: jabatan yang berakhir pada periode ini tidak "
                          "dapat dihitung lagi.",
                extra={"field": "ends_position", "evaluation_id": r.id})
        s.execute(update(evaluations).where(evaluations.c.id == r.id)
                  .values(angka_kredit=counted, ak_months=months_counted))
        changed = s.execute(select(evaluations).where(evaluations.c.id == r.id)).first()
        outbox.add(s, "skp.evaluated", skp.nip, _evaluated_event(skp, _period(s, r.period_id), changed))


def evaluate(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, skp_id: str, period_id: str,
             rating_hasil_kerja: str, rating_perilaku: str, feedback_rhk: dict[str, str] | None = None,
             feedback_perilaku: dict[str, str] | None = None, ends_position: str | None = None) -> dict[str, Any]:
    """The penilai's feedback and ratings once the period has ended (or within the agency's days
    before); the predikat from the quadrant and, for functional positions, the credit points it
    counts: the annual evaluation the year's, a periodic one only where the period ends a position
    (`ends_position`). Announced as skp.evaluated."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        skp = _skp(s, skp_id, lock=True)
        actor = _check_actor(s, caller, skp)
        period = _period(s, period_id)
        current = _evaluation(s, skp_id, period_id, lock=True)
        ev.step("evaluate", EvaluationState(current.state) if current else None, actor)
        pd.check_rating_open(period.end_date, _settings(s, period.agency_id).rating_opens_days, config.today())
        assessment = ev.parse_assessment(feedback_rhk, feedback_perilaku, rating_hasil_kerja, rating_perilaku,
                                         [r.id for r in _rhk_rows(s, skp_id, current.skp_version)])
        ends = ak.ends_position(ends_position, period.kind)
        owner = staff.employee(s, skp.nip)
        # The jenjang whose coefficient counts: the position held when rated (functional ones only).
        jenjang = owner.jenjang if owner and owner.position_kind == "fungsional" and owner.jenjang else None
        now = utcnow()
        monitoring.touch_evaluations(s, [(skp.nip, skp_id, period_id)])
        s.execute(update(evaluations).where(evaluations.c.id == current.id).values(
            state=EvaluationState.DINILAI.value, feedback_rhk=assessment.feedback_rhk,
            feedback_perilaku=assessment.feedback_perilaku,
            rating_hasil_kerja=assessment.rating_hasil_kerja.value, rating_perilaku=assessment.rating_perilaku.value,
            predikat=assessment.predikat.value, ends_position=ends, ak_jenjang=jenjang, penilai_nip=caller.nip,
            evaluated_at=now, updated_at=now))
        _count_credit_points(s, outbox, skp, current.id)
        return _evaluation_view(s, _evaluation(s, skp_id, period_id), period)


def skp_evaluations(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str) -> dict[str, Any]:
    """Every evaluation of one SKP, in period order (owner, anyone above in the chain, agency admin)."""
    caller = require(ctx.caller)
    with factory() as s:
        skp = _skp(s, skp_id)
        _check_read(s, caller, skp)
        rows = s.execute(select(evaluations, periods.c.start_date, periods.c.kind)
                         .join(periods, periods.c.id == evaluations.c.period_id)
                         .where(evaluations.c.skp_id == skp_id)
                         .order_by(periods.c.kind == pd.PeriodKind.ANNUAL.value, periods.c.start_date)).all()
        return {"skp_id": skp_id, "nip": skp.nip, "year": skp.year,
                "evaluations": [_evaluation_view(s, r) for r in rows]}


# --- credit points over the years ----------------------------------------------------------------

def credit_points(factory: sessionmaker[Session], ctx: RequestContext, nip: str | None = None) -> dict[str, Any]:
    """An employee's credit points per year and where each came from (the annual evaluation, or a
    conversion where a period ended a position), and the total: the owner, anyone above them in
    the chain, and the agency admin."""
    caller = require(ctx.caller)
    nip = caller.nip if nip is None else nip
    with factory() as s:
        person = staff.employee(s, nip)
        plans = s.execute(select(skps).where(skps.c.nip == nip).order_by(skps.c.year)).all()
        if person is None and not plans and nip != caller.nip:
            raise not_found("employee", "Pegawai", nip)
        agency_id = person.agency_id if person else (plans[-1].agency_id if plans else caller.agency_id)
        _check_read(s, caller, SimpleNamespace(nip=nip, agency_id=agency_id))
        years = []
        for plan in plans:
            rows = s.execute(select(evaluations, periods.c.kind, periods.c.seq, periods.c.start_date,
                                    periods.c.end_date)
                             .join(periods, periods.c.id == evaluations.c.period_id)
                             .where(evaluations.c.skp_id == plan.id, evaluations.c.angka_kredit.is_not(None))
                             .order_by(periods.c.end_date, periods.c.kind)).all()
            if not rows:
                continue
            sources = [{"evaluation_id": r.id, "source": "annual" if r.kind == pd.PeriodKind.ANNUAL else "conversion",
                        "period": {"id": r.period_id, "kind": r.kind, "seq": r.seq, "start": r.start_date.isoformat(),
                                   "end": r.end_date.isoformat()},
                        "ends_position": r.ends_position, "months": r.ak_months, "predikat": r.predikat,
                        "jenjang": r.ak_jenjang, "angka_kredit": r.angka_kredit, "state": r.state}
                       for r in rows]
            years.append({"year": plan.year, "skp_id": plan.id,
                          "angka_kredit": str(sum((Decimal(r.angka_kredit) for r in rows), Decimal(0))),
                          "sources": sources})
        total = sum((Decimal(y["angka_kredit"]) for y in years), Decimal(0))
        return {"nip": nip, "name": person.name if person else None, "years": years, "total": str(total)}


# --- a unit's predikat and finalising it -----------------------------------------------------------

def _unit(s: Session, unit_id: str, period_id: str) -> tuple[Sequence[Any], str, Any]:
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
    return members, agency_id, period


def _head_penilai(s: Session, heads: set[str]) -> list[dict[str, Any]]:
    """Who may set the unit's predikat as its heads' penilai today (the head's supervisor, a PLT/PLH,
    or the atasan pejabat penilai)."""
    found: dict[str, dict[str, Any]] = {}
    for head in sorted(heads):
        for nip in staff.penilai(s, head).allowed:
            person = staff.employee(s, nip)
            found.setdefault(nip, {"nip": nip, "name": person.name if person else None})
    return list(found.values())


def _predikat_view(s: Session, row: Any) -> dict[str, Any]:
    person = staff.employee(s, row.set_by)
    return {"unit_id": row.unit_id, "period_id": row.period_id, "unit_predikat": row.predikat,
            "set_by": {"nip": row.set_by, "name": person.name if person else None, "as": row.set_as},
            "set_at": _iso(row.set_at)}


def _finalised_any(s: Session, unit_id: str, period_id: str) -> bool:
    return s.execute(select(evaluations.c.id).where(evaluations.c.unit_id == unit_id,
                                                    evaluations.c.period_id == period_id,
                                                    evaluations.c.state == EvaluationState.FINAL.value)).first() \
        is not None


def set_unit_predikat(factory: sessionmaker[Session], ctx: RequestContext, unit_id: str, period_id: str,
                      value: Any) -> dict[str, Any]:
    """The unit's predikat kinerja organisasi for a period, which bounds its staff's predikat: set
    by the head's own penilai (their rating of the head is the unit's achievement), or by an agency
    admin recording the organisation's evaluation; never by the head of the unit. Until the unit is
    finalised, a later setting replaces it."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        members, agency_id, period = _unit(s, unit_id, period_id)
        heads = ev.unit_heads({m.nip: m.supervisor_nip for m in members})
        penilai = _head_penilai(s, heads)
        by_penilai = any(p["nip"] == caller.nip for p in penilai)
        if caller.nip in heads:
            raise forbidden("The head of a unit does not set its own predikat kinerja organisasi: their penilai "
                            "does, or the agency admin recording the organisation's evaluation.",
                            "Kepala unit tidak menetapkan predikat kinerja organisasi unitnya sendiri: pejabat "
                            "penilainya yang menetapkan, atau admin instansi yang mencatat evaluasi organisasi.")
        if not by_penilai and not caller.administers(agency_id):
            names = ", ".join(f"{p['name'] or ''} (NIP {p['nip']})".strip() for p in penilai) or "-"
            raise forbidden(f"A unit's predikat is set by its head's penilai ({names}) or by the agency admin.",
                            f"Predikat unit ditetapkan oleh pejabat penilai kepala unit ({names}) atau admin instansi.")
        pd.check_rating_open(period.end_date, _settings(s, agency_id).rating_opens_days, config.today())
        predikat = ev.unit_predikat(value)
        if _finalised_any(s, unit_id, period_id):
            raise DomainError(code="unit-finalised", status=409, title="Unit already finalised",
                              detail="This unit's evaluations for the period are finalised under its predikat: it "
                                     "no longer changes.",
                              detail_id="Penilaian unit ini untuk periode tersebut sudah difinalisasi dengan "
                                        "predikatnya: predikat tidak dapat diubah lagi.")
        upsert(s, unit_predikat, {"unit_id": unit_id, "period_id": period_id}, {
            "agency_id": agency_id, "predikat": predikat.value, "set_by": caller.nip,
            "set_as": "penilai" if by_penilai else "admin", "set_at": utcnow()})
        monitoring.note_unit_predikat(s, unit_id, period_id)
        return _predikat_view(s, s.execute(select(unit_predikat).where(
            unit_predikat.c.unit_id == unit_id, unit_predikat.c.period_id == period_id)).first())


def finalise_unit(factory: sessionmaker[Session], ctx: RequestContext, unit_id: str, period_id: str) -> dict[str, Any]:
    """Finalise the rated evaluations of a unit's staff for a period that has ended, after checking
    their predikat against the unit's predikat as its head's penilai (or the agency admin) set it:
    "warn" agencies finalise and get the violations back, "block" agencies get a 409 and nothing
    changes. By a head of the unit or an admin of its agency."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        members, agency_id, period = _unit(s, unit_id, period_id)
        heads = ev.unit_heads({m.nip: m.supervisor_nip for m in members})
        if caller.nip not in heads and not caller.administers(agency_id):
            raise forbidden("Only the head of this unit or an admin of its agency can finalise its evaluations.",
                            "Hanya kepala unit ini atau admin instansinya yang dapat memfinalisasi penilaiannya.")
        settings = _settings(s, agency_id)
        pd.check_rating_open(period.end_date, settings.rating_opens_days, config.today())
        recorded = s.execute(select(unit_predikat).where(unit_predikat.c.unit_id == unit_id,
                                                         unit_predikat.c.period_id == period_id)).first()
        if recorded is None:
            penilai = _head_penilai(s, heads)
            names = ", ".join(f"{p['name'] or ''} (NIP {p['nip']})".strip() for p in penilai) or "-"
            raise DomainError(
                code="unit-predikat-missing", status=409, title="No unit predikat yet",
                detail=f"The unit's predikat kinerja organisasi for this period is not set yet: the head's penilai "
                       f"({names}) or the agency admin sets it first.",
                detail_id=f"Predikat kinerja organisasi unit untuk periode ini belum ditetapkan: pejabat penilai "
                          f"kepala unit ({names}) atau admin instansi menetapkannya terlebih dahulu.",
                extra={"fixers": ["penilai", "admin_instansi"], "penilai": penilai})
        unit_value = ev.unit_predikat(recorded.predikat)
        staff_nips = [m.nip for m in members if m.nip not in heads]
        rows = s.execute(select(evaluations).where(evaluations.c.period_id == period_id,
                                                   evaluations.c.nip.in_(staff_nips))
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
        violations = ev.finalisation(settings.mode, unit_value, [Predikat(r.predikat) for r in rated])
        now = utcnow()
        monitoring.touch_evaluations(s, [(r.nip, r.skp_id, r.period_id) for r in to_finalise])
        s.execute(update(evaluations).where(evaluations.c.id.in_([r.id for r in to_finalise])).values(
            state=EvaluationState.FINAL.value, unit_id=unit_id, unit_predikat=unit_value.value,
            finalised_by=caller.nip, finalised_at=now, updated_at=now))
        evaluated = {r.nip for r in rows if r.state != EvaluationState.DRAFT}
        return {"unit_id": unit_id, "period": _period_view(period), "unit_predikat": unit_value.value,
                "unit_predikat_set": _predikat_view(s, recorded),
                "distribution_mode": settings.mode.value, "finalised": sorted(r.nip for r in to_finalise),
                "counted": len(rated), "not_rated": sorted(n for n in staff_nips if n not in evaluated),
                "warnings": [ev.violation_dict(v) for v in violations]}
