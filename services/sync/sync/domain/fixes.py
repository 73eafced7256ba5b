"""Who fixes each error of a registry sync run (a record refused, the registry failing), so a
`partial` or `failed` result names, per error, who acts and how, in both languages: the words of
the diagnosis's fixers (domain/diagnosis.py FIXERS)."""

from __future__ import annotations

from typing import Any

from .diagnosis import ADMIN_INSTANSI, EMPLOYEE, FIXERS, SUPERVISOR

# Fields whose value is the employee's own data in SIASN/MyASN (they check it, the admin corrects
# it); the others are the agency's structure (units, positions, the agency), the admin's alone.
PERSONAL = ("nip", "nik", "name", "email", "employment_type", "golongan", "status", "roles")
NOBODY = ("nobody needs to act: try again in a few minutes (nothing was changed, nothing is lost)",
          "tidak ada yang perlu bertindak: coba lagi beberapa menit lagi (tidak ada yang berubah atau hilang)")
OPERATOR = ("the system administrator (the registry connection, SYNC_REGISTRY_* settings)",
            "administrator sistem (koneksi registri, pengaturan SYNC_REGISTRY_*)")


def _fixed_by(fixers: tuple[str, ...], how: tuple[str, str] | None = None) -> dict[str, Any]:
    en, id_ = how or ("; ".join(FIXERS[f][0] for f in fixers), "; ".join(FIXERS[f][1] for f in fixers))
    return {"fixers": list(fixers), "fixed_by": en, "fixed_by_id": id_}


def supervisor_not_synced(supervisor_nip: str) -> dict[str, Any]:
    """A registry record whose supervisor is not in e-Kinerja yet: the rule, the words, who acts."""
    who = f"NIP {supervisor_nip}" if supervisor_nip else "-"
    return {
        "rule": "supervisor-not-synced", "supervisor_nip": supervisor_nip or None,
        "detail": f"The supervisor in the registry ({who}) is not in e-Kinerja yet: they sync their own data "
                  f"first (Sinkronisasi ASN), or the agency admin pulls {who} from the registry or syncs the "
                  "whole agency. Then sync again.",
        "detail_id": f"Atasan di registri ({who}) belum ada di e-Kinerja: atasan melakukan Sinkronisasi ASN "
                     f"terlebih dahulu, atau admin instansi menarik {who} dari registri atau menyinkronkan "
                     "seluruh instansi. Lalu sinkronkan lagi.",
        **_fixed_by((SUPERVISOR, ADMIN_INSTANSI), (
            f"the supervisor ({who}), with Sinkronisasi ASN of their own data; or the agency admin (BKD/BKPSDM), "
            f"who syncs {who} or the whole agency",
            f"atasan ({who}), dengan Sinkronisasi ASN datanya sendiri; atau admin instansi (BKD/BKPSDM), yang "
            f"menyinkronkan {who} atau seluruh instansi")),
    }


def for_row_error(error: dict[str, Any]) -> dict[str, Any]:
    """Who fixes a refused record's field (kept when the error already names them)."""
    if error.get("fixers"):
        return {}
    if error.get("field") in PERSONAL:
        return _fixed_by((EMPLOYEE, ADMIN_INSTANSI), (
            "the employee checks it in MyASN (Edit Profile); the agency admin (BKD/BKPSDM) corrects it in SIASN",
            "pegawai memeriksanya di MyASN (Edit Profil); admin instansi (BKD/BKPSDM) membetulkannya di SIASN"))
    return _fixed_by((ADMIN_INSTANSI,), (
        "the agency admin (BKD/BKPSDM), in SIASN (the agency's units and positions)",
        "admin instansi (BKD/BKPSDM), di SIASN (unit organisasi dan jabatan instansi)"))


def for_run_error(rule: str) -> dict[str, Any]:
    """Who acts on an error of the run itself (the registry, not a record)."""
    if rule == "registry-unavailable":
        return {"fixers": [], "fixed_by": NOBODY[0], "fixed_by_id": NOBODY[1]}
    if rule in ("not-in-registry", "not-your-agency"):
        return _fixed_by((ADMIN_INSTANSI,), (
            "the agency admin (BKD/BKPSDM): checks the NIP and registers it in SIASN",
            "admin instansi (BKD/BKPSDM): memeriksa NIP dan mendaftarkannya di SIASN"))
    return {"fixers": [], "fixed_by": OPERATOR[0], "fixed_by_id": OPERATOR[1]}


EMPTIED_WORDS = {"unit_id": ("unit (unor)", "unit organisasi (unor)"), "position_id": ("position (jabatan)", "jabatan"),
                 "supervisor_nip": ("supervisor", "atasan")}


def emptied(field: str, before: str) -> dict[str, Any]:
    """A stored unit, position or supervisor the latest record no longer gives (a warning: the
    record is applied, and the employee's SKP waits until it is recorded again)."""
    en, id_ = EMPTIED_WORDS[field]
    return {"field": field, "rule": "emptied", "before": before,
            "detail": f"The record no longer gives a {en} (it was {before}): planning, submitting and approving "
                      "the SKP wait until it is recorded again.",
            "detail_id": f"Data tidak lagi mencantumkan {id_} (sebelumnya {before}): pembuatan, pengajuan, dan "
                         "persetujuan SKP menunggu sampai dicatat kembali.",
            **_fixed_by((ADMIN_INSTANSI,), ("the agency admin (BKD/BKPSDM), in SIASN (peremajaan data)",
                                            "admin instansi (BKD/BKPSDM), di SIASN (peremajaan data)"))}
