"""harian's monitoring read model on a real SQLite file, driven through the real use cases (events,
drafts, the submission intake, decisions, the day closer): every counter equals a count of the source
tables after each step, an event or a decision seen twice counts once, a unit that moves carries its
totals, a rebuild writes what the deltas wrote; and who may see which level."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import insert, select, update

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from harian import agency, days, monitoring, staff, validation
from harian.closing import close_days
from harian.domain.backfill import allowed_dates
from harian.domain.workdays import AgencyCalendar
from harian.intake import process_batch
from harian.monitoring_tables import DAYS, READS
from harian.tables import OUTBOX, day_closures, employee_first_seen, entries

BOSS, ANA, BEN, CICI = "197001012000031001", "198002142005042002", "198609262015051001", "199001012022211001"
BKN = "197505052000032001"


def envelope(kind, data):
    return {"id": str(uuid.uuid4()), "type": f"ekinerja.{kind}.v1", "data": data}


def employee(nip, unit, supervisor, status="active"):
    return envelope("employee.upserted", {"nip": nip, "name": f"Pegawai {nip[-4:]}", "email": None,
                                          "status": status, "agency_id": "ag1", "unit_id": unit,
                                          "supervisor_nip": supervisor})


def unit(id_, parent, agency="ag1"):
    return envelope("unit.upserted", {"id": id_, "agency_id": agency, "parent_id": parent, "name": f"Unit {id_}",
                                      "kind": "unit"})


def ctx(nip, *roles, agency="ag1"):
    return RequestContext(caller=Caller(nip=nip, roles=("pegawai", *roles), agency_id=agency), request_id="req-1")


def rhk(nip, year):
    return f"rhk-{nip}-{year}"


def activity(nip, day):
    return {"rhk_id": rhk(nip, day.year), "description": "Menyusun laporan", "quantity": 2, "satuan": "dokumen",
            "quality": 90, "evidence_url": "https://drive.example.go.id/bukti/1", "minutes": 120}


@pytest.fixture
def world(harian_db, monkeypatch):
    monkeypatch.delenv("EKINERJA_TIMEZONE", raising=False)
    factory = harian_db
    today = config.today()
    # u0 (root) > u1 > (nothing), u0 > u2; the boss heads u0, Ana and Ben are in u1, Cici in u2
    for e in (unit("u0", None), unit("u1", "u0"), unit("u2", "u0")):
        monitoring.on_unit_event(factory, e)
    for e in (employee(BOSS, "u0", None), employee(ANA, "u1", BOSS), employee(BEN, "u1", BOSS),
              employee(CICI, "u2", BOSS)):
        staff.on_event(factory, e)
    for nip in (BOSS, ANA, BEN, CICI):
        for year in {today.year, (today - dt.timedelta(days=20)).year}:
            staff.on_event(factory, envelope("skp.approved", {
                "skp_id": f"skp-{nip}-{year}", "nip": nip, "year": year, "version": 1,
                "rhk": [{"id": rhk(nip, year), "kind": "utama", "text": "Laporan",
                         "iki": [{"aspek": "kuantitas", "satuan": "dokumen"}]}]}))
    # Today is a working day of the agency whatever day the suite runs (a weekend in Jakarta, say).
    agency.put_settings(factory, ctx(BOSS, "admin_instansi"), {"extra_working_days": [today.isoformat()]})
    with factory.begin() as s:  # the closer has known them for weeks: their past days can close
        s.execute(insert(employee_first_seen), [{"nip": n, "first_seen": today - dt.timedelta(days=40)}
                                                for n in (BOSS, ANA, BEN, CICI)])
    return factory, today


def consistent(factory):
    differences = monitoring.check(factory)
    assert differences == [], differences[:5]


def submit(factory, nip, day, accepted_at):
    data = {"id": str(uuid.uuid4()), "nip": nip, "date": day.isoformat(), "activities": [activity(nip, day)],
            "accepted_at": accepted_at.isoformat()}
    return process_batch(factory, OUTBOX, [{"data": data, "requestid": "r"}])


def the_previous_working_day(today):
    return [d for d in allowed_dates(AgencyCalendar(), today, 1) if d < today][-1]


def figures(factory, level, id_, first, last, who=None):
    return monitoring.view(factory, who or ctx(BKN, "admin_nasional", agency="bkn"), level, id_, first.isoformat(),
                           last.isoformat())


def test_every_write_path_keeps_the_counters_equal_to_the_source_tables(world):
    factory, today = world
    yesterday = the_previous_working_day(today)
    now = dt.datetime.now(dt.UTC)
    days.save_draft(factory, ctx(ANA), today.isoformat(), [activity(ANA, today)])
    consistent(factory)
    assert submit(factory, ANA, today, now)["diterima"] == 1
    assert submit(factory, BEN, yesterday, now)["diterima"] == 1  # submitted the day after: late
    consistent(factory)
    with factory() as s:
        ben_entry = s.scalars(select(entries.c.id).where(entries.c.nip == BEN, entries.c.state == "diajukan")).one()
        ana_entry = s.scalars(select(entries.c.id).where(entries.c.nip == ANA, entries.c.state == "diajukan")).one()
    validation.decide(factory, OUTBOX, ctx(BOSS, "atasan"), [ben_entry], "return", "Lengkapi bukti")
    validation.decide(factory, OUTBOX, ctx(BOSS, "atasan"), [ana_entry], "approve")
    with pytest.raises(DomainError):  # decided already: refused, nothing counted twice
        validation.decide(factory, OUTBOX, ctx(BOSS, "atasan"), [ana_entry], "approve")
    consistent(factory)

    view = figures(factory, "unit", "u1", yesterday, today)
    assert (view["figures"]["approved"], view["figures"]["returned"], view["figures"]["late"]) == (1, 1, 1)
    assert view["figures"]["members"] == 2
    assert {p["nip"]: p["figures"]["filled"] for p in view["people"]} == {ANA: 1, BEN: 1}

    # the closer makes the past working days blank for those who wrote nothing
    closed = close_days(factory, OUTBOX, today + dt.timedelta(days=7))
    assert closed > 0
    consistent(factory)
    nation = figures(factory, "nation", None, yesterday, today)
    with factory() as s:
        blank_yesterday = s.execute(select(day_closures.c.nip).where(day_closures.c.date == yesterday,
                                                                    day_closures.c.status == "belum_diisi")).all()
    assert {r.nip for r in blank_yesterday} == {BOSS, ANA, CICI}
    assert nation["figures"]["blank"] == 3 + 3  # yesterday: boss, Ana, Cici; today: boss, Ben, Cici
    assert nation["figures"]["employee_days"] == 8 and nation["figures"]["members"] == 4
    assert [c["id"] for c in nation["children"]] == ["ag1"]
    agency = figures(factory, "agency", "ag1", yesterday, today)
    assert agency["figures"] == nation["figures"]
    assert [c["id"] for c in agency["children"]] == ["u0"]
    root = figures(factory, "unit", "u0", yesterday, today)
    assert sorted(c["id"] for c in root["children"]) == ["u1", "u2"]
    assert [p["nip"] for p in root["people"]] == [BOSS]  # its own people, not its children's


def test_an_event_seen_twice_counts_once_and_a_moved_employee_takes_their_headcount(world):
    factory, today = world
    staff.on_event(factory, employee(ANA, "u1", BOSS))  # the same record again, a new event
    consistent(factory)
    staff.on_event(factory, employee(ANA, "u2", BOSS))
    staff.on_event(factory, employee(BEN, "u1", BOSS, status="inactive"))
    consistent(factory)
    assert figures(factory, "unit", "u1", today, today)["figures"]["members"] == 0
    assert figures(factory, "unit", "u2", today, today)["figures"]["members"] == 2
    assert figures(factory, "agency", "ag1", today, today)["figures"]["members"] == 3


def test_a_unit_that_moves_carries_its_days_and_a_rebuild_writes_the_same(world):
    factory, today = world
    submit(factory, CICI, today, dt.datetime.now(dt.UTC))
    monitoring.on_unit_event(factory, unit("u2", "u1"))  # u2 now under u1
    consistent(factory)
    assert figures(factory, "unit", "u1", today, today)["figures"]["submitted"] == 1
    with factory() as s:
        before = monitoring.ROLLUP.stored(s, DAYS)
    with factory.begin() as s:
        s.execute(update(DAYS.table).values(diajukan=7))  # the read model damaged
    assert monitoring.check(factory)
    monitoring.rebuild(factory)
    with factory() as s:
        assert monitoring.ROLLUP.stored(s, DAYS) == before
    consistent(factory)


def test_who_sees_which_level_and_every_national_read_of_people_is_recorded(world):
    factory, today = world
    day = today.isoformat()
    with pytest.raises(DomainError) as refused:
        monitoring.view(factory, ctx(ANA), "unit", "u1", day)
    assert refused.value.status == 403
    with pytest.raises(DomainError):
        monitoring.view(factory, ctx(BOSS, "atasan"), "nation", None, day)
    assert monitoring.view(factory, ctx(BOSS, "atasan"), "agency", "ag1", day)["level"] == "agency"  # heads a root
    assert monitoring.view(factory, ctx(BOSS, "atasan"), "unit", "u2", day)["pay_visible"] is False
    admin = ctx(BEN, "admin_instansi")
    assert monitoring.view(factory, admin, "unit", "u2", day)["pay_visible"] is True
    with pytest.raises(DomainError):
        monitoring.view(factory, ctx(ANA, "admin_instansi", agency="ag2"), "agency", "ag1", day)
    assert monitoring.person(factory, ctx(ANA), ANA, day)["nip"] == ANA  # one's own figures
    with pytest.raises(DomainError):
        monitoring.person(factory, ctx(ANA), BEN, day)
    with pytest.raises(DomainError) as unknown:
        monitoring.view(factory, ctx(BKN, "admin_nasional", agency="bkn"), "unit", "nope", day)
    assert unknown.value.status == 404
    with factory() as s:
        assert s.execute(select(READS)).all() == []  # nothing national read yet
    monitoring.person(factory, ctx(BKN, "admin_nasional", agency="bkn"), CICI, day)
    monitoring.view(factory, ctx(BKN, "admin_nasional", agency="bkn"), "unit", "u1", day)
    recorded = monitoring.reads(factory, ctx(BKN, "admin_nasional", agency="bkn"))["reads"]
    assert [(r["subject"], r["what"], r["nips"]) for r in recorded] == [
        ("unit:u1", "people", sorted([ANA, BEN])), (CICI, "person", [CICI])]
    assert recorded[0]["reader_nip"] == BKN and recorded[0]["request_id"] == "req-1"
    with pytest.raises(DomainError):
        monitoring.reads(factory, admin)


def test_the_range_is_checked(world):
    factory, today = world
    with pytest.raises(DomainError) as wrong:
        monitoring.view(factory, ctx(BKN, "admin_nasional"), "nation", None, "2026-01-01", "2026-03-01")
    assert wrong.value.errors[0].rule == "range"
    with pytest.raises(DomainError) as level:
        monitoring.view(factory, ctx(BKN, "admin_nasional"), "planet", None, "2026-01-01")
    assert level.value.errors[0].field == "level"
