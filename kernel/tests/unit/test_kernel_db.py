"""keep_latest: a read-copy row keeps the latest of events that may arrive out of order."""

import datetime as dt

from sqlalchemy import Column, DateTime, MetaData, String, Table, select

from ekinerja_kernel.db import keep_latest, unit_of_work

metadata = MetaData()
rows = Table("rows", metadata, Column("key", String(8), primary_key=True), Column("value", String(8)),
             Column("at", DateTime(timezone=True), nullable=False))
T1 = dt.datetime(2026, 11, 23, 7, tzinfo=dt.UTC)
T2 = T1 + dt.timedelta(hours=1)


def test_the_latest_wins_whatever_the_order(sqlite_db):
    factory = sqlite_db(metadata)
    with unit_of_work(factory) as s:
        assert keep_latest(s, rows, {"key": "a"}, {"value": "new", "at": T2}, at="at")
        assert not keep_latest(s, rows, {"key": "a"}, {"value": "old", "at": T1}, at="at")
        assert keep_latest(s, rows, {"key": "a"}, {"value": "same", "at": T2}, at="at")
    with factory() as s:
        assert s.execute(select(rows.c.value)).scalars().all() == ["same"]
