"""NIP (PNS and PPPK) and NIK structure, per docs/domain.md "Identifiers".

PNS NIP:  YYYYMMDD birth · YYYYMM start as CPNS · gender 1/2 · NNN sequence.
PPPK NI:  YYYYMMDD birth · YYYY appointment year · 2 · contract count · gender 1/2 · NNN.
          Digits 13–14 are then "2x", never a month, which tells PNS and PPPK apart.
NIK:      6 region digits · DDMMYY birth (DD+40 for women) · 4-digit sequence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.identifiers import is_nik, is_nip

PNS, PPPK = "PNS", "PPPK"
MALE, FEMALE = "L", "P"  # laki-laki / perempuan


@dataclass(frozen=True)
class Nip:
    value: str
    kind: str  # PNS or PPPK
    birth_date: dt.date
    gender: str  # L or P
    start_year: int
    start_month: int | None  # PNS only: month of appointment as CPNS


@dataclass(frozen=True)
class Nik:
    value: str
    region: str
    birth_date: dt.date
    gender: str


class InvalidIdentifier(ValueError):
    def __init__(self, rule: str, detail: str, detail_id: str) -> None:
        super().__init__(detail)
        self.rule, self.detail, self.detail_id = rule, detail, detail_id

    def field_error(self, field: str) -> FieldError:
        return FieldError(field, self.rule, self.detail, self.detail_id)


def _date(year: int, month: int, day: int, what: str, what_id: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise InvalidIdentifier("date", f"The {what} in it is not a real date.",
                                f"{what_id} di dalamnya bukan tanggal yang valid.") from None


def _gender(digit: str) -> str:
    if digit == "1":
        return MALE
    if digit == "2":
        return FEMALE
    raise InvalidIdentifier("gender-digit", "The gender digit must be 1 or 2.",
                            "Digit jenis kelamin harus 1 atau 2.")


def parse_nip(value: str, today: dt.date | None = None) -> Nip:
    """Parse an 18-digit NIP or NI PPPK; raises InvalidIdentifier naming the broken rule."""
    if not is_nip(value):
        raise InvalidIdentifier("nip-18-digits", "A NIP is exactly 18 digits.",
                                "NIP harus terdiri dari tepat 18 digit angka.")
    birth = _date(int(value[0:4]), int(value[4:6]), int(value[6:8]),
                  "birth date (digits 1–8)", "Tanggal lahir (digit 1–8)")
    start_year = int(value[8:12])
    if value[12] == "2":  # PPPK: "2" then the contract count where a PNS has the month
        kind, start_month, gender_digit = PPPK, None, value[14]
    else:
        kind, gender_digit = PNS, value[14]
        start_month = int(value[12:14])
        _date(start_year, start_month, 1, "start date (digits 9–14)", "TMT CPNS (digit 9–14)")
    if not (birth.year < start_year):
        raise InvalidIdentifier("start-after-birth", "The start year must come after the birth year.",
                                "Tahun pengangkatan harus setelah tahun lahir.")
    today = today or dt.date.today()
    if birth > today or start_year > today.year:  # real dates, but no NIP can have been issued yet
        raise InvalidIdentifier("not-in-future", "The birth date or start year in it lies in the future.",
                                "Tanggal lahir atau tahun pengangkatan di dalamnya berada di masa depan.")
    return Nip(value, kind, birth, _gender(gender_digit), start_year, start_month)


def parse_nik(value: str, today: dt.date | None = None) -> Nik:
    if not is_nik(value):
        raise InvalidIdentifier("nik-16-digits", "A NIK is exactly 16 digits.",
                                "NIK harus terdiri dari tepat 16 digit angka.")
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    gender = MALE
    if day > 40:
        gender, day = FEMALE, day - 40
    today = today or dt.date.today()
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    birth = _date(year, month, day, "birth date (digits 7–12)", "Tanggal lahir (digit 7–12)")
    return Nik(value, value[:6], birth, gender)


def nik_nip_mismatches(nik: Nik, nip: Nip) -> list[FieldError]:
    """Disagreements between NIK and NIP: flagged for the admin, never a reason to reject."""
    flags = []
    if (nik.birth_date.day, nik.birth_date.month, nik.birth_date.year % 100) != \
            (nip.birth_date.day, nip.birth_date.month, nip.birth_date.year % 100):
        flags.append(FieldError("nik", "nik-nip-birth-date",
                                "The birth date in the NIK differs from the one in the NIP.",
                                "Tanggal lahir pada NIK berbeda dengan yang pada NIP."))
    if nik.gender != nip.gender:
        flags.append(FieldError("nik", "nik-nip-gender",
                                "The gender in the NIK differs from the one in the NIP.",
                                "Jenis kelamin pada NIK berbeda dengan yang pada NIP."))
    return flags


def require_nip(value: str) -> Nip:
    """For request paths: a malformed NIP is a 422 problem naming the rule."""
    try:
        return parse_nip(value)
    except InvalidIdentifier as exc:
        raise validation_error([exc.field_error("nip")], detail=f"Invalid NIP: {exc.detail}",
                               detail_id=f"NIP tidak valid: {exc.detail_id}") from None


__all__ = ["Nip", "Nik", "InvalidIdentifier", "parse_nip", "parse_nik", "nik_nip_mismatches",
           "require_nip", "PNS", "PPPK"]
