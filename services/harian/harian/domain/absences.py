"""The rules of a justified absence an agency admin records (cuti, sakit, dinas luar), corrects or
withdraws: sensible dates and a longest length per kind, every broken rule named at once.

- `start` is a real date no more than MAX_DAYS_BACK days before today (a correction of a month long
  paid is a matter for the payroll office, not a justification) and no more than MAX_DAYS_AHEAD
  days after it; `end` (default: `start`) is not before `start`.
- The absence lasts at most its kind's longest length in calendar days: by default cuti 92 (the
  longest leaves, cuti besar and cuti melahirkan, are three months; annual leave is 12 working
  days), sakit 548 (sick leave of a year, extended by six months), dinas luar 92. An agency may set
  its own (`absence_max_days` in its settings), from 1 to MAX_LENGTH_LIMIT.
- A note is at most MAX_NOTE characters; a correction or a withdrawal needs a reason (the audit
  says who changed what and why), at least MIN_REASON and at most MAX_NOTE characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harian_contract.entry import read_date

from ekinerja_kernel.errors import FieldError, validation_error

from .workdays import ABSENCE_LABELS, AbsenceKind

DEFAULT_MAX_DAYS: Mapping[AbsenceKind, int] = {AbsenceKind.CUTI: 92, AbsenceKind.SAKIT: 548,
                                               AbsenceKind.DINAS_LUAR: 92}
MAX_LENGTH_LIMIT = 1096  # three years: no justified absence of a serving employee is longer
MAX_DAYS_BACK = 366
MAX_DAYS_AHEAD = 366
MAX_NOTE = 500
MIN_REASON = 5


@dataclass(frozen=True)
class AbsenceInput:
    kind: AbsenceKind
    start: dt.date
    end: dt.date
    note: str | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_max_days(raw: Any, field: str = "absence_max_days") -> tuple[dict[AbsenceKind, int], list[FieldError]]:
    """An agency's longest lengths ({kind: days}, each optional) over the defaults."""
    result = dict(DEFAULT_MAX_DAYS)
    if raw is None:
        return result, []
    if not isinstance(raw, dict):
        return result, [FieldError(field, "object", f"{field} must map absence kinds to days.",
                                   f"{field} harus memetakan jenis ketidakhadiran ke jumlah hari.")]
    errors: list[FieldError] = []
    allowed = ", ".join(k.value for k in AbsenceKind)
    for key, value in raw.items():
        try:
            kind = AbsenceKind(key)
        except ValueError:
            errors.append(FieldError(f"{field}.{key}", "one-of", f"The absence kind must be one of: {allowed}.",
                                     f"Jenis ketidakhadiran harus salah satu dari: {allowed}."))
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LENGTH_LIMIT:
            errors.append(FieldError(f"{field}.{key}", "range",
                                     f"The longest {key} is a whole number of days from 1 to {MAX_LENGTH_LIMIT}.",
                                     f"Lama paling panjang {key} harus bilangan bulat hari dari 1 sampai "
                                     f"{MAX_LENGTH_LIMIT}."))
            continue
        result[kind] = value
    return result, errors


def _text(value: Any, field: str, required: bool, errors: list[FieldError], minimum: int = 1) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(FieldError(field, "required", f"{field} is required: say why.",
                                     f"{field} wajib diisi: tuliskan alasannya."))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(field, "text", f"{field} must be text.", f"{field} harus berupa teks."))
        return None
    text = value.strip()
    if len(text) > MAX_NOTE or len(text) < minimum:
        errors.append(FieldError(field, "length", f"{field} is {minimum} to {MAX_NOTE} characters.",
                                 f"{field} panjangnya {minimum} sampai {MAX_NOTE} karakter."))
        return None
    return text


def parse_absence(raw: Mapping[str, Any], today: dt.date,
                  max_days: Mapping[AbsenceKind, int] = DEFAULT_MAX_DAYS) -> AbsenceInput:
    """An absence from {kind, start, end, note} on `today`, or one 422 problem naming every broken rule."""
    errors: list[FieldError] = []
    allowed = ", ".join(k.value for k in AbsenceKind)
    try:
        kind: AbsenceKind | None = AbsenceKind(raw.get("kind"))  # type: ignore[arg-type]  # Enum(None) raises the ValueError handled below
    except ValueError:
        kind = None
        errors.append(FieldError("kind", "one-of", f"kind must be one of: {allowed}.",
                                 f"kind harus salah satu dari: {allowed}."))
    start, start_errors = read_date(raw.get("start"), "start")
    errors += start_errors
    end_raw = raw.get("end")
    end, end_errors = (start, []) if end_raw is None or end_raw == "" else read_date(end_raw, "end")
    errors += end_errors
    note = _text(raw.get("note"), "note", False, errors)
    if start is not None:
        if start < today - dt.timedelta(days=MAX_DAYS_BACK):
            errors.append(FieldError("start", "too-far-back",
                                     f"An absence starting {start} is more than {MAX_DAYS_BACK} days before today "
                                     f"({today}): its months are long settled.",
                                     f"Ketidakhadiran yang dimulai {start} lebih dari {MAX_DAYS_BACK} hari sebelum "
                                     f"hari ini ({today}): bulan-bulannya sudah lama diselesaikan."))
        elif start > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            errors.append(FieldError("start", "too-far-ahead",
                                     f"An absence starting {start} is more than {MAX_DAYS_AHEAD} days after today "
                                     f"({today}).",
                                     f"Ketidakhadiran yang dimulai {start} lebih dari {MAX_DAYS_AHEAD} hari "
                                     f"setelah hari ini ({today})."))
    if start is not None and end is not None:
        if end < start:
            errors.append(FieldError("end", "not-before-start",
                                     f"The absence ends ({end}) before it starts ({start}).",
                                     f"Ketidakhadiran berakhir ({end}) sebelum dimulai ({start})."))
        elif kind is not None and (end - start).days + 1 > max_days[kind]:
            longest = max_days[kind]
            name_en, name_id = ABSENCE_LABELS[kind]
            length = (end - start).days + 1
            errors.append(FieldError("end", "max-length",
                                     f"A {name_en} absence lasts at most {longest} calendar days; {start} to {end} "
                                     f"is {length}.",
                                     f"Ketidakhadiran {name_id} paling lama {longest} hari kalender; {start} sampai "
                                     f"{end} adalah {length} hari."))
    if errors:
        raise validation_error(errors, detail="The absence breaks one or more rules.",
                               detail_id="Ketidakhadiran melanggar satu atau lebih aturan.")
    assert kind is not None and start is not None and end is not None
    return AbsenceInput(kind, start, end, note)


def parse_reason(value: Any) -> str:
    """The reason of a correction or withdrawal, or a 422 problem on field `reason`."""
    errors: list[FieldError] = []
    reason = _text(value, "reason", True, errors, MIN_REASON)
    if errors:
        raise validation_error(errors)
    assert reason is not None
    return reason
