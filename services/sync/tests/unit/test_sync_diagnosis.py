"""Each diagnosis rule, on plain facts: what it finds, the code it gives, and who fixes it."""

import datetime as dt

import pytest

from sync.domain import diagnosis as d
from sync.domain.diagnosis import Facts, Person, Seat, StandIn

NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
STAFF = "198609262015051001"  # born 1986-09-26, male
STAFF_NIK = "3171012609860001"
BOSS = "197001012000031001"
PPPK = "199001012022211001"


def person(nip=STAFF, **over) -> Person:
    values = dict(nip=nip, name=f"Pegawai {nip[-3:]}", status="active", agency_id="ag1", nik=STAFF_NIK,
                  unit_id="u-child", unit_name="Biro Uji", unit_kind="unit", unit_parent_id="u-root",
                  position_id="p1", position_name="Analis", supervisor_nip=BOSS,
                  updated_at=dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC))
    values.update(over)
    return Person(**values)


def boss(**over) -> Person:
    return person(BOSS, **{"nik": "3171010101700001", "unit_id": "u-root", "unit_parent_id": None,
                           "position_jenjang": "JPT Madya", "supervisor_nip": None, **over})


def facts(employee=..., supervisor=..., **over) -> Facts:
    employee = person() if employee is ... else employee
    supervisor = boss() if supervisor is ... else supervisor
    values = dict(nip=employee.nip if employee else STAFF, year=2026, now=NOW, employee=employee,
                  supervisor=supervisor, supervisor_skp_in_force=True,
                  unit_chain=("u-child", "u-root") if employee and employee.unit_id == "u-child" else ())
    values.update(over)
    return Facts(**values)


def finding(f: Facts, check: str) -> dict:
    return next(x for x in d.report(f)["findings"] if x["check"] == check)


def test_a_healthy_employee_has_no_problem_and_every_check_runs():
    report = d.report(facts(mfa_used=True, sign_in=d.SignIn(True, activated=True, mfa_enabled=True)))

    assert [x["check"] for x in report["findings"]] == [
        "nip", "nik", "status", "account", "unit-position", "supervisor", "supervisor-branch", "supervisor-active",
        "supervisor-skp", "pmm", "override", "mfa", "last-sync"]
    assert {x["check"]: x["status"] for x in report["findings"]} == {
        "nip": "ok", "nik": "ok", "status": "ok", "account": "ok", "unit-position": "ok", "supervisor": "ok",
        "supervisor-branch": "ok", "supervisor-active": "ok", "supervisor-skp": "ok", "pmm": "skipped",
        "override": "ok", "mfa": "ok", "last-sync": "info"}
    assert report["problems"] == 0 and report["warnings"] == 0 and report["blocked"] == []
    assert all(x["detail"] and x["detail_id"] for x in report["findings"])


def test_every_problem_says_what_why_and_who_in_both_languages():
    broken = facts(person(status="inactive", unit_id=None, position_id=None, supervisor_nip=None, nik=None),
                   supervisor=None)
    problems = [x for x in d.report(broken)["findings"] if x["status"] == "problem"]

    assert {x["code"] for x in problems} == {"nik-not-matched", "account-inactive", "no-unit-position",
                                             "no-supervisor"}
    for x in problems:
        assert x["detail"] and x["detail_id"] and x["why"] and x["why_id"], x
        assert x["fixers"] and x["fixed_by"] and x["fixed_by_id"], x
        assert x["blocks"], x


def test_nip_unknown_is_a_problem_for_sign_in_and_skp_and_the_rest_is_skipped():
    report = d.report(facts(employee=None, supervisor=None))
    nip = report["findings"][0]

    assert (nip["status"], nip["code"]) == ("problem", "nip-not-found")
    assert nip["fixers"] == ["employee", "admin_instansi"]
    assert "MyASN" in nip["fixed_by"] and "Sinkronisasi ASN" in nip["fixed_by_id"]
    assert report["blocked"] == ["harian", "login", "skp"]
    skipped = {x["check"] for x in report["findings"] if x["status"] == "skipped"}
    assert skipped == {"nik", "status", "account", "unit-position", "supervisor", "supervisor-branch",
                       "supervisor-active", "supervisor-skp", "pmm", "last-sync"}


def test_nip_malformed_names_the_rule():
    found = finding(facts(employee=None, supervisor=None, nip="198602302015051001"), "nip")
    assert (found["status"], found["code"]) == ("problem", "nip-invalid")
    assert "not a real date" in found["detail"]


def test_nip_known_tells_pns_from_pppk():
    assert finding(facts(), "nip")["employment_type"] == "PNS"
    pppk = person(PPPK, nik="3171010101900003")
    assert finding(facts(pppk), "nip")["employment_type"] == "PPPK"


@pytest.mark.parametrize("nik", [None, "", "12345", "3171013209860001"])  # missing, short, day 32
def test_nik_missing_or_invalid_is_the_same_problem_identity_reports(nik):
    found = finding(facts(person(nik=nik)), "nik")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "nik-not-matched", ["login"])
    assert found["fixers"] == ["employee", "admin_instansi"]


def test_nik_that_disagrees_with_the_nip_is_a_warning_not_a_problem():
    found = finding(facts(person(nik="3171016609860001")), "nik")  # day 26+40: says female
    assert (found["status"], found["code"]) == ("warning", "nik-nip-mismatch")
    assert found["rules"] == ["nik-nip-gender"]
    assert "blocks" not in found

    both = finding(facts(person(nik="3171016709860001")), "nik")  # another day, and female
    assert both["rules"] == ["nik-nip-birth-date", "nik-nip-gender"]


def test_school_data_is_fixed_through_the_school_operator():
    teacher = person(unit_kind="sekolah", nik=None)
    assert finding(facts(teacher), "nik")["fixers"] == ["employee", "operator_sekolah", "admin_instansi"]


def test_inactive_status_blocks_sign_in_skp_and_days_fixed_by_the_agency_admin():
    found = finding(facts(person(status="inactive")), "status")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "account-inactive",
                                                                 ["login", "skp", "harian"])
    assert found["fixers"] == ["admin_instansi"] and "BKD/BKPSDM" in found["fixed_by"]


@pytest.mark.parametrize("over, missing", [
    ({"unit_id": None}, ["unit"]),
    ({"position_id": None}, ["position"]),
    ({"unit_id": None, "position_id": None}, ["unit", "position"]),
])
def test_unit_or_position_missing_blocks_the_skp(over, missing):
    found = finding(facts(person(**over)), "unit-position")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "no-unit-position", ["skp"])
    assert found["missing"] == missing
    assert found["fixers"][0] == "employee"  # "Sinkronisasi ASN" first


def test_unit_and_position_named_when_set():
    found = finding(facts(), "unit-position")
    assert found["status"] == "ok" and "Biro Uji" in found["detail"] and "Analis" in found["detail"]


def test_no_supervisor_is_a_problem_below_the_top_and_fine_at_the_top():
    missing = finding(facts(person(supervisor_nip=None), supervisor=None), "supervisor")
    assert (missing["status"], missing["code"], missing["fixers"]) == ("problem", "no-supervisor", ["admin_instansi"])

    top = finding(facts(boss(), supervisor=None), "supervisor")
    assert (top["status"], top["code"]) == ("ok", "top-official")


def test_a_teacher_without_supervisor_goes_to_the_kepala_sekolah_first():
    teacher = person(unit_kind="sekolah", supervisor_nip=None)
    found = finding(facts(teacher, supervisor=None), "supervisor")
    assert found["fixers"] == ["kepala_sekolah", "operator_sekolah", "admin_instansi"]


def test_supervisor_set_is_named():
    found = finding(facts(), "supervisor")
    assert found["status"] == "ok" and found["supervisor_nip"] == BOSS


def test_inactive_supervisor_without_anyone_standing_in_is_penilai_missing():
    found = finding(facts(supervisor=boss(status="inactive")), "supervisor-active")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "penilai-missing", ["skp"])
    assert found["fixers"] == ["admin_instansi"]


@pytest.mark.parametrize("stand_in, word", [(StandIn("199001012015011009", "Plt Ani", "PLT", TODAY), "PLT"),
                                            (StandIn("199001012015011009", "Atasan Ani", "atasan"), "next")])
def test_inactive_supervisor_with_a_stand_in_is_a_warning(stand_in, word):
    found = finding(facts(supervisor=boss(status="inactive"), stand_in=stand_in), "supervisor-active")
    assert (found["status"], found["code"]) == ("warning", "supervisor-inactive")
    assert word in found["detail"] and found["stand_in"]["nip"] == "199001012015011009"


def test_supervisor_checks_are_skipped_without_a_supervisor():
    f = facts(person(supervisor_nip=None), supervisor=None)
    assert finding(f, "supervisor-active")["status"] == "skipped"
    assert finding(f, "supervisor-skp")["status"] == "skipped"


def test_supervisor_without_an_skp_in_force_blocks_planning_with_skps_code():
    found = finding(facts(supervisor_skp_in_force=False), "supervisor-skp")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "supervisor-skp-missing", ["skp"])
    assert found["fixers"] == ["supervisor"] and found["supervisor_nip"] == BOSS and found["year"] == 2026
    assert "2026" in found["detail"] and "2026" in found["detail_id"]


def test_a_kepala_sekolah_without_skp_is_named_as_such():
    kepsek = person(BOSS, nik="3171010101700001", unit_kind="sekolah", supervisor_nip=None)
    found = finding(facts(person(unit_kind="sekolah"), supervisor=kepsek, supervisor_skp_in_force=False),
                    "supervisor-skp")
    assert found["fixers"] == ["kepala_sekolah"]


# --- the account, as identity reports it (handed on by the gateway) --------------------------------

LATER = NOW + dt.timedelta(minutes=4)


def test_without_identitys_answer_the_account_and_mfa_are_unknown():
    assert finding(facts(), "account")["status"] == "unknown"
    found = finding(facts(), "mfa")
    assert (found["status"], found["code"]) == ("unknown", "mfa-unknown")
    assert finding(facts(mfa_used=True), "mfa")["code"] == "mfa-used"  # this sign-in proves it is on


def test_an_account_identity_has_not_heard_of_blocks_sign_in_and_names_the_admin():
    found = finding(facts(sign_in=d.SignIn(False)), "account")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "account-pending", ["login"])
    assert found["fixers"] == ["admin_instansi"] and "ekinerja-sync announce" in found["fixed_by"]


def test_an_account_never_activated_says_how_to_activate():
    found = finding(facts(sign_in=d.SignIn(True)), "account")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "account-not-activated", ["login"])
    assert found["fixers"] == ["employee", "admin_instansi"]
    assert "Aktivasi Akun" in found["fixed_by"] and "Aktivasi Akun" in found["fixed_by_id"]
    assert "MyASN" not in found["fixed_by"]  # activation is done in e-Kinerja, not in the registry


def test_a_password_lockout_shows_until_when_and_ends_by_itself():
    locked = d.SignIn(True, activated=True, password_locked_until=LATER)

    found = finding(facts(sign_in=locked), "account")

    assert (found["status"], found["code"], found["blocks"]) == ("problem", "login-locked", ["login"])
    assert found["until"] == LATER.isoformat() and "2026-03-02 03:04:00 UTC" in found["detail"]
    assert "Lupa Kata Sandi" in found["fixed_by"]
    assert finding(facts(sign_in=locked, now=LATER), "account")["code"] == "account-active"


def test_mfa_states():
    def mfa(**over):
        return finding(facts(sign_in=d.SignIn(True, activated=True, **over)), "mfa")

    on = mfa(mfa_enabled=True)
    assert (on["status"], on["code"]) == ("ok", "mfa-enabled") and "recovery codes" in on["detail"]
    pending = mfa(mfa_required=True)
    assert (pending["status"], pending["code"], pending["fixers"]) == (
        "warning", "mfa-enrollment-required", ["employee"])
    off = mfa()
    assert (off["status"], off["code"]) == ("info", "mfa-off")
    locked = mfa(mfa_enabled=True, mfa_locked_until=LATER)
    assert (locked["status"], locked["code"], locked["blocks"]) == ("problem", "mfa-locked", ["login"])
    assert locked["fixers"] == ["employee", "admin_instansi"] and "clock" in locked["why"]


def test_identitys_answer_is_read_defensively():
    assert d.sign_in_from(None) is None
    assert d.sign_in_from({"known": "yes"}) is None
    assert d.sign_in_from({"known": True, "password_locked_until": "not a time"}) is None
    assert d.sign_in_from({"nip": STAFF, "known": False}) == d.SignIn(False)
    assert d.sign_in_from({"known": True, "activated": True, "mfa_enabled": 1, "mfa_required": True,
                           "password_locked_until": LATER.isoformat(), "mfa_locked_until": None}) == d.SignIn(
        True, activated=True, mfa_enabled=False, mfa_required=True, password_locked_until=LATER)


def test_how_someone_signs_in_is_never_announced():
    locked = facts(sign_in=d.SignIn(True, password_locked_until=LATER), mfa_used=True)

    data = d.announced(locked)

    assert {x["check"] for x in data["findings"]}.isdisjoint({"account", "mfa"})
    assert data == d.announced(facts())



def test_last_sync_gives_the_time_of_the_last_change_in_utc():
    found = finding(facts(person(updated_at=dt.datetime(2026, 1, 5, 1, 0))), "last-sync")  # naive: SQLite
    assert found["status"] == "info" and found["at"] == "2026-01-05T01:00:00+00:00"


def test_report_counts_problems_and_warnings_and_what_is_blocked():
    report = d.report(facts(person(nik="3171016609860001"), supervisor_skp_in_force=False))
    assert (report["problems"], report["warnings"], report["blocked"]) == (1, 1, ["skp"])
    assert report["nip"] == STAFF and report["year"] == 2026 and report["checked_at"].startswith("2026-03-02")


# --- who approves for an inactive supervisor: as skp decides it ------------------------------------

def people(*rows: Person):
    index = {p.nip: p for p in rows}
    return index.get


def seat(nip, kind, start=TODAY, end=TODAY):
    return Seat(nip, f"Acting {nip[-3:]}", kind, start, end)


def test_stand_in_prefers_a_plt_in_force_in_the_seat():
    sup = boss(status="inactive")
    seats = {("u-root", "p1"): [seat("111111111111111111", "PLH"), seat("222222222222222222", "PLT")]}
    found = d.find_stand_in(sup, TODAY, people(sup), lambda u, p: seats.get((u, p), []))
    assert (found.nip, found.kind) == ("222222222222222222", "PLT")


def test_stand_in_ignores_assignments_out_of_their_dates_and_the_owner_acting_for_themselves():
    sup = boss(status="inactive")
    seats = {("u-root", "p1"): [seat("111111111111111111", "PLT", TODAY - dt.timedelta(days=9),
                                     TODAY - dt.timedelta(days=1)), seat(STAFF, "PLH")]}
    assert d.find_stand_in(sup, TODAY, people(sup), lambda u, p: seats.get((u, p), []), owner_nip=STAFF) is None


def test_stand_in_is_the_next_active_supervisor_up():
    top = person("196501011990031001", nik="3171010101650001", unit_id="u-top", unit_parent_id=None,
                 supervisor_nip=None)
    sup = boss(status="inactive", supervisor_nip=top.nip)
    found = d.find_stand_in(sup, TODAY, people(sup, top), lambda u, p: [])
    assert (found.nip, found.kind) == (top.nip, "atasan")



def test_last_sync_names_the_registry_sync_time_when_there_is_one():
    import datetime as dt

    synced = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
    found = finding(facts(employee=person(synced_at=synced)), "last-sync")
    assert found["synced_at"] == synced.isoformat()
    assert "2026-11-20" in found["detail"] and "SIASN/MyASN" in found["detail_id"]
    assert "synced_at" not in finding(facts(), "last-sync")


# --- one rule with the services that enforce it (kernel rules), and the newer checks -------------------

def test_only_a_jpt_without_supervisor_heads_an_organisation():
    """A teacher or a root-unit official without a supervisor is not a head: skp refuses to let them
    publish, by the same kernel rule (rules.lacks_supervisor)."""
    teacher = person(unit_id="u-root", unit_parent_id=None, unit_kind="sekolah", supervisor_nip=None,
                     position_jenjang="Ahli Pertama")
    found = finding(facts(teacher, supervisor=None), "supervisor")
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "no-supervisor", ["skp"])
    assert "only the head of an organisation (a JPT" in found["detail"] and "pimpinan organisasi" in found["detail_id"]
    jpt = finding(facts(person(supervisor_nip=None, position_jenjang="JPT Pratama"), supervisor=None), "supervisor")
    assert jpt["code"] == "top-official"


def test_no_supervisor_names_the_supervisor_siasn_gives():
    refusal = d.Refusal(NOW, ({"field": "supervisor_nip", "rule": "supervisor-not-synced", "detail": "x",
                               "detail_id": "y", "supervisor_nip": BOSS},))
    found = finding(facts(person(supervisor_nip=None), supervisor=None, refusal=refusal), "supervisor")
    assert found["registry_supervisor_nip"] == BOSS
    assert f"SIASN names NIP {BOSS}" in found["detail"] and f"SIASN mencatat NIP {BOSS}" in found["detail_id"]
    assert f"pulls NIP {BOSS} from the registry" in found["detail"]


def test_unit_position_missing_says_what_waits_and_that_the_admin_fixes_it_in_siasn():
    found = finding(facts(person(position_id=None)), "unit-position")
    assert "submitted, approved or published" in found["why"] and "diterbitkan" in found["why_id"]
    assert "in SIASN" in found["fixed_by"] and "di SIASN" in found["fixed_by_id"]


@pytest.mark.parametrize("supervisor, chain, status", [
    (boss(), ("u-child", "u-root"), "ok"),  # the unit above
    (boss(unit_id="u-child"), ("u-child", "u-root"), "ok"),  # the same unit
    (boss(unit_id="u-other", unit_name="Biro Lain"), ("u-child", "u-root"), "warning"),  # another branch
    (boss(agency_id="ag2"), ("u-child", "u-root"), "warning"),  # another agency
])
def test_a_supervisor_outside_the_employees_branch_is_a_warning(supervisor, chain, status):
    found = finding(facts(supervisor=supervisor, unit_chain=chain), "supervisor-branch")
    assert found["status"] == status
    if status == "warning":
        assert found["code"] == "supervisor-outside-branch" and "blocks" not in found
        assert found["fixers"] == ["admin_instansi"] and "Reset Struktur" in found["why"]
        assert found["detail_id"] and found["why_id"]


def test_a_teachers_principal_not_synced_is_shown_before_pmm_is_tried():
    teacher = person(unit_kind="sekolah")
    kepsek = boss(unit_kind="sekolah", roles=("kepala_sekolah",))
    found = finding(facts(teacher, supervisor=kepsek, principal_synced=False), "pmm")
    assert (found["status"], found["code"], found["fixers"]) == ("warning", "principal-not-synced",
                                                                 ["kepala_sekolah"])
    assert found["principal_nip"] == BOSS and "Sinkron PMM" in found["why"] and "Sinkronisasi ASN" in found["detail"]
    assert finding(facts(teacher, supervisor=kepsek, principal_synced=True), "pmm")["code"] == "principal-synced"
    assert finding(facts(teacher, supervisor=kepsek, principal_synced=None), "pmm")["status"] == "skipped"
    assert finding(facts(principal_synced=False), "pmm")["status"] == "skipped"  # not in a school
