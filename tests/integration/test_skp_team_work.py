"""How a supervisor's work reaches the team and who acts as penilai (issue #4, items 3 and 6), in the
demo ministry for 2029 (a year no other module plans): the Matriks Peran Hasil turns cells into
proposed RHK that each subordinate accepts or declines; a PLH recorded in master data approves for
their dates; when the penilai is no longer active, the atasan pejabat penilai approves. A PMM RHK
whose text matches none of the supervisor's RHK is accepted by naming the one it intervenes, and a
refusal for a master-data precondition says what sync's diagnosis (`employee.diagnosed`) says."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from skp_world import (
    PROBLEM,
    Client,
    demo_masterdata,
    gateway_client,
    holders,
    iki,
    import_masterdata,
    rhk,
    wait_for_skp_copy,
)
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.bus import ConfirmedPublisher
from ekinerja_kernel.events import make_event, utcnow
from ekinerja_kernel.localservers import wait_for

YEAR = 2029


@pytest.fixture(scope="module")
def demo():
    return demo_masterdata()


@pytest.fixture(scope="module")
def people(demo):
    """sekjen → karo → kabag (Program) → staff and other_staff; kabag_eval heads a sibling section
    (with stranger and eval_staff)."""
    return {"sekjen": holders(demo, "kd-setjen", "kd-sekjen")[0], "karo": holders(demo, "kd-biro-ren", "kd-karo")[0],
            "kabag": holders(demo, "kd-bag-prog", "kd-kabag")[0], "staff": holders(demo, "kd-bag-prog", "kd-prakom")[0],
            "other_staff": holders(demo, "kd-bag-prog", "kd-pengadm")[0],
            "kabag_eval": holders(demo, "kd-bag-eval", "kd-kabag")[0],
            "stranger": holders(demo, "kd-bag-eval", "kd-prakom")[0],
            "eval_staff": holders(demo, "kd-bag-eval", "kd-perencana")[0],
            "admin": next(e["nip"] for e in demo["employees"]
                          if e["agency_id"] == "kemendemo" and "admin_instansi" in e["roles"])}


@pytest.fixture(scope="module")
def world(demo_logins, rabbit, service_databases, demo, people):
    """The demo master data as shipped; afterwards restored as shipped, for the modules after this."""
    import_masterdata(rabbit.amqp_uri, demo)
    wait_for_skp_copy(service_databases["skp"], people.values(), demo)
    yield
    import_masterdata(rabbit.amqp_uri, demo)
    wait_for_skp_copy(service_databases["skp"], people.values(), demo)


@pytest.fixture(scope="module")
def users(rabbit, services, demo_logins, people, world):
    gateway = gateway_client(rabbit.amqp_uri)
    return {role: Client(gateway, demo_logins[nip]) for role, nip in people.items()}


@pytest.fixture(scope="module")
def plans(users):
    """The chain's approved plans for the year, down to the kabag; the year opened for planning by the
    agency admin first (defining its periods), as it is neither the current nor the next year."""
    closed = users["sekjen"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif",
                                                       "rhk": [rhk("Tata kelola kinerja kementerian", target="4")]})
    assert closed.status_code == 422 and closed.get_json()["errors"][0]["rule"] == "year-open"
    assert users["admin"].post("/api/v1/skp/periods", json={"year": YEAR}).status_code == 200
    made = {}
    head = users["sekjen"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif",
                                                     "rhk": [rhk("Tata kelola kinerja kementerian", target="4")]})
    made["sekjen"] = users["sekjen"].post(f"/api/v1/skp/{head.get_json()['id']}/publish").get_json()
    for role, boss in (("karo", "sekjen"), ("kabag", "karo")):
        created = users[role].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
            rhk(f"Hasil kerja {role}", made[boss]["rhk"][0]["id"], target="12")]})
        assert created.status_code == 201, created.get_json()
        users[role].post(f"/api/v1/skp/{created.get_json()['id']}/submit")
        approved = users[boss].post(f"/api/v1/skp/{created.get_json()['id']}/approve")
        assert approved.get_json()["state"] == "disetujui", approved.get_json()
        made[role] = approved.get_json()
    return made


@pytest.fixture(scope="module")
def shared():
    return {}


def _matrix_path(plan):
    return f"/api/v1/skp/{plan['id']}/rhk/{plan['rhk'][0]['id']}/matriks"


def test_a_cell_for_someone_outside_the_team_is_refused_and_nothing_is_proposed(users, people, plans):
    response = users["kabag"].put(_matrix_path(plans["kabag"]), json={"cells": [
        {"nip": people["staff"], "text": "Menyusun dokumen program triwulan", "iki": iki("4")},
        {"nip": people["stranger"], "text": "Menyusun laporan"},
        {"nip": people["other_staff"], "text": "  "}]})

    assert response.status_code == 422 and response.mimetype == PROBLEM
    rules = {(e["field"], e["rule"]) for e in response.get_json()["errors"]}
    assert rules == {("cells[1].nip", "in-your-team"), ("cells[2].text", "required")}
    assert users["kabag"].get(_matrix_path(plans["kabag"])).get_json()["cells"] == []
    assert users["staff"].get("/api/v1/skp/proposals", query_string={"year": YEAR}).get_json()["proposals"] == []


def test_only_the_owner_lays_out_an_rhk_and_strangers_cannot_read_it(users, people, plans):
    by_other = users["karo"].put(_matrix_path(plans["kabag"]), json={"cells": [
        {"nip": people["staff"], "text": "Menyusun dokumen"}]})
    assert by_other.status_code == 403 and by_other.mimetype == PROBLEM
    assert users["stranger"].get(_matrix_path(plans["kabag"])).status_code == 403


def test_the_matrix_becomes_proposals_that_the_team_accepts_into_their_skp(users, people, plans, shared):
    laid = users["kabag"].put(_matrix_path(plans["kabag"]), json={"cells": [
        {"nip": people["staff"], "text": "Menyusun dokumen program triwulan", "iki": iki("4")},
        {"nip": people["other_staff"], "text": "Mengadministrasikan dokumen program"}]})
    assert laid.status_code == 200, laid.get_json()
    cells = laid.get_json()["cells"]
    assert [(c["nip"], c["state"]) for c in cells] == [(people["staff"], "diusulkan"),
                                                       (people["other_staff"], "diusulkan")]
    assert all(c["parent_rhk_id"] == plans["kabag"]["rhk"][0]["id"] for c in cells)

    mine = users["staff"].get("/api/v1/skp/proposals", query_string={"year": YEAR}).get_json()["proposals"]
    assert [p["text"] for p in mine] == ["Menyusun dokumen program triwulan"]
    assert users["stranger"].post(f"/api/v1/skp/proposals/{mine[0]['id']}/accept").status_code == 403

    accepted = users["staff"].post(f"/api/v1/skp/proposals/{mine[0]['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["proposal"]["state"] == "diterima"
    skp = body["skp"]
    assert skp["state"] == "draft" and skp["year"] == YEAR and skp["nip"] == people["staff"]
    assert [(r["text"], r["intervenes"]) for r in skp["rhk"]] == [
        ("Menyusun dokumen program triwulan", plans["kabag"]["rhk"][0]["id"])]
    assert body["proposal"]["rhk_id"] == skp["rhk"][0]["id"]
    again = users["staff"].post(f"/api/v1/skp/proposals/{mine[0]['id']}/accept")
    assert again.status_code == 409 and again.get_json()["code"] == "proposal-decided"
    shared["staff_skp"] = skp


def test_a_proposal_without_iki_needs_them_and_a_decline_needs_a_note(users, people, plans, shared):
    proposal = users["other_staff"].get("/api/v1/skp/proposals",
                                        query_string={"year": YEAR}).get_json()["proposals"][0]
    path = f"/api/v1/skp/proposals/{proposal['id']}"

    no_iki = users["other_staff"].post(f"{path}/accept")
    assert no_iki.status_code == 422 and no_iki.get_json()["errors"][0]["field"] == "iki"
    no_note = users["other_staff"].post(f"{path}/decline", json={"note": " "})
    assert no_note.status_code == 422
    assert [p for p in users["other_staff"].get("/api/v1/skp").get_json()["skps"]
            if p["year"] == YEAR] == []  # nothing was made

    declined = users["other_staff"].post(f"{path}/decline", json={"note": "Sudah dikerjakan bagian lain"})
    assert declined.status_code == 200 and declined.get_json()["state"] == "ditolak"

    # Laying the RHK out again replaces open proposals only: decided ones stay as history.
    relaid = users["kabag"].put(_matrix_path(plans["kabag"]), json={"cells": [
        {"nip": people["other_staff"], "text": "Mengarsip dokumen program"}]}).get_json()
    assert sorted((c["text"], c["state"]) for c in relaid["cells"]) == [
        ("Mengadministrasikan dokumen program", "ditolak"), ("Mengarsip dokumen program", "diusulkan"),
        ("Menyusun dokumen program triwulan", "diterima")]
    fresh = next(c for c in relaid["cells"] if c["state"] == "diusulkan")
    accepted = users["other_staff"].post(f"/api/v1/skp/proposals/{fresh['id']}/accept", json={"iki": iki("30")})
    assert accepted.status_code == 200, accepted.get_json()
    shared["other_skp"] = accepted.get_json()["skp"]


def _acting_copied(service_databases, acting_id, end):
    engine = create_engine(service_databases["skp"])
    try:
        wait_for(lambda: engine.connect().execute(text("SELECT end_date FROM acting WHERE id = :i"),
                                                  {"i": acting_id}).scalar() == end,
                 timeout=30, what="skp's copy of the acting official")
    finally:
        engine.dispose()


def test_a_plh_approves_for_their_dates(users, people, plans, shared, rabbit, service_databases, subscriber):
    today = config.today()
    plh = {"id": "plh-kabag-prog-2029", "agency_id": "kemendemo", "unit_id": "kd-bag-prog",
           "position_id": "kd-kabag",
           "nip": people["kabag_eval"], "kind": "PLH", "start_date": (today - dt.timedelta(days=3)).isoformat(),
           "end_date": (today + dt.timedelta(days=3)).isoformat()}
    events = subscriber("ekinerja.acting.#")
    import_masterdata(rabbit.amqp_uri, {"acting": [plh]})
    assert events.next()["data"] == plh
    _acting_copied(service_databases, plh["id"], dt.date.fromisoformat(plh["end_date"]))

    skp_id = shared["staff_skp"]["id"]
    users["staff"].post(f"/api/v1/skp/{skp_id}/submit")
    team = users["kabag_eval"].get("/api/v1/skp/team", query_string={"year": YEAR}).get_json()
    assert [s["id"] for s in team["waiting_for_me"]] == [skp_id]
    approved = users["kabag_eval"].post(f"/api/v1/skp/{skp_id}/approve")
    assert approved.status_code == 200 and approved.get_json()["state"] == "disetujui", approved.get_json()
    assert approved.get_json()["penilai_nip"] == people["kabag"]  # the holder is still the penilai shown
    history = users["staff"].get(f"/api/v1/skp/{skp_id}").get_json()["history"]
    assert history[-1]["action"] == "approve" and history[-1]["actor_nip"] == people["kabag_eval"]

    # Ended early: the PLH can no longer act.
    ended = {**plh, "end_date": (today - dt.timedelta(days=1)).isoformat()}
    import_masterdata(rabbit.amqp_uri, {"acting": [ended]})
    _acting_copied(service_databases, plh["id"], dt.date.fromisoformat(ended["end_date"]))
    users["other_staff"].post(f"/api/v1/skp/{shared['other_skp']['id']}/submit")
    refused = users["kabag_eval"].post(f"/api/v1/skp/{shared['other_skp']['id']}/approve")
    assert refused.status_code == 403 and refused.mimetype == PROBLEM


def test_when_the_penilai_leaves_the_atasan_pejabat_penilai_approves(users, people, shared, rabbit,
                                                                     service_databases, demo):
    gone = {**next(e for e in demo["employees"] if e["nip"] == people["kabag"]), "status": "inactive"}
    import_masterdata(rabbit.amqp_uri, {"employees": [gone]})
    wait_for_skp_copy(service_databases["skp"], [gone["nip"]], {"employees": [gone]})

    skp_id = shared["other_skp"]["id"]
    view = users["other_staff"].get(f"/api/v1/skp/{skp_id}").get_json()
    assert (view["penilai_nip"], view["penilai_basis"]) == (people["karo"], "atasan_pejabat_penilai")
    assert users["stranger"].post(f"/api/v1/skp/{skp_id}/approve").status_code == 403
    team = users["karo"].get("/api/v1/skp/team", query_string={"year": YEAR}).get_json()
    assert skp_id in [s["id"] for s in team["waiting_for_me"]]
    approved = users["karo"].post(f"/api/v1/skp/{skp_id}/approve")
    assert approved.status_code == 200 and approved.get_json()["state"] == "disetujui", approved.get_json()


def _publish(rabbit, *events) -> None:
    """Events as sync announces them, on the real exchange."""
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    try:
        for event in events:
            publisher.publish(event)
    finally:
        publisher.close()


def _count(service_databases, sql, **params) -> int:
    engine = create_engine(service_databases["skp"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_an_unmatched_pmm_rhk_is_accepted_naming_the_supervisor_rhk_it_intervenes(users, people, plans, rabbit,
                                                                                  service_databases):
    me, boss = people["eval_staff"], people["kabag_eval"]
    # sync's diagnosis: the supervisor has no SKP for 2029 yet. Checked "later" than any check sync
    # itself makes during the run, so this stays the latest one.
    finding = {"check": "supervisor-skp", "status": "problem", "code": "supervisor-skp-missing",
               "detail": f"The supervisor (NIP {boss}) has no approved or published SKP for {YEAR} yet.",
               "detail_id": f"Atasan (NIP {boss}) belum memiliki SKP tahun {YEAR} yang disetujui atau diterbitkan.",
               "why": "Each RHK must intervene one of the supervisor's RHK.",
               "why_id": "Setiap RHK harus mengintervensi RHK atasan.",
               "fixed_by": "the supervisor (atasan langsung)", "fixed_by_id": "atasan langsung",
               "fixers": ["supervisor"], "blocks": ["skp"], "supervisor_nip": boss, "year": YEAR}
    checked_at = (utcnow() + dt.timedelta(hours=1)).isoformat()
    pmm_rhk = "Terselenggaranya evaluasi program berbasis data"
    _publish(rabbit,
             make_event("sync", "employee.diagnosed", me, {"nip": me, "agency_id": "kemendemo", "year": YEAR,
                                                           "checked_at": checked_at, "blocked": ["skp"],
                                                           "findings": [finding]}),
             make_event("sync", "pmm.rhk_agreed", me, {
                 "nip": me, "agency_id": "kemendemo", "principal_nip": boss, "year": YEAR, "semester": 1,
                 "period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-06-30",
                 "rhk": [{"pmm_id": str(uuid.uuid4()), "text": pmm_rhk, "intervenes_text": "Tidak ada di SKP atasan",
                          "iki": iki("2")}]}))
    proposal = wait_for(lambda: next((p for p in users["eval_staff"].get(
        "/api/v1/skp/proposals", query_string={"year": YEAR}).get_json()["proposals"] if p["source"] == "pmm"),
        None), timeout=30, what="skp to turn the PMM RHK into a proposal")
    wait_for(lambda: _count(service_databases, "SELECT count(*) FROM master_data_findings WHERE nip = :n",
                            n=me) == 1, timeout=30, what="skp's copy of sync's diagnosis")
    accept = f"/api/v1/skp/proposals/{proposal['id']}/accept"
    assert proposal["parent_rhk_id"] is None

    # The supervisor has no SKP: refused in the words of sync's diagnosis.
    early = users["eval_staff"].post(accept)
    problem = early.get_json()
    assert early.status_code == 409 and early.mimetype == PROBLEM and problem["code"] == "supervisor-skp-missing"
    assert problem["detail"] == f"{finding['detail']} {finding['why']}"
    # The whole finding rides along, numbers as numbers.
    assert problem["finding"] == finding
    assert (problem["fixed_by"], problem["fixers"], problem["supervisor_nip"]) == (
        finding["fixed_by"], ["supervisor"], boss)

    # The supervisor plans two RHK, neither of which the PMM text names.
    made = users["kabag_eval"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        rhk("Tersusunnya laporan evaluasi program", plans["karo"]["rhk"][0]["id"]),
        rhk("Terpantaunya capaian kinerja unit", plans["karo"]["rhk"][0]["id"])]})
    assert made.status_code == 201, made.get_json()
    choices = {r["id"]: r["text"] for r in made.get_json()["rhk"]}
    # A draft is not in force: nobody's RHK intervenes it yet.
    on_draft = users["eval_staff"].post(accept, json={"intervenes": made.get_json()["rhk"][1]["id"]})
    assert on_draft.status_code == 409 and on_draft.get_json()["code"] == "supervisor-skp-missing"
    users["kabag_eval"].post(f"/api/v1/skp/{made.get_json()['id']}/submit")
    assert users["karo"].post(f"/api/v1/skp/{made.get_json()['id']}/approve").get_json()["state"] == "disetujui"

    missing = users["eval_staff"].post(accept)
    wrong = users["eval_staff"].post(accept, json={"intervenes": plans["karo"]["rhk"][0]["id"]})  # not the boss's
    for response, rule in ((missing, "required"), (wrong, "supervisor-rhk")):
        body = response.get_json()
        assert response.status_code == 422 and response.mimetype == PROBLEM, body
        assert [(e["field"], e["rule"]) for e in body["errors"]] == [("intervenes", rule)]
        assert body["detail"] and body["detail_id"] and body["errors"][0]["detail_id"]
        assert {c["id"]: c["text"] for c in body["choices"]} == choices
    still = users["eval_staff"].get("/api/v1/skp/proposals", query_string={"year": YEAR}).get_json()["proposals"]
    assert [(p["id"], p["state"]) for p in still] == [(proposal["id"], "diusulkan")]
    assert [p for p in users["eval_staff"].get("/api/v1/skp").get_json()["skps"] if p["year"] == YEAR] == []

    chosen = made.get_json()["rhk"][1]["id"]
    accepted = users["eval_staff"].post(accept, json={"intervenes": chosen})

    body = accepted.get_json()
    assert accepted.status_code == 200, body
    assert body["proposal"]["state"] == "diterima" and body["proposal"]["parent_rhk_id"] == chosen
    assert [(r["text"], r["intervenes"]) for r in body["skp"]["rhk"]] == [(pmm_rhk, chosen)]
    assert body["skp"]["state"] == "draft" and body["skp"]["nip"] == me
