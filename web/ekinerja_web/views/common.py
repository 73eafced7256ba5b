"""What several pages share: today in the agency's time zone, the year and month asked for."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, request


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def year_arg(name: str = "tahun") -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and 2020 <= int(value) <= 2100 else today().year


def month_arg() -> tuple[int, int]:
    """?bulan=YYYY-MM, else this month."""
    value = request.args.get("bulan", "")
    try:
        year, month = (int(p) for p in value.split("-"))
        if 2020 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    now = today()
    return now.year, now.month


def date_arg(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None
