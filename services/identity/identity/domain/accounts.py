"""Who may sign in, with which roles, and what in their master data blocks them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ekinerja_kernel.errors import DomainError

from . import problems

EXTRA_ROLES = ("admin_instansi", "admin_nasional", "kepala_sekolah")


@dataclass(frozen=True)
class Account:
    nip: str
    nik: str | None
    name: str
    email: str | None
    status: str
    agency_id: str | None
    unit_id: str | None
    position_id: str | None
    supervisor_nip: str | None
    extra_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitInfo:
    id: str
    parent_id: str | None
    kind: str = "unit"


def roles(account: Account, has_subordinates: bool) -> list[str]:
    result = ["pegawai"]
    if has_subordinates:
        result.append("atasan")
    result += [r for r in EXTRA_ROLES if r in account.extra_roles]
    return result


def _admin(unit: UnitInfo | None) -> tuple[str, str]:
    if unit is not None and unit.kind == "sekolah":
        return ("your school's data operator (operator sekolah), then your agency's BKD/BKPSDM admin",
                "operator data sekolah Anda, lalu admin BKD/BKPSDM instansi Anda")
    return ("your agency's BKD/BKPSDM admin (admin instansi)", "admin BKD/BKPSDM instansi Anda (admin instansi)")


def login_blockers(account: Account, unit: UnitInfo | None) -> list[DomainError]:
    """Master-data reasons this account cannot use e-Kinerja yet, most fundamental first.

    Only ever shown to someone who proved who they are (password, or NIP+NIK at activation).
    """
    found: list[DomainError] = []
    admin, admin_id = _admin(unit)
    if not account.nik or not re.fullmatch(r"[0-9]{16}", account.nik):
        found.append(problems.data_problem(
            "nik-not-matched",
            "Not an Active Civil Servant: your NIK in the civil-service registry is missing or does not "
            "match the population registry. Check your NIK in MyASN (data utama).",
            "Bukan ASN Aktif: NIK Anda di data kepegawaian kosong atau tidak cocok dengan data "
            "kependudukan. Periksa NIK Anda di MyASN (data utama).",
            f"you in MyASN, then {admin}", f"Anda sendiri di MyASN, lalu {admin_id}"))
    if account.status != "active":
        found.append(problems.data_problem(
            "account-inactive",
            "Your employment status in the master data is not active.",
            "Status kepegawaian Anda di data induk tidak aktif.", admin, admin_id))
    if not account.unit_id or not account.position_id or unit is None:
        found.append(problems.data_problem(
            "no-unit-position",
            "No unit (unor) or position (jabatan) is recorded for you, so no SKP can be made.",
            "Unit organisasi (unor) atau jabatan Anda belum tercatat, sehingga SKP belum dapat dibuat.",
            admin, admin_id))
    elif account.supervisor_nip is None and unit.parent_id is not None:
        who, who_id = admin, admin_id
        if unit.kind == "sekolah":
            who, who_id = (f"the kepala sekolah or {admin}", f"kepala sekolah atau {admin_id}")
        found.append(problems.data_problem(
            "no-supervisor",
            "No supervisor (pejabat penilai) is recorded for you, so nobody can approve your SKP.",
            "Atasan langsung (pejabat penilai) Anda belum tercatat, sehingga SKP Anda tidak dapat disetujui.",
            who, who_id))
    return found
