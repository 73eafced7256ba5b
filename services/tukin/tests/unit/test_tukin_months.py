"""Months of the allowance: written exactly YYYY-MM, and closed only once harian closed a day after
them; computed before that, a month is a preview that is never exported for payroll."""

import datetime as dt

import pytest
from sqlalchemy import insert

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from tukin.domain.months import has_closed, parse_month
from tukin.handlers import export
from tukin.monthly import compute_agency_month
from tukin.tables import OUTBOX, days, employees

D = dt.date
EKO = "198005122013071005"


@pytest.mark.parametrize("text", ["2026-1", " 2026-12 ", "2026-12 ", "2026-13", "2026-00", "26-10", "2026/10",
                                  "202610", "2019-12", "2101-01", "2026-1a", "٢٠٢٦-١٠", ""])
def test_a_month_is_exactly_yyyy_mm(text):
    with pytest.raises(DomainError) as refused:
        parse_month(text)
    problem = refused.value.to_problem()
    assert problem["status"] == 422
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("month", "month-format")]
    assert "YYYY-MM" in problem["errors"][0]["detail_id"]


@pytest.mark.parametrize("value", [None, 202610, ["2026-10"]])
def test_a_month_that_is_not_text_is_refused_too(value):
    with pytest.raises(DomainError):
        parse_month(value)


def test_good_months():
    assert parse_month("2026-01") == (2026, 1)
    assert parse_month("2026-12") == (2026, 12)


def test_a_month_closes_once_it_is_over_and_a_day_after_it_was_closed():
    assert not has_closed(2026, 11, D(2026, 11, 30), D(2026, 11, 27))  # still running
    assert not has_closed(2026, 11, D(2026, 12, 1), D(2026, 11, 30))  # over, last days still open
    assert not has_closed(2026, 11, D(2026, 12, 3), None)  # nothing closed at all
    assert has_closed(2026, 11, D(2026, 12, 4), D(2026, 12, 1))
    assert not has_closed(2026, 12, D(2026, 11, 4), D(2026, 12, 1))  # a future month never


@pytest.fixture
def factory(tukin_db, save_demo_policy):
    save_demo_policy("kemendemo")
    with unit_of_work(tukin_db) as s:
        s.execute(insert(employees).values(nip=EKO, name="Eko", status="active", agency_id="kemendemo",
                                           unit_id="kd-bag-prog", supervisor_nip=None, kelas_jabatan=6,
                                           updated_at=utcnow()))
    return tukin_db


def close(factory, *dates, status="disetujui"):
    with unit_of_work(factory) as s:
        s.execute(insert(days), [{"nip": EKO, "date": d, "status": status, "entries": 1, "blank": False,
                                  "justified": False, "absence": None, "late": False} for d in dates])


ADMIN = RequestContext(Caller(nip="199502212020111013", roles=("pegawai", "admin_instansi"), agency_id="kemendemo"))


def test_a_running_month_is_a_preview_and_its_payroll_export_is_refused(factory):
    close(factory, D(2026, 11, 2), D(2026, 11, 3))
    with unit_of_work(factory) as s:
        run = compute_agency_month(s, OUTBOX, "kemendemo", "2026-11", "test", today=D(2026, 11, 5))
    assert run["preview"] is True and run["revision"] == 1
    with pytest.raises(DomainError) as refused:
        export(factory, ADMIN, "2026-11", None, "csv")
    assert refused.value.status == 409 and refused.value.code == "tukin-month-open"
    assert "pratinjau" in refused.value.detail_id and refused.value.extra["revision"] == 1

    # The month closes (a December day was closed): the same facts now make a final revision.
    close(factory, D(2026, 12, 1))
    with unit_of_work(factory) as s:
        final = compute_agency_month(s, OUTBOX, "kemendemo", "2026-11", "test", today=D(2026, 12, 3))
    assert final["preview"] is False and final["revision"] == 2 and final["new_revision"] is True
    with unit_of_work(factory) as s:
        again = compute_agency_month(s, OUTBOX, "kemendemo", "2026-11", "test", today=D(2026, 12, 4))
    assert again["new_revision"] is False and again["revision"] == 2
    made = export(factory, ADMIN, "2026-11", None, "csv")
    assert made["filename"] == "tukin-kemendemo-2026-11-r2.csv" and EKO in made["content"]


def test_the_export_format_is_csv_or_xlsx(factory):
    with pytest.raises(DomainError) as refused:
        export(factory, ADMIN, "2026-11", None, "pdf")
    assert refused.value.errors[0].field == "format"
