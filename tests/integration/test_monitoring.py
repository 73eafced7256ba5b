"""National monitoring through the gateway, against the real services: an agency of its own (so no other
module's plans or days are touched) is imported through sync; its staff plan their year, write and
submit their days, their supervisors approve and return them, the head of a unit rates the month and
its penilai sets the unit's predikat, the admin loads a Tukin policy and computes the month. Then every
level, the nation, the agency, each unit down the tree and one person, answers figures equal to a count
made here directly from the services' source tables (with SQL of this test's own, not the read models'
code); who may see which level is checked; each national read of a person is recorded; and each
service's own check of its read model against its source tables finds nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from skp_world import PROBLEM, Client, gateway_client, import_masterdata
from skp_world import rhk as _rhk
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.localservers import wait_for

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "services" / "tukin" / "tukin" / "domain" / "policies" / "kemendemo.yaml"
TODAY = config.today()
YEAR, MONTH = TODAY.year, f"{TODAY:%Y-%m}"
AGENCY = "ujimon"
ATAS, SESUAI = "di_atas_ekspektasi", "sesuai_ekspektasi"
# The tree: um-root > um-a > um-a1; um-root > um-b.
UNITS = [("um-root", None, "Sekretariat Utama"), ("um-a", "um-root", "Deputi Pemantauan"),
         ("um-a1", "um-a", "Direktorat Kepatuhan"), ("um-b", "um-root", "Biro Umum")]
POSITIONS = [("um-jpt", "Sekretaris Utama", "struktural", "JPT Madya", 16),
             ("um-adm", "Kepala Biro", "struktural", "Administrator", 12),
             ("um-was", "Direktur", "struktural", "Pengawas", 10),
             ("um-pel", "Pengolah Data", "pelaksana", None, 6)]
# key: (seq, unit, position, supervisor key, roles)
STAFF = {"head": (1, "um-root", "um-jpt", None, []), "ka": (2, "um-a", "um-adm", "head", []),
         "ka1": (3, "um-a1", "um-was", "ka", []), "s1": (4, "um-a1", "um-pel", "ka1", []),
         "s2": (5, "um-a1", "um-pel", "ka1", []), "kb": (6, "um-b", "um-adm", "head", []),
         "s3": (7, "um-b", "um-pel", "kb", []), "adm": (8, "um-b", "um-pel", "kb", ["admin_instansi"])}
BKN = "197904172005011039"  # deploy/demo: BKN's national monitoring account


def nip_of(seq: int) -> str:
    """Born 198s-01-01, CPNS January 2010, male: a valid NIP."""
    return f"198{seq}0101" "201001" "1" f"{seq:03d}"


def nik_of(seq: int) -> str:
    """Jakarta, born 198s-01-01, male: agrees with the NIP."""
    return "317401" "0101" f"8{seq}" f"{seq:04d}"


NIPS = {key: nip_of(seq) for key, (seq, *_) in STAFF.items()}


def masterdata() -> dict:
    employees = []
    for key, (seq, unit, position, boss, roles) in STAFF.items():
        employees.append({"nip": NIPS[key], "nik": nik_of(seq), "name": f"Pegawai Uji {key.upper()}",
                          "email": f"{key}@ujimon.go.id", "employment_type": "PNS", "status": "active",
                          "golongan": "III/a", "agency_id": AGENCY, "unit_id": unit, "position_id": position,
                          "supervisor_nip": NIPS[boss] if boss else None, "roles": roles})
    return {"agencies": [{"id": AGENCY, "name": "Badan Uji Pemantauan", "kind": "pusat"}],
            "units": [{"id": u, "agency_id": AGENCY, "parent_id": p, "name": n, "kind": "unit"} for u, p, n in UNITS],
            "positions": [{"id": i, "agency_id": AGENCY, "name": n, "kind": k, "jenjang": j, "kelas_jabatan": c}
                          for i, n, k, j, c in POSITIONS],
            "employees": employees}


def subtree(unit: str) -> set[str]:
    found, more = {unit}, True
    while more:
        more = False
        for u, parent, _ in UNITS:
            if parent in found and u not in found:
                found.add(u)
                more = True
    return found


@pytest.fixture(scope="module")
def dbs(service_databases):
    engines = {name: create_engine(service_databases[name]) for name in ("harian", "skp", "tukin")}
    yield engines
    for engine in engines.values():
        engine.dispose()


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def users(rabbit, services, demo_logins, dbs):
    import_masterdata(rabbit.amqp_uri, masterdata())
    for name, engine in dbs.items():
        wait_for(lambda e=engine: scalar(e, "SELECT count(*) FROM employees WHERE agency_id = :a", a=AGENCY)
                 == len(STAFF), timeout=30, what=f"{name}'s copy of the agency's staff")
        wait_for(lambda e=engine: scalar(e, "SELECT count(*) FROM mon_nodes WHERE agency_id = :a AND known "
                                         "AND level = 'unit'",
                                         a=AGENCY) == len(UNITS), timeout=30, what=f"{name}'s unit tree")
    gateway = gateway_client(rabbit.amqp_uri)
    accounts = {key: {"nip": NIPS[key], "roles": ["pegawai", *STAFF[key][4]], "agency_id": AGENCY} for key in STAFF}
    clients = {key: Client(gateway, account) for key, account in accounts.items()}
    clients["bkn"] = Client(gateway, demo_logins[BKN])
    return clients


@pytest.fixture(scope="module")
def cycle(users, dbs):
    """The agency's month: plans, days, decisions, an evaluation, a unit predikat and a Tukin run."""
    plans = {}
    for key in ("head", "ka", "ka1", "s1", "s2", "kb", "s3"):
        boss = STAFF[key][3]
        made = users[key].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
            _rhk(f"Hasil kerja {key}", plans[boss]["rhk"][0]["id"] if boss else None)]})
        assert made.status_code == 201, made.get_json()
        made = made.get_json()
        if boss is None:
            made = users[key].post(f"/api/v1/skp/{made['id']}/publish").get_json()
        elif key != "s3":  # s3's plan stays a draft; adm has none
            users[key].post(f"/api/v1/skp/{made['id']}/submit")
            made = users[boss].post(f"/api/v1/skp/{made['id']}/approve").get_json()
            assert made["state"] == "disetujui", made
        plans[key] = made

    assert users["adm"].put("/api/v1/harian/settings", json={"extra_working_days": [TODAY.isoformat()]}) \
        .status_code == 200  # today is a working day whatever day the suite runs
    wait_for(lambda: scalar(dbs["harian"], "SELECT count(DISTINCT nip) FROM approved_rhk WHERE nip = ANY(:n) "
                                          "AND year = :y", n=[NIPS[k] for k in ("s1", "s2", "ka1")], y=YEAR) == 3,
             timeout=30, what="harian's copy of the approved RHK")

    def activity(key):
        return [{"rhk_id": plans[key]["rhk"][0]["id"], "description": "Mengolah data kepatuhan", "quantity": 3,
                 "satuan": "dokumen", "quality": 95, "evidence_url": "https://drive.ujimon.go.id/bukti/1",
                 "minutes": 180}]

    submitted = {}
    for key in ("s1", "s2", "ka1"):
        accepted = users[key].post("/api/v1/harian/submissions", json={"date": TODAY.isoformat(),
                                                                      "activities": activity(key)})
        assert accepted.status_code == 202, accepted.get_json()
        submitted[key] = accepted.get_json()["status_url"]
    draft = users["s3"].put(f"/api/v1/harian/days/{TODAY.isoformat()}/draft", json={"activities": activity("s1")})
    assert draft.status_code == 409  # s3 has no approved SKP: refused (no-approved-skp), nothing counted
    for key, url in submitted.items():
        wait_for(lambda u=users[key], url=url: u.get(url).get_json()["status"] == "diterima", timeout=30,
                 what=f"{key}'s submission stored")

    def entry(key):
        return users[key].get(f"/api/v1/harian/days/{TODAY.isoformat()}").get_json()["entries"][0]["id"]

    assert users["ka1"].post("/api/v1/harian/decisions", json={"entry_ids": [entry("s1")], "action": "approve"}) \
        .status_code == 200
    assert users["ka1"].post("/api/v1/harian/decisions", json={"entry_ids": [entry("s2")], "action": "return",
                                                                "note": "Lampirkan bukti"}).status_code == 200
    assert users["ka1"].post("/api/v1/harian/decisions", json={"entry_ids": [entry("s1")], "action": "approve"}) \
        .status_code == 409  # decided already: refused, counted once

    periods = users["adm"].post("/api/v1/skp/periods", json={"year": YEAR, "frequency": "monthly",
                                                             "distribution_mode": "warn", "rating_opens_days": 31})
    assert periods.status_code == 200, periods.get_json()
    month = next(p for p in periods.get_json()["periods"] if p["kind"] == "monthly" and p["seq"] == TODAY.month)
    for key, hasil, perilaku in (("s1", ATAS, ATAS), ("s2", SESUAI, SESUAI)):
        skp = plans[key]
        recorded = users[key].put(f"/api/v1/skp/{skp['id']}/evaluations/{month['id']}/realisasi", json={"items": [
            {"rhk_id": skp["rhk"][0]["id"], "realisasi": "Selesai", "evidence": ["https://drive.ujimon.go.id/r"]}]})
        assert recorded.status_code == 200, recorded.get_json()
        rated = users["ka1"].post(f"/api/v1/skp/{skp['id']}/evaluations/{month['id']}/evaluate", json={
            "rating_hasil_kerja": hasil, "rating_perilaku": perilaku,
            "feedback_rhk": {skp["rhk"][0]["id"]: "Baik"}, "feedback_perilaku": {"akuntabel": "Tepat waktu"}})
        assert rated.status_code == 200, rated.get_json()
    unit = users["ka"].put(f"/api/v1/skp/units/um-a1/periods/{month['id']}/predikat", json={"unit_predikat": "baik"})
    assert unit.status_code == 200, unit.get_json()  # Baik: at most 70% Baik and some BP/K: outside the caps

    policy = POLICY.read_text(encoding="utf-8").replace("agency_id: kemendemo", f"agency_id: {AGENCY}")
    loaded = users["adm"].gateway.post("/api/v1/tukin/policies", data=policy, headers={
        **users["adm"].headers, "Content-Type": "application/yaml"})
    assert loaded.status_code == 201, loaded.get_json()
    computed = users["adm"].post("/api/v1/tukin/computations", json={"month": MONTH})
    assert computed.status_code == 200, computed.get_json()
    again = users["adm"].post("/api/v1/tukin/computations", json={"month": MONTH})
    assert again.get_json()["new_revision"] is False
    return {"plans": plans, "month": month}


# --- the counts made here from the source tables ----------------------------------------------------

def harian_counts(engine, units: set[str] | None, agency: str | None) -> Counter:
    """Employee-days of TODAY: each by its day_status row, or else by its closing (blank, justified)."""
    where, params = "agency_id IS NOT NULL", {"d": TODAY}
    if units is not None:
        where, params["u"] = "unit_id = ANY(:u)", sorted(units)
    elif agency is not None:
        where, params["a"] = "agency_id = :a", agency
    found = Counter()
    for r in rows(engine, f"SELECT status, late FROM day_status WHERE date = :d AND {where}", **params):
        found[r.status] += 1
        found["late"] += int(r.late and r.status != "draft")
    for r in rows(engine, f"SELECT c.status FROM day_closures c LEFT JOIN day_status s ON s.nip = c.nip AND "
                          f"s.date = c.date WHERE c.date = :d AND s.nip IS NULL AND c.{where}", **params):
        found["justified" if r.status == "justified" else "blank"] += 1
    found["members"] = scalar(engine, f"SELECT count(*) FROM employees WHERE status = 'active' AND {where}", **params)
    return found


def expect_harian(figures: dict, counts: Counter) -> None:
    filled = counts["diajukan"] + counts["disetujui"] + counts["dikembalikan"]
    assert (figures["members"], figures["filled"], figures["submitted"], figures["approved"], figures["returned"],
            figures["draft"], figures["late"], figures["blank"], figures["justified"]) == (
        counts["members"], filled, counts["diajukan"], counts["disetujui"], counts["dikembalikan"], counts["draft"],
        counts["late"], counts["blank"], counts["justified"])
    assert figures["employee_days"] == filled + counts["draft"] + counts["blank"] + counts["justified"]


def skp_counts(engine, units: set[str] | None, agency: str | None) -> dict[str, int]:
    from skp.domain import distribution
    from skp.domain.distribution import UnitPredikat
    from skp.domain.predikat import Predikat

    place = "e.unit_id = ANY(:u)" if units is not None else "e.agency_id = :a" if agency else "e.agency_id IS NOT NULL"
    params = {"u": sorted(units or ()), "a": agency, "y": YEAR}
    found: dict[str, int] = Counter()
    found["skp_members"] = scalar(engine, f"SELECT count(*) FROM employees e WHERE e.status = 'active' AND {place}",
                                  **params)
    for r in rows(engine, f"SELECT s.state, s.approved_version FROM skps s JOIN employees e ON e.nip = s.nip "
                          f"WHERE s.year = :y AND e.status = 'active' AND {place}", **params):
        found["skp_" + ("disetujui" if r.approved_version is not None else r.state)] += 1
    found["skp_none"] = found["skp_members"] - found["skp_draft"] - found["skp_diajukan"] - found["skp_disetujui"]
    # an evaluation counts at the unit it was finalised with, else at its employee's unit now
    own: dict[tuple, Counter] = defaultdict(Counter)
    for r in rows(engine, "SELECT v.state, v.predikat, p.kind, p.seq, p.agency_id AS period_agency, "
                          "CASE WHEN v.state = 'final' AND v.unit_id IS NOT NULL THEN v.unit_id ELSE e.unit_id END "
                          "AS unit_id, CASE WHEN v.state = 'final' AND v.unit_id IS NOT NULL THEN p.agency_id "
                          "ELSE COALESCE(e.agency_id, p.agency_id) END AS agency_id FROM evaluations v "
                          "JOIN periods p ON p.id = v.period_id LEFT JOIN employees e ON e.nip = v.nip "
                          "WHERE p.year = :y", y=YEAR):
        if (units is not None and r.unit_id not in units) or (units is None and agency and r.agency_id != agency):
            continue
        if r.state in ("dinilai", "final"):
            found["evaluations"] += 1
            found["evaluations_final"] += int(r.state == "final")
            found[f"predikat_{r.predikat}"] += 1
            own[(r.unit_id, r.kind, r.seq)][r.predikat] += 1
    for r in rows(engine, "SELECT u.unit_id, u.predikat, p.kind, p.seq FROM unit_predikat u JOIN periods p "
                          "ON p.id = u.period_id WHERE p.year = :y", y=YEAR):
        in_scope = r.unit_id in units if units is not None else \
            scalar(engine, "SELECT agency_id FROM mon_nodes WHERE node = :n", n=f"u:{r.unit_id}") == agency \
            if agency else True
        if not in_scope:
            continue
        found["units_with_predikat"] += 1
        rated = [Predikat(p) for p, n in own[(r.unit_id, r.kind, r.seq)].items() for _ in range(n)]
        found["units_outside_caps"] += int(bool(distribution.check(UnitPredikat(r.predikat), rated)))
    return found


def tukin_counts(engine, units: set[str] | None, agency: str | None) -> dict[str, int]:
    """The latest run of each agency-month of MONTH, its results by the unit they were computed in."""
    found: dict[str, int] = Counter()
    latest = rows(engine, "SELECT r.id, r.agency_id FROM runs r WHERE r.month = :m AND r.revision = (SELECT "
                          "max(x.revision) FROM runs x WHERE x.agency_id = r.agency_id AND x.month = r.month)", m=MONTH)
    for run in latest:
        if agency is not None and run.agency_id != agency:
            continue
        for r in rows(engine, "SELECT unit_id, body, net FROM results WHERE run_id = :r", r=run.id):
            if units is not None and r.unit_id not in units:
                continue
            if "error" in r.body:
                found["tukin_skipped"] += 1
                continue
            found["tukin_employees"] += 1
            for key, value in (("tukin_gross", r.body["gross"]), ("tukin_deductions", r.body["total_deduction"]),
                               ("tukin_net", r.net)):
                found[key] += int(Decimal(value) * 100)
    return found


def expect(figures: dict, wanted: dict[str, int]) -> None:
    for key, value in wanted.items():
        got = figures[key]
        if key in ("tukin_gross", "tukin_deductions", "tukin_net"):
            got = int(Decimal(got) * 100)
        assert got == value, (key, got, value)


def level(client, path):
    response = client.get(f"/api/v1/monitoring/{path}", query_string={"from": TODAY.isoformat()})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- the tests --------------------------------------------------------------------------------------

def test_every_level_equals_a_count_of_the_source_tables(users, cycle, dbs):
    nation = level(users["bkn"], "nation")
    expect_harian(nation["figures"], harian_counts(dbs["harian"], None, None))
    expect(nation["figures"], skp_counts(dbs["skp"], None, None))
    expect(nation["figures"], tukin_counts(dbs["tukin"], None, None))
    ours = next(c for c in nation["children"] if c["id"] == AGENCY)
    assert ours["name"] == "Badan Uji Pemantauan"

    agency = level(users["bkn"], f"agencies/{AGENCY}")
    assert agency["figures"] == ours["figures"] and agency["pay_visible"] is True
    expect_harian(agency["figures"], harian_counts(dbs["harian"], None, AGENCY))
    expect(agency["figures"], skp_counts(dbs["skp"], None, AGENCY))
    expect(agency["figures"], tukin_counts(dbs["tukin"], None, AGENCY))
    assert [c["id"] for c in agency["children"]] == ["um-root"]

    for unit, _, name in UNITS:  # down the tree
        found = level(users["bkn"], f"units/{unit}")
        assert found["name"] == name and found["path"][0]["name"] == "Badan Uji Pemantauan"
        expect_harian(found["figures"], harian_counts(dbs["harian"], subtree(unit), None))
        expect(found["figures"], skp_counts(dbs["skp"], subtree(unit), None))
        expect(found["figures"], tukin_counts(dbs["tukin"], subtree(unit), None))
        children = {u for u, parent, _ in UNITS if parent == unit}
        assert {c["id"] for c in found["children"]} == children
        for child in found["children"]:  # each child row is that unit's own page's figures
            assert child["figures"] == level(users["bkn"], f"units/{child['id']}")["figures"]
        own = {NIPS[k] for k, (_, u, *_) in STAFF.items() if u == unit}
        assert {p["nip"] for p in found["people"]} == own

    a1 = level(users["bkn"], "units/um-a1")
    assert (a1["figures"]["filled"], a1["figures"]["approved"], a1["figures"]["returned"]) == (3, 1, 1)
    assert (a1["figures"]["predikat_sangat_baik"], a1["figures"]["predikat_baik"]) == (1, 1)
    (caps,) = [c for c in a1["caps"] if c["seq"] == TODAY.month and c["kind"] == "monthly"]
    assert caps["unit_predikat"] == "baik" and caps["outside_caps"] is True
    assert {v["rule"] for v in caps["violations"]} == {"min-butuh_perbaikan-kurang"}
    people = {p["nip"]: p for p in a1["people"]}
    assert people[NIPS["s1"]]["figures"]["approved"] == 1 and people[NIPS["s1"]]["skp_state"] == "disetujui"
    assert people[NIPS["s2"]]["figures"]["returned"] == 1 and people[NIPS["s2"]]["latest_predikat"] == "baik"
    nets = {r.nip: int(Decimal(r.net) * 100) for r in rows(dbs["tukin"], "SELECT nip, net FROM results WHERE run_id "
                                                                          "= :r", r=cycle_run(dbs))}
    assert int(Decimal(people[NIPS["s1"]]["figures"]["tukin_net"]) * 100) == nets[NIPS["s1"]]

    root = level(users["bkn"], "units/um-root")
    assert root["figures"]["skp_none"] == 1 and root["figures"]["skp_draft"] == 1  # adm has none, s3 a draft

    by_blank = users["bkn"].get("/api/v1/monitoring/units/um-root", query_string={
        "from": TODAY.isoformat(), "sort": "filled", "order": "desc"}).get_json()
    assert [c["id"] for c in by_blank["children"]] == ["um-a", "um-b"]


def cycle_run(dbs) -> str:
    return scalar(dbs["tukin"], "SELECT id FROM runs WHERE agency_id = :a AND month = :m ORDER BY revision DESC "
                                "LIMIT 1", a=AGENCY, m=MONTH)


def test_one_person_down_the_drill_and_each_national_read_is_recorded(users, cycle, dbs):
    nip = NIPS["s1"]
    person = users["bkn"].get(f"/api/v1/monitoring/people/{nip}", query_string={"from": TODAY.isoformat()})
    assert person.status_code == 200, person.get_json()
    body = person.get_json()
    assert [p["id"] for p in body["path"]] == [AGENCY, "um-root", "um-a", "um-a1"]
    assert body["days"] == [{"date": TODAY.isoformat(), "status": "disetujui", "late": False, "closed": False,
                             "unit_id": "um-a1", "entries": 1}]
    assert body["skp"]["state"] == "disetujui"
    assert [(e["state"], e["predikat"]) for e in body["evaluations"]] == [("dinilai", "sangat_baik")]
    assert body["pay_visible"] is True and body["tukin"][0]["month"] == MONTH
    reads = users["bkn"].get("/api/v1/monitoring/reads", query_string={"subject": nip}).get_json()["reads"]
    assert {r["service"] for r in reads} == {"harian", "skp", "tukin"}
    assert all(r["reader_nip"] == BKN and r["nips"] == [nip] and r["what"] == "person" for r in reads)
    listed = users["bkn"].get("/api/v1/monitoring/reads", query_string={"subject": "unit:um-a1"}).get_json()
    assert listed["reads"] and set(listed["reads"][0]["nips"]) >= {NIPS["s1"], NIPS["s2"]}
    assert users["adm"].get("/api/v1/monitoring/reads").status_code == 403


def test_who_sees_which_level(users, cycle):
    day = {"from": TODAY.isoformat()}
    admin = users["adm"].get(f"/api/v1/monitoring/agencies/{AGENCY}", query_string=day)
    assert admin.status_code == 200 and admin.get_json()["pay_visible"] is True
    assert users["adm"].get("/api/v1/monitoring/nation", query_string=day).status_code == 403
    head = users["ka1"].get("/api/v1/monitoring/units/um-a1", query_string=day).get_json()
    assert head["pay_visible"] is False and "tukin_net" not in head["figures"] and head["people"]
    for path in ("units/um-b", f"agencies/{AGENCY}", "units/um-a", f"people/{NIPS['s3']}"):
        refused = users["ka1"].get(f"/api/v1/monitoring/{path}", query_string=day)
        assert refused.status_code == 403 and refused.mimetype == PROBLEM, path
    leadership = users["head"].get(f"/api/v1/monitoring/agencies/{AGENCY}", query_string=day).get_json()
    assert leadership["level"] == "agency" and leadership["pay_visible"] is False
    staff = users["s1"].get("/api/v1/monitoring/units/um-a1", query_string=day)
    assert staff.status_code == 403
    mine = users["s1"].get(f"/api/v1/monitoring/people/{NIPS['s1']}", query_string=day).get_json()
    assert mine["nip"] == NIPS["s1"] and mine["pay_visible"] is True  # one's own allowance
    unknown = users["bkn"].get("/api/v1/monitoring/units/tidak-ada", query_string=day)
    assert unknown.status_code == 404
    backward = users["bkn"].get("/api/v1/monitoring/nation", query_string={"from": "2026-03-10", "to": "2026-03-01"})
    assert backward.status_code == 422 and backward.get_json()["errors"][0]["rule"] == "range"


def test_each_services_read_model_equals_its_source_tables(cycle, service_databases):
    from harian import monitoring as harian_monitoring
    from skp import monitoring as skp_monitoring
    from tukin import monitoring as tukin_monitoring

    for name, module in (("harian", harian_monitoring), ("skp", skp_monitoring), ("tukin", tukin_monitoring)):
        engine = make_engine(service_databases[name])
        try:
            assert module.check(session_factory(engine)) == [], name
        finally:
            engine.dispose()
