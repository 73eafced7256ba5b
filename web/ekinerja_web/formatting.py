"""Dates, times, numbers and rupiah in the page's language (Babel's CLDR data)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import dates, numbers
from flask_babel import get_locale, get_timezone


def _locale() -> str:
    found = get_locale()
    return "en" if found and found.language == "en" else "id_ID"


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def date_long(value: Any) -> str:
    day = as_date(value)
    return dates.format_date(day, "d MMMM y", locale=_locale()) if day else ""


def date_weekday(value: Any) -> str:
    day = as_date(value)
    return dates.format_date(day, "EEEE, d MMMM y", locale=_locale()) if day else ""


def month_name(year: int, month: int) -> str:
    return dates.format_date(dt.date(year, month, 1), "MMMM y", locale=_locale())


def weekday_short(index: int) -> str:
    """Monday = 0."""
    return dates.get_day_names("abbreviated", locale=_locale())[index]


def datetime_local(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return dates.format_datetime(moment, "d MMM y HH.mm", tzinfo=get_timezone(), locale=_locale())


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def rupiah(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return ""
    return numbers.format_currency(amount, "IDR", format="¤ #,##0", currency_digits=False, locale="id_ID")


def number(value: Any) -> str:
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    return numbers.format_decimal(amount.normalize() if amount == amount.to_integral() else amount,
                                  locale=_locale())


def percent(value: Any) -> str:
    shown = number(value)
    return f"{shown}%" if shown else ""
