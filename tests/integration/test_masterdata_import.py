"""Importing master data: bad rows are reported, good rows stored, nothing half-written."""

import json
import os
import subprocess
import sys

import pytest
from builders import base_payload, employee
from sqlalchemy import text

from ekinerja_kernel.rpc import RpcProblem

GOOD_NIP = "198609262015051001"
GOOD_NIK = "3171012609860001"


def rows(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_bad_rows_reported_good_rows_stored_nothing_half_written(rpc, sync_db):
    payload = base_payload()
    payload["employees"] = [
        employee(GOOD_NIP, GOOD_NIK, "Budi"),
        employee("198001012005011002", "3171010101800002", "Andi", unit_id="no-such-unit"),
        employee("12345", "3171010101800003", "Cici"),
        employee("198001012005011004", "3171010101800004", "Dodi", golongan="III/z"),
        employee("198001012005011005", "3171010101800005", "Eko", supervisor=GOOD_NIP),
    ]

    report = rpc.sync.import_records(payload)

    assert report["counts"]["employees"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 3}
    by_row = {(e["row"], e["field"], e["rule"]) for e in report["errors"]}
    assert (2, "unit_id", "exists") in by_row
    assert (3, "nip", "nip-18-digits") in by_row
    assert (4, "golongan", "golongan-format") in by_row
    assert all(e["record"] == "employees" and e["detail"] and e["detail_id"] for e in report["errors"])
    stored = {r.nip for r in rows(sync_db, "SELECT nip FROM employees")}
    assert stored == {GOOD_NIP, "198001012005011005"}
    # Each event belongs to a stored row: the refused ones left no trace in the outbox either.
    subjects = {r.subject for r in rows(sync_db, "SELECT body::json->>'subject' AS subject FROM outbox")}
    assert subjects <= stored | {"u-root", "u-child"}
    assert "198001012005011002" not in subjects


def test_nik_nip_disagreement_is_flagged_not_refused(rpc, sync_db):
    payload = base_payload()
    payload["employees"] = [employee(GOOD_NIP, "3171016609860001", "Budi")]  # NIK says female (+40)

    report = rpc.sync.import_records(payload)

    assert report["rejected"] == 0
    assert [(w["field"], w["rule"]) for w in report["warnings"]] == [("nik", "nik-nip-gender")]


def test_supervisor_loops_are_refused(rpc, sync_db):
    payload = base_payload()
    a, b = "198001012005011001", "198101012005011002"
    payload["employees"] = [employee(a, "3171010101800001", "Ani"),
                            employee(b, "3171010101810002", "Bob", supervisor=a)]
    assert rpc.sync.import_records(payload)["rejected"] == 0

    loop = rpc.sync.import_records({"employees": [employee(a, "3171010101800001", "Ani", supervisor=b)]})

    assert loop["rejected"] == 1
    assert loop["errors"][0]["rule"] == "no-cycle"
    assert rows(sync_db, f"SELECT supervisor_nip FROM employees WHERE nip = '{a}'")[0][0] is None


def test_payload_that_is_not_an_import_is_refused_whole(rpc, sync_db):
    with pytest.raises(RpcProblem) as refused:
        rpc.sync.import_records({"employes": []})

    assert refused.value.status == 422
    assert refused.value.problem["errors"][0]["rule"] == "has-records"


def test_csv_import_from_the_command_line(sync_db, service_databases, tmp_path, rpc):
    rpc.sync.import_records(base_payload())
    header = "nip,nik,name,email,employment_type,status,golongan,agency_id,unit_id,position_id,supervisor_nip"
    csv_file = tmp_path / "pegawai.csv"
    csv_file.write_text("\n".join([
        header,
        f"{GOOD_NIP},{GOOD_NIK},Budi,budi@uji.go.id,PNS,active,III/a,ag1,u-child,p1,",
        "198001012005011002,3171010101800002,Andi,not-an-email,PNS,active,III/a,ag1,u-child,p1,",
    ]) + "\n")
    env = {**os.environ, "SYNC_DATABASE_URL": service_databases["sync"]}

    result = subprocess.run([sys.executable, "-m", "sync.cli", "import", str(csv_file)],
                            capture_output=True, text=True, env=env, timeout=120)

    assert result.returncode == 1, result.stderr  # some rows were refused
    report = json.loads(result.stdout)
    assert report["counts"]["employees"]["created"] == 1
    assert report["errors"] == [{"record": "employees", "row": 2, "key": "198001012005011002", "field": "email",
                                 "rule": "email-format", "detail": "email is not a valid address.",
                                 "detail_id": "email bukan alamat yang valid."}]
    assert [r.nip for r in rows(sync_db, "SELECT nip FROM employees")] == [GOOD_NIP]
