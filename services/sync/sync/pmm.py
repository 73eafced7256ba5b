"""PMM (Platform Merdeka Mengajar) for teachers: the RHK a teacher agreed with their kepala sekolah
in PMM flow into their SKP as proposals.

Rules (docs/domain.md "Roles", the seed articles' "Sinkron PMM" checklist):
- only RHK whose status is "Disepakati Atasan" (agreed by the principal) are imported;
- PMM plans by semester: Jan–Jun (1) and Jul–Dec (2) of a year; a document for another period is
  refused;
- the principal's data must be synced from the registry before the teacher's PMM import, and the
  principal who agreed in PMM must be the teacher's supervisor in e-Kinerja.

sync fetches the teacher's PMM document, checks it, and announces `pmm.rhk_agreed` through the
outbox when the agreed RHK differ from the last import (skp turns them into proposals whose
proposer is the principal). Every import is recorded as a sync run of kind `pmm`. No nameko here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from .domain.identifiers import require_nip
from .registry.client import RegistryError, RegistryNotFound, RegistryUnavailable
from .runs import Progress, finish_run, new_run, registry_off
from .tables import employees, pmm_imports, registry_synced, units

AGREED = "Disepakati Atasan"
SEMESTERS = {1: ("Januari–Juni", "January–June"), 2: ("Juli–Desember", "July–December")}
YEARS = range(2020, 2101)

class Pmm(Protocol):
    """What the import asks PMM (registry.client.RegistryClient, or the simulator's LocalClient)."""

    def pmm(self, nip: str, year: int, semester: int) -> dict[str, Any]: ...

    def pmm_teacher(self, nip: str) -> dict[str, Any]: ...


# --- the rules (plain functions) ---------------------------------------------------------------

def semester_period(year: int, semester: int) -> tuple[dt.date, dt.date]:
    if semester == 1:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


def check_request(year: Any, semester: Any) -> None:
    errors = []
    if not isinstance(year, int) or isinstance(year, bool) or year not in YEARS:
        errors.append(FieldError("year", "year", "year must be a year such as 2026.", "year harus berupa tahun."))
    if semester not in (1, 2) or isinstance(semester, bool):
        errors.append(FieldError("semester", "one-of", "semester is 1 (January–June) or 2 (July–December).",
                                 "semester bernilai 1 (Januari–Juni) atau 2 (Juli–Desember)."))
    if errors:
        raise validation_error(errors)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def check_period(doc: dict[str, Any], year: int, semester: int) -> None:
    """The PMM document must cover exactly the asked semester (PMM plans Jan–Jun and Jul–Dec)."""
    first, last = semester_period(year, semester)
    if (_date(doc.get("periode_awal")), _date(doc.get("periode_akhir"))) != (first, last):
        id_name, en_name = SEMESTERS[semester]
        raise DomainError(
            code="pmm-period", status=422, title="PMM period does not match",
            detail=f"The PMM SKP covers {doc.get('periode_awal')} to {doc.get('periode_akhir')}, not {en_name} "
                   f"{year}: PMM plans run January–June or July–December. Correct the period in PMM.",
            detail_id=f"SKP PMM mencakup {doc.get('periode_awal')} s.d. {doc.get('periode_akhir')}, bukan {id_name} "
                      f"{year}: periode PMM adalah Januari–Juni atau Juli–Desember. Perbaiki periodenya di PMM.",
            extra={"fixed_by": "the teacher, in PMM", "fixed_by_id": "guru, di PMM",
                   "period_start": first.isoformat(), "period_end": last.isoformat()})


def _status(item: dict[str, Any]) -> str:
    return " ".join(str(item.get("status") or "").split())


def is_agreed(item: dict[str, Any]) -> bool:
    return _status(item).casefold() == AGREED.casefold()


def agreed_rhk(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The agreed RHK as e-Kinerja proposals (text, the principal's RHK it intervenes, IKI), and how
    many others were left out, by status."""
    others: Counter[str]
    agreed, others = [], Counter()
    for item in doc.get("rhk") or []:
        if not isinstance(item, dict):
            continue
        if not is_agreed(item):
            others[_status(item) or "(tanpa status)"] += 1
            continue
        text = " ".join(str(item.get("rhk") or "").split())
        if not text:
            others["(tanpa uraian)"] += 1
            continue
        iki = [{"aspek": str(i.get("aspek") or "").strip().lower(), "indikator": str(i.get("indikator") or "").strip(),
                "target": str(i.get("target") or "").strip(), "satuan": str(i.get("satuan") or "").strip()}
               for i in item.get("indikator") or [] if isinstance(i, dict)]
        agreed.append({"pmm_id": str(item.get("id") or ""), "text": text,
                       "intervenes_text": " ".join(str(item.get("rhk_atasan") or "").split()) or None, "iki": iki})
    return agreed, dict(others)


def digest(principal_nip: str, rhk: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps([principal_nip, rhk], sort_keys=True).encode()).hexdigest()


def _refusal(code: str, status: int, title: str, en: str, id_: str, fixed_by: str, fixed_by_id: str,
             **extra: Any) -> DomainError:
    return DomainError(code=code, status=status, title=title, detail=en, detail_id=id_,
                       extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id, **extra})


def check_school(unit_kind: str | None) -> None:
    """PMM holds the plans of teachers: someone whose unit is not a school has nothing there."""
    if unit_kind != "sekolah":
        raise _refusal("pmm-not-school", 409, "PMM is for teachers in a school",
                       "Your unit in master data is not a school, so PMM (Platform Merdeka Mengajar) has no plan of "
                       "yours: make your SKP in e-Kinerja. If you do teach, your agency admin records your school as "
                       "your unit in SIASN.",
                       "Unit Anda di data induk bukan sekolah, sehingga PMM (Platform Merdeka Mengajar) tidak "
                       "memiliki rencana Anda: buat SKP Anda di e-Kinerja. Jika Anda mengajar, admin instansi "
                       "mencatat sekolah Anda sebagai unit kerja di SIASN.",
                       "nobody, for the SKP (made in e-Kinerja); the agency admin, if your unit is wrong",
                       "tidak ada, untuk SKP (dibuat di e-Kinerja); admin instansi, jika unit Anda keliru",
                       fixers=["admin_instansi"])


def check_principal(teacher: Any, principal: Any, principal_synced_at: dt.datetime | None) -> None:
    """The principal's data must be in e-Kinerja, active and synced from the registry first."""
    if teacher.supervisor_nip is None:
        raise _refusal("no-principal", 409, "No kepala sekolah set",
                       "Your record has no supervisor (kepala sekolah), so PMM RHK have no one to come from. The "
                       "school's data operator corrects it in Dapodik, or your agency admin sets your supervisor.",
                       "Data Anda belum memiliki atasan (kepala sekolah), sehingga RHK PMM tidak dapat diimpor. "
                       "Operator sekolah memperbaikinya di Dapodik, atau admin instansi menetapkan atasan Anda.",
                       "the school's data operator or the agency admin", "operator sekolah atau admin instansi",
                       fixers=["operator_sekolah", "admin_instansi"])
    if principal is None or principal.status != "active" or principal_synced_at is None:
        name = principal.name if principal is not None else teacher.supervisor_nip
        raise _refusal("principal-not-synced", 409, "Your kepala sekolah's data is not synced yet",
                       f"Your kepala sekolah {name} (NIP {teacher.supervisor_nip}) must sync their own data first "
                       "(Sinkronisasi ASN, after checking their unit, position and rank). Then import your PMM "
                       "RHK again.",
                       f"Kepala sekolah Anda {name} (NIP {teacher.supervisor_nip}) harus melakukan Sinkronisasi ASN "
                       "terlebih dahulu (setelah memeriksa unit kerja, jabatan dan golongannya). Setelah itu impor "
                       "ulang RHK PMM Anda.",
                       "your kepala sekolah", "kepala sekolah Anda", principal_nip=teacher.supervisor_nip,
                       fixers=["kepala_sekolah"])


def check_document_principal(teacher: Any, doc: dict[str, Any]) -> None:
    agreed_by = str(doc.get("kepala_sekolah_nip") or "").strip()
    if agreed_by != teacher.supervisor_nip:
        raise _refusal("pmm-principal-mismatch", 409, "PMM names another kepala sekolah",
                       f"In PMM your RHK are agreed by NIP {agreed_by or '-'}, but your supervisor in e-Kinerja is "
                       f"NIP {teacher.supervisor_nip}. The school's data operator corrects Dapodik, or your agency "
                       "admin corrects your supervisor; then sync and import again.",
                       f"Di PMM RHK Anda disepakati oleh NIP {agreed_by or '-'}, tetapi atasan Anda di e-Kinerja "
                       f"adalah NIP {teacher.supervisor_nip}. Operator sekolah memperbaiki Dapodik, atau admin "
                       "instansi memperbaiki atasan Anda; lalu sinkronkan dan impor ulang.",
                       "the school's data operator or the agency admin", "operator sekolah atau admin instansi",
                       pmm_principal_nip=agreed_by or None, supervisor_nip=teacher.supervisor_nip,
                       fixers=["operator_sekolah", "admin_instansi"])


# --- the use case ------------------------------------------------------------------------------

def import_pmm(factory: sessionmaker[Session], outbox: Outbox, fetch: Pmm | None, ctx: RequestContext,
               year: Any, semester: Any, nip: str | None = None) -> dict[str, Any]:
    """Imports the caller's (or, for an admin, a teacher of their agency's) agreed PMM RHK for one
    semester. Returns the run and what was imported; refusals are problems naming who fixes them."""
    caller = require(ctx.caller)
    check_request(year, semester)
    nip = nip or caller.nip
    require_nip(nip)
    with factory() as s:
        teacher = s.execute(select(employees).where(employees.c.nip == nip)).first()
    if nip != caller.nip and not (teacher is not None and caller.administers(teacher.agency_id)):
        raise forbidden("You can import only your own PMM RHK (an admin: their agency's teachers').",
                        "Anda hanya dapat mengimpor RHK PMM Anda sendiri (admin: guru di instansinya).")
    if fetch is None:
        raise registry_off()
    trigger = "employee" if nip == caller.nip else "admin"
    with unit_of_work(factory) as s:
        progress = Progress(new_run(s, "pmm", nip, trigger, caller.nip, teacher.agency_id if teacher else None))
    progress.extra.update({"year": year, "semester": semester})
    try:
        result = _import(factory, outbox, fetch, progress, nip, teacher, year, semester)
    except DomainError as exc:
        progress.failed = True
        progress.error(nip, exc.code, exc.detail, exc.detail_id, record="pmm", fixed={
            k: exc.extra[k] for k in ("fixers", "fixed_by", "fixed_by_id") if k in exc.extra} or None)
        exc.extra["run_id"] = progress.run_id
        finish_run(factory, progress, "pmm")
        raise
    run = finish_run(factory, progress, "pmm")
    return {**result, "run": run}


def _import(factory: sessionmaker[Session], outbox: Outbox, fetch: Pmm, progress: Progress, nip: str,
            teacher: Any, year: int, semester: int) -> dict[str, Any]:
    if teacher is None or teacher.status != "active":
        raise _refusal("not-synced", 409, "Your data is not in e-Kinerja yet",
                       "Your master data is not in e-Kinerja (or not active): do Sinkronisasi ASN first.",
                       "Data induk Anda belum ada (atau tidak aktif) di e-Kinerja: lakukan Sinkronisasi ASN "
                       "terlebih dahulu.", "you (Sinkronisasi ASN)", "Anda (Sinkronisasi ASN)", fixers=["employee"])
    with factory() as s:
        unit_kind = s.execute(select(units.c.kind).where(units.c.id == teacher.unit_id)).scalar() \
            if teacher.unit_id else None
        principal = s.execute(select(employees).where(employees.c.nip == teacher.supervisor_nip)).first() \
            if teacher.supervisor_nip else None
        synced_at = s.execute(select(registry_synced.c.synced_at)
                              .where(registry_synced.c.nip == teacher.supervisor_nip)).scalar() \
            if teacher.supervisor_nip else None
    check_school(unit_kind)
    check_principal(teacher, principal, synced_at)
    id_name, en_name = SEMESTERS[semester]
    try:
        try:
            doc = fetch.pmm(nip, year, semester)
        except RegistryNotFound:
            fetch.pmm_teacher(nip)  # "Data tidak ditemukan": of the teacher, or of this semester's SKP?
            raise _refusal("pmm-not-found", 404, "No SKP in PMM for this semester",
                           f"PMM knows you, but has no SKP of yours for {en_name} {year}. Make it in PMM and have "
                           "your kepala sekolah agree to it, then import again.",
                           f"PMM mengenal Anda, tetapi tidak memiliki SKP Anda untuk {id_name} {year}. Buat di PMM "
                           "dan minta kepala sekolah menyepakatinya, lalu impor ulang.",
                           "you, in PMM", "Anda, di PMM", fixers=["employee"]) from None
    except RegistryNotFound:
        raise _refusal("pmm-teacher-unknown", 404, "PMM does not know you",
                       f"PMM does not know a teacher with NIP {nip}: your data in Dapodik (NUPTK, school) has not "
                       "reached PMM. The school's data operator checks your NUPTK and data in Dapodik / Verval "
                       "PTK; it reaches PMM within a few working days. Then import again.",
                       f"PMM tidak mengenal guru dengan NIP {nip}: data Anda di Dapodik (NUPTK, sekolah) belum "
                       "sampai ke PMM. Operator sekolah memeriksa NUPTK dan data Anda di Dapodik / Verval PTK; "
                       "perubahan sampai ke PMM dalam beberapa hari kerja. Setelah itu impor ulang.",
                       "the school's data operator (Dapodik / Verval PTK)", "operator data sekolah (Dapodik / "
                       "Verval PTK)", fixers=["operator_sekolah"]) from None
    except RegistryUnavailable:
        raise DomainError(code="registry-unavailable", status=503, title="PMM is not answering",
                          detail="PMM is not answering right now; nothing was changed. Please try again later.",
                          detail_id="PMM sedang tidak menjawab; tidak ada yang berubah. Silakan coba lagi nanti.",
                          extra={"retry_after": 60}) from None
    except RegistryError as exc:
        raise DomainError(code="registry-refused", status=502, title="PMM refused the request",
                          detail=f"PMM refused the request ({exc}); it has been logged.",
                          detail_id="PMM menolak permintaan ini; kejadian ini telah dicatat.") from None
    check_period(doc, year, semester)
    check_document_principal(teacher, doc)
    rhk, skipped = agreed_rhk(doc)
    progress.extra.update({"rhk_agreed": len(rhk), "rhk_skipped": skipped})
    if not rhk:
        waiting = ", ".join(f"{n} {status}" for status, n in skipped.items()) or "0"
        raise _refusal("pmm-nothing-agreed", 409, "No RHK agreed in PMM yet",
                       f"None of your RHK in PMM for {en_name} {year} is '{AGREED}' yet ({waiting}). Ask your "
                       "kepala sekolah to agree them in PMM, then import again.",
                       f"Belum ada RHK Anda di PMM untuk {id_name} {year} yang berstatus '{AGREED}' ({waiting}). "
                       "Minta kepala sekolah menyepakatinya di PMM, lalu impor ulang.",
                       "your kepala sekolah, in PMM", "kepala sekolah Anda, di PMM", skipped=skipped,
                       fixers=["kepala_sekolah"])
    first, last = semester_period(year, semester)
    fingerprint = digest(teacher.supervisor_nip, rhk)
    with unit_of_work(factory) as s:
        old = s.execute(select(pmm_imports).where(pmm_imports.c.nip == nip, pmm_imports.c.year == year,
                                                  pmm_imports.c.semester == semester)).first()
        values = {"principal_nip": teacher.supervisor_nip, "digest": fingerprint, "rhk": rhk,
                  "imported_at": utcnow(), "run_id": progress.run_id}
        changed = old is None or old.digest != fingerprint
        if changed:
            data = {"nip": nip, "agency_id": teacher.agency_id, "principal_nip": teacher.supervisor_nip,
                    "year": year, "semester": semester, "period_start": first.isoformat(),
                    "period_end": last.isoformat(), "rhk": rhk}
            outbox.add(s, "pmm.rhk_agreed", nip, data)
        if old is None:
            s.execute(insert(pmm_imports).values(nip=nip, year=year, semester=semester, **values))
        else:
            s.execute(update(pmm_imports).where(pmm_imports.c.nip == nip, pmm_imports.c.year == year,
                                                pmm_imports.c.semester == semester).values(**values))
    outcome = "created" if old is None else "updated" if changed else "unchanged"
    progress.own[outcome] += 1
    progress.own["events"] += 1 if changed else 0
    return {"nip": nip, "year": year, "semester": semester, "period_start": first.isoformat(),
            "period_end": last.isoformat(), "principal_nip": teacher.supervisor_nip, "outcome": outcome,
            "rhk": rhk, "skipped": skipped,
            "previous_import": as_utc(old.imported_at).isoformat() if old is not None else None}
