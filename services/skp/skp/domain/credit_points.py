"""Angka kredit for functional positions (PermenPANRB 1/2023, PerBKN 3/2023):
AK = months/12 × predikat% × annual coefficient, rounded to 2 decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .predikat import Predikat

PREDIKAT_PERCENT = {
    Predikat.SANGAT_BAIK: Decimal(150), Predikat.BAIK: Decimal(100), Predikat.BUTUH_PERBAIKAN: Decimal(75),
    Predikat.KURANG: Decimal(50), Predikat.SANGAT_KURANG: Decimal(25),
}

# Annual coefficient by jenjang: expert track [firm], skill track [likely].
COEFFICIENTS = {
    "Ahli Pertama": Decimal("12.5"), "Ahli Muda": Decimal(25), "Ahli Madya": Decimal("37.5"),
    "Ahli Utama": Decimal(50),
    "Pemula": Decimal("3.75"), "Terampil": Decimal(5), "Mahir": Decimal("12.5"), "Penyelia": Decimal(25),
}


def credit_points(months: int, value: Predikat, jenjang: str) -> Decimal | None:
    """None when the jenjang earns no credit points (not a functional position)."""
    coefficient = COEFFICIENTS.get(jenjang)
    if coefficient is None:
        return None
    if not 1 <= months <= 12:
        raise ValueError("months must be 1..12")
    # Multiply first, divide once: months/12 alone would be cut at 28 digits and turn an exact
    # half (e.g. 0.625) into 0.6249… before rounding.
    raw = Decimal(months) * PREDIKAT_PERCENT[value] * coefficient / Decimal(1200)
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
