"""SKP planning through the gateway: the head publishes, each level cascades from its supervisor's
RHK in force (listed for it, named in refusals), submits, is returned or approved; the penilai writes
the ekspektasi khusus; an RHK keeps its id through edits and revisions, and removing one that others
depend on is refused naming them or moves their links; strangers are refused with the true reason;
a supervisor change in master data moves the approval; events reach subscribers."""

from __future__ import annotations

import json

import pytest
from builders import employee
from skp_world import PROBLEM, Client, demo_masterdata, gateway_client, holders, rhk
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.localservers import wait_for

YEAR = config.today().year  # a year every agency has open


@pytest.fixture(scope="module")
def people():
    """The ministry's chain: sekjen → karo (Perencanaan) → kabag (Program) → staff, and strangers."""
    demo = demo_masterdata()

    def find(unit, position):
        return holders(demo, unit, position)

    return {"sekjen": find("kd-setjen", "kd-sekjen")[0], "karo": find("kd-biro-ren", "kd-karo")[0],
            "kabag": find("kd-bag-prog", "kd-kabag")[0], "staff": find("kd-bag-prog", "kd-prakom")[0],
            "other_staff": find("kd-bag-prog", "kd-pengadm")[0], "kabag_eval": find("kd-bag-eval", "kd-kabag")[0],
            "stranger": find("kd-bag-eval", "kd-prakom")[0]}


@pytest.fixture(scope="module")
def skp_ready(demo_logins, service_databases, people):
    engine = create_engine(service_databases["skp"])

    def copied():
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM employees WHERE nip = ANY(:n)"),
                                {"n": list(people.values())}).scalar() == len(people)

    wait_for(copied, timeout=30, what="skp's copy of the demo master data")
    engine.dispose()


@pytest.fixture(scope="module")
def users(gateway_module, demo_logins, people, skp_ready):
    return {role: Client(gateway_module, demo_logins[nip]) for role, nip in people.items()}


@pytest.fixture(scope="module")
def gateway_module(rabbit, services):
    return gateway_client(rabbit.amqp_uri)


@pytest.fixture(scope="module")
def plans():
    return {}


def test_a_plan_cannot_start_before_the_supervisors(users, people):
    response = users["staff"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif",
                                                        "rhk": [rhk("Menyusun laporan", "x")]})

    assert response.status_code == 409 and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == "supervisor-skp-missing" and body["supervisor_nip"] == people["kabag"]
    assert f"SKP tahun {YEAR}" in body["detail_id"] and body["fixers"] == ["supervisor"]


# A supervisor and their staff member new to master data: the supervisor has no SKP in any year.
NEW_BOSS = ("198101012010011007", "3171010101810007", "Yudi Baru")
NEW_STAFF = ("199701012020012008", "3171014101970008", "Zahra Baru")


def _findings_of(engine, nip):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT findings FROM master_data_findings WHERE nip = :n"), {"n": nip}).first()
    return (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else []


def test_the_refusal_is_the_finding_the_diagnosis_shows(rpc, gateway_module, service_databases, people):
    """One story: skp's refusal is sync's diagnosis finding, word for word; and both apply one rule
    for "the supervisor has an SKP in force": a draft is not, a published one is."""
    year = config.today().year  # sync diagnoses the SKP of the current year
    where = {"agency_id": "kemendemo", "unit_id": "kd-bag-eval", "position_id": "kd-prakom"}
    # The new supervisor heads an organisation here (a JPT with nobody above): they publish their plan.
    report = rpc.sync.import_records({"employees": [
        employee(*NEW_BOSS, supervisor=None, **{**where, "position_id": "kd-karo"}),
        employee(*NEW_STAFF, supervisor=NEW_BOSS[0], **where)]})
    assert report["rejected"] == 0, report["errors"]
    engine = create_engine(service_databases["skp"])

    def diagnosed():
        with engine.connect() as conn:
            known = conn.execute(text("SELECT count(*) FROM employees WHERE nip = :n"), {"n": NEW_STAFF[0]}).scalar()
            row = conn.execute(text("SELECT findings FROM master_data_findings WHERE nip = :n"),
                               {"n": NEW_STAFF[0]}).first()
        found = (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else []
        return known == 1 and any(f["code"] == "supervisor-skp-missing" for f in found)

    wait_for(diagnosed, timeout=30, what="sync's diagnosis of the new staff member in skp")
    staff = Client(gateway_module, {"nip": NEW_STAFF[0], "roles": ["pegawai"], "agency_id": "kemendemo"})
    response = staff.post("/api/v1/skp", json={"year": year, "approach": "kuantitatif",
                                                "rhk": [rhk("Menyusun laporan", "x")]})

    assert response.status_code == 409 and response.mimetype == PROBLEM
    body = response.get_json()
    shown = {f["code"]: f for f in staff.get("/api/v1/me/diagnosis").get_json()["findings"]}
    finding = shown["supervisor-skp-missing"]
    assert body["code"] == "supervisor-skp-missing" and body["supervisor_nip"] == NEW_BOSS[0]
    assert body["detail"] == f"{finding['detail']} {finding['why']}"
    assert body["detail_id"] == f"{finding['detail_id']} {finding['why_id']}"
    assert (body["fixed_by"], body["fixed_by_id"], body["fixers"]) == (
        finding["fixed_by"], finding["fixed_by_id"], ["supervisor"])
    assert body["finding"]["code"] == "supervisor-skp-missing" and NEW_BOSS[2] in body["detail"]

    # The supervisor's plan as a draft: not in force, for skp and for sync's diagnosis alike.
    boss = Client(gateway_module, {"nip": NEW_BOSS[0], "roles": ["pegawai"], "agency_id": "kemendemo"})
    draft = boss.post("/api/v1/skp", json={"year": year, "approach": "kuantitatif",
                                           "rhk": [rhk("Terkelolanya layanan evaluasi")]})
    assert draft.status_code == 201, draft.get_json()
    draft = draft.get_json()
    on_draft = staff.post("/api/v1/skp", json={"year": year, "approach": "kuantitatif",
                                               "rhk": [rhk("Menyusun laporan", draft["rhk"][0]["id"])]})
    assert on_draft.status_code == 409 and on_draft.get_json()["code"] == "supervisor-skp-missing"
    assert on_draft.get_json()["supervisor_skp_state"] == "draft"
    listed = staff.get("/api/v1/skp/intervenable", query_string={"year": year})
    assert listed.status_code == 409 and listed.get_json()["code"] == "supervisor-skp-missing"
    shown = {f["code"] for f in staff.get("/api/v1/me/diagnosis").get_json()["findings"]}
    assert "supervisor-skp-missing" in shown

    assert boss.post(f"/api/v1/skp/{draft['id']}/publish").get_json()["state"] == "disetujui"

    def in_force_for_both():
        findings = {f["code"]: f["status"] for f in staff.get("/api/v1/me/diagnosis").get_json()["findings"]}
        return findings.get("supervisor-skp-in-force") == "ok" and not any(
            f["code"] == "supervisor-skp-missing" for f in _findings_of(engine, NEW_STAFF[0]))

    wait_for(in_force_for_both, timeout=30, what="sync to learn the supervisor's SKP is in force")
    engine.dispose()
    made = staff.post("/api/v1/skp", json={"year": year, "approach": "kuantitatif",
                                           "rhk": [rhk("Menyusun laporan", draft["rhk"][0]["id"])]})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["rhk"][0]["intervenes_text"] == "Terkelolanya layanan evaluasi"


def test_the_cascade_from_head_to_staff(users, people, plans, subscriber):
    events = subscriber("ekinerja.skp.#")
    head = users["sekjen"].post("/api/v1/skp", json={
        "year": YEAR, "approach": "kuantitatif",
        "rhk": [rhk("Terwujudnya tata kelola kinerja kementerian", target="4")]})
    assert head.status_code == 201, head.get_json()
    head = head.get_json()
    assert head["top_official"] and head["state"] == "draft"
    assert len(head["perilaku"]) == 7 and all(p["ekspektasi_khusus"] is None for p in head["perilaku"])
    published = users["sekjen"].post(f"/api/v1/skp/{head['id']}/publish").get_json()
    assert published["state"] == "disetujui" and published["approved_version"] == 1
    plans["head"] = published

    karo = users["karo"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        rhk("Tersusunnya perencanaan kinerja", published["rhk"][0]["id"], target="4")]}).get_json()
    assert users["karo"].post(f"/api/v1/skp/{karo['id']}/submit").get_json()["state"] == "diajukan"
    assert users["sekjen"].post(f"/api/v1/skp/{karo['id']}/approve").get_json()["state"] == "disetujui"
    plans["karo"] = karo

    kabag = users["kabag"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        rhk("Tersusunnya dokumen program", karo["rhk"][0]["id"], target="12")]}).get_json()
    users["kabag"].post(f"/api/v1/skp/{kabag['id']}/submit")
    kabag = users["karo"].post(f"/api/v1/skp/{kabag['id']}/approve").get_json()
    assert kabag["state"] == "disetujui"
    plans["kabag"] = kabag

    staff = users["staff"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        rhk("Menyusun dokumen program bulanan", kabag["rhk"][0]["id"], target="8")]})
    assert staff.status_code == 201
    staff = staff.get_json()
    assert staff["rhk"][0]["intervenes_text"] == "Tersusunnya dokumen program"  # not only the id
    # The ekspektasi khusus are the penilai's to write, not the owner's.
    by_owner = users["staff"].put(f"/api/v1/skp/{staff['id']}/ekspektasi",
                                  json={"ekspektasi_khusus": {"akuntabel": "x"}})
    assert by_owner.status_code == 403 and by_owner.get_json()["code"] == "wrong-actor"
    unknown = users["kabag"].put(f"/api/v1/skp/{staff['id']}/ekspektasi",
                                 json={"ekspektasi_khusus": {"integritas": "Jujur"}})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "ekspektasi_khusus.integritas"
    expected = users["kabag"].put(f"/api/v1/skp/{staff['id']}/ekspektasi",
                                  json={"ekspektasi_khusus": {"akuntabel": "Laporan kinerja tepat waktu"}})
    assert expected.status_code == 200, expected.get_json()
    assert expected.get_json()["perilaku"][1]["ekspektasi_khusus"] == "Laporan kinerja tepat waktu"
    submitted = users["staff"].post(f"/api/v1/skp/{staff['id']}/submit").get_json()
    assert submitted["state"] == "diajukan" and submitted["penilai_nip"] == people["kabag"]

    returned = users["kabag"].post(f"/api/v1/skp/{staff['id']}/return", json={"note": "Target harus 12 dokumen"})
    assert returned.status_code == 200 and returned.get_json()["state"] == "draft"
    assert returned.get_json()["note"] == "Target harus 12 dokumen"
    mine = staff["rhk"][0]
    edited = users["staff"].put(f"/api/v1/skp/{staff['id']}", json={"approach": "kuantitatif", "rhk": [
        {**rhk("Menyusun dokumen program bulanan", kabag["rhk"][0]["id"], target="12"), "id": mine["id"]}]})
    assert edited.status_code == 200
    assert edited.get_json()["rhk"][0]["id"] == mine["id"]  # an edit keeps the RHK's identity
    users["staff"].post(f"/api/v1/skp/{staff['id']}/submit")
    approved = users["kabag"].post(f"/api/v1/skp/{staff['id']}/approve").get_json()
    assert approved["state"] == "disetujui" and approved["rhk"][0]["iki"][0]["target"] == "12"
    assert approved["rhk"][0]["id"] == mine["id"]
    plans["staff"] = approved

    history = [h["action"] for h in users["staff"].get(f"/api/v1/skp/{staff['id']}").get_json()["history"]]
    assert history == ["create", "ekspektasi", "submit", "return", "edit", "submit", "approve"]
    cover = users["kabag"].get(f"/api/v1/skp/{kabag['id']}/cascade").get_json()["rhk"][0]
    assert cover["coverage"]["status"] == "covered" and cover["intervened_by"][0]["nip"] == people["staff"]

    seen = {}
    while "staff-approved" not in seen:
        event = events.next()
        key = event["type"]
        if event["subject"] == people["staff"] and key == "ekinerja.skp.approved.v1":
            seen["staff-approved"] = event
        seen.setdefault(key, event)
    assert {"ekinerja.skp.submitted.v1", "ekinerja.skp.returned.v1", "ekinerja.skp.approved.v1"} <= set(seen)
    approved_event = seen["staff-approved"]["data"]
    assert approved_event["rhk"][0]["id"] == approved["rhk"][0]["id"]  # what daily progress will offer


def test_strangers_can_neither_read_nor_approve(users, plans):
    staff_skp = plans["staff"]["id"]
    stranger = users["stranger"].get(f"/api/v1/skp/{staff_skp}")
    assert stranger.status_code == 403
    # The same agency: the refusal says what is true, not "another agency".
    assert "bukan di instansi Anda" not in stranger.get_json()["detail_id"]
    assert "Eko Kusuma" in stranger.get_json()["detail_id"] and "bukan atasannya" in stranger.get_json()["detail_id"]
    assert users["other_staff"].post(f"/api/v1/skp/{staff_skp}/approve").status_code == 403
    assert users["sekjen"].get(f"/api/v1/skp/{staff_skp}").status_code == 200  # above in the chain
    own_boss = users["staff"].get(f"/api/v1/skp/{plans['kabag']['id']}")
    assert own_boss.status_code == 403 and "atasan Anda" in own_boss.get_json()["detail_id"]
    assert "/api/v1/skp/intervenable" in own_boss.get_json()["detail"]


def test_the_supervisors_rhk_in_force_are_listed_with_who_intervenes_them(users, people, plans):
    listed = users["other_staff"].get("/api/v1/skp/intervenable", query_string={"year": YEAR})

    assert listed.status_code == 200, listed.get_json()
    body = listed.get_json()
    assert body["supervisor"]["nip"] == people["kabag"] and body["required"] is True
    [choice] = body["rhk"]
    assert (choice["id"], choice["text"]) == (plans["kabag"]["rhk"][0]["id"], "Tersusunnya dokumen program")
    assert choice["iki"][0]["target"] == "12"
    assert [(i["nip"], i["text"]) for i in choice["intervened_by"]] == [
        (people["staff"], "Menyusun dokumen program bulanan")]


def test_wrong_state_and_bad_plans_change_nothing(users, plans):
    staff_skp = plans["staff"]
    editing_approved = users["staff"].put(f"/api/v1/skp/{staff_skp['id']}", json={
        "approach": "kuantitatif", "rhk": [rhk("x", plans["kabag"]["rhk"][0]["id"])]})
    assert editing_approved.status_code == 409 and editing_approved.get_json()["code"] == "wrong-state"
    approving_approved = users["kabag"].post(f"/api/v1/skp/{staff_skp['id']}/approve")
    assert approving_approved.status_code == 409

    wrong = rhk("Mengarsip surat", plans["head"]["rhk"][0]["id"], target="0")
    wrong["iki"][1]["target"], wrong["iki"][2]["target"] = "120", "13"
    bad = users["other_staff"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        {**wrong, "bobot": 20}]})
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    rules = {(e["field"], e["rule"]) for e in bad.get_json()["errors"]}
    assert ("rhk[0].intervenes", "supervisor-rhk") in rules  # the head's RHK is not my supervisor's
    assert ("rhk[0].iki[0].target", "positive-number") in rules
    assert {("rhk[0].iki[1].target", "max-100-percent"), ("rhk[0].iki[2].target", "within-period"),
            ("rhk[0].bobot", "unknown-field")} <= rules
    assert bad.get_json()["choices"] == [{"id": plans["kabag"]["rhk"][0]["id"], "text": "Tersusunnya dokumen program"}]
    unknown_field = users["other_staff"].post("/api/v1/skp", json={
        "year": YEAR, "approach": "kuantitatif", "rhk": [rhk("Mengarsip surat", plans["kabag"]["rhk"][0]["id"])],
        "ekspektasi_khusus": {"akuntabel": "x"}})
    assert unknown_field.status_code == 422
    assert [(e["field"], e["rule"]) for e in unknown_field.get_json()["errors"]] == [
        ("ekspektasi_khusus", "unknown-field")]
    closed = users["other_staff"].post("/api/v1/skp", json={"year": 2099, "approach": "kuantitatif", "rhk": [
        rhk("Mengarsip surat", plans["kabag"]["rhk"][0]["id"])]})
    assert closed.status_code == 422 and closed.get_json()["errors"][0]["rule"] == "year-open"
    assert [p for p in users["other_staff"].get("/api/v1/skp").get_json()["skps"]
            if p["year"] == YEAR] == []  # nothing was stored

    not_a_year = users["other_staff"].post("/api/v1/skp", json={"year": "2026", "approach": "kuantitatif",
                                                                 "rhk": []})
    assert not_a_year.status_code == 422 and not_a_year.get_json()["errors"][0]["field"] == "year"


def test_team_view_shows_states_and_what_waits(users, people):
    view = users["kabag"].get("/api/v1/skp/team", query_string={"year": YEAR}).get_json()

    assert people["staff"] in [s["nip"] for s in view["team"]["disetujui"]]
    assert people["other_staff"] in [m["nip"] for m in view["team"]["belum_dibuat"]]


def test_a_supervisor_changed_in_master_data_takes_over_the_approval(users, people, plans, rpc, service_databases):
    other = users["other_staff"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        rhk("Mengarsip surat keluar", plans["kabag"]["rhk"][0]["id"], target="100")]}).get_json()
    users["other_staff"].post(f"/api/v1/skp/{other['id']}/submit")
    demo = demo_masterdata()
    # The whole demo set (other tests may have emptied sync), with one supervisor changed.
    moved_row = [{**e, "supervisor_nip": people["kabag_eval"]} if e["nip"] == people["other_staff"] else e
                 for e in demo["employees"]]
    assert rpc.sync.import_records({**demo, "employees": moved_row})["rejected"] == 0
    engine = create_engine(service_databases["skp"])

    def moved():
        with engine.connect() as conn:
            return conn.execute(text("SELECT supervisor_nip FROM employees WHERE nip = :n"),
                                {"n": people["other_staff"]}).scalar() == people["kabag_eval"]

    wait_for(moved, timeout=20, what="skp to learn the new supervisor")
    engine.dispose()
    try:
        assert users["kabag"].post(f"/api/v1/skp/{other['id']}/approve").status_code == 403  # no longer theirs
        approved = users["kabag_eval"].post(f"/api/v1/skp/{other['id']}/approve")
        assert approved.status_code == 200 and approved.get_json()["state"] == "disetujui"
    finally:
        rpc.sync.import_records(demo)  # put master data back for other tests


def test_a_revision_removes_an_rhk_others_depend_on_only_by_moving_their_links(users, people, plans, subscriber):
    kabag, staff = plans["kabag"], plans["staff"]
    old = kabag["rhk"][0]
    revision = users["kabag"].post(f"/api/v1/skp/{kabag['id']}/revise").get_json()
    assert revision["version"] == 2 and revision["rhk"][0]["id"] == old["id"]  # a revision carries the ids
    replacement = rhk("Tersusunnya dokumen program dan anggaran", plans["karo"]["rhk"][0]["id"], target="12")

    refused = users["kabag"].put(f"/api/v1/skp/{kabag['id']}", json={"approach": "kuantitatif",
                                                                      "rhk": [replacement]})

    assert refused.status_code == 409 and refused.mimetype == PROBLEM
    problem = refused.get_json()
    assert problem["code"] == "rhk-has-dependents" and "Eko Kusuma" in problem["detail_id"]
    [dependents] = problem["dependents"]
    assert dependents["rhk_id"] == old["id"] and dependents["daily_entries"] is True
    # Eko, and Fitri since her plan of the supervisor-change test above.
    assert {d["nip"] for d in dependents["intervened_by"]} == {people["staff"], people["other_staff"]}
    assert users["kabag"].get(f"/api/v1/skp/{kabag['id']}").get_json()["rhk"][0]["id"] == old["id"]  # unchanged

    events = subscriber("ekinerja.skp.approved.#")
    moved = users["kabag"].put(f"/api/v1/skp/{kabag['id']}", json={"approach": "kuantitatif",
                                                                    "rhk": [{**replacement, "replaces": [old["id"]]}]})
    assert moved.status_code == 200, moved.get_json()
    new_id = moved.get_json()["rhk"][0]["id"]
    assert moved.get_json()["moves"] == [{"from": old["id"], "to": new_id}]
    users["kabag"].post(f"/api/v1/skp/{kabag['id']}/submit")
    approved = users["karo"].post(f"/api/v1/skp/{kabag['id']}/approve")
    assert approved.status_code == 200 and approved.get_json()["approved_version"] == 2

    event = events.next()
    while event["subject"] != people["kabag"]:
        event = events.next()
    assert event["data"]["moved"] == [{"from": old["id"], "to": new_id}]  # what daily progress follows
    mine = users["staff"].get(f"/api/v1/skp/{staff['id']}").get_json()
    assert mine["rhk"][0]["intervenes"] == new_id
    assert mine["rhk"][0]["intervenes_text"] == "Tersusunnya dokumen program dan anggaran"
    assert mine["history"][-1]["action"] == "relink"
    cascade = users["kabag"].get(f"/api/v1/skp/{kabag['id']}/cascade").get_json()["rhk"][0]
    assert cascade["rhk_id"] == new_id
    assert {c["nip"] for c in cascade["intervened_by"]} == {people["staff"], people["other_staff"]}
