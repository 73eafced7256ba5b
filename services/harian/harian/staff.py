"""What harian knows of the rest of the system, kept from events (employees from sync, approved RHK
from skp), and of each agency's calendar (its settings and the justified absences)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import rules
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.inbox import first_delivery

from . import monitoring
from .domain.obligation import obligation_start
from .domain.settings import AgencySettings, parse_agency_settings
from .domain.workdays import Absence, AbsenceKind
from .tables import absences, agency_settings, approved_rhk, employee_first_seen, employees, entries, inbox

DEFAULT_REMINDER_HOUR = 15


def on_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    kind, data = envelope["type"], envelope["data"]
    if kind not in ("ekinerja.employee.upserted.v1", "ekinerja.skp.approved.v1"):
        return
    with unit_of_work(factory) as s:
        if not first_delivery(s, inbox, envelope):
            return
        if kind == "ekinerja.employee.upserted.v1":
            monitoring.touch_member(s, data["nip"])  # the headcount follows their unit and status
            upsert(s, employees, {"nip": data["nip"]}, {
                "name": data["name"], "email": data.get("email"), "status": data["status"],
                "agency_id": data.get("agency_id"), "unit_id": data.get("unit_id"),
                "supervisor_nip": data.get("supervisor_nip"), "updated_at": utcnow()})
        else:
            _replace_rhk(s, data)


def _replace_rhk(s: Session, data: dict[str, Any]) -> None:
    """The approved version replaces the year's list; an older version arriving late changes nothing."""
    current = s.execute(select(approved_rhk.c.version).where(
        approved_rhk.c.nip == data["nip"], approved_rhk.c.year == data["year"])).scalar()
    if current is not None and current > data["version"]:
        return
    s.execute(delete(approved_rhk).where(approved_rhk.c.nip == data["nip"], approved_rhk.c.year == data["year"]))
    for r in data.get("rhk", []):
        kuantitas: dict[str, Any] = next((i for i in r.get("iki", []) if i.get("aspek") == "kuantitas"), {})
        target = " ".join(str(x) for x in (kuantitas.get("target"), kuantitas.get("satuan")) if x) or None
        s.execute(insert(approved_rhk).values(
            rhk_id=r["id"], nip=data["nip"], year=data["year"], skp_id=data["skp_id"], version=data["version"],
            kind=r["kind"], text=r["text"], satuan=kuantitas.get("satuan"), target=target[:200] if target else None))
    # A revision that removed an RHK names the one that took over its links: the year's entries on
    # the old one now belong to the new one, so the calendar and the board link to an RHK in force.
    for moved in data.get("moved") or []:
        s.execute(update(entries).where(
            entries.c.nip == data["nip"], entries.c.rhk_id == moved["from"],
            entries.c.date >= dt.date(data["year"], 1, 1), entries.c.date <= dt.date(data["year"], 12, 31))
            .values(rhk_id=moved["to"]))


def employee(s: Session, nip: str | None) -> Any:
    if not nip:
        return None
    return s.execute(select(employees).where(employees.c.nip == nip)).first()


def employees_by_nip(s: Session, nips: Iterable[str]) -> dict[str, Any]:
    """The read-copy rows of `nips` (those known), in one query."""
    wanted = sorted(set(nips))
    return {r.nip: r for r in s.execute(select(employees).where(employees.c.nip.in_(wanted)))} if wanted else {}


def active_employee(s: Session, nip: str) -> Any:
    """The day's owner, active by the rule sync's diagnosis applies (kernel rules.is_active); else
    refused naming that diagnosis's finding (account-inactive, or nip-not-found) and who fixes it."""
    return require_active(employee(s, nip))


def require_active(row: Any) -> Any:
    """`row` (an employees row, or None when the NIP is unknown) if active, else the refusal."""
    if row is None:
        raise DomainError(code="not-an-active-employee", status=403, title="No active employee record",
                          detail="Daily progress is not accepted: your NIP is not in e-Kinerja's master data yet "
                                 "(finding nip-not-found). Do Sinkronisasi ASN in MyASN; if it stays missing, your "
                                 "agency admin (BKD/BKPSDM) registers it in SIASN. Details: GET /api/v1/me/diagnosis.",
                          detail_id="Progres harian tidak diterima: NIP Anda belum ada di data induk e-Kinerja "
                                    "(temuan nip-not-found). Lakukan Sinkronisasi ASN di MyASN; jika tetap tidak ada, "
                                    "admin instansi (BKD/BKPSDM) mendaftarkannya di SIASN. Rincian: GET "
                                    "/api/v1/me/diagnosis.",
                          extra={"finding_code": "nip-not-found", "fixers": ["employee", "admin_instansi"],
                                 "fixed_by": "you (Sinkronisasi ASN), then your agency admin (BKD/BKPSDM)",
                                 "fixed_by_id": "Anda (Sinkronisasi ASN), lalu admin instansi (BKD/BKPSDM)"})
    if not rules.is_active(row.status):
        raise DomainError(code="not-an-active-employee", status=403, title="No active employee record",
                          detail=f"Daily progress is not accepted: your employment status in master data is "
                                 f"'{row.status}', not active (finding account-inactive). Your agency admin "
                                 "(BKD/BKPSDM) corrects it in SIASN or reactivates you in e-Kinerja. Details: GET "
                                 "/api/v1/me/diagnosis.",
                          detail_id=f"Progres harian tidak diterima: status kepegawaian Anda di data induk "
                                    f"'{row.status}', bukan aktif (temuan account-inactive). Admin instansi "
                                    "(BKD/BKPSDM) membetulkannya di SIASN atau mengaktifkan Anda kembali di "
                                    "e-Kinerja. Rincian: GET /api/v1/me/diagnosis.",
                          extra={"finding_code": "account-inactive", "fixers": ["admin_instansi"],
                                 "fixed_by": "your agency admin (BKD/BKPSDM)",
                                 "fixed_by_id": "admin instansi (BKD/BKPSDM) Anda"})
    return row


def rhk_choices(s: Session, nip: str, year: int) -> Sequence[Any]:
    return s.execute(select(approved_rhk).where(approved_rhk.c.nip == nip, approved_rhk.c.year == year)
                     .order_by(approved_rhk.c.kind.desc(), approved_rhk.c.text)).all()


def rhk_choices_of(s: Session, pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], list[Any]]:
    """rhk_choices for many (nip, year) at once: one query per year; a pair without RHK maps to []."""
    wanted: dict[int, set[str]] = {}
    for nip, year in pairs:
        wanted.setdefault(year, set()).add(nip)
    found: dict[tuple[str, int], list[Any]] = {(n, y): [] for y, nips in wanted.items() for n in nips}
    for year, nips in wanted.items():
        for r in s.execute(select(approved_rhk).where(approved_rhk.c.nip.in_(sorted(nips)), approved_rhk.c.year == year)
                           .order_by(approved_rhk.c.nip, approved_rhk.c.kind.desc(), approved_rhk.c.text)):
            found[(r.nip, year)].append(r)
    return found


def no_approved_skp(year: int) -> DomainError:
    return DomainError(code="no-approved-skp", status=409, title="No approved SKP",
                       detail=f"Daily progress links to the RHK of your approved SKP, and you have none for "
                              f"{year} yet. Submit your SKP and ask your pejabat penilai to approve it.",
                       detail_id=f"Progres harian dikaitkan dengan RHK SKP Anda yang telah disetujui, dan Anda "
                                 f"belum memilikinya untuk tahun {year}. Ajukan SKP Anda dan minta pejabat "
                                 "penilai menyetujuinya.",
                       extra={"fixed_by": "you and your pejabat penilai", "fixed_by_id": "Anda dan pejabat penilai"})


# --- agency calendar ---------------------------------------------------------------------------

def settings_of(s: Session, agency_id: str | None) -> tuple[AgencySettings, int, dict[str, Any]]:
    """The agency's settings (defaults when it has none): parsed, the reminder hour, and as stored."""
    row = s.execute(select(agency_settings).where(agency_settings.c.agency_id == agency_id)).first()
    if row is None:
        return AgencySettings(), DEFAULT_REMINDER_HOUR, {}
    return parse_agency_settings(row.settings), row.reminder_hour, row.settings


def settings_of_agencies(s: Session, agency_ids: Iterable[str | None]) -> dict[str | None, AgencySettings]:
    """The parsed settings of many agencies at once (defaults for one that has none)."""
    wanted = set(agency_ids)
    known = [a for a in wanted if a is not None]
    rows = {r.agency_id: r for r in s.execute(select(agency_settings).where(agency_settings.c.agency_id.in_(known)))} \
        if known else {}
    return {a: parse_agency_settings(rows[a].settings) if a in rows else AgencySettings() for a in wanted}


def absences_of(s: Session, nip: str, start: dt.date, end: dt.date) -> list[Absence]:
    rows = s.execute(select(absences).where(absences.c.nip == nip, absences.c.start_date <= end,
                                            absences.c.end_date >= start)
                     .order_by(absences.c.start_date)).all()
    return [Absence(AbsenceKind(r.kind), r.start_date, r.end_date) for r in rows]


def obligation_of(s: Session, person: Any, settings: AgencySettings | None = None) -> dt.date | None:
    """The first day `person` must log (domain.obligation), from their agency's go-live and start,
    or the day the day closer first saw them; None when nothing is owed yet."""
    settings = settings if settings is not None else settings_of(s, person.agency_id)[0]
    seen = s.execute(select(employee_first_seen.c.first_seen).where(
        employee_first_seen.c.nip == person.nip)).scalar()
    return obligation_start(settings.go_live, person.nip, seen)


MAX_CHAIN = 64  # far beyond any real chain of command; stops a cycle in bad master data


def supervises(s: Session, viewer: str, person: Any) -> bool:
    """Whether `viewer` is above `person` in the chain of command (their supervisor, the
    supervisor's supervisor, ...), by harian's copy of master data."""
    seen: set[str] = set()
    boss = person.supervisor_nip
    while boss and boss not in seen and len(seen) < MAX_CHAIN:
        if boss == viewer:
            return True
        seen.add(boss)
        boss = s.execute(select(employees.c.supervisor_nip).where(employees.c.nip == boss)).scalar()
    return False
