"""A day is refused for the same master-data reason sync's diagnosis shows as blocking daily progress
(kernel rules.is_active), naming that finding and who fixes it, in both languages."""

import pytest
from sqlalchemy import insert

from ekinerja_kernel import rules
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from harian import staff

ANA, GONE, UNKNOWN = "198002142005042002", "198609262015051001", "199001012015011001"


@pytest.fixture
def factory(harian_db, harian_rows):
    harian_rows.employee(ANA, name=ANA)
    harian_rows.employee(GONE, name=GONE, status="inactive")
    return harian_db


@pytest.mark.parametrize("nip, finding, fixers", [(GONE, "account-inactive", ["admin_instansi"]),
                                                  (UNKNOWN, "nip-not-found", ["employee", "admin_instansi"])])
def test_a_day_refused_for_master_data_names_the_finding_and_who_fixes_it(factory, nip, finding, fixers):
    with factory() as s, pytest.raises(DomainError) as refused:
        staff.active_employee(s, nip)

    problem = refused.value.to_problem()
    assert (problem["status"], problem["code"], problem["finding_code"]) == (403, "not-an-active-employee", finding)
    assert problem["fixers"] == fixers and problem["fixed_by"] and problem["fixed_by_id"]
    assert finding in problem["detail"] and finding in problem["detail_id"]
    assert "/api/v1/me/diagnosis" in problem["detail"] and "(BKD/BKPSDM)" in problem["detail_id"]


def test_the_rule_is_the_one_the_diagnosis_applies(factory):
    with factory() as s:
        assert staff.active_employee(s, ANA).nip == ANA
    assert rules.is_active("active") and not rules.is_active("inactive")


def test_a_revision_that_moved_an_rhk_moves_the_years_entries_with_it(factory):
    import datetime as dt
    import uuid

    from sqlalchemy import select

    from ekinerja_kernel.events import make_event
    from harian.tables import approved_rhk, entries

    old, new, kept = (str(uuid.uuid4()) for _ in range(3))
    now = utcnow()
    with factory.begin() as s:
        s.execute(insert(entries), [
            {"id": str(uuid.uuid4()), "nip": ANA, "date": day, "seq": 0, "rhk_id": old, "description": "Rapat",
             "quantity": "1", "satuan": "kegiatan", "quality": "100", "evidence_url": "https://x.go.id/a",
             "state": "disetujui", "updated_at": now} for day in (dt.date(2026, 3, 2), dt.date(2025, 12, 1))])

    def approved(version, rhk, moved=()):
        return make_event("skp", "skp.approved", ANA, {
            "skp_id": "s1", "nip": ANA, "year": 2026, "agency_id": "ag1", "version": version, "state": "disetujui",
            "actor_nip": GONE, "moved": list(moved),
            "rhk": [{"id": r, "kind": "utama", "text": f"RHK {r[:4]}", "intervenes": None,
                     "iki": [{"aspek": "kuantitas", "indikator": "Jumlah", "target": "4", "satuan": "laporan"}]}
                    for r in rhk]})

    staff.on_event(factory, approved(1, [old, kept]))
    staff.on_event(factory, approved(2, [new, kept], [{"from": old, "to": new}]))
    with factory() as s:
        linked = dict(s.execute(select(entries.c.date, entries.c.rhk_id)).all())
        targets = set(s.scalars(select(approved_rhk.c.target)))
    assert linked == {dt.date(2026, 3, 2): new, dt.date(2025, 12, 1): old}  # only the plan's year moves
    assert targets == {"4 laporan"}
