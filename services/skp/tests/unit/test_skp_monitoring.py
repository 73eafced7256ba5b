"""skp's monitoring read model on a real SQLite file, driven through the real use cases (master-data
events, planning, realisasi, ratings, a unit's predikat, finalising): every counter equals a count of
the source tables after each step, a refused or repeated step counts nothing, a moved employee takes
their plan along, the distribution check follows the unit's predikat, and a rebuild writes the same."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from ekinerja_kernel import monitoring as kernel_monitoring
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from skp import evaluations as uc
from skp import handlers, monitoring, staff
from skp.domain.predikat import ORDER
from skp.monitoring_tables import EVALUATIONS, PLANS
from skp.tables import OUTBOX, periods

YEAR = 2027
AGENCY = "kota"
STAFF = {  # nip -> (unit, supervisor, position kind, jenjang)
    "kadis": ("u-dinas", None, "struktural", "JPT Pratama"),
    "kepsek": ("u-sekolah", "kadis", "fungsional", "Ahli Madya"),
    "guru1": ("u-sekolah", "kepsek", "fungsional", "Ahli Pertama"),
    "guru2": ("u-sekolah", "kepsek", "fungsional", "Ahli Pertama"),
    "guru3": ("u-sekolah", "kepsek", "fungsional", "Ahli Muda"),
    "admin": ("u-bkd", "kadis", "fungsional", "Ahli Pertama"),
}
ATAS, SESUAI = "di_atas_ekspektasi", "sesuai_ekspektasi"


def ctx(nip: str, *roles: str, agency: str = AGENCY) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=("pegawai", *roles), agency_id=agency))


def event(kind: str, data: dict) -> dict:
    return {"id": str(uuid.uuid4()), "type": f"ekinerja.{kind}.v1", "data": data}


def employee_event(nip: str, unit: str | None = None, status: str = "active") -> dict:
    home, boss, kind, jenjang = STAFF[nip]
    return event("employee.upserted", {
        "nip": nip, "name": nip.title(), "status": status, "agency_id": AGENCY, "unit_id": unit or home,
        "supervisor_nip": boss, "position_id": f"p-{nip}",
        "position": {"id": f"p-{nip}", "name": nip, "kind": kind, "jenjang": jenjang, "kelas_jabatan": 8}})


def iki():
    return [{"aspek": "kuantitas", "indikator": "Jumlah laporan", "target": "12", "satuan": "laporan"},
            {"aspek": "kualitas", "indikator": "Diterima", "target": "100", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Tepat waktu", "target": "12", "satuan": "bulan"}]


@pytest.fixture
def world(skp_db, clock):
    factory = skp_db
    for unit, parent in (("u-dinas", None), ("u-sekolah", "u-dinas"), ("u-bkd", "u-dinas")):
        monitoring.on_unit_event(factory, event("unit.upserted", {"id": unit, "agency_id": AGENCY, "parent_id": parent,
                                                                 "name": unit, "kind": "unit"}))
    for nip in STAFF:
        staff.on_masterdata_event(factory, employee_event(nip))
    return factory, clock


def consistent(factory):
    found = monitoring.check(factory)
    assert found == [], found[:5]


def plan(factory, nip, parent_rhk=None, approve=True):
    made = handlers.create_skp(factory, ctx(nip), YEAR, "kuantitatif",
                               [{"kind": "utama", "text": f"Hasil {nip}", "intervenes": parent_rhk, "iki": iki()}])
    boss = STAFF[nip][1]
    if boss is None:
        return handlers.act(factory, OUTBOX, ctx(nip), made["id"], "publish")
    made = handlers.act(factory, OUTBOX, ctx(nip), made["id"], "submit")
    return handlers.act(factory, OUTBOX, ctx(boss), made["id"], "approve") if approve else made


def national(factory, level, id_=None):
    return monitoring.view(factory, ctx("bkn", "admin_nasional", agency="bkn"), level, id_, YEAR)


def test_plans_evaluations_and_the_caps_check_follow_every_step(world):
    factory, clock = world
    kadis = plan(factory, "kadis")
    kepsek = plan(factory, "kepsek", kadis["rhk"][0]["id"])
    guru = {n: plan(factory, n, kepsek["rhk"][0]["id"]) for n in ("guru1", "guru2")}
    plan(factory, "guru3", kepsek["rhk"][0]["id"], approve=False)
    consistent(factory)
    school = national(factory, "unit", "u-sekolah")["figures"]
    assert (school["skp_members"], school["skp_disetujui"], school["skp_diajukan"], school["skp_none"]) == (4, 3, 1, 0)
    assert national(factory, "agency", AGENCY)["figures"]["skp_none"] == 1  # the admin has no plan

    year = uc.define_periods(factory, ctx("admin", "admin_instansi"), YEAR, "quarterly", None, "warn")
    q1 = next(p for p in year["periods"] if p["kind"] == "quarterly" and p["seq"] == 1)
    end = dt.date.fromisoformat(q1["end"])
    clock.set(end)
    for nip, skp in guru.items():
        uc.record_realisasi(factory, ctx(nip), skp["id"], q1["id"], [
            {"rhk_id": skp["rhk"][0]["id"], "realisasi": "3 laporan", "evidence": ["https://drive.kota.go.id/b/1"]}])
    consistent(factory)
    clock.set(end + dt.timedelta(days=1))
    for skp in guru.values():  # both Sangat Baik: 100% > the 70% an Istimewa unit allows
        uc.evaluate(factory, OUTBOX, ctx("kepsek"), skp["id"], q1["id"], ATAS, ATAS,
                    {skp["rhk"][0]["id"]: "Baik"}, {"akuntabel": "Disiplin"})
    consistent(factory)
    periods_view = {(p["kind"], p["seq"]): p for p in national(factory, "unit", "u-sekolah")["periods"]}
    assert periods_view[("quarterly", 1)]["evaluations"] == 2
    assert periods_view[("quarterly", 1)]["predikat_sangat_baik"] == 2

    uc.set_unit_predikat(factory, ctx("kadis"), "u-sekolah", q1["id"], "istimewa")
    consistent(factory)
    school = national(factory, "unit", "u-sekolah")
    (caps,) = [c for c in school["caps"] if (c["kind"], c["seq"]) == ("quarterly", 1)]
    assert caps["unit_predikat"] == "istimewa" and caps["outside_caps"] is True
    assert caps["violations"][0]["rule"] == "max-sangat_baik"
    assert national(factory, "agency", AGENCY)["figures"]["units_outside_caps"] == 1

    uc.set_unit_predikat(factory, ctx("admin", "admin_instansi"), "u-sekolah", q1["id"], "baik")  # still outside
    uc.set_unit_predikat(factory, ctx("admin", "admin_instansi"), "u-sekolah", q1["id"], "istimewa")
    consistent(factory)
    # a rating corrected before finalising brings the unit within its caps
    uc.evaluate(factory, OUTBOX, ctx("kepsek"), guru["guru2"]["id"], q1["id"], SESUAI, SESUAI,
                {guru["guru2"]["rhk"][0]["id"]: "Cukup"}, {"akuntabel": "Disiplin"})
    consistent(factory)
    nation = national(factory, "nation")["figures"]
    assert (nation["units_with_predikat"], nation["units_outside_caps"]) == (1, 0)
    assert (nation["predikat_sangat_baik"], nation["predikat_baik"]) == (1, 1)

    finalised = uc.finalise_unit(factory, ctx("kepsek"), "u-sekolah", q1["id"])
    assert sorted(finalised["finalised"]) == ["guru1", "guru2"]
    with pytest.raises(DomainError):
        uc.finalise_unit(factory, ctx("kepsek"), "u-sekolah", q1["id"])  # nothing left: refused, nothing counted
    consistent(factory)
    assert national(factory, "unit", "u-sekolah")["figures"]["evaluations_final"] == 2


def test_a_moved_or_deactivated_employee_takes_their_plan_and_headcount_along(world):
    factory, clock = world
    kadis = plan(factory, "kadis")
    kepsek = plan(factory, "kepsek", kadis["rhk"][0]["id"])
    plan(factory, "guru1", kepsek["rhk"][0]["id"])
    staff.on_masterdata_event(factory, employee_event("guru1", unit="u-bkd"))
    staff.on_masterdata_event(factory, employee_event("guru1", unit="u-bkd"))  # the same record again
    staff.on_masterdata_event(factory, employee_event("guru2", status="inactive"))
    consistent(factory)
    bkd = national(factory, "unit", "u-bkd")["figures"]
    assert (bkd["skp_members"], bkd["skp_disetujui"]) == (2, 1)
    school = national(factory, "unit", "u-sekolah")["figures"]
    assert (school["skp_members"], school["skp_disetujui"], school["skp_none"]) == (2, 1, 1)


def test_a_unit_that_moves_carries_its_totals_and_a_rebuild_writes_the_same(world):
    factory, clock = world
    kadis = plan(factory, "kadis")
    plan(factory, "kepsek", kadis["rhk"][0]["id"])
    monitoring.on_unit_event(factory, event("unit.upserted", {"id": "u-sekolah", "agency_id": AGENCY,
                                                              "parent_id": "u-bkd", "name": "Sekolah",
                                                              "kind": "sekolah"}))
    consistent(factory)
    assert national(factory, "unit", "u-bkd")["figures"]["skp_disetujui"] == 1
    with factory() as s:
        plans, evals = monitoring.ROLLUP.stored(s, PLANS), monitoring.ROLLUP.stored(s, EVALUATIONS)
    with factory.begin() as s:
        s.execute(update(PLANS.table).values(draft=5))
    assert monitoring.check(factory)
    monitoring.rebuild(factory)
    consistent(factory)
    with factory() as s:
        assert monitoring.ROLLUP.stored(s, PLANS) == plans and monitoring.ROLLUP.stored(s, EVALUATIONS) == evals


def test_who_sees_what_and_national_reads_of_people_are_recorded(world):
    factory, clock = world
    plan(factory, "kadis")
    with pytest.raises(DomainError):
        monitoring.view(factory, ctx("guru1"), "unit", "u-sekolah", YEAR)
    assert monitoring.view(factory, ctx("kepsek"), "unit", "u-sekolah", YEAR)["people"]  # heads the school
    with pytest.raises(DomainError):
        monitoring.view(factory, ctx("kepsek"), "unit", "u-bkd", YEAR)
    assert monitoring.view(factory, ctx("kadis"), "agency", AGENCY, YEAR)["level"] == "agency"
    monitoring.person(factory, ctx("bkn", "admin_nasional", agency="bkn"), "guru1", YEAR)
    national(factory, "unit", "u-sekolah")
    reads = monitoring.reads(factory, ctx("bkn", "admin_nasional", agency="bkn"))["reads"]
    assert [(r["subject"], r["what"]) for r in reads] == [("unit:u-sekolah", "people"), ("guru1", "person")]


def test_the_figure_names_are_the_predikat_of_the_domain():
    assert kernel_monitoring.PREDIKAT == tuple(p.value for p in ORDER)


def test_periods_of_the_year_are_listed_for_the_nation_across_agencies(world):
    factory, clock = world
    uc.define_periods(factory, ctx("admin", "admin_instansi"), YEAR, "monthly", None, "warn")
    with factory() as s:
        assert s.execute(select(periods.c.id)).first() is not None
    assert national(factory, "nation")["periods"] == []  # no evaluation yet: nothing to show
