"""sync's `employee.diagnosed` kept as skp's read-copy (once per event, the latest check wins), and
planning refusals on a real (SQLite) database worded by the stored finding of the same problem:
skp still decides with its own data, and says it in its own words when no finding matches."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from skp import handlers, staff
from skp.tables import OUTBOX, employees, inbox, master_data_findings, skps

YEAR = 2027
AGENCY = "kota"
KADIS, KEPSEK, GURU = "197501012000031002", "197210102010071027", "198404132006021028"
ORPHAN, GONE, LOST, OUT = "198001012005011001", "196501012000031001", "198501012010011002", "199001012015011003"
#: nip -> (supervisor, jenjang, status)
STAFF = {KADIS: (None, "JPT Pratama", "active"), KEPSEK: (KADIS, "Ahli Madya", "active"),
         GURU: (KEPSEK, "Ahli Pertama", "active"), ORPHAN: (None, "Ahli Pertama", "active"),
         GONE: (None, "JPT Pratama", "active"), LOST: (GONE, "Ahli Pertama", "active"),
         OUT: (KEPSEK, "Ahli Pertama", "pensiun")}


def iki() -> list[dict]:
    return [{"aspek": "kuantitas", "indikator": "Jumlah laporan", "target": "12", "satuan": "laporan"},
            {"aspek": "kualitas", "indikator": "Diterima", "target": "100", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Tepat waktu", "target": "12", "satuan": "bulan"}]


def ctx(nip: str) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=("pegawai",), agency_id=AGENCY))


def finding(code: str, **extra) -> dict:
    return {"check": "c", "status": "problem", "code": code, "detail": f"Sync: {code}.",
            "detail_id": f"Sync: {code} (id).", "why": "Why it matters.", "why_id": "Mengapa penting.",
            "fixed_by": "the agency admin (BKD/BKPSDM)", "fixed_by_id": "admin instansi (BKD/BKPSDM)",
            "fixers": ["admin_instansi"], "blocks": ["skp"], **extra}


def diagnosed(nip: str, findings: list[dict], checked_at: str = "2027-03-01T07:00:00+00:00",
              year: int = YEAR) -> dict:
    return {"id": str(uuid.uuid4()), "type": "ekinerja.employee.diagnosed.v1", "subject": nip,
            "data": {"nip": nip, "agency_id": AGENCY, "year": year, "checked_at": checked_at,
                     "blocked": ["skp"] if findings else [], "findings": findings}}


@pytest.fixture
def factory(skp_db, add_employee):
    for nip, (boss, jenjang, status) in STAFF.items():
        add_employee(nip, boss, jenjang, status=status, agency=AGENCY)
    return skp_db


def stored(factory) -> list:
    with factory() as s:
        return s.execute(select(master_data_findings)).all()


def refused(factory, call, *args) -> DomainError:
    with factory() as s:
        before = [s.execute(select(t)).all() for t in (skps, master_data_findings)]
    with pytest.raises(DomainError) as info:
        call(*args)
    with factory() as s:
        assert [s.execute(select(t)).all() for t in (skps, master_data_findings)] == before
    return info.value


def plan(factory, nip: str, intervenes: str | None = None) -> dict:
    return handlers.create_skp(factory, ctx(nip), YEAR, "kuantitatif",
                               [{"kind": "utama", "text": f"Hasil kerja {nip[-4:]}", "intervenes": intervenes,
                                 "iki": iki()}])


# --- the read-copy -------------------------------------------------------------------------------

def test_the_diagnosis_is_kept_once_per_event_and_the_latest_check_wins(factory):
    first = diagnosed(GURU, [finding("no-supervisor")], "2027-03-01T07:00:00+07:00")
    staff.on_masterdata_event(factory, first)
    staff.on_masterdata_event(factory, first)  # redelivered
    [row] = stored(factory)
    assert (row.nip, row.year, [f["code"] for f in row.findings]) == (GURU, YEAR, ["no-supervisor"])

    staff.on_masterdata_event(factory, diagnosed(GURU, [finding("account-inactive")], "2027-02-28T23:00:00Z"))
    assert [f["code"] for f in stored(factory)[0].findings] == ["no-supervisor"]  # older: ignored

    staff.on_masterdata_event(factory, diagnosed(GURU, [], "2027-03-01T00:00:01Z"))  # 1 s after 07:00+07
    assert stored(factory)[0].findings == []  # newer: nothing wrong any more
    with factory() as s:
        assert s.execute(select(inbox.c.type)).scalars().all() == ["ekinerja.employee.diagnosed.v1"] * 3


# --- refusals worded by the finding --------------------------------------------------------------

def test_supervisor_without_skp_uses_the_finding_of_the_same_year_and_supervisor(factory):
    plan(factory, KADIS)  # KEPSEK, GURU's supervisor, has none
    own = refused(factory, plan, factory, GURU)
    assert own.code == "supervisor-skp-missing" and "finding" not in own.extra
    assert own.extra["fixed_by"] == "your supervisor" and own.extra["supervisor_nip"] == KEPSEK

    other_year = finding("supervisor-skp-missing", supervisor_nip=KEPSEK, year=YEAR - 1)
    staff.on_masterdata_event(factory, diagnosed(GURU, [other_year]))
    assert "finding" not in refused(factory, plan, factory, GURU).extra

    this_year = finding("supervisor-skp-missing", supervisor_nip=KEPSEK, year=YEAR, fixers=["kepala_sekolah"],
                        fixed_by="the kepala sekolah", fixed_by_id="kepala sekolah")
    staff.on_masterdata_event(factory, diagnosed(GURU, [this_year], "2027-03-02T07:00:00+00:00"))
    error = refused(factory, plan, factory, GURU)

    problem = error.to_problem()
    assert (problem["status"], problem["code"]) == (409, "supervisor-skp-missing")
    assert problem["detail"] == "Sync: supervisor-skp-missing. Why it matters."
    assert problem["detail_id"] == "Sync: supervisor-skp-missing (id). Mengapa penting."
    assert (problem["fixed_by"], problem["fixed_by_id"], problem["fixers"]) == (
        "the kepala sekolah", "kepala sekolah", ["kepala_sekolah"])
    assert problem["finding"] == this_year and problem["supervisor_nip"] == KEPSEK


def test_skp_decides_a_finding_alone_refuses_nothing(factory):
    kadis = plan(factory, KADIS)
    handlers.act(factory, OUTBOX, ctx(KADIS), kadis["id"], "publish")
    # sync still says KEPSEK's supervisor has no SKP (its copy is late): skp sees one and plans.
    staff.on_masterdata_event(factory, diagnosed(KEPSEK, [finding("supervisor-skp-missing", supervisor_nip=KADIS,
                                                                  year=YEAR)]))
    assert plan(factory, KEPSEK, kadis["rhk"][0]["id"])["state"] == "draft"


def test_an_inactive_employee_is_told_what_the_diagnosis_says(factory):
    assert "finding" not in refused(factory, plan, factory, OUT).extra
    staff.on_masterdata_event(factory, diagnosed(OUT, [finding("nik-nip-mismatch", status="warning"),
                                                       finding("account-inactive")]))

    error = refused(factory, plan, factory, OUT)

    assert (error.status, error.code) == (403, "not-an-active-employee")
    assert error.extra["finding"]["code"] == "account-inactive"
    assert error.detail == "Sync: account-inactive. Why it matters."
    assert error.extra["fixers"] == ["admin_instansi"]


def test_without_a_supervisor_only_the_head_of_an_organisation_plans_as_in_the_diagnosis(factory):
    """kernel rules.lacks_supervisor, as sync's diagnosis applies it: no supervisor and not a JPT."""
    error = refused(factory, handlers.create_skp, factory, ctx(ORPHAN), YEAR, "kuantitatif",
                    [{"kind": "utama", "text": "Hasil kerja", "iki": iki()}])
    assert error.code == "no-supervisor" and "only the head of an organisation" in error.detail

    staff.on_masterdata_event(factory, diagnosed(ORPHAN, [finding("no-supervisor")]))
    error = refused(factory, handlers.create_skp, factory, ctx(ORPHAN), YEAR, "kuantitatif",
                    [{"kind": "utama", "text": "Hasil kerja", "iki": iki()}])
    assert error.code == "no-supervisor" and error.extra["finding"]["code"] == "no-supervisor"
    assert error.detail == "Sync: no-supervisor. Why it matters."

    # A draft made while a supervisor was recorded is neither submitted nor self-published after a reset.
    with factory.begin() as s:
        s.execute(update(employees).where(employees.c.nip == ORPHAN).values(supervisor_nip=KADIS))
    kadis = plan(factory, KADIS)
    handlers.act(factory, OUTBOX, ctx(KADIS), kadis["id"], "publish")  # the head publishes: allowed
    mine = plan(factory, ORPHAN, kadis["rhk"][0]["id"])
    with factory.begin() as s:
        s.execute(update(employees).where(employees.c.nip == ORPHAN).values(supervisor_nip=None))
    for action in ("submit", "publish"):
        error = refused(factory, handlers.act, factory, OUTBOX, ctx(ORPHAN), mine["id"], action)
        assert error.code == "no-supervisor" and error.extra["finding"]["code"] == "no-supervisor", action


def test_no_unit_or_position_refuses_every_planning_step_as_in_the_diagnosis(factory):
    """kernel rules.missing_unit_position, as sync's diagnosis applies it (no-unit-position)."""
    kadis = plan(factory, KADIS)
    handlers.act(factory, OUTBOX, ctx(KADIS), kadis["id"], "publish")
    mine = plan(factory, KEPSEK, kadis["rhk"][0]["id"])
    with factory.begin() as s:
        s.execute(update(employees).where(employees.c.nip == KEPSEK).values(position_id=None))
    staff.on_masterdata_event(factory, diagnosed(KEPSEK, [finding("no-unit-position", missing=["position"])]))

    for call, args in ((handlers.act, (factory, OUTBOX, ctx(KEPSEK), mine["id"], "submit")),
                       (handlers.update_skp, (factory, ctx(KEPSEK), mine["id"], "kuantitatif", []))):
        error = refused(factory, call, *args)
        assert (error.code, error.status, error.extra["missing"]) == ("no-unit-position", 409, ["position"])
        assert error.extra["finding"]["code"] == "no-unit-position" and error.extra["fixers"] == ["admin_instansi"]
    with factory.begin() as s:  # submitted while the position was recorded; emptied before approval
        s.execute(update(employees).where(employees.c.nip == KEPSEK).values(position_id="p-kepsek"))
    handlers.act(factory, OUTBOX, ctx(KEPSEK), mine["id"], "submit")
    with factory.begin() as s:
        s.execute(update(employees).where(employees.c.nip == KEPSEK).values(unit_id=None))
    error = refused(factory, handlers.act, factory, OUTBOX, ctx(KADIS), mine["id"], "approve")
    assert error.code == "no-unit-position" and error.extra["missing"] == ["unit"]


def test_nobody_to_approve_today_is_penilai_missing_as_in_the_diagnosis(factory):
    gone = plan(factory, GONE)
    handlers.act(factory, OUTBOX, ctx(GONE), gone["id"], "publish")
    mine = plan(factory, LOST, gone["rhk"][0]["id"])
    with factory.begin() as s:
        s.execute(update(employees).where(employees.c.nip == GONE).values(status="pensiun"))
    staff.on_masterdata_event(factory, diagnosed(LOST, [finding("supervisor-inactive", status="warning"),
                                                        finding("penilai-missing")]))

    error = refused(factory, handlers.act, factory, OUTBOX, ctx(LOST), mine["id"], "submit")

    assert (error.code, error.extra["supervisor_nip"]) == ("penilai-missing", GONE)
    assert error.extra["finding"]["code"] == "penilai-missing" and error.detail_id.startswith("Sync: penilai-missing")
