"""The back-fill window: which days an employee may still write (or change) a daily entry for.

docs/domain.md: late bulk back-filling is not allowed; the window is an agency setting. An entry may be
written for today, when today is a working day, and for the previous `backfill_days` working days
(default 1: today and the previous working day, so on a Monday the Friday before, and after a
holiday the last working day before it). 0 means today only.

A date is refused with the first rule it breaks, in this order: "future-day" (after today),
"non-working-day" (weekend, national holiday, cuti bersama, agency holiday: the message says
which), "outside-backfill-window" (a working day older than the window). Each problem names the
allowed dates. `today` is always a parameter: the domain never reads a clock.

Justified absences do not close a day: an employee on dinas luar may well record work.
"""

from __future__ import annotations

import datetime as dt

from harian_contract.entry import future_day

from ekinerja_kernel.errors import DomainError, FieldError, validation_error

from .workdays import AgencyCalendar

DEFAULT_BACKFILL_DAYS = 1
MAX_BACKFILL_DAYS = 10  # a bound on the agency setting, so that "no bulk back-filling" holds

FIELD = "date"


def _check_backfill_days(backfill_days: int) -> None:
    if isinstance(backfill_days, bool) or not isinstance(backfill_days, int) \
            or not 0 <= backfill_days <= MAX_BACKFILL_DAYS:
        raise ValueError(f"backfill_days must be a whole number from 0 to {MAX_BACKFILL_DAYS}")


def allowed_dates(calendar: AgencyCalendar, today: dt.date,
                  backfill_days: int = DEFAULT_BACKFILL_DAYS) -> list[dt.date]:
    """The dates an entry may be written for on `today`, oldest first."""
    _check_backfill_days(backfill_days)
    days = sorted(calendar.previous_working_days(today, backfill_days))
    if calendar.is_working_day(today):
        days.append(today)
    return days


def earliest_allowed(calendar: AgencyCalendar, today: dt.date,
                     backfill_days: int = DEFAULT_BACKFILL_DAYS) -> dt.date | None:
    """The oldest date still open on `today` (None when no date is open at all)."""
    days = allowed_dates(calendar, today, backfill_days)
    return days[0] if days else None


def is_allowed(calendar: AgencyCalendar, day: dt.date, today: dt.date,
               backfill_days: int = DEFAULT_BACKFILL_DAYS) -> bool:
    return day in allowed_dates(calendar, today, backfill_days)


def _join(days: list[dt.date], word: str) -> str:
    texts = [d.isoformat() for d in days]
    if len(texts) <= 1:
        return "".join(texts)
    return f"{', '.join(texts[:-1])} {word} {texts[-1]}"


def _window(days: list[dt.date]) -> tuple[str, str]:
    if not days:
        return ("No date is open for entries today (today is not a working day and the agency allows "
                "no back-filling).",
                "Tidak ada tanggal yang dapat diisi hari ini (hari ini bukan hari kerja dan instansi "
                "tidak mengizinkan pengisian mundur).")
    return (f"Progress can be recorded only for {_join(days, 'and')} (earliest {days[0].isoformat()}).",
            f"Progres harian hanya dapat diisi untuk tanggal {_join(days, 'dan')} "
            f"(paling awal {days[0].isoformat()}).")


def check_entry_date(calendar: AgencyCalendar, day: dt.date, today: dt.date,
                     backfill_days: int = DEFAULT_BACKFILL_DAYS) -> None:
    """Nothing when an entry may be written for `day` on `today`; otherwise a 422 problem with one
    error on field "date" (rule future-day, non-working-day or outside-backfill-window)."""
    days = allowed_dates(calendar, today, backfill_days)
    if day in days:
        return
    window_en, window_id = _window(days)
    extra: dict[str, object] = {
        "field": FIELD, "today": today.isoformat(), "allowed_dates": [d.isoformat() for d in days],
        "earliest_allowed": days[0].isoformat() if days else None,
    }
    late = future_day(day, today, FIELD, window_en, window_id)
    if late is not None:
        error = late
    elif (off := calendar.reason(day)) is not None:
        extra["reason"] = off.kind.value
        extra["reason_name"] = off.name
        error = FieldError(FIELD, "non-working-day",
                           f"{day.isoformat()} is not a working day: it is {off.detail}. {window_en}",
                           f"{day.isoformat()} bukan hari kerja: {off.detail_id}. {window_id}")
    else:
        error = FieldError(FIELD, "outside-backfill-window",
                           f"{day.isoformat()} is outside the back-fill window (today, {today.isoformat()}, "
                           f"and the previous {backfill_days} working day(s)). {window_en}",
                           f"{day.isoformat()} di luar batas pengisian mundur (hari ini, {today.isoformat()}, "
                           f"dan {backfill_days} hari kerja sebelumnya). {window_id}")
    problem: DomainError = validation_error([error], detail=error.detail, detail_id=error.detail_id)
    problem.extra.update(extra)
    raise problem
