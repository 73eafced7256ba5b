"""A day is refused for the same master-data reason sync's diagnosis shows as blocking daily progress
(kernel rules.is_active), naming that finding and who fixes it, in both languages."""

import pytest
from sqlalchemy import insert

from ekinerja_kernel import rules
from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from harian import staff
from harian.tables import employees, metadata

ANA, GONE, UNKNOWN = "198002142005042002", "198609262015051001", "199001012015011001"


@pytest.fixture
def factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'harian.db'}")
    metadata.create_all(engine)
    factory = session_factory(engine)
    with factory.begin() as s:
        s.execute(insert(employees), [
            {"nip": nip, "name": nip, "email": None, "status": status, "agency_id": "ag1", "unit_id": "u1",
             "supervisor_nip": None, "updated_at": utcnow()} for nip, status in ((ANA, "active"), (GONE, "inactive"))])
    yield factory
    engine.dispose()


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
