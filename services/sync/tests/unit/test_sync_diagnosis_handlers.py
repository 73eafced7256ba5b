"""The diagnosis use case against a real SQLite file: facts gathered from master data and from the
read-copy of SKPs in force (fed by skp.approved once per event), and who may see whose diagnosis."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from sync import diagnosis
from sync.handlers import import_records
from sync.tables import OUTBOX, inbox, registry_synced, skp_published

HEAD = "197001012000031001"
MID = "198002142005042002"
STAFF = "198609262015051001"
LOOSE = "198001012005011004"  # no supervisor, in a child unit
OTHER = "199001012022211001"
YEAR = config.today().year


@pytest.fixture
def factory(sync_db, import_master_data):
    import_master_data({
        "agencies": [{"id": "ag1", "name": "Kementerian A", "kind": "pusat"},
                     {"id": "ag2", "name": "Pemkot B", "kind": "daerah"}],
        "units": [{"id": "a-root", "agency_id": "ag1", "name": "Setjen"},
                  {"id": "a-child", "agency_id": "ag1", "parent_id": "a-root", "name": "Biro"},
                  {"id": "b-root", "agency_id": "ag2", "name": "Setda"},
                  {"id": "b-sd", "agency_id": "ag2", "parent_id": "b-root", "name": "SD 1", "kind": "sekolah"}],
        "positions": [{"id": "pa", "agency_id": "ag1", "name": "Kepala", "kind": "struktural", "jenjang": "JPT Madya"},
                      {"id": "pb", "agency_id": "ag1", "name": "Analis", "kind": "fungsional"},
                      {"id": "pg", "agency_id": "ag2", "name": "Guru", "kind": "fungsional"}],
        "employees": [
            row(HEAD, "3171010101700001", None, unit_id="a-root", position_id="pa"),
            row(MID, "3171015402800002", HEAD, position_id="pa"),
            row(STAFF, "3171016609860001", MID),  # NIK says female: flagged at import
            row(LOOSE, "3171010101800004", None, position_id=None),
            row(OTHER, "3171010101900003", None, agency_id="ag2", unit_id="b-sd", position_id="pg",
                employment_type="PPPK", golongan="IX"),
        ],
        "acting": []})
    return sync_db


def row(nip, nik, supervisor, **over):
    values = {"nip": nip, "nik": nik, "name": f"Pegawai {nip[-3:]}", "email": f"p{nip[-4:]}@contoh.go.id",
              "employment_type": "PNS", "golongan": "III/a", "agency_id": "ag1", "unit_id": "a-child",
              "position_id": "pb", "supervisor_nip": supervisor}
    values.update(over)
    return values


def ctx(nip, roles=("pegawai",), agency="ag1", amr=("pwd",)) -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=tuple(roles), agency_id=agency, amr=tuple(amr)))


def approved(nip, year=YEAR, version=1, event_id=None) -> dict:
    return {"id": event_id or str(uuid.uuid4()), "type": "ekinerja.skp.approved.v1", "source": "/ekinerja/skp",
            "time": "2026-01-10T02:00:00+00:00", "subject": nip,
            "data": {"skp_id": str(uuid.uuid4()), "nip": nip, "year": year, "agency_id": "ag1",
                     "version": version, "state": "disetujui", "actor_nip": nip, "rhk": []}}


def by_check(report):
    return {f["check"]: f for f in report["findings"]}


def test_own_diagnosis_reads_master_data_and_the_skp_read_copy(factory):
    before = by_check(diagnosis.diagnose(factory, ctx(STAFF)))
    assert before["nik"]["code"] == "nik-nip-mismatch"
    assert before["supervisor"]["supervisor_nip"] == MID
    assert before["supervisor-skp"]["code"] == "supervisor-skp-missing"
    assert before["mfa"]["status"] == "unknown"
    assert before["last-sync"]["at"].endswith("+00:00")

    diagnosis.on_event(factory, approved(MID))
    after = diagnosis.diagnose(factory, ctx(STAFF, amr=("pwd", "otp")))
    assert by_check(after)["supervisor-skp"]["status"] == "ok"
    assert by_check(after)["mfa"]["code"] == "mfa-used"
    assert after["problems"] == 0 and after["warnings"] == 1


def test_identitys_account_state_is_shown_as_handed_on_and_a_garbled_one_as_unknown(factory):
    admin_a = ctx("199502212020111013", ("pegawai", "admin_instansi"), "ag1")
    state = {"nip": STAFF, "known": True, "activated": False, "mfa_enabled": False, "mfa_required": True,
             "password_locked_until": None, "mfa_locked_until": None}

    report = by_check(diagnosis.diagnose(factory, admin_a, STAFF, sign_in=state))

    assert report["account"]["code"] == "account-not-activated"
    assert report["mfa"]["code"] == "mfa-enrollment-required"
    garbled = by_check(diagnosis.diagnose(factory, admin_a, STAFF, sign_in={"known": "maybe"}))
    assert (garbled["account"]["status"], garbled["mfa"]["status"]) == ("unknown", "unknown")


def test_another_year_is_checked_on_request(factory):
    diagnosis.on_event(factory, approved(MID, year=2025))
    assert by_check(diagnosis.diagnose(factory, ctx(STAFF), year=2025))["supervisor-skp"]["status"] == "ok"
    assert by_check(diagnosis.diagnose(factory, ctx(STAFF), year=2027))["supervisor-skp"]["status"] == "problem"
    with pytest.raises(DomainError) as exc:
        diagnosis.diagnose(factory, ctx(STAFF), year=1999)
    assert exc.value.status == 422 and exc.value.errors[0].rule == "range-2020-2100"


def test_skp_approved_is_recorded_once_per_event_and_keeps_the_latest_version(factory):
    event = approved(MID, version=2)
    diagnosis.on_event(factory, event)
    diagnosis.on_event(factory, event)  # delivered twice
    diagnosis.on_event(factory, approved(MID, version=1))  # an older version arriving late
    diagnosis.on_event(factory, {**approved(MID), "type": "ekinerja.skp.returned.v1"})  # not ours

    with factory() as s:
        rows = s.execute(select(skp_published)).mappings().all()
        seen = s.execute(select(inbox.c.event_id)).scalars().all()
    assert [(r["nip"], r["year"], r["version"]) for r in rows] == [(MID, YEAR, 2)]
    assert rows[0]["skp_id"] == event["data"]["skp_id"]
    assert len(seen) == 2


def test_no_supervisor_and_no_position(factory):
    found = by_check(diagnosis.diagnose(factory, ctx(LOOSE)))
    assert found["supervisor"]["code"] == "no-supervisor"
    assert found["unit-position"]["missing"] == ["position"]


def test_top_official_is_fine_without_supervisor(factory):
    found = by_check(diagnosis.diagnose(factory, ctx(HEAD)))
    assert found["supervisor"]["code"] == "top-official"
    assert found["supervisor-skp"]["status"] == "skipped"


def test_inactive_supervisor_with_an_acting_official_or_an_atasan(factory):
    import_records(factory, OUTBOX, {"employees": [row(MID, "3171015402800002", HEAD, position_id="pa",
                                                       status="inactive")]})
    atasan = by_check(diagnosis.diagnose(factory, ctx(STAFF)))["supervisor-active"]
    assert (atasan["status"], atasan["stand_in"]["nip"], atasan["stand_in"]["kind"]) == ("warning", HEAD, "atasan")

    today = config.today()
    import_records(factory, OUTBOX, {"acting": [{"id": "plt-1", "agency_id": "ag1", "unit_id": "a-child",
                                                 "position_id": "pa", "nip": LOOSE, "kind": "PLT",
                                                 "start_date": (today - dt.timedelta(days=1)).isoformat(),
                                                 "end_date": (today + dt.timedelta(days=30)).isoformat()}]})
    plt = by_check(diagnosis.diagnose(factory, ctx(STAFF)))["supervisor-active"]
    assert (plt["stand_in"]["nip"], plt["stand_in"]["kind"]) == (LOOSE, "PLT")

    import_records(factory, OUTBOX, {"employees": [row(HEAD, "3171010101700001", None, unit_id="a-root",
                                                       position_id="pa", status="inactive")]})
    import_records(factory, OUTBOX, {"acting": [{"id": "plt-1", "agency_id": "ag1", "unit_id": "a-child",
                                                 "position_id": "pa", "nip": LOOSE, "kind": "PLT",
                                                 "start_date": "2021-01-01", "end_date": "2021-12-31"}]})
    missing = by_check(diagnosis.diagnose(factory, ctx(STAFF)))["supervisor-active"]
    assert (missing["status"], missing["code"]) == ("problem", "penilai-missing")


def test_an_admin_sees_their_agency_only(factory):
    admin_a = ctx("199502212020111013", ("pegawai", "admin_instansi"), "ag1")
    assert diagnosis.diagnose(factory, admin_a, STAFF)["nip"] == STAFF
    assert by_check(diagnosis.diagnose(factory, admin_a, STAFF))["mfa"]["status"] == "unknown"
    for caller, nip in ((admin_a, OTHER), (ctx(MID), STAFF), (ctx(STAFF), MID)):
        with pytest.raises(DomainError) as exc:
            diagnosis.diagnose(factory, caller, nip)
        assert exc.value.status == 403
    national = ctx("196001011985031001", ("admin_nasional",), None)
    teacher = by_check(diagnosis.diagnose(factory, national, OTHER))
    assert teacher["supervisor"]["fixers"] == ["kepala_sekolah", "operator_sekolah", "admin_instansi"]


def test_an_unknown_nip_is_a_finding_for_admins_and_a_refusal_for_others(factory):
    admin_a = ctx("199502212020111013", ("pegawai", "admin_instansi"), "ag1")
    unknown = "198001012005011099"
    report = diagnosis.diagnose(factory, admin_a, unknown)
    assert report["findings"][0]["code"] == "nip-not-found" and report["blocked"] == ["harian", "login", "skp"]
    with pytest.raises(DomainError) as exc:
        diagnosis.diagnose(factory, ctx(STAFF), unknown)
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        diagnosis.diagnose(factory, admin_a, "12345")
    assert exc.value.status == 422
    with pytest.raises(DomainError) as exc:
        diagnosis.diagnose(factory, RequestContext(caller=None))
    assert exc.value.status == 401


def test_the_unit_tree_and_the_principals_sync_are_gathered(factory, monkeypatch):
    principal, teacher = "197505052000031002", "198808082012042003"
    report = import_records(factory, OUTBOX, {"employees": [
        row(principal, "3171010505750002", None, agency_id="ag2", unit_id="b-sd", position_id="pg",
            roles=["kepala_sekolah"]),
        row(teacher, "3171014808880003", principal, agency_id="ag2", unit_id="b-sd", position_id="pg"),
        row(STAFF, "3171016609860001", OTHER)]})  # STAFF of ag1 under OTHER of ag2's school
    assert report["rejected"] == 0, report["errors"]
    admin_b = ctx("199502212020111013", ("pegawai", "admin_nasional"), "ag2")

    assert by_check(diagnosis.diagnose(factory, admin_b, teacher))["pmm"]["status"] == "skipped"  # no PMM here
    monkeypatch.setenv("SYNC_REGISTRY_URL", "http://127.0.0.1:9")
    assert by_check(diagnosis.diagnose(factory, admin_b, teacher))["pmm"]["code"] == "principal-not-synced"
    with factory.begin() as s:
        s.execute(registry_synced.insert().values(nip=principal, synced_at=dt.datetime.now(dt.UTC), run_id="r1"))
    assert by_check(diagnosis.diagnose(factory, admin_b, teacher))["pmm"]["code"] == "principal-synced"

    assert by_check(diagnosis.diagnose(factory, admin_b, teacher))["supervisor-branch"]["status"] == "ok"
    outside = by_check(diagnosis.diagnose(factory, ctx(STAFF)))["supervisor-branch"]
    assert (outside["code"], outside["supervisor_agency_id"]) == ("supervisor-outside-branch", "ag2")
