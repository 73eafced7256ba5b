"""The registry's record shapes (SIASN-style field names) and their mapping to the import rows of
`handlers.import_records`, both ways: sync reads the registry with `*_row`, the simulator serves
e-Kinerja data with `to_*`. A record read back must give the same row, so a registry that did not
change gives no event.

Data utama (per NIP): `nipBaru`, `nama`, `nik`, `email`, `tglLahir` (dd-mm-yyyy), `jenisKelamin`
(M/F), `statusPegawai` (PNS, CPNS, PPPK), `kedudukanPnsNama` ("Aktif" or why not), `golRuangAkhir`,
`instansiIndukId`/`Nama`, `unorId`/`Nama`, `jabatanId`/`Nama`, `jenisJabatan` (Struktural,
Fungsional, Pelaksana), `jenjangJabatan`, `kelasJabatan`, `atasanLangsungNip` (the pejabat
penilai), `tugasTambahan` ("Kepala Sekolah" for a principal), `updatedAt`.
Unit tree (ref-unor): `Id`, `DiatasanId`, `NamaUnor`, `NamaJabatan` (the head's position),
`InstansiId`, `JenisUnor` (Unit, Sekolah). Agencies: `Id`, `Nama`, `Jenis` (Pusat, Daerah).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.identifiers import InvalidIdentifier, parse_nip

KEPALA_SEKOLAH = "Kepala Sekolah"
ACTIVE = "Aktif"
# Roles e-Kinerja gives (admins) are not the registry's: a sync keeps them. The one the registry
# does know is a principal's additional task.
REGISTRY_ROLES = ("kepala_sekolah",)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def agency_row(doc: dict[str, Any]) -> dict[str, Any]:
    kind = (_text(doc.get("Jenis")) or "").lower()
    return {"id": _text(doc.get("Id")), "name": _text(doc.get("Nama")), "kind": kind or None}


def unit_row(doc: dict[str, Any]) -> dict[str, Any]:
    kind = "sekolah" if (_text(doc.get("JenisUnor")) or "").lower() == "sekolah" else "unit"
    return {"id": _text(doc.get("Id")), "agency_id": _text(doc.get("InstansiId")),
            "parent_id": _text(doc.get("DiatasanId")), "name": _text(doc.get("NamaUnor")), "kind": kind}


def position_row(doc: dict[str, Any]) -> dict[str, Any] | None:
    if not _text(doc.get("jabatanId")):
        return None
    kelas = doc.get("kelasJabatan")
    return {"id": _text(doc.get("jabatanId")), "agency_id": _text(doc.get("instansiIndukId")),
            "name": _text(doc.get("jabatanNama")), "kind": (_text(doc.get("jenisJabatan")) or "").lower() or None,
            "jenjang": _text(doc.get("jenjangJabatan")),
            "kelas_jabatan": None if kelas in (None, "") else str(kelas)}


def employee_row(doc: dict[str, Any], current_roles: Iterable[str] = ()) -> dict[str, Any]:
    """The import row of a data-utama record; `current_roles` are the roles e-Kinerja already
    gave this employee (kept, except the ones the registry decides)."""
    roles = {r for r in current_roles if r not in REGISTRY_ROLES}
    if (_text(doc.get("tugasTambahan")) or "").lower() == KEPALA_SEKOLAH.lower():
        roles.add("kepala_sekolah")
    status = _text(doc.get("statusPegawai"))
    employment_type = "PNS" if status in ("PNS", "CPNS") else status
    kedudukan = (_text(doc.get("kedudukanPnsNama")) or "").lower()
    return {
        "nip": _text(doc.get("nipBaru")), "nik": _text(doc.get("nik")), "name": _text(doc.get("nama")),
        "email": _text(doc.get("email")), "employment_type": employment_type,
        "status": "active" if kedudukan == ACTIVE.lower() else "inactive",
        "golongan": _text(doc.get("golRuangAkhir")), "agency_id": _text(doc.get("instansiIndukId")),
        "unit_id": _text(doc.get("unorId")), "position_id": _text(doc.get("jabatanId")),
        "supervisor_nip": _text(doc.get("atasanLangsungNip")), "roles": sorted(roles),
    }


# --- the other way: what a registry holding e-Kinerja's data would serve (the simulator) ---------

def to_agency(row: dict[str, Any]) -> dict[str, Any]:
    return {"Id": row["id"], "Nama": row["name"], "Jenis": row["kind"].capitalize()}


def to_unit(row: dict[str, Any], head_position: str | None) -> dict[str, Any]:
    return {"Id": row["id"], "DiatasanId": row.get("parent_id"), "NamaUnor": row["name"],
            "NamaJabatan": head_position or f"Kepala {row['name']}", "InstansiId": row["agency_id"],
            "JenisUnor": "Sekolah" if row.get("kind") == "sekolah" else "Unit"}


def to_data_utama(row: dict[str, Any], agencies: dict[str, dict], units: dict[str, dict],
                  positions: dict[str, dict], updated_at: str) -> dict[str, Any]:
    birth: str | None
    gender: str | None
    try:
        nip = parse_nip(row["nip"])
        birth, gender = nip.birth_date.strftime("%d-%m-%Y"), "M" if nip.gender == "L" else "F"
    except InvalidIdentifier:
        birth = gender = None
    position = positions.get(row.get("position_id") or "") or {}
    unit = units.get(row.get("unit_id") or "") or {}
    return {
        "id": f"A8ACA7{row['nip']}",
        "nipBaru": row["nip"],
        "nama": row["name"],
        "nik": row["nik"],
        "email": row["email"],
        "tglLahir": birth,
        "jenisKelamin": gender,
        "statusPegawai": row["employment_type"],
        "kedudukanPnsNama": ACTIVE if row.get("status", "active") == "active" else "Tidak Aktif",
        "golRuangAkhir": row["golongan"],
        "instansiIndukId": row["agency_id"],
        "instansiIndukNama": (agencies.get(row["agency_id"]) or {}).get("name"),
        "unorId": row.get("unit_id"),
        "unorNama": unit.get("name"),
        "jabatanId": row.get("position_id"),
        "jabatanNama": position.get("name"),
        "jenisJabatan": (position.get("kind") or "").capitalize() or None,
        "jenjangJabatan": position.get("jenjang"),
        "kelasJabatan": position.get("kelas_jabatan"),
        "atasanLangsungNip": row.get("supervisor_nip"),
        "tugasTambahan": KEPALA_SEKOLAH if "kepala_sekolah" in (row.get("roles") or ()) else None,
        "updatedAt": updated_at,
    }
