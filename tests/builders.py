"""Small master-data payloads for tests (valid NIP/NIK pairs built to the rules)."""

from __future__ import annotations


def base_payload() -> dict:
    return {
        "agencies": [{"id": "ag1", "name": "Kementerian Uji", "kind": "pusat"}],
        "units": [{"id": "u-root", "agency_id": "ag1", "name": "Sekretariat"},
                  {"id": "u-child", "agency_id": "ag1", "parent_id": "u-root", "name": "Biro Uji"}],
        "positions": [{"id": "p1", "agency_id": "ag1", "name": "Analis", "kind": "fungsional",
                       "jenjang": "Ahli Muda", "kelas_jabatan": "9"}],
    }


def employee(nip: str, nik: str, name: str, supervisor: str | None = None, **over) -> dict:
    row = {"nip": nip, "nik": nik, "name": name, "email": f"{name.lower().replace(' ', '.')}@uji.go.id",
           "employment_type": "PNS", "status": "active", "golongan": "III/a", "agency_id": "ag1",
           "unit_id": "u-child", "position_id": "p1", "supervisor_nip": supervisor}
    row.update(over)
    return row
