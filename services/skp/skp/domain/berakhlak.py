"""Perilaku kerja: the 7 BerAKHLAK core values, each with its 3 behaviour guidelines."""

from __future__ import annotations

from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

VALUES: dict[str, tuple[str, tuple[str, str, str]]] = {
    "berorientasi_pelayanan": ("Berorientasi Pelayanan", (
        "Memahami dan memenuhi kebutuhan masyarakat",
        "Ramah, cekatan, solutif, dan dapat diandalkan",
        "Melakukan perbaikan tiada henti")),
    "akuntabel": ("Akuntabel", (
        "Melaksanakan tugas dengan jujur, bertanggung jawab, cermat, disiplin, dan berintegritas tinggi",
        "Menggunakan kekayaan dan barang milik negara secara bertanggung jawab, efektif, dan efisien",
        "Tidak menyalahgunakan kewenangan jabatan")),
    "kompeten": ("Kompeten", (
        "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu berubah",
        "Membantu orang lain belajar",
        "Melaksanakan tugas dengan kualitas terbaik")),
    "harmonis": ("Harmonis", (
        "Menghargai setiap orang apa pun latar belakangnya",
        "Suka menolong orang lain",
        "Membangun lingkungan kerja yang kondusif")),
    "loyal": ("Loyal", (
        "Memegang teguh ideologi Pancasila, UUD 1945, setia kepada NKRI serta pemerintahan yang sah",
        "Menjaga nama baik sesama ASN, pimpinan, instansi, dan negara",
        "Menjaga rahasia jabatan dan negara")),
    "adaptif": ("Adaptif", (
        "Cepat menyesuaikan diri menghadapi perubahan",
        "Terus berinovasi dan mengembangkan kreativitas",
        "Bertindak proaktif")),
    "kolaboratif": ("Kolaboratif", (
        "Memberi kesempatan kepada berbagai pihak untuk berkontribusi",
        "Terbuka dalam bekerja sama untuk menghasilkan nilai tambah",
        "Menggerakkan pemanfaatan berbagai sumber daya untuk tujuan bersama")),
}


def perilaku_sheet(special_expectations: dict[str, str] | None = None) -> list[dict]:
    """The behaviour part of an SKP, with the supervisor's optional special expectation per value."""
    special = special_expectations or {}
    return [{"key": key, "name": name, "guidelines": list(guidelines),
             "ekspektasi_khusus": special.get(key) or None}
            for key, (name, guidelines) in VALUES.items()]


EKSPEKTASI_MAX = 1000


def parse_ekspektasi(raw: Any) -> dict[str, str]:
    """The penilai's special expectations by value key (a blank text clears one), or one 422 naming
    each unknown key and each text that is not one or is too long."""
    if not isinstance(raw, dict):
        raise validation_error([FieldError("ekspektasi_khusus", "object",
                                           "ekspektasi_khusus is an object of texts by BerAKHLAK value key.",
                                           "ekspektasi_khusus berupa objek berisi teks per kunci nilai BerAKHLAK.")])
    errors: list[FieldError] = []
    result: dict[str, str] = {}
    keys = ", ".join(VALUES)
    for key, text in raw.items():
        path = f"ekspektasi_khusus.{key}"
        if key not in VALUES:
            errors.append(FieldError(path, "berakhlak-value", f"Not a BerAKHLAK value: use one of {keys}.",
                                     f"Bukan nilai BerAKHLAK: gunakan salah satu dari {keys}."))
        elif text is not None and not isinstance(text, str):
            errors.append(FieldError(path, "text", "An ekspektasi khusus is a text.",
                                     "Ekspektasi khusus berupa teks."))
        elif text and len(text.strip()) > EKSPEKTASI_MAX:
            errors.append(FieldError(path, "max-length", f"At most {EKSPEKTASI_MAX} characters.",
                                     f"Paling banyak {EKSPEKTASI_MAX} karakter."))
        elif text and text.strip():
            result[key] = text.strip()
    if errors:
        raise validation_error(errors, detail="The ekspektasi khusus break one or more rules.",
                               detail_id="Ekspektasi khusus melanggar satu atau lebih aturan.")
    return result
