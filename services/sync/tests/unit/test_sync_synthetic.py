"""The synthetic data set: valid and consistent identifiers, unique, trees and supervision without
loops, the national shape, deterministic, and accepted whole by the import."""

import io
import json
from collections import Counter

import pytest

from sync import synthetic
from sync.domain.graph import dependency_order
from sync.domain.identifiers import PNS, PPPK, nik_nip_mismatches, parse_nik, parse_nip
from sync.domain.records import parse_agency, parse_employee, parse_position, parse_unit
from sync.handlers import import_records
from sync.tables import OUTBOX


@pytest.fixture(scope="module")
def data():
    out = io.StringIO()
    counts = synthetic.write_json(out, 3000, seed=11)
    parsed = json.loads(out.getvalue())
    assert counts == {k: len(v) for k, v in parsed.items()}
    return parsed


def test_every_nip_and_nik_is_valid_consistent_and_unique(data):
    staff = data["employees"]
    assert len(staff) == 3000
    assert len({e["nip"] for e in staff}) == len({e["nik"] for e in staff}) == 3000
    for e in staff:
        nip, nik = parse_nip(e["nip"]), parse_nik(e["nik"])
        assert nik_nip_mismatches(nik, nip) == [], e
        assert nip.kind == e["employment_type"]
        employee, warnings = parse_employee(e)
        assert warnings == [] and employee.status == "active"
    kinds = Counter(e["employment_type"] for e in staff)
    assert 0.15 < kinds[PPPK] / len(staff) < 0.45 and kinds[PNS] > kinds[PPPK]


def test_units_form_trees_and_supervision_has_no_loop_and_stays_in_the_agency(data):
    units = {u["id"]: u for u in data["units"]}
    for u in data["units"]:
        parse_unit(u)
        if u["parent_id"]:
            assert units[u["parent_id"]]["agency_id"] == u["agency_id"]
    _, stuck = dependency_order((u["id"], u["parent_id"]) for u in data["units"])
    assert stuck == []

    staff = {e["nip"]: e for e in data["employees"]}
    seen: set[str] = set()
    for e in data["employees"]:  # listed top-down: a supervisor always comes first
        boss = e["supervisor_nip"]
        assert boss is None or (boss in seen and staff[boss]["agency_id"] == e["agency_id"]), e
        seen.add(e["nip"])
    for e in data["employees"]:
        chain, current = set(), e["nip"]
        while current is not None:
            assert current not in chain, f"loop through {current}"
            chain.add(current)
            current = staff[current]["supervisor_nip"]
        assert len(chain) <= 6


def test_national_shape(data):
    agencies = data["agencies"]
    for a in agencies:
        parse_agency(a)
    for p in data["positions"]:
        parse_position(p)
    kinds = Counter(a["kind"] for a in agencies)
    assert kinds["pusat"] >= 1 and kinds["daerah"] >= 1
    by_agency = Counter(e["agency_id"] for e in data["employees"])
    central = sum(n for a, n in by_agency.items() if a.startswith("pusat-"))
    assert 0.15 < central / 3000 < 0.35
    roles = Counter(r for e in data["employees"] for r in e["roles"])
    assert roles["admin_instansi"] == len(agencies)
    assert roles["kepala_sekolah"] == sum(1 for u in data["units"] if u["kind"] == "sekolah") > 10
    teachers = [e for e in data["employees"] if e["position_id"].endswith(("guru-pertama", "guru-muda"))]
    principals = {e["nip"] for e in data["employees"] if "kepala_sekolah" in e["roles"]}
    assert teachers and all(t["supervisor_nip"] in principals for t in teachers)


def test_deterministic_for_a_seed_and_different_for_another():
    def text(size, seed):
        out = io.StringIO()
        synthetic.write_json(out, size, seed)
        return out.getvalue()

    assert text(400, 5) == text(400, 5)
    assert text(400, 5) != text(400, 6)


def test_scales_the_number_of_agencies():
    assert len(synthetic.plan_agencies(1000, 1)) == 2
    plans = synthetic.plan_agencies(120_000, 1)
    assert len(plans) == 20 and sum(p.headcount for p in plans) == 120_000
    assert len(synthetic.plan_agencies(5_700_000, 1)) == synthetic.MAX_AGENCIES
    with pytest.raises(ValueError):
        synthetic.plan_agencies(10, 1)


def test_the_import_accepts_every_row(sync_db):
    out = io.StringIO()
    synthetic.write_json(out, 400, seed=3)
    report = import_records(sync_db, OUTBOX, json.loads(out.getvalue()))
    assert report["rejected"] == 0 and report["warnings"] == []
    assert report["counts"]["employees"]["created"] == 400


def test_the_command_writes_the_file(tmp_path, capsys):
    path = tmp_path / "out" / "synthetic.json"
    assert synthetic.main(["--size", "120", "--out", str(path)]) == 0
    assert len(json.loads(path.read_text())["employees"]) == 120
    assert "120 employees" in capsys.readouterr().err
