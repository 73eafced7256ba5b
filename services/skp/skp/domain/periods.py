"""Evaluation periods of a year (PermenPANRB 6/2022): the annual period (1 Jan–31 Dec, the "final"
evaluation) and the periodic ones inside it, monthly or quarterly as the agency chooses, each with
a deadline for filling in realisasi."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError, validation_error


class Frequency(StrEnum):
    """How often an agency evaluates inside the year (an agency setting)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class PeriodKind(StrEnum):
    ANNUAL = "annual"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class DistributionMode(StrEnum):
    """What finalising does when a unit breaks the distribution (an agency setting)."""

    WARN = "warn"  # finalise, and say what is broken
    BLOCK = "block"  # refuse until the ratings fit the unit's predikat


MONTHS = {PeriodKind.ANNUAL: 12, PeriodKind.MONTHLY: 1, PeriodKind.QUARTERLY: 3}
DEFAULT_FREQUENCY = Frequency.QUARTERLY
DEFAULT_DISTRIBUTION_MODE = DistributionMode.WARN
DEFAULT_DEADLINE_DAYS = 10
MAX_DEADLINE_DAYS = 90


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    seq: int  # 1 for the annual period; 1..12 months, 1..4 quarters
    start: dt.date
    end: dt.date
    deadline: dt.date  # last day to fill in the period's realisasi

    @property
    def months(self) -> int:
        """Months the period covers: what credit points are prorated by."""
        return MONTHS[self.kind]


def months_of(kind: str) -> int:
    return MONTHS[PeriodKind(kind)]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def periods_of_year(year: int, frequency: Frequency,
                    deadline_days: int = DEFAULT_DEADLINE_DAYS) -> list[Period]:
    """The annual period first, then the periodic ones in order; deadline = end + `deadline_days`."""
    if not 0 <= deadline_days <= MAX_DEADLINE_DAYS:
        raise ValueError(f"deadline_days must be 0..{MAX_DEADLINE_DAYS}")
    after = dt.timedelta(days=deadline_days)
    annual_end = dt.date(year, 12, 31)
    result = [Period(PeriodKind.ANNUAL, 1, dt.date(year, 1, 1), annual_end, annual_end + after)]
    step = 1 if frequency is Frequency.MONTHLY else 3
    kind = PeriodKind(frequency.value)
    for seq, first_month in enumerate(range(1, 13, step), start=1):
        end = _month_end(year, first_month + step - 1)
        result.append(Period(kind, seq, dt.date(year, first_month, 1), end, end + after))
    return result


# --- parsing what callers send ----------------------------------------------------------------

def frequency(value: Any, field: str = "frequency") -> Frequency:
    try:
        return Frequency(value)
    except ValueError:
        allowed = ", ".join(f.value for f in Frequency)
        raise validation_error([FieldError(field, "one-of", f"{field} must be one of: {allowed}.",
                                           f"{field} harus salah satu dari: {allowed}.")]) from None


def distribution_mode(value: Any, field: str = "distribution_mode") -> DistributionMode:
    try:
        return DistributionMode(value)
    except ValueError:
        allowed = ", ".join(m.value for m in DistributionMode)
        raise validation_error([FieldError(field, "one-of", f"{field} must be one of: {allowed}.",
                                           f"{field} harus salah satu dari: {allowed}.")]) from None


def deadline_days(value: Any, field: str = "deadline_days") -> int:
    if value is None:
        return DEFAULT_DEADLINE_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DEADLINE_DAYS:
        raise validation_error([FieldError(
            field, "range", f"{field} must be a whole number of days from 0 to {MAX_DEADLINE_DAYS}.",
            f"{field} harus bilangan bulat hari dari 0 sampai {MAX_DEADLINE_DAYS}.")])
    return value


# --- a period and an SKP ----------------------------------------------------------------------

def check_period_fits_skp(period_year: int, period_agency: str, skp_year: int, skp_agency: str | None) -> None:
    """An SKP is evaluated only in periods of its own year and agency (periodic evaluations live
    inside the annual SKP, docs/domain.md "SKP")."""
    if period_year != skp_year:
        raise DomainError(
            code="period-outside-skp-year", status=409, title="Period outside the SKP's year",
            detail=f"The period belongs to {period_year} but this SKP is for {skp_year}: "
                   f"choose one of the {skp_year} periods (field period_id).",
            detail_id=f"Periode ini milik tahun {period_year}, sedangkan SKP ini untuk tahun {skp_year}: "
                      f"pilih salah satu periode tahun {skp_year} (kolom period_id).",
            extra={"field": "period_id", "period_year": period_year, "skp_year": skp_year})
    if period_agency != skp_agency:
        raise DomainError(
            code="period-other-agency", status=409, title="Period of another agency",
            detail="The period was defined by another agency than this SKP's (field period_id).",
            detail_id="Periode ini ditetapkan oleh instansi lain, bukan instansi SKP ini (kolom period_id).",
            extra={"field": "period_id"})


def check_fill_in_open(deadline: dt.date, today: dt.date) -> None:
    """Realisasi is recorded until the period's fill-in deadline (inclusive)."""
    if today > deadline:
        raise DomainError(
            code="fill-in-deadline-passed", status=409, title="Fill-in deadline passed",
            detail=f"The deadline to record realisasi for this period was {deadline.isoformat()}. "
                   "Ask your agency admin (admin instansi) if it must be reopened.",
            detail_id=f"Batas waktu pengisian realisasi periode ini adalah {deadline.isoformat()}. "
                      "Hubungi admin instansi Anda jika perlu dibuka kembali.",
            extra={"field": "period_id", "deadline": deadline.isoformat(), "fixed_by": "your agency admin",
                   "fixed_by_id": "admin instansi Anda"})


# --- which years can be planned ----------------------------------------------------------------

def open_years(today: dt.date, defined: Iterable[int]) -> list[int]:
    """The years an agency's staff may make an SKP for: the current and the next year (the next
    year's plans are made in the last months), and any year the agency has defined periods for."""
    return sorted({today.year, today.year + 1, *defined})


def check_year_open(year: int, today: dt.date, defined: Iterable[int]) -> None:
    years = open_years(today, defined)
    if year in years:
        return
    listed = ", ".join(str(y) for y in years)
    raise validation_error([FieldError(
        "year", "year-open",
        f"{year} is not open for planning in your agency: open years are {listed}. The agency admin opens "
        "another year by defining its evaluation periods.",
        f"Tahun {year} tidak dibuka untuk perencanaan di instansi Anda: tahun yang dibuka adalah {listed}. "
        "Admin instansi membuka tahun lain dengan menetapkan periode penilaiannya.")])


# --- rating follows the calendar -----------------------------------------------------------------

DEFAULT_RATING_OPENS_DAYS = 0
MAX_RATING_OPENS_DAYS = 31


def rating_opens_days(value: Any, field: str = "rating_opens_days") -> int | None:
    """How many days before a period's end its rating may start (an agency setting), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATING_OPENS_DAYS:
        raise validation_error([FieldError(
            field, "range", f"{field} must be a whole number of days from 0 to {MAX_RATING_OPENS_DAYS}.",
            f"{field} harus bilangan bulat hari dari 0 sampai {MAX_RATING_OPENS_DAYS}.")])
    return value


def rating_opens_on(end: dt.date, days_before: int) -> dt.date:
    """The first day a period can be rated and its unit finalised: the day after its last day, or
    `days_before` days earlier (1: on its last day)."""
    return end + dt.timedelta(days=1 - days_before)


def check_rating_open(end: dt.date, days_before: int, today: dt.date) -> None:
    """A period is rated, and its unit finalised, once it has ended (or within the agency's days)."""
    opens = rating_opens_on(end, days_before)
    if today >= opens:
        return
    raise DomainError(
        code="period-not-ended", status=409, title="The period has not ended yet",
        detail=f"This period ends on {end.isoformat()}: it can be rated and its unit finalised from "
               f"{opens.isoformat()}.",
        detail_id=f"Periode ini berakhir pada {end.isoformat()}: penilaian dan finalisasi unitnya dapat "
                  f"dilakukan mulai {opens.isoformat()}.",
        extra={"field": "period_id", "period_end": end.isoformat(), "opens_on": opens.isoformat()})
