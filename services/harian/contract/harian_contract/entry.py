"""A daily progress entry: the activities an employee completed on one working day, each linked to
an RHK of their approved SKP (DOMAIN.md "Daily progress"), and the rules of its fields.

An activity has
- ``description``: required, not blank, at most 2000 characters;
- ``rhk_id``: required text; when the caller gives the RHK of the employee's approved SKP, one of them;
- ``quantity``: the output, a positive number (``"1,5"`` is read as 1.5) up to 10^12, with
- ``satuan``: its unit (dokumen, laporan, kegiatan...), required text;
- ``quality``: a percentage from 0 to 100;
- ``evidence_url``: the evidence link (bukti dukung), an http or https URL with a host;
- ``minutes``: optional time spent, a whole number from 1 to 1440; the day's total is at most 1440.
A day has 1 to 50 activities and a date written YYYY-MM-DD that is not after today.

Parsing collects every broken rule (fields named like ``activities[1].quantity``) into one 422
problem. Whether the date is open for writing (working day, back-fill window) needs the agency's
calendar: that is harian's ``backfill.check_entry_date``, which words its future-day refusal with
`future_day` below.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from ekinerja_kernel.errors import FieldError, validation_error

MAX_DESCRIPTION = 2000
MAX_RHK_ID = 100
MAX_SATUAN = 100
MAX_URL = 2048
MAX_ACTIVITIES = 50
MIN_MINUTES = 1
MAX_MINUTES = 1440  # a day
MAX_QUALITY = Decimal(100)
# Quantities and qualities are stored as text of at most 32 and 16 characters: these bounds keep
# every accepted number within them (and within what an output count or a percentage can mean).
MAX_QUANTITY = Decimal(1_000_000_000)
QUANTITY_DECIMALS = 4
QUALITY_DECIMALS = 2
URL_SCHEMES = ("http", "https")

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WHOLE = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class Activity:
    rhk_id: str
    description: str
    quantity: Decimal
    satuan: str
    quality: Decimal
    evidence_url: str
    minutes: int | None = None


@dataclass(frozen=True)
class DailyEntry:
    date: dt.date
    activities: tuple[Activity, ...]

    @property
    def minutes(self) -> int:
        return sum(a.minutes or 0 for a in self.activities)


def _err(path: str, rule: str, en: str, id_: str) -> FieldError:
    return FieldError(path, rule, en, id_)


def number(value: Any) -> Decimal | None:
    """A finite number from an int, a float, a Decimal or a numeric string (comma or point as the
    decimal mark); None for anything else, booleans included."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if not value:
            return None
    elif not isinstance(value, int | float | Decimal):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def decimals(value: Decimal) -> int:
    """How many digits a finite Decimal has after the decimal point (0 for 1E+3)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def read_date(value: Any, field: str) -> tuple[dt.date | None, list[FieldError]]:
    """A calendar date given as a date or an ISO string YYYY-MM-DD, or the error naming `field`."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value, []
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, [FieldError(field, "required", f"{field} is required (a date, YYYY-MM-DD).",
                                 f"{field} wajib diisi (tanggal, YYYY-MM-DD).")]
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()), []
        except ValueError:
            pass
    return None, [FieldError(field, "date", f"{field} must be a real date written YYYY-MM-DD.",
                             f"{field} harus tanggal yang benar dengan format YYYY-MM-DD.")]


def future_day(day: dt.date, today: dt.date, field: str = "date", also_en: str = "",
               also_id: str = "") -> FieldError | None:
    """The refusal of a day after `today` (progress is recorded for work already done), or None.
    `also_en`/`also_id`: a sentence added to the message (harian names the open dates)."""
    if day <= today:
        return None
    return FieldError(field, "future-day",
                      f"{day.isoformat()} is in the future: progress is recorded for work already done."
                      + (f" {also_en}" if also_en else ""),
                      f"{day.isoformat()} adalah tanggal yang belum tiba: progres harian diisi untuk "
                      "pekerjaan yang sudah dilakukan." + (f" {also_id}" if also_id else ""))


def _text(raw: dict[str, Any], key: str, path: str, what_en: str, what_id: str, limit: int,
          errors: list[FieldError]) -> str:
    value = raw.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.append(_err(f"{path}.{key}", "text", f"{what_en} must be text.", f"{what_id} harus berupa teks."))
    elif not text:
        errors.append(_err(f"{path}.{key}", "required", f"{what_en} is required and cannot be blank.",
                           f"{what_id} wajib diisi dan tidak boleh kosong."))
    elif len(text) > limit:
        errors.append(_err(f"{path}.{key}", "max-length",
                           f"{what_en} is at most {limit} characters (this one has {len(text)}).",
                           f"{what_id} paling banyak {limit} karakter (yang ini {len(text)})."))
    return text


def _is_http_url(value: str) -> bool:
    if any(c.isspace() or ord(c) < 32 for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  a malformed port raises here
    except ValueError:
        return False
    return parts.scheme.lower() in URL_SCHEMES and bool(host)


def parse_activity(raw: Any, index: int,
                   rhk_ids: Collection[str] | None = None) -> tuple[Activity | None, list[FieldError]]:
    """One activity, or the errors naming `activities[index].<field>`."""
    path = f"activities[{index}]"
    if not isinstance(raw, dict):
        return None, [_err(path, "object", "Each activity must be an object.",
                           "Setiap kegiatan harus berupa objek.")]
    errors: list[FieldError] = []
    description = _text(raw, "description", path, "The description", "Uraian kegiatan", MAX_DESCRIPTION, errors)
    rhk_id = _text(raw, "rhk_id", path, "The RHK (rhk_id)", "RHK (rhk_id)", MAX_RHK_ID, errors)
    if rhk_id and rhk_ids is not None and rhk_id not in rhk_ids and len(rhk_id) <= MAX_RHK_ID:
        errors.append(_err(f"{path}.rhk_id", "approved-skp-rhk",
                           "rhk_id is not an RHK of your approved SKP for this date.",
                           "rhk_id bukan RHK dari SKP Anda yang sudah disetujui untuk tanggal ini."))

    quantity = number(raw.get("quantity"))
    if raw.get("quantity") is None or (isinstance(raw.get("quantity"), str) and not raw["quantity"].strip()):
        errors.append(_err(f"{path}.quantity", "required", "The output quantity is required.",
                           "Kuantitas output wajib diisi."))
    elif quantity is None or quantity <= 0:
        errors.append(_err(f"{path}.quantity", "positive-number",
                           "The output quantity must be a number greater than 0.",
                           "Kuantitas output harus berupa angka lebih dari 0."))
    elif quantity > MAX_QUANTITY:
        errors.append(_err(f"{path}.quantity", "max", f"The output quantity is at most {MAX_QUANTITY:,}.",
                           f"Kuantitas output paling banyak {MAX_QUANTITY:,}."))
    elif decimals(quantity) > QUANTITY_DECIMALS:
        errors.append(_err(f"{path}.quantity", "decimals",
                           f"The output quantity has at most {QUANTITY_DECIMALS} decimals.",
                           f"Kuantitas output paling banyak {QUANTITY_DECIMALS} angka di belakang koma."))
    satuan = _text(raw, "satuan", path, "The unit of the output (satuan, e.g. dokumen)",
                   "Satuan output (mis. dokumen)", MAX_SATUAN, errors)

    quality = number(raw.get("quality"))
    if raw.get("quality") is None or (isinstance(raw.get("quality"), str) and not raw["quality"].strip()):
        errors.append(_err(f"{path}.quality", "required", "The quality (a percentage, 0 to 100) is required.",
                           "Kualitas (persentase 0 sampai 100) wajib diisi."))
    elif quality is None or not 0 <= quality <= MAX_QUALITY:
        errors.append(_err(f"{path}.quality", "percentage",
                           "The quality must be a percentage from 0 to 100.",
                           "Kualitas harus berupa persentase dari 0 sampai 100."))
    elif decimals(quality) > QUALITY_DECIMALS:
        errors.append(_err(f"{path}.quality", "decimals",
                           f"The quality has at most {QUALITY_DECIMALS} decimals.",
                           f"Kualitas paling banyak {QUALITY_DECIMALS} angka di belakang koma."))

    url_raw = raw.get("evidence_url")
    url = url_raw.strip() if isinstance(url_raw, str) else ""
    if not url:
        errors.append(_err(f"{path}.evidence_url", "required",
                           "The evidence link (bukti dukung) is required.",
                           "Tautan bukti dukung wajib diisi."))
    elif len(url) > MAX_URL:
        errors.append(_err(f"{path}.evidence_url", "max-length",
                           f"The evidence link is at most {MAX_URL} characters.",
                           f"Tautan bukti dukung paling banyak {MAX_URL} karakter."))
    elif not _is_http_url(url):
        errors.append(_err(f"{path}.evidence_url", "http-url",
                           "The evidence link must be a web address starting with http:// or https://.",
                           "Tautan bukti dukung harus alamat web yang diawali http:// atau https://."))

    minutes_raw = raw.get("minutes")
    minutes: int | None = None
    if minutes_raw is not None and not (isinstance(minutes_raw, str) and not minutes_raw.strip()):
        if isinstance(minutes_raw, str) and _WHOLE.match(minutes_raw.strip()):
            minutes_raw = int(minutes_raw.strip())
        if isinstance(minutes_raw, bool) or not isinstance(minutes_raw, int) \
                or not MIN_MINUTES <= minutes_raw <= MAX_MINUTES:
            errors.append(_err(f"{path}.minutes", "range",
                               f"Minutes spent must be a whole number from {MIN_MINUTES} to {MAX_MINUTES}.",
                               f"Durasi (menit) harus bilangan bulat dari {MIN_MINUTES} sampai {MAX_MINUTES}."))
        else:
            minutes = minutes_raw

    if errors:
        return None, errors
    assert quantity is not None and quality is not None
    return Activity(rhk_id, description, quantity, satuan, quality, url, minutes), []


def parse_activities(raw: Any, rhk_ids: Collection[str] | None = None) -> tuple[tuple[Activity, ...], list[FieldError]]:
    """Every activity of a day, or all the errors (not raised, for the caller to merge)."""
    if not isinstance(raw, list) or not raw:
        return (), [_err("activities", "non-empty", "A daily entry needs at least one activity.",
                         "Progres harian memerlukan minimal satu kegiatan.")]
    if len(raw) > MAX_ACTIVITIES:
        return (), [_err("activities", "max-items", f"A daily entry has at most {MAX_ACTIVITIES} activities.",
                         f"Progres harian paling banyak {MAX_ACTIVITIES} kegiatan.")]
    errors: list[FieldError] = []
    result: list[Activity] = []
    for i, item in enumerate(raw):
        activity, item_errors = parse_activity(item, i, rhk_ids)
        errors += item_errors
        if activity is not None:
            result.append(activity)
    total = sum(a.minutes or 0 for a in result)
    if not errors and total > MAX_MINUTES:
        errors.append(_err("activities", "day-total-minutes",
                           f"The activities add up to {total} minutes, more than a day ({MAX_MINUTES}).",
                           f"Jumlah durasi kegiatan {total} menit, melebihi satu hari ({MAX_MINUTES})."))
    return tuple(result), errors


def parse_entry(raw: Any, rhk_ids: Collection[str] | None = None) -> DailyEntry:
    """A day's entry from {"date": "YYYY-MM-DD", "activities": [...]}, or one 422 problem listing
    every broken rule. `rhk_ids`: the RHK of the employee's approved SKP, when known."""
    if not isinstance(raw, dict):
        raise validation_error([_err("entry", "object", "The daily entry must be an object.",
                                     "Progres harian harus berupa objek.")])
    day, errors = read_date(raw.get("date"), "date")
    activities, activity_errors = parse_activities(raw.get("activities"), rhk_ids)
    errors += activity_errors
    if errors:
        raise validation_error(errors, detail="The daily entry breaks one or more rules.",
                               detail_id="Progres harian melanggar satu atau lebih aturan.")
    assert day is not None
    return DailyEntry(day, activities)


def submission_errors(date: Any, activities: Any, today: dt.date) -> tuple[dt.date | None, list[FieldError]]:
    """The rules a submission of a day must meet whatever harian has stored: a date written
    YYYY-MM-DD that is not after `today`, and (when the activities are sent rather than taken from
    the saved draft) 1 to 50 activities each meeting its field rules. Returns the day and every
    broken rule; no error means only the stored-data rules (back-fill window, approved SKP) are left."""
    day, errors = read_date(date, "date")
    if day is not None and (late := future_day(day, today)) is not None:
        errors.append(late)
    if activities is not None:
        errors += parse_activities(activities)[1]
    return day, errors
