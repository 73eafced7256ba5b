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

# The API's values, in the order a form offers them.
RATING = {"di_atas_ekspektasi": _l("Di Atas Ekspektasi"), "sesuai_ekspektasi": _l("Sesuai Ekspektasi"),
          "di_bawah_ekspektasi": _l("Di Bawah Ekspektasi")}

PREDIKAT = {"sangat_baik": _l("Sangat Baik"), "baik": _l("Baik"), "butuh_perbaikan": _l("Butuh Perbaikan"),
            "kurang": _l("Kurang/Misconduct"), "sangat_kurang": _l("Sangat Kurang")}

APPROACH = {"kuantitatif": _l("Kuantitatif"), "kualitatif": _l("Kualitatif")}

RHK_KIND = {"utama": _l("Utama"), "tambahan": _l("Tambahan")}

EVALUATION_STATE = {"draft": _l("Realisasi diisi, menunggu penilaian"), "dinilai": _l("Dinilai"),
                    "final": _l("Final")}

PERIOD_KIND = {"annual": _l("Tahunan"), "quarterly": _l("Triwulan"), "monthly": _l("Bulan")}

ENDS_POSITION = {"moved": _l("Pindah jabatan"), "promoted": _l("Naik jenjang jabatan"),
                 "left": _l("Berhenti dari jabatan")}

# What an SKP's history records (the API's action codes).
HISTORY = {"create": _l("Dibuat"), "edit": _l("Diubah"), "submit": _l("Diajukan"), "approve": _l("Disetujui"),
           "return": _l("Dikembalikan"), "revise": _l("Revisi dibuat"), "publish": _l("Diterbitkan"),
           "ekspektasi": _l("Ekspektasi khusus ditulis"), "accept-proposal": _l("Usulan RHK diterima"),
           "relink": _l("Intervensi dipindahkan")}

PROPOSAL_STATE = {"diusulkan": _l("Diusulkan"), "diterima": _l("Diterima"), "ditolak": _l("Ditolak")}


def status_label(code: str | None) -> str:
    return str(STATUS.get(code or "", code or ""))


def absence_label(code: str | None) -> str:
    return str(ABSENCE.get(code or "", code or ""))


def label(table: dict[str, object], code: str | None) -> str:
    """The words for an API code, or the code itself when this version does not know it yet."""
    return str(table.get(code or "", code or ""))
