"""Allowances through the gateway (issue #6) for the demo ministry, October 2026: the admin loads the
Tukin policy (a bad one is refused with the field named), harian's closed days and skp's evaluation
arrive as real events, the admin computes the month, the employee reads their lines; a late
justification recomputed makes revision 2 with the difference recorded; nobody reads another's."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from skp_world import PROBLEM, Client, demo_masterdata, gateway_client, import_masterdata
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.bus import ConfirmedPublisher
from ekinerja_kernel.events import make_event
from ekinerja_kernel.localservers import wait_for

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "services" / "tukin" / "tukin" / "domain" / "policies" / "kemendemo.yaml"
EKO, CITRA, ADMIN, FITRI = "198005122013071005", "197501201999022003", "199502212020111013", "199106032017052006"
BUDI, GILANG, HANA = "199310182020081002", "199611232020101007", "199512122019082008"  # Budi > Citra > Eko
MONTH = "2026-10"
BLANK = [dt.date(2026, 10, 5), dt.date(2026, 10, 6), dt.date(2026, 10, 8)]
WORKING = [dt.date(2026, 10, d) for d in range(1, 32) if calendar.weekday(2026, 10, d) < 5]
AFTER = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def tukin_db(service_databases):
    engine = create_engine(service_databases["tukin"])
    yield engine
    engine.dispose()


def _count(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def users(rabbit, services, demo_logins, tukin_db):
    import_masterdata(rabbit.amqp_uri, demo_masterdata())
    wait_for(lambda: _count(tukin_db, "SELECT kelas_jabatan FROM employees WHERE nip = :n", n=EKO) == 6,
             timeout=30, what="tukin's copy of staff")
    gateway = gateway_client(rabbit.amqp_uri)
    return {nip: Client(gateway, demo_logins[nip]) for nip in (EKO, CITRA, ADMIN, FITRI, BUDI)}


def _closed_day(day: dt.date, blank: bool, justified: bool = False) -> dict:
    status = "justified" if justified else "belum_diisi" if blank else "disetujui"
    return {"nip": EKO, "agency_id": "kemendemo", "unit_id": "kd-bag-prog", "date": day.isoformat(),
            "status": status, "entries": 0 if blank or justified else 1, "blank": blank and not justified,
            "justified": justified, "absence": "sakit" if justified else None, "late": False}


@pytest.fixture(scope="module")
def october(rabbit, users, tukin_db):
    """October as harian closed it (3 blank working days) and a Kurang evaluation from skp."""
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    for day in WORKING:
        publisher.publish(make_event("harian", "harian.day_closed", EKO, _closed_day(day, day in BLANK)))
    # A day after October closed: October can no longer be written, so it has closed (not a preview).
    publisher.publish(make_event("harian", "harian.day_closed", EKO, _closed_day(AFTER, False)))
    publisher.publish(make_event("skp", "skp.evaluated", EKO, {
        "skp_id": str(uuid.uuid4()), "nip": EKO, "agency_id": "kemendemo", "year": 2026,
        "period": {"id": str(uuid.uuid4()), "kind": "quarterly", "seq": 3, "start": "2026-07-01", "end": "2026-09-30"},
        "rating_hasil_kerja": "di_bawah_ekspektasi", "rating_perilaku": "sesuai_ekspektasi", "predikat": "kurang",
        "angka_kredit": None, "penilai_nip": CITRA}))
    publisher.close()
    # Other modules' day closings may add later days of Eko's: October's and the one after are counted.
    wait_for(lambda: _count(tukin_db, "SELECT count(*) FROM days WHERE nip = :n AND date >= '2026-10-01' AND "
                            "date <= '2026-10-31'", n=EKO) == len(WORKING)
             and _count(tukin_db, "SELECT count(*) FROM days WHERE nip = :n AND date = :d", n=EKO, d=AFTER) == 1
             and _count(tukin_db, "SELECT count(*) FROM evaluations WHERE nip = :n", n=EKO) == 1,
             timeout=30, what="tukin's copy of October")
    return publisher


def test_a_bad_policy_is_refused_with_the_field_named_and_a_good_one_loaded(users):
    admin = users[ADMIN]
    bad = POLICY.read_text().replace("discipline: 40", "discipline: 30")
    refused = admin.gateway.post("/api/v1/tukin/policies", data=bad,
                                 headers={**admin.headers, "Content-Type": "application/yaml"})
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert any(e["field"].startswith("split") for e in refused.get_json()["errors"]), refused.get_json()
    by_staff = users[EKO].gateway.post("/api/v1/tukin/policies", data=POLICY.read_text(),
                                       headers={**users[EKO].headers, "Content-Type": "application/yaml"})
    assert by_staff.status_code == 403

    loaded = admin.gateway.post("/api/v1/tukin/policies", data=POLICY.read_text(),
                                headers={**admin.headers, "Content-Type": "application/yaml"})
    assert loaded.status_code == 201, loaded.get_json()
    again = admin.gateway.post("/api/v1/tukin/policies", data=POLICY.read_text(),
                               headers={**admin.headers, "Content-Type": "application/yaml"})
    assert again.status_code == 409


def test_the_month_is_computed_and_each_line_explained(users, october, subscriber):
    events = subscriber("ekinerja.tukin.#")
    run = users[ADMIN].post("/api/v1/tukin/computations", json={"month": MONTH})
    assert run.status_code == 200, run.get_json()
    assert run.get_json()["revision"] == 1 and run.get_json()["new_revision"] is True
    assert run.get_json()["preview"] is False  # October has closed
    announced = events.next()
    assert announced["type"] == "ekinerja.tukin.computed.v1" and announced["data"]["month"] == MONTH
    assert announced["data"]["preview"] is False

    mine = users[EKO].get("/api/v1/tukin/me", query_string={"month": MONTH}).get_json()["computation"]
    # Kelas 6: Rp 2.702.000; performance 60% = 1.621.200, discipline 40% = 1.080.800.
    assert (mine["gross"], mine["performance_part"], mine["discipline_part"]) == ("2702000", "1621200", "1080800")
    lines = {line["kind"]: line for line in mine["deductions"]}
    assert set(lines) == {"blank_day", "predikat"}
    assert lines["blank_day"]["amount"] == "81060"  # 3 blank days × 2.5% = 7.5% of 1.080.800
    assert lines["predikat"]["amount"] == "16212"  # Kurang: 1% of 1.621.200
    assert mine["net"] == "2604728"
    assert all(line["explanation"]["id"] and line["explanation"]["en"] for line in mine["deductions"])


def test_recomputing_unchanged_data_changes_nothing(users, october):
    again = users[ADMIN].post("/api/v1/tukin/computations", json={"month": MONTH}).get_json()
    assert again["revision"] == 1 and again["new_revision"] is False


def test_a_late_justification_makes_a_revision_with_the_difference(users, october, rabbit, tukin_db):
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    publisher.publish(make_event("harian", "harian.day_closed", EKO, _closed_day(BLANK[0], True, justified=True)))
    publisher.close()
    wait_for(lambda: _count(tukin_db, "SELECT status FROM days WHERE nip = :n AND date = :d", n=EKO, d=BLANK[0])
             == "justified", timeout=30, what="the justification in tukin")
    run = users[ADMIN].post("/api/v1/tukin/computations", json={"month": MONTH}).get_json()
    assert run["revision"] == 2 and run["new_revision"] is True and run["changed"] >= 1

    mine = users[EKO].get("/api/v1/tukin/me", query_string={"month": MONTH}).get_json()
    assert mine["computation"]["net"] == "2631748"  # 2 blank days now: 5% of 1.080.800 = 54.040
    assert [r["revision"] for r in mine["revisions"]] == [1, 2]
    assert mine["revisions"][0]["net"] == "2604728"  # the first answer is kept, not overwritten
    assert mine["revisions"][1]["difference"], "the change must be recorded"


def test_nobody_reads_anothers_allowance(users):
    assert users[FITRI].get("/api/v1/tukin/agency", query_string={"month": MONTH}).status_code == 403
    assert users[FITRI].get("/api/v1/tukin/promotion", query_string={"nip": EKO}).status_code == 403
    assert users[FITRI].get("/api/v1/tukin/export.csv", query_string={"month": MONTH}).status_code == 403
    team = users[CITRA].get("/api/v1/tukin/team", query_string={"month": MONTH}).get_json()
    assert EKO in [c["nip"] for c in team["team"]]
    assert all(c["nip"] != FITRI or c for c in team["team"])


def test_team_totals_are_for_the_supervisor_of_the_team_only(users, tukin_db):
    """The team is everyone below the supervisor (directly or not) by master data as tukin has it; its
    totals are the team's, and nobody reads the agency's payroll totals from the team view."""
    budi = users[BUDI].get("/api/v1/tukin/team", query_string={"month": MONTH})
    assert budi.status_code == 200, budi.get_json()
    body = budi.get_json()
    members = {c["nip"]: c for c in body["team"]}
    assert {CITRA, GILANG, EKO, FITRI, HANA} <= set(members)  # direct (Citra, Gilang) and below them
    assert BUDI not in members and ADMIN not in members  # not himself, not another branch of the agency
    # Other modules add employees under demo supervisors: the direct reports are whoever tukin's copy says.
    with tukin_db.connect() as conn:
        under_budi = set(conn.execute(text("SELECT nip FROM employees WHERE supervisor_nip = :n"),
                                      {"n": BUDI}).scalars())
    assert {CITRA, GILANG} <= set(body["direct_reports"]) == under_budi
    computed = [c for c in members.values() if "error" not in c]
    assert body["totals"]["employees"] == len(computed)
    assert int(body["totals"]["net"]) == sum(int(c["net"]) for c in computed)
    assert not {"gross", "deductions", "net", "employees"} & set(body["run"]), "the agency's totals leaked"
    mine = users[EKO].get("/api/v1/tukin/me", query_string={"month": MONTH}).get_json()
    assert not {"gross", "deductions", "net", "employees"} & set(mine["run"]), "the agency's totals leaked"

    for nobody_s_supervisor in (FITRI, ADMIN):  # an employee, and an admin without a team
        refused = users[nobody_s_supervisor].get("/api/v1/tukin/team", query_string={"month": MONTH})
        assert refused.status_code == 403 and refused.mimetype == PROBLEM
        problem = refused.get_json()
        assert problem["code"] == "no-team" and "reports to you" in problem["detail"] and problem["detail_id"]
        assert "team" not in problem and "totals" not in problem
    whole = users[ADMIN].get("/api/v1/tukin/agency", query_string={"month": MONTH})
    assert whole.status_code == 200 and whole.get_json()["totals"]["net"]  # the admin's view of the agency


def test_the_payroll_export_and_the_agency_totals(users):
    exported = users[ADMIN].get("/api/v1/tukin/export.csv", query_string={"month": MONTH})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert 'filename="tukin-kemendemo-2026-10-r2.csv"' in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    eko = next(r for r in rows if r["nip"] == EKO)
    assert (eko["gross"], eko["deduction_blank_day"], eko["deduction_predikat"], eko["net"]) == \
        ("2702000", "54040", "16212", "2631748")
    assert (eko["month"], eko["revision"], eko["unit_id"]) == (MONTH, "2", "kd-bag-prog")
    whole = users[ADMIN].get("/api/v1/tukin/agency", query_string={"month": MONTH}).get_json()
    assert whole["totals"]["employees"] == len([r for r in rows if r["net"]])
    assert int(whole["totals"]["net"]) == sum(int(r["net"]) for r in rows if r["net"])


def test_the_payroll_workbook_keeps_nip_as_text_with_month_revision_unit_and_totals(users):
    exported = users[ADMIN].get("/api/v1/tukin/export.xlsx", query_string={"month": MONTH})
    assert exported.status_code == 200, exported.get_data(as_text=True)
    assert exported.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="tukin-kemendemo-2026-10-r2.xlsx"' in exported.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(exported.get_data())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[2]
    assert "2026-10" in rows[0][0] and "revisi 2" in rows[0][0]
    eko_row = next(i for i, r in enumerate(rows) if r[header.index("NIP")] == EKO)
    nip = sheet.cell(eko_row + 1, header.index("NIP") + 1)
    assert nip.data_type == "s" and len(nip.value) == 18  # not 1.98005E+17
    assert rows[eko_row][header.index("Unit")] == "kd-bag-prog"
    assert rows[eko_row][header.index("Diterima (Rp)")] == 2631748
    whole = users[ADMIN].get("/api/v1/tukin/agency", query_string={"month": MONTH}).get_json()
    assert "JUMLAH" in rows[-1][header.index("Nama")]
    assert rows[-1][header.index("Diterima (Rp)")] == int(whole["totals"]["net"])
    assert users[FITRI].get("/api/v1/tukin/export.xlsx", query_string={"month": MONTH}).status_code == 403


@pytest.mark.parametrize("month", ["2026-1", " 2026-10 ", "2026-10 ", "2026-13", "10-2026"])
def test_every_month_route_takes_exactly_yyyy_mm(users, october, month):
    admin, eko = users[ADMIN], users[EKO]
    answers = [admin.post("/api/v1/tukin/computations", json={"month": month}),
               eko.get("/api/v1/tukin/me", query_string={"month": month}),
               users[CITRA].get("/api/v1/tukin/team", query_string={"month": month}),
               admin.get("/api/v1/tukin/agency", query_string={"month": month}),
               admin.get("/api/v1/tukin/export.csv", query_string={"month": month}),
               admin.get("/api/v1/tukin/export.xlsx", query_string={"month": month})]
    for answer in answers:
        assert answer.status_code == 422 and answer.mimetype == PROBLEM, answer.get_data(as_text=True)
        assert [(e["field"], e["rule"]) for e in answer.get_json()["errors"]] == [("month", "month-format")]


def test_a_running_month_is_a_preview_and_is_not_exported_for_payroll(users, october):
    running = config.today().strftime("%Y-%m")
    run = users[ADMIN].post("/api/v1/tukin/computations", json={"month": running})
    assert run.status_code == 200, run.get_json()
    assert run.get_json()["preview"] is True
    mine = users[EKO].get("/api/v1/tukin/me", query_string={"month": running})
    assert mine.status_code == 200 and mine.get_json()["run"]["preview"] is True
    for route in ("/api/v1/tukin/export.csv", "/api/v1/tukin/export.xlsx"):
        refused = users[ADMIN].get(route, query_string={"month": running})
        assert refused.status_code == 409 and refused.mimetype == PROBLEM
        assert refused.get_json()["code"] == "tukin-month-open" and "pratinjau" in refused.get_json()["detail_id"]
