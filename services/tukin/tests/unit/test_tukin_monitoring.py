"""tukin's monitoring totals on a real SQLite file, driven through the real use cases (facts from
events, the admin's computation): totals equal the latest runs' results after each step, an unchanged
recomputation adds nothing, a new revision replaces the old one's totals, a unit that moves carries
them, a rebuild writes the same; pay only for the national admin and the agency's admin."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.monitoring import rupiah
from tukin import facts, handlers, monitoring
from tukin.monitoring_tables import MONTHS, READS
from tukin.tables import OUTBOX, results, runs

AGENCY, MONTH = "kemendemo", "2026-10"
BOSS, ANA, BEN, NOKELAS = "197001012000031001", "198002142005042002", "198609262015051001", "199001012022211001"
WORKING = [dt.date(2026, 10, d) for d in range(1, 32) if dt.date(2026, 10, d).weekday() < 5]


def event(kind: str, data: dict) -> dict:
    return {"id": str(uuid.uuid4()), "type": f"ekinerja.{kind}.v1", "data": data}


def employee(nip: str, unit: str, supervisor: str | None, kelas: int | None = 9) -> dict:
    return event("employee.upserted", {"nip": nip, "name": f"Pegawai {nip[-4:]}", "status": "active",
                                       "agency_id": AGENCY, "unit_id": unit, "supervisor_nip": supervisor,
                                       "position": {"kelas_jabatan": kelas}})


def closed(nip: str, day: dt.date, status: str) -> dict:
    return event("harian.day_closed", {"nip": nip, "agency_id": AGENCY, "unit_id": None, "date": day.isoformat(),
                                       "status": status, "entries": int(status == "disetujui"),
                                       "blank": status == "belum_diisi", "justified": False, "absence": None,
                                       "late": False})


def ctx(nip: str, *roles: str, agency: str = AGENCY) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=("pegawai", *roles), agency_id=agency))


ADMIN = ctx(BOSS, "admin_instansi")
BKN = ctx("196501012000011001", "admin_nasional", agency="bkn")


@pytest.fixture
def factory(tukin_db, save_demo_policy):
    factory = tukin_db
    save_demo_policy(AGENCY)
    for unit, parent in (("root", None), ("u1", "root"), ("u2", "root")):
        monitoring.on_unit_event(factory, event("unit.upserted", {"id": unit, "agency_id": AGENCY,
                                                                  "parent_id": parent, "name": unit, "kind": "unit"}))
    for e in (employee(BOSS, "root", None), employee(ANA, "u1", BOSS), employee(BEN, "u2", BOSS),
              employee(NOKELAS, "u2", BOSS, kelas=None)):
        facts.on_event(factory, e)
    for nip in (BOSS, ANA, BEN, NOKELAS):
        for day in WORKING:
            facts.on_event(factory, closed(nip, day, "belum_diisi" if nip == BEN and day.day < 8 else "disetujui"))
    return factory


def consistent(factory):
    found = monitoring.check(factory)
    assert found == [], found[:5]


def totals(factory, level, id_, who=BKN):
    return monitoring.view(factory, who, level, id_, [MONTH])


def test_totals_follow_each_revision_and_an_unchanged_recomputation_adds_nothing(factory):
    first = handlers.compute(factory, OUTBOX, ADMIN, MONTH)
    consistent(factory)
    with factory() as s:
        nets = dict(s.execute(select(results.c.nip, results.c.net).where(results.c.run_id == first["run_id"])).all())
    nation = totals(factory, "nation", None)
    assert nation["figures"]["tukin_employees"] == 3 and nation["figures"]["tukin_skipped"] == 1  # no kelas
    assert nation["figures"]["tukin_net"] == rupiah(sum(monitoring.sen(v) for n, v in nets.items() if n != NOKELAS))
    u2 = totals(factory, "unit", "u2")
    assert u2["figures"]["tukin_net"] == rupiah(monitoring.sen(nets[BEN])) and monitoring.sen(nets[BEN]) > 0
    assert [p["nip"] for p in u2["people"]] == sorted([BEN, NOKELAS], key=lambda n: f"Pegawai {n[-4:]}")

    again = handlers.compute(factory, OUTBOX, ADMIN, MONTH)
    assert again["new_revision"] is False
    consistent(factory)
    assert totals(factory, "nation", None)["figures"] == nation["figures"]

    for day in WORKING[:10]:  # Ana's first two weeks turn blank: a new revision with less for her
        facts.on_event(factory, closed(ANA, day, "belum_diisi"))
    second = handlers.compute(factory, OUTBOX, ADMIN, MONTH)
    assert second["revision"] == 2
    consistent(factory)
    after = totals(factory, "agency", AGENCY)
    assert after["figures"]["tukin_employees"] == 3
    assert float(after["figures"]["tukin_net"]) < float(nation["figures"]["tukin_net"])
    assert [r["revision"] for r in after["runs"]] == [2]


def test_a_unit_that_moves_carries_its_totals_and_a_rebuild_writes_the_same(factory):
    handlers.compute(factory, OUTBOX, ADMIN, MONTH)
    monitoring.on_unit_event(factory, event("unit.upserted", {"id": "u2", "agency_id": AGENCY, "parent_id": "u1",
                                                              "name": "u2", "kind": "unit"}))
    consistent(factory)
    assert totals(factory, "unit", "u1")["figures"]["tukin_employees"] == 2
    with factory() as s:
        before = monitoring.ROLLUP.stored(s, MONTHS)
    with unit_of_work(factory) as s:
        s.execute(update(MONTHS.table).values(net_sen=1))
    assert monitoring.check(factory)
    monitoring.rebuild(factory)
    with factory() as s:
        assert monitoring.ROLLUP.stored(s, MONTHS) == before


def test_pay_only_for_the_national_admin_and_the_agency_admin(factory):
    handlers.compute(factory, OUTBOX, ADMIN, MONTH)
    assert totals(factory, "agency", AGENCY, ADMIN)["pay_visible"] is True
    head = totals(factory, "agency", AGENCY, ctx(BOSS))  # heads the root unit: sees the agency, not its pay
    assert head == {"level": "agency", "id": AGENCY, "months": [MONTH], "pay_visible": False}
    assert monitoring.person(factory, ctx(ANA), ANA, [MONTH])["lines"][0]["computed"] is True  # one's own
    assert monitoring.person(factory, ctx(BOSS), ANA, [MONTH])["pay_visible"] is False
    with factory() as s:
        assert s.execute(select(READS)).all() == []
    monitoring.person(factory, BKN, ANA, [MONTH])
    with factory() as s:
        assert [(r.subject, r.what) for r in s.execute(select(READS))] == [(ANA, "person")]
        assert s.execute(select(runs.c.revision)).scalars().all() == [1]
