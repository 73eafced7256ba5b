"""Each employee's findings announced as `employee.diagnosed` (findings.py, rediagnose.py) against a
real SQLite file: who is queued by which change, that only a changed list is sent, the daily sweep,
and announcing everything again."""

import datetime as dt
import json
import uuid

import pytest
from builders import employee
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from sync import agency_findings, diagnosis, findings
from sync.domain import diagnosis as rules
from sync.handlers import import_records
from sync.tables import OUTBOX, acting, diagnosis_queue, employees, outbox_table, registry_refused

HEAD = "197001012000031001"
BOSS = "198002142005042002"
STAFF = "198609262015051001"
PEER = "199001012015031002"
TODAY = config.today()
YEAR = TODAY.year


def person(nip, nik, supervisor, **over):
    return employee(nip, nik, f"Pegawai {nip[-3:]}", supervisor, **{"unit_id": "child", "position_id": "analis",
                                                                    **over})


PEOPLE = [person(HEAD, "3171010101700001", None, unit_id="root", position_id="kepala"),
          person(BOSS, "3171015402800002", HEAD, position_id="kabag"),
          person(STAFF, "3171012609860001", BOSS),
          person(PEER, "3171010101900002", BOSS)]


@pytest.fixture
def factory(sync_db, import_master_data):
    import_master_data({
        "agencies": [{"id": "ag1", "name": "Kementerian A", "kind": "pusat"}],
        "units": [{"id": "root", "agency_id": "ag1", "name": "Setjen"},
                  {"id": "child", "agency_id": "ag1", "parent_id": "root", "name": "Biro"}],
        "positions": [{"id": "kepala", "agency_id": "ag1", "name": "Sekjen", "kind": "struktural",
                       "jenjang": "JPT Madya"},
                      {"id": "kabag", "agency_id": "ag1", "name": "Kabag", "kind": "struktural"},
                      {"id": "analis", "agency_id": "ag1", "name": "Analis", "kind": "fungsional"}],
        "employees": PEOPLE, "acting": []})
    return sync_db


def drain(factory) -> dict[str, dict]:
    """Publish everything queued; the data of each employee.diagnosed put in the outbox, by NIP."""
    with factory() as s:
        before = {r for r in s.execute(select(outbox_table.c.id)).scalars()}
    while findings.publish_queued(factory, OUTBOX, limit=2)[0]:
        pass
    with factory() as s:
        rows = s.execute(select(outbox_table.c.id, outbox_table.c.body)
                         .where(outbox_table.c.type == "ekinerja.employee.diagnosed.v1")).all()
    return {e["subject"]: e["data"] for e in (json.loads(r.body) for r in rows if r.id not in before)}


def queued(factory) -> dict[str, bool]:
    with factory() as s:
        return dict(s.execute(select(diagnosis_queue.c.nip, diagnosis_queue.c.cascade)).all())


def codes(data) -> list[str]:
    return [f["code"] for f in data["findings"]]


def skp_approved(nip) -> dict:
    return {"id": str(uuid.uuid4()), "type": "ekinerja.skp.approved.v1", "source": "/ekinerja/skp",
            "time": "2026-01-10T02:00:00+00:00", "subject": nip,
            "data": {"skp_id": str(uuid.uuid4()), "nip": nip, "year": YEAR, "agency_id": "ag1", "version": 1,
                     "state": "disetujui", "actor_nip": nip, "rhk": []}}


# --- the announced data (pure) ---------------------------------------------------------------------

def facts(**over) -> rules.Facts:
    me = rules.Person(nip=STAFF, name="Staf", status="active", agency_id="ag1", nik="3171012609860001",
                      unit_id="child", unit_parent_id="root", position_id="analis", supervisor_nip=None,
                      updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    values = {"nip": STAFF, "year": YEAR, "now": dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC), "employee": me}
    return rules.Facts(**{**values, **over})


def test_announced_data_holds_the_problems_and_warnings_as_the_diagnosis_shows_them():
    f = facts()
    data = rules.announced(f)
    shown = {x["code"]: x for x in rules.report(f)["findings"]}
    assert codes(data) == ["no-supervisor"]  # ok, info, unknown and skipped findings are left out
    assert data["findings"][0] == shown["no-supervisor"]
    assert data["blocked"] == ["skp"] and data["agency_id"] == "ag1" and data["year"] == YEAR


def test_a_warning_blocks_nothing_and_nobody_without_a_record_is_announced():
    mismatch = facts(employee=rules.Person(nip=STAFF, name="Staf", status="active", agency_id="ag1",
                                           nik="3171010101860001", unit_id="root", position_id="kepala",
                                           position_jenjang="JPT Madya"))
    data = rules.announced(mismatch)
    assert codes(data) == ["nik-nip-mismatch"] and data["blocked"] == []
    assert rules.announced(facts(employee=None)) is None


def test_the_digest_ignores_only_the_time_of_the_check():
    first = rules.announced(facts())
    later = rules.announced(facts(now=dt.datetime(2026, 3, 3, tzinfo=dt.UTC)))
    assert rules.digest(first) == rules.digest(later)
    assert rules.digest(first) != rules.digest(rules.announced(facts(year=YEAR + 1)))


# --- queue and publish (SQLite) --------------------------------------------------------------------

def test_an_import_queues_everyone_it_announces_and_only_findings_are_sent(factory):
    assert queued(factory) == {HEAD: True, BOSS: True, STAFF: True, PEER: True}
    sent = drain(factory)
    # Nobody has an SKP in force yet: BOSS's staff and BOSS are told; HEAD (top) has nothing wrong.
    assert set(sent) == {BOSS, STAFF, PEER}
    assert codes(sent[STAFF]) == ["supervisor-skp-missing"]
    with factory() as session:
        shown = rules.report(diagnosis.gather(session, STAFF, YEAR, TODAY, dt.datetime.now(dt.UTC)))["findings"]
    assert sent[STAFF]["findings"] == [f for f in shown if f["status"] in ("problem", "warning")]
    assert queued(factory) == {}
    assert drain(factory) == {}  # nothing queued, nothing sent


def test_a_supervisor_change_reaches_the_staff_and_an_unchanged_list_is_not_sent_again(factory):
    drain(factory)
    import_records(factory, OUTBOX, {"employees": [{**PEOPLE[1], "status": "inactive"}]})
    assert queued(factory)[BOSS] is True
    sent = drain(factory)
    # BOSS is inactive: his staff go to the atasan pejabat penilai (HEAD): a warning, the same
    # supervisor-skp problem; BOSS himself is told his account is inactive.
    assert codes(sent[STAFF]) == ["supervisor-inactive", "supervisor-skp-missing"]
    assert sent[STAFF]["findings"][0]["stand_in"]["nip"] == HEAD
    assert "account-inactive" in codes(sent[BOSS]) and "login" in sent[BOSS]["blocked"]
    import_records(factory, OUTBOX, {"employees": [{**PEOPLE[1], "status": "inactive", "email": "baru@contoh.go.id"}]})
    assert drain(factory) == {}  # findings the same: nothing sent


def test_the_supervisors_skp_in_force_clears_the_staff_finding(factory):
    drain(factory)
    diagnosis.on_event(factory, skp_approved(BOSS))
    sent = drain(factory)
    assert set(sent) == {STAFF, PEER}
    assert sent[STAFF]["findings"] == [] and sent[STAFF]["blocked"] == []  # solved: an empty list is sent


def test_an_acting_official_queues_the_staff_under_the_seat(factory):
    drain(factory)
    import_records(factory, OUTBOX, {"acting": [{"id": "a1", "agency_id": "ag1", "unit_id": "child",
                                                 "position_id": "kabag", "nip": PEER, "kind": "PLH",
                                                 "start_date": TODAY.isoformat(), "end_date": TODAY.isoformat()}]})
    assert queued(factory).get(BOSS) is True


def test_the_daily_sweep(factory):
    day = dt.date(YEAR, 6, 1)
    findings.sweep(factory, day)  # a database never swept: everyone
    drain(factory)
    assert findings.sweep(factory, day) is False and queued(factory) == {}
    with factory.begin() as s:
        s.execute(acting.insert().values(id="a1", agency_id="ag1", unit_id="child", position_id="kabag", nip=PEER,
                                         kind="PLH", start_date=day + dt.timedelta(days=1),
                                         end_date=day + dt.timedelta(days=5), updated_at=dt.datetime.now(dt.UTC)))
    assert findings.sweep(factory, day + dt.timedelta(days=1)) is True
    assert queued(factory) == {BOSS: True}  # the holder of the seat whose PLH begins, and so their staff
    drain(factory)
    findings.sweep(factory, day + dt.timedelta(days=6))
    assert queued(factory) == {BOSS: True}  # ... and again when it has ended
    drain(factory)
    findings.sweep(factory, dt.date(YEAR + 1, 1, 2))
    assert set(queued(factory)) == {HEAD, BOSS, STAFF, PEER}  # a new year: the SKP checks change


def test_announcing_again_sends_every_finding_again(factory):
    first = drain(factory)
    with factory.begin() as s:
        s.execute(update(employees).where(employees.c.nip == HEAD).values(name="Kepala"))  # not through sync
    findings.reannounce(factory)
    again = drain(factory)
    assert set(again) == set(first)
    assert codes(again[STAFF]) == codes(first[STAFF])


def gauge(name: str) -> float:
    return REGISTRY.get_sample_value(name)


def test_the_backlog_and_the_refused_records_are_measured(factory):
    findings.observe(factory)
    assert gauge("ekinerja_sync_diagnosis_queued") == 4  # the import queued everyone
    assert gauge("ekinerja_sync_registry_refused") == 0

    drain(factory)
    with factory.begin() as s:
        s.execute(registry_refused.insert().values(nip=STAFF, refused_at=dt.datetime.now(dt.UTC), run_id="r1",
                                                   errors=[{"field": "nik", "rule": "required", "detail": "x",
                                                            "detail_id": "x"}]))
    findings.observe(factory)

    assert gauge("ekinerja_sync_diagnosis_queued") == 0
    assert gauge("ekinerja_sync_registry_refused") == 1


# --- the agency's list (read model open_findings) -------------------------------------------------

ADMIN_AG1 = RequestContext(caller=Caller("196001011985031001", ("pegawai", "admin_instansi"), "ag1"))


def test_the_agency_list_counts_and_pages_who_is_blocked_as_last_announced(factory):
    drain(factory)

    listing = agency_findings.agency_findings(factory, ADMIN_AG1, "ag1")

    assert listing["summary"] == [{"code": "supervisor-skp-missing", "status": "problem", "check": "supervisor-skp",
                                   "employees": 3}]
    assert listing["total"] == 3 and [e["nip"] for e in listing["employees"]] == [STAFF, BOSS, PEER]  # by name
    assert listing["employees"][0]["problems"] == ["supervisor-skp-missing"]
    assert listing["employees"][0]["blocked"] == ["skp"] and listing["employees"][0]["unit_name"] == "Biro"
    page = agency_findings.agency_findings(factory, ADMIN_AG1, "ag1", offset=1, limit=1)
    assert page["total"] == 3 and [e["nip"] for e in page["employees"]] == [BOSS]

    diagnosis.on_event(factory, skp_approved(BOSS))  # BOSS's staff may plan now
    drain(factory)

    after = agency_findings.agency_findings(factory, ADMIN_AG1, "ag1", code="supervisor-skp-missing")
    assert after["total"] == 1 and [e["nip"] for e in after["employees"]] == [BOSS]
    assert agency_findings.agency_findings(factory, ADMIN_AG1, "ag1", status="warning")["total"] == 0


def test_the_agency_list_is_for_that_agencys_admin_and_checks_its_filters(factory):
    other = RequestContext(caller=Caller("196001011985031001", ("pegawai", "admin_instansi"), "ag2"))
    staff = RequestContext(caller=Caller(STAFF, ("pegawai",), "ag1"))
    for ctx in (other, staff):
        with pytest.raises(DomainError) as refused:
            agency_findings.agency_findings(factory, ctx, "ag1")
        assert refused.value.status == 403
    with pytest.raises(DomainError) as bad:
        agency_findings.agency_findings(factory, ADMIN_AG1, "ag1", status="fatal")
    assert bad.value.status == 422 and bad.value.to_problem()["errors"][0]["field"] == "status"
    with pytest.raises(DomainError) as missing:
        agency_findings.agency_findings(factory, ADMIN_AG1, "no-such-agency")
    assert missing.value.status == 404
