"""Words for the API's codes, as the national system says them (Indonesian source, English catalogue)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS = {
    "belum_diisi": _l("Belum diisi"),
    "draft": _l("Draf"),
    "diajukan": _l("Diajukan"),
    "disetujui": _l("Disetujui"),
    "dikembalikan": _l("Dikembalikan"),
    "justified": _l("Izin/cuti"),
    "libur": _l("Libur"),
    "pending": _l("Sedang diproses"),
    "diterima": _l("Tersimpan"),
    "ditolak": _l("Ditolak"),
    "diganti": _l("Diganti pengajuan lain"),
    "gagal": _l("Gagal diproses"),
    "belum_dibuat": _l("Belum dibuat"),
}

ABSENCE = {"cuti": _l("Cuti"), "sakit": _l("Sakit"), "dinas_luar": _l("Dinas luar")}

ASPEK = {"kuantitas": _l("Kuantitas"), "kualitas": _l("Kualitas"), "waktu": _l("Waktu"), "biaya": _l("Biaya")}

RATING = {"di_atas": _l("Di Atas Ekspektasi"), "sesuai": _l("Sesuai Ekspektasi"),
          "di_bawah": _l("Di Bawah Ekspektasi")}


def status_label(code: str | None) -> str:
    return str(STATUS.get(code or "", code or ""))


def absence_label(code: str | None) -> str:
    return str(ABSENCE.get(code or "", code or ""))
