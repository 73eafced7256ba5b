"""Ratings and the predikat quadrant."""

from __future__ import annotations

from enum import StrEnum

from ekinerja_kernel.errors import FieldError, validation_error


class Rating(StrEnum):
    DI_ATAS = "di_atas_ekspektasi"
    SESUAI = "sesuai_ekspektasi"
    DI_BAWAH = "di_bawah_ekspektasi"


class Predikat(StrEnum):
    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"  # also called "Cukup"
    KURANG = "kurang"  # Kurang / Misconduct
    SANGAT_KURANG = "sangat_kurang"


# Best first: Sangat Baik > Baik > Butuh Perbaikan > Kurang/Misconduct > Sangat Kurang.
ORDER = (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG)

LABELS = {
    Predikat.SANGAT_BAIK: "Sangat Baik", Predikat.BAIK: "Baik", Predikat.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    Predikat.KURANG: "Kurang/Misconduct", Predikat.SANGAT_KURANG: "Sangat Kurang",
}

# (rating hasil kerja, rating perilaku kerja) -> predikat
QUADRANT = {
    (Rating.DI_ATAS, Rating.DI_BAWAH): Predikat.KURANG,
    (Rating.DI_ATAS, Rating.SESUAI): Predikat.BAIK,
    (Rating.DI_ATAS, Rating.DI_ATAS): Predikat.SANGAT_BAIK,
    (Rating.SESUAI, Rating.DI_BAWAH): Predikat.KURANG,
    (Rating.SESUAI, Rating.SESUAI): Predikat.BAIK,
    (Rating.SESUAI, Rating.DI_ATAS): Predikat.BAIK,
    (Rating.DI_BAWAH, Rating.DI_BAWAH): Predikat.SANGAT_KURANG,
    (Rating.DI_BAWAH, Rating.SESUAI): Predikat.BUTUH_PERBAIKAN,
    (Rating.DI_BAWAH, Rating.DI_ATAS): Predikat.BUTUH_PERBAIKAN,
}


def rating(value: str, field: str) -> Rating:
    try:
        return Rating(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Rating)
        raise validation_error([FieldError(field, "one-of", f"{field} must be one of: {allowed}.",
                                           f"{field} harus salah satu dari: {allowed}.")]) from None


def predikat(hasil_kerja: Rating, perilaku: Rating) -> Predikat:
    return QUADRANT[(hasil_kerja, perilaku)]


def at_least(value: Predikat, floor: Predikat) -> bool:
    return ORDER.index(value) <= ORDER.index(floor)
