"""The registry's record shapes map to import rows and back without change (an unchanged registry
means no event), and the registry decides only the roles it knows (kepala sekolah)."""

import json
from pathlib import Path

from sync.domain.records import parse_employee
from sync.registry.siasn import agency_row, employee_row, position_row, to_agency, to_data_utama, to_unit, unit_row

DEMO = Path(__file__).resolve().parents[4] / "deploy" / "demo" / "masterdata.json"


def demo():
    return json.loads(DEMO.read_text(encoding="utf-8"))


def test_every_demo_record_reads_back_as_the_same_import_row():
    data = demo()
    agencies = {a["id"]: a for a in data["agencies"]}
    units = {u["id"]: u for u in data["units"]}
    positions = {p["id"]: p for p in data["positions"]}
    for row in data["employees"]:
        doc = to_data_utama(row, agencies, units, positions, "2026-01-01T00:00:00+00:00")
        admin_roles = [r for r in row["roles"] if r != "kepala_sekolah"]
        back = employee_row(doc, admin_roles)
        assert {**back, "status": back["status"]} == {**row, "roles": sorted(row["roles"])}, row["nip"]
        assert parse_employee(back)[0] == parse_employee(row)[0]
        position = position_row(doc)
        expected = positions[row["position_id"]]
        assert {**position, "kelas_jabatan": int(position["kelas_jabatan"])} == expected
    for agency in data["agencies"]:
        assert agency_row(to_agency(agency)) == agency
    for unit in data["units"]:
        assert unit_row(to_unit(unit, None)) == unit


def test_siasn_field_names_and_values():
    data = demo()
    row = next(e for e in data["employees"] if "kepala_sekolah" in e["roles"])
    doc = to_data_utama(row, {a["id"]: a for a in data["agencies"]}, {u["id"]: u for u in data["units"]},
                        {p["id"]: p for p in data["positions"]}, "2026-01-01T00:00:00+00:00")
    assert doc["nipBaru"] == row["nip"] and doc["tugasTambahan"] == "Kepala Sekolah"
    assert doc["kedudukanPnsNama"] == "Aktif" and doc["jenisJabatan"] == "Fungsional"
    assert doc["tglLahir"] == f"{row['nip'][6:8]}-{row['nip'][4:6]}-{row['nip'][0:4]}"
    unit = to_unit(next(u for u in data["units"] if u["kind"] == "sekolah"), "Kepala Sekolah")
    assert set(unit) >= {"Id", "DiatasanId", "NamaUnor", "NamaJabatan"} and unit["JenisUnor"] == "Sekolah"


def test_roles_e_kinerja_gave_are_kept_and_the_registry_decides_kepala_sekolah():
    doc = {"nipBaru": "198609262015051001", "tugasTambahan": None, "kedudukanPnsNama": "Aktif",
           "statusPegawai": "CPNS"}
    row = employee_row(doc, ["admin_instansi", "kepala_sekolah"])
    assert row["roles"] == ["admin_instansi"]  # no longer a principal in the registry
    assert row["employment_type"] == "PNS"
    assert employee_row({**doc, "tugasTambahan": "kepala sekolah"})["roles"] == ["kepala_sekolah"]
    assert employee_row({**doc, "kedudukanPnsNama": "Pensiun"})["status"] == "inactive"
