"""Compliance numbers: the arithmetic, the counts read from the day_status read model on a real
SQLite file (employee, unit, agency; a day and a range), and who may ask for which scope."""

import datetime as dt

import pytest

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from harian.compliance import COUNTS, StatusCount, authorise, compliance, compute, tally
from harian.domain.workdays import AgencyCalendar

D = dt.date
MON, TUE, WED, THU, FRI, SAT, SUN = (D(2026, 8, n) for n in range(10, 17))
BOSS = "197001012000031001"
ANA = "198002142005042002"
BEN = "198609262015051001"
CICI = "199001012022211001"
DODI = "199102032019031002"
GONE = "198805052010011004"
EKO = "198506062012121005"  # unit u2
FINA = "197505052000032001"  # heads u2
HANA = "198303032008012001"  # agency ag2
ADMIN = "197203032000031002"


def identity_holds(numbers):
    return numbers["employee_days"] == (numbers["justified"] + numbers["draft"] + numbers["filled"]
                                        + numbers["blank"] + numbers["open"]) \
        and numbers["filled"] == numbers["submitted"] + numbers["approved"] + numbers["returned"] \
        == numbers["on_time"] + numbers["late"]


def test_tally_counts_each_member_day_once():
    cal = {"ag1": AgencyCalendar(), "ag2": AgencyCalendar(work_saturday=True)}
    rows = [StatusCount(MON, "ag1", "disetujui", False, 2), StatusCount(MON, "ag1", "diajukan", True, 1),
            StatusCount(TUE, "ag1", "draft", False, 1), StatusCount(TUE, "ag1", "dikembalikan", False, 1),
            StatusCount(SAT, "ag1", "disetujui", False, 1),  # not a working day in ag1: left out
            StatusCount(SAT, "ag2", "disetujui", False, 1)]
    numbers = tally(cal, {"ag1": 4, "ag2": 2}, rows, {("ag1", TUE): 1}, MON, SUN, today=TUE)
    assert numbers["working_days"] == 6  # Monday to Saturday: ag2 works Saturdays
    assert numbers["employee_days"] == 4 * 5 + 2 * 6
    assert (numbers["filled"], numbers["approved"], numbers["submitted"], numbers["returned"]) == (5, 3, 1, 1)
    assert (numbers["on_time"], numbers["late"], numbers["draft"], numbers["justified"]) == (4, 1, 1, 1)
    assert numbers["blank"] == 1 + 2  # Monday: ag1's 4th member and ag2's two (before today)
    assert numbers["open"] == 32 - 5 - 1 - 1 - 3
    assert identity_holds(numbers)
    by_date = {d["date"]: d for d in numbers["by_date"]}
    assert by_date["2026-08-16"]["working"] is False and by_date["2026-08-16"]["employee_days"] == 0
    assert by_date["2026-08-15"]["employee_days"] == 2 and by_date["2026-08-15"]["approved"] == 1
    assert by_date["2026-08-11"] == {"date": "2026-08-11", "working": True, "employee_days": 6, "justified": 1,
                                     "draft": 1, "filled": 1, "on_time": 1, "late": 0, "submitted": 0,
                                     "approved": 0, "returned": 1, "blank": 0, "open": 3}
    assert set(numbers) == {"working_days", "by_date", *COUNTS}


@pytest.fixture
def factory(harian_db, harian_rows, monkeypatch):
    monkeypatch.delenv("EKINERJA_TIMEZONE", raising=False)
    harian_rows.employee(BOSS)
    for nip in (ANA, BEN, CICI, DODI):
        harian_rows.employee(nip, supervisor=BOSS)
    harian_rows.employee(GONE, status="inactive", supervisor=BOSS)
    harian_rows.employee(EKO, unit="u2", supervisor=FINA)
    harian_rows.employee(FINA, unit="u2")
    harian_rows.employee(HANA, agency="ag2", unit="u9")
    harian_rows.employee(ADMIN, unit="u0")
    harian_rows.day_status(ANA, MON, "disetujui")
    harian_rows.day_status(ANA, TUE, "disetujui", late=True)
    harian_rows.day_status(ANA, WED, "diajukan")
    harian_rows.day_status(ANA, THU, "draft")
    harian_rows.day_status(ANA, SAT, "disetujui")
    harian_rows.day_status(BEN, MON, "dikembalikan")
    harian_rows.day_status(BEN, THU, "diajukan")
    harian_rows.day_status(CICI, MON, "diajukan")
    harian_rows.day_status(GONE, MON, "disetujui")  # no longer active: not counted
    harian_rows.day_status(EKO, MON, "disetujui", unit="u2")
    harian_rows.day_status(HANA, MON, "disetujui", unit="u9", agency="ag2")
    harian_rows.absence("a1", BEN, "cuti", TUE, WED, recorded_by=ADMIN)
    harian_rows.absence("a2", CICI, "sakit", MON, recorded_by=ADMIN)
    return harian_db


def test_unit_numbers_over_a_week(factory):
    with factory() as s:
        numbers = compute(s, "unit", "u1", MON, SUN, today=THU)
    assert (numbers["headcount"], numbers["working_days"], numbers["employee_days"]) == (5, 5, 25)
    assert (numbers["filled"], numbers["approved"], numbers["submitted"], numbers["returned"]) == (6, 2, 3, 1)
    assert (numbers["on_time"], numbers["late"]) == (5, 1)
    assert numbers["draft"] == 1
    assert numbers["justified"] == 2  # Ben's cuti; Cici wrote on her sick day, so that day counts by status
    assert (numbers["blank"], numbers["open"]) == (8, 8)
    assert identity_holds(numbers)
    monday = numbers["by_date"][0]
    assert (monday["date"], monday["blank"], monday["filled"]) == ("2026-08-10", 2, 3)  # the boss and Dodi
    assert numbers["by_date"][5]["working"] is False and numbers["by_date"][5]["approved"] == 0  # Saturday
    assert (numbers["scope"], numbers["id"], numbers["from"], numbers["to"]) == ("unit", "u1", "2026-08-10",
                                                                                 "2026-08-16")


def test_employee_and_agency_numbers(factory):
    with factory() as s:
        ana = compute(s, "employee", ANA, MON, FRI, today=THU)
        agency = compute(s, "agency", "ag1", MON, MON, today=THU)
        other = compute(s, "agency", "ag2", MON, MON, today=THU)
    assert (ana["headcount"], ana["employee_days"], ana["filled"], ana["draft"], ana["blank"], ana["open"]) == \
        (1, 5, 3, 1, 0, 1)
    assert ana["late"] == 1
    # One day, the whole agency: u1's five, u2's two, the admin; Eko's day in u2 counts, Hana's (ag2) not.
    assert (agency["headcount"], agency["employee_days"], agency["filled"], agency["blank"]) == (8, 8, 4, 4)
    assert (other["headcount"], other["filled"], other["blank"]) == (1, 1, 0)


def ctx(nip, roles=(), agency="ag1"):
    return RequestContext(caller=Caller(nip=nip, roles=tuple(roles), agency_id=agency))


def allowed(factory, caller_ctx, scope, id_):
    with factory() as s:
        try:
            authorise(s, caller_ctx.caller, scope, id_)
            return True
        except DomainError as exc:
            assert exc.status == 403 and exc.code == "forbidden"
            return False


def test_who_may_see_what(factory):
    assert allowed(factory, ctx(ANA), "employee", ANA)
    assert not allowed(factory, ctx(ANA), "employee", BEN)
    assert not allowed(factory, ctx(ANA), "unit", "u1")
    assert not allowed(factory, ctx(ANA), "agency", "ag1")
    assert allowed(factory, ctx(BOSS), "employee", ANA)  # a direct team member
    assert not allowed(factory, ctx(BOSS), "employee", EKO)
    assert allowed(factory, ctx(BOSS), "unit", "u1")  # supervises someone there
    assert not allowed(factory, ctx(BOSS), "unit", "u2")
    assert not allowed(factory, ctx(BOSS), "agency", "ag1")
    assert allowed(factory, ctx(FINA), "unit", "u2")
    admin = ctx(ADMIN, ["admin_instansi"])
    assert allowed(factory, admin, "agency", "ag1") and allowed(factory, admin, "unit", "u2")
    assert allowed(factory, admin, "employee", EKO)
    assert not allowed(factory, admin, "agency", "ag2") and not allowed(factory, admin, "unit", "u9")
    assert not allowed(factory, admin, "employee", HANA)
    assert not allowed(factory, admin, "unit", "no-such-unit")
    national = ctx(ADMIN, ["admin_nasional"], agency=None)
    assert allowed(factory, national, "agency", "ag2")
    with factory() as s, pytest.raises(DomainError) as caught:
        authorise(s, national.caller, "unit", "no-such-unit")
    assert caught.value.status == 404


def test_the_rpc_checks_its_input_then_access(factory, monkeypatch):
    monkeypatch.setattr(config, "today", lambda: THU)

    def refused(*args):
        with pytest.raises(DomainError) as caught:
            compliance(factory, *args)
        return caught.value

    problem = refused(ctx(ANA), "team", "", "2026-08-10", None)
    assert problem.status == 422 and {e.field for e in problem.errors} == {"scope", "id"}
    problem = refused(ctx(ANA), "employee", ANA, "2026-08-01", "2026-09-01")  # 32 days
    assert problem.status == 422 and problem.errors[0].field == "to"
    assert refused(ctx(ANA), "employee", ANA, "2026-08-12", "2026-08-10").errors[0].rule == "range"
    assert refused(ctx(ANA), "employee", ANA, "10-08-2026", None).errors[0].field == "from"
    assert refused(ctx(ANA), "unit", "u1", "2026-08-10", None).status == 403
    numbers = compliance(factory, ctx(ANA), "employee", ANA, "2026-08-10", "2026-08-14")
    assert (numbers["today"], numbers["filled"], numbers["open"]) == ("2026-08-13", 3, 1)
    whole = compliance(factory, ctx(ANA), "employee", ANA, "2026-08-01", "2026-08-31")  # 31 days is the limit
    assert len(whole["by_date"]) == 31
