"""skp decides with today's date (open planning years, fill-in deadlines, when a period can be
rated, acting officials' dates): its unit tests set that date, so they pass on any day they run."""

from __future__ import annotations

import datetime as dt

import pytest

from ekinerja_kernel import config


class Clock:
    def __init__(self, today: dt.date) -> None:
        self.today = today

    def set(self, today: dt.date) -> None:
        self.today = today


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    current = Clock(dt.date(2027, 1, 4))  # a Monday early in the year the tests plan
    monkeypatch.setattr(config, "today", lambda: current.today)
    return current
