"""Daily progress through the gateway (issue #5) in the demo city's school: a teacher saves a draft
and submits days (202 + status URL), the kepala sekolah approves or returns entries one by one or in
bulk; the rules refuse with a precise problem; a retried submission is stored once; a submission
made while harian is stopped is stored when it comes back. The teacher's approved RHK arrive as a
real skp.approved event on the bus, as in production."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from email.utils import parsedate_to_datetime

import pytest
from skp_world import PROBLEM, Client, demo_masterdata, gateway_client, holders, import_masterdata
from sqlalchemy import text

from ekinerja_kernel import config
from ekinerja_kernel.bus import ConfirmedPublisher
from ekinerja_kernel.events import make_event
from ekinerja_kernel.localservers import wait_for

TODAY = config.today()
RHK_A, RHK_B = str(uuid.uuid4()), str(uuid.uuid4())
EVIDENCE = "https://drive.kotademo.go.id/sdn1/bukti.pdf"


def activity(rhk_id=RHK_A, description="Mengajar matematika kelas 4", **changes):
    return {"rhk_id": rhk_id, "description": description, "quantity": 2, "satuan": "jam pelajaran",
            "quality": 100, "evidence_url": EVIDENCE, "minutes": 70, **changes}


@pytest.fixture(scope="module")
def people():
    demo = demo_masterdata()
    teachers = holders(demo, "pk-sdn1", "pk-guru-pertama")
    return {"kepsek": holders(demo, "pk-sdn1", "pk-kepsek")[0], "kadis": holders(demo, "pk-disdik", "pk-kadis")[0],
            "guru": teachers[0], "other_guru": teachers[1],
            "stranger": holders(demo, "pk-disdik", "pk-analis")[0],
            "admin": next(e["nip"] for e in demo["employees"]
                          if e["agency_id"] == "pemkotdemo" and "admin_instansi" in e["roles"])}


@pytest.fixture(scope="module")
def gateway_module(rabbit, services):
    return gateway_client(rabbit.amqp_uri)


@pytest.fixture(scope="module")
def users(gateway_module, demo_logins, people, rabbit, harian_db):
    import_masterdata(rabbit.amqp_uri, demo_masterdata())
    wait_for(lambda: _scalar(harian_db, "SELECT count(*) FROM employees WHERE nip = ANY(:n)",
                             n=list(people.values())) == len(people), timeout=30, what="harian's copy of staff")
    return {role: Client(gateway_module, demo_logins[nip]) for role, nip in people.items()}


def _scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def open_days(users):
    """Today is a working day for the city whatever day the suite runs (declared by its admin),
    and the teachers' approved SKP for this year is known to harian."""
    settings = users["admin"].put("/api/v1/harian/settings", json={
        "extra_working_days": [TODAY.isoformat(), (TODAY - dt.timedelta(days=1)).isoformat()]})
    assert settings.status_code == 200, settings.get_json()
    return {"today": TODAY, "yesterday": TODAY - dt.timedelta(days=1)}


@pytest.fixture(scope="module")
def approved_skp(rabbit, people, harian_db, open_days):
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    for nip in (people["guru"], people["other_guru"]):
        iki = [{"aspek": "kuantitas", "indikator": "Jam pelajaran", "target": "24", "satuan": "jam pelajaran"},
               {"aspek": "kualitas", "indikator": "Tuntas", "target": "100", "satuan": "%"},
               {"aspek": "waktu", "indikator": "Tepat waktu", "target": "12", "satuan": "bulan"}]
        rhk = [{"id": RHK_A if nip == people["guru"] else str(uuid.uuid4()), "kind": "utama",
                "text": "Terlaksananya pembelajaran", "intervenes": None, "iki": iki},
               {"id": RHK_B if nip == people["guru"] else str(uuid.uuid4()), "kind": "tambahan",
                "text": "Tersusunnya laporan", "intervenes": None, "iki": []}]
        publisher.publish(make_event("skp", "skp.approved", nip, {
            "skp_id": str(uuid.uuid4()), "nip": nip, "year": TODAY.year, "agency_id": "pemkotdemo", "version": 1,
            "state": "disetujui", "actor_nip": people["kepsek"], "rhk": rhk}))
    publisher.close()
    wait_for(lambda: _scalar(harian_db, "SELECT count(*) FROM approved_rhk WHERE nip = ANY(:n) AND year = :y",
                             n=[people["guru"], people["other_guru"]], y=TODAY.year) == 4,
             timeout=30, what="harian's copy of the approved RHK")


def submit(client, day, activities=None, key=None):
    headers = {**client.headers, **({"Idempotency-Key": key} if key else {})}
    body = {"date": day.isoformat(), **({"activities": activities} if activities is not None else {})}
    return client.gateway.post("/api/v1/harian/submissions", headers=headers, json=body)


def outcome(client, accepted):
    """The submission's status once harian has taken it from the queue."""
    assert accepted.status_code == 202, accepted.get_json()
    url = accepted.get_json()["status_url"]
    assert accepted.headers["Location"] == url
    found = {}

    def decided():
        found.update(client.get(url).get_json())
        return found["status"] != "pending"

    wait_for(decided, timeout=30, what=f"harian to process {url}")
    return found


def test_the_rhk_to_choose_from_are_those_of_the_approved_skp(users, approved_skp):
    body = users["guru"].get("/api/v1/harian/rhk", query_string={"date": TODAY.isoformat()}).get_json()
    assert {r["id"] for r in body["rhk"]} == {RHK_A, RHK_B}


def test_a_draft_is_saved_then_submitted_as_is_and_announced(users, people, approved_skp, open_days, subscriber):
    events = subscriber("ekinerja.harian.#")
    draft = users["guru"].put(f"/api/v1/harian/days/{open_days['yesterday']}/draft",
                              json={"activities": [activity(), activity(RHK_B, "Menyusun laporan harian")]})
    assert draft.status_code == 200, draft.get_json()
    assert draft.get_json()["status"] == "draft" and len(draft.get_json()["entries"]) == 2

    result = outcome(users["guru"], submit(users["guru"], open_days["yesterday"]))
    assert result["status"] == "diterima" and result["entries"] == 2
    day = result["day"]
    assert day["status"] == "diajukan" and {e["state"] for e in day["entries"]} == {"diajukan"}
    event = events.next()
    assert event["type"] == "ekinerja.harian.submitted.v1"
    assert event["data"]["nip"] == people["guru"] and event["data"]["entries"] == 2


def test_the_kepala_sekolah_approves_and_returns_and_the_teacher_sees_the_note(users, people, open_days):
    team = users["kepsek"].get("/api/v1/harian/team", query_string={"from": open_days["yesterday"].isoformat(),
                                                                    "to": open_days["today"].isoformat()}).get_json()
    guru = next(m for m in team["team"] if m["nip"] == people["guru"])
    day = next(d for d in guru["days"] if d["date"] == open_days["yesterday"].isoformat())
    assert day["status"] == "diajukan"
    first, second = (e["id"] for e in day["entries"])

    approved = users["kepsek"].post("/api/v1/harian/decisions", json={"entry_ids": [first], "action": "approve"})
    assert approved.status_code == 200, approved.get_json()
    no_note = users["kepsek"].post("/api/v1/harian/decisions", json={"entry_ids": [second], "action": "return"})
    assert no_note.status_code == 422 and no_note.mimetype == PROBLEM
    returned = users["kepsek"].post("/api/v1/harian/decisions", json={
        "entry_ids": [second], "action": "return", "note": "Lampirkan laporan yang sudah ditandatangani"})
    assert returned.get_json()["days"][0]["day_status"] == "dikembalikan"
    again = users["kepsek"].post("/api/v1/harian/decisions", json={"entry_ids": [first], "action": "approve"})
    assert again.status_code == 409  # no longer waiting

    mine = users["guru"].get(f"/api/v1/harian/days/{open_days['yesterday']}").get_json()
    assert mine["status"] == "dikembalikan"
    assert {e["state"]: e["note"] for e in mine["entries"]} == {
        "disetujui": None, "dikembalikan": "Lampirkan laporan yang sudah ditandatangani"}


def test_the_return_note_stays_after_the_resubmission_for_the_teacher_the_board_and_the_penilai(
        users, people, open_days):
    note = "Lampirkan laporan yang sudah ditandatangani"
    day = open_days["yesterday"].isoformat()
    fixed = outcome(users["guru"], submit(users["guru"], open_days["yesterday"], [
        activity(RHK_B, "Menyusun laporan harian bertanda tangan")]))
    assert fixed["status"] == "diterima" and fixed["day"]["status"] == "diajukan"
    mine = users["guru"].get(f"/api/v1/harian/days/{day}").get_json()
    assert "dikembalikan" not in {e["state"] for e in mine["entries"]}  # the returned entry was replaced
    returned = [h for h in mine["history"] if h["event"] == "returned"]
    assert [h["note"] for h in returned] == [note] and returned[0]["decided_by"] == people["kepsek"]
    assert [h["event"] for h in mine["history"]][-1] == "submitted"

    board = users["kepsek"].get("/api/v1/harian/team", query_string={"from": day}).get_json()
    assert board["read_only"] is False and board["waiting_for_me"]["entries"] >= 1
    assert sum(board["totals"].values()) == len(board["team"]) and board["totals"]["diajukan"] >= 1
    guru = next(m for m in board["team"] if m["nip"] == people["guru"])
    entries = guru["days"][0]["entries"]
    assert {(e["rhk_text"], e["rhk_target"]) for e in entries if e["rhk_id"] == RHK_A} == {
        ("Terlaksananya pembelajaran", "24 jam pelajaran")}
    assert note in [d["note"] for d in guru["days"][0]["decisions"]]

    for penilai in ("kepsek", "kadis"):  # the penilai at evaluation, and the atasan's atasan
        found = users[penilai].get("/api/v1/harian/decisions", query_string={
            "nip": people["guru"], "from": f"{TODAY.year}-01-01", "to": TODAY.isoformat()})
        assert found.status_code == 200, found.get_json()
        assert note in [d["note"] for d in found.get_json()["decisions"]] and found.get_json()["returned"] >= 1
    refused = users["stranger"].get("/api/v1/harian/decisions", query_string={"nip": people["guru"], "from": day})
    assert refused.status_code == 403 and refused.mimetype == PROBLEM


def test_the_atasans_atasan_drills_into_the_school_read_only(users, people, open_days):
    day = open_days["yesterday"].isoformat()
    own = users["kadis"].get("/api/v1/harian/team", query_string={"from": day}).get_json()
    assert next(m for m in own["team"] if m["nip"] == people["kepsek"])["has_team"] is True
    school = users["kadis"].get("/api/v1/harian/team", query_string={"from": day, "of": people["kepsek"]})
    assert school.status_code == 200, school.get_json()
    body = school.get_json()
    assert body["read_only"] is True and body["supervisor"]["nip"] == people["kepsek"]
    assert people["guru"] in {m["nip"] for m in body["team"]} and body["waiting_for_me"]["entries"] == 0
    upward = users["kepsek"].get("/api/v1/harian/team", query_string={"from": day, "of": people["kadis"]})
    assert upward.status_code == 403 and upward.mimetype == PROBLEM


def test_bulk_approval_and_strangers_change_nothing(users, people, open_days, harian_db):
    for who in ("guru", "other_guru"):
        rhk = users[who].get("/api/v1/harian/rhk", query_string={"date": TODAY.isoformat()}).get_json()["rhk"]
        activities = [activity(rhk[0]["id"]), activity(rhk[1]["id"], "Rapat guru")]
        assert outcome(users[who], submit(users[who], open_days["today"], activities))["status"] == "diterima"
    ids = [row[0] for row in harian_db.connect().execute(text(
        "SELECT id FROM entries WHERE date = :d AND state = 'diajukan' AND nip = ANY(:n)"),
        {"d": open_days["today"], "n": [people["guru"], people["other_guru"]]})]
    assert len(ids) == 4

    stranger = users["stranger"].post("/api/v1/harian/decisions", json={"entry_ids": ids, "action": "approve"})
    assert stranger.status_code == 403 and stranger.mimetype == PROBLEM
    assert _scalar(harian_db, "SELECT count(*) FROM entries WHERE id = ANY(:i) AND state = 'diajukan'", i=ids) == 4

    bulk = users["kepsek"].post("/api/v1/harian/decisions", json={"entry_ids": ids, "action": "approve"})
    assert bulk.status_code == 200, bulk.get_json()
    assert sorted(d["nip"] for d in bulk.get_json()["days"]) == sorted([people["guru"], people["other_guru"]])
    assert _scalar(harian_db, "SELECT count(*) FROM entries WHERE id = ANY(:i) AND state = 'disetujui'", i=ids) == 4


@pytest.mark.parametrize("make, field, rule", [
    (lambda d: (d["today"] - dt.timedelta(days=40), [activity()]), "date", None),
    (lambda d: (d["today"], [activity(rhk_id=str(uuid.uuid4()))]), "activities[0].rhk_id", "approved-skp-rhk"),
])
def test_a_refused_submission_shows_its_reason_at_the_status_url(users, open_days, harian_db, make, field, rule):
    day, activities = make(open_days)
    result = outcome(users["other_guru"], submit(users["other_guru"], day, activities))
    assert result["status"] == "ditolak"
    errors = result["problem"]["errors"]
    assert any(e["field"] == field and (rule is None or e["rule"] == rule) for e in errors), errors
    assert all(e["detail"] and e["detail_id"] for e in errors)
    assert _scalar(harian_db, "SELECT entries FROM submissions WHERE id = :i", i=result["id"]) == 0


def test_the_rules_answer_at_once_where_they_can(users, open_days):
    future = submit(users["guru"], open_days["today"] + dt.timedelta(days=1), [activity()])
    assert future.status_code == 422 and future.get_json()["errors"][0]["rule"] == "future-day"
    not_a_date = users["guru"].post("/api/v1/harian/submissions", json={"date": "23/11/2026"})
    assert not_a_date.status_code == 422 and not_a_date.get_json()["errors"][0]["field"] == "date"
    draft = users["guru"].put(f"/api/v1/harian/days/{open_days['today'] - dt.timedelta(days=40)}/draft",
                              json={"activities": [activity()]})
    assert draft.status_code == 422 and draft.get_json()["errors"][0]["field"] == "date"
    # The field rules that need no stored data are harian's contract, applied before the 202.
    fields = submit(users["guru"], open_days["today"], [activity(quantity=0, evidence_url="ftp://x")])
    assert fields.status_code == 422 and fields.mimetype == PROBLEM
    assert {(e["field"], e["rule"]) for e in fields.get_json()["errors"]} == {
        ("activities[0].quantity", "positive-number"), ("activities[0].evidence_url", "http-url")}
    lone_surrogate = users["guru"].gateway.post(
        "/api/v1/harian/submissions", headers=users["guru"].headers, content_type="application/json",
        data='{"date": "' + open_days["today"].isoformat() + '", "activities": [{"description": "Rapat \\ud800"}]}')
    assert lone_surrogate.status_code == 422
    assert lone_surrogate.get_json()["errors"][0]["field"] == "/activities/0/description"


def test_the_same_idempotency_key_twice_is_stored_once(users, people, open_days, harian_db):
    key = f"day-{uuid.uuid4()}"
    first = submit(users["other_guru"], open_days["today"], [activity(
        users["other_guru"].get("/api/v1/harian/rhk", query_string={"date": TODAY.isoformat()})
        .get_json()["rhk"][0]["id"], "Piket sekolah")], key=key)
    second = submit(users["other_guru"], open_days["today"], [activity(
        users["other_guru"].get("/api/v1/harian/rhk", query_string={"date": TODAY.isoformat()})
        .get_json()["rhk"][0]["id"], "Piket sekolah")], key=key)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert outcome(users["other_guru"], second)["status"] == "diterima"
    assert _scalar(harian_db, "SELECT count(*) FROM submissions WHERE id = :i", i=first.get_json()["id"]) == 1
    assert _scalar(harian_db, "SELECT count(*) FROM entries WHERE submission_id = :i",
                   i=first.get_json()["id"]) == 1
    assert second.get_json() == first.get_json()  # the first answer, its acceptance time included


def test_an_idempotency_key_reused_for_another_request_is_422_and_changes_nothing(users, open_days, harian_db):
    key = f"day-{uuid.uuid4()}"
    rhk = users["other_guru"].get("/api/v1/harian/rhk", query_string={"date": TODAY.isoformat()}).get_json()["rhk"]
    first = submit(users["other_guru"], open_days["today"], [activity(rhk[0]["id"], "Piket pagi")], key=key)
    other_body = submit(users["other_guru"], open_days["today"], [activity(rhk[0]["id"], "Piket siang")], key=key)
    other_day = submit(users["other_guru"], open_days["yesterday"], [activity(rhk[0]["id"], "Piket pagi")], key=key)

    for refused in (other_body, other_day):
        assert refused.status_code == 422 and refused.mimetype == PROBLEM, refused.get_json()
        assert refused.get_json()["code"] == "idempotency-key-reused"
        assert key in refused.get_json()["detail"] and refused.get_json()["idempotency_key"] == key
    assert outcome(users["other_guru"], first)["status"] == "diterima"
    assert _scalar(harian_db, "SELECT description FROM entries WHERE submission_id = :i",
                   i=first.get_json()["id"]) == "Piket pagi"


def test_a_submission_made_while_harian_is_stopped_is_stored_when_it_returns(users, services, open_days, harian_db):
    services.stop("harian")
    try:
        accepted = submit(users["guru"], open_days["today"], [activity(description="Ulangan harian")])
        assert accepted.status_code == 202
        submission_id = accepted.get_json()["id"]
        assert _scalar(harian_db, "SELECT count(*) FROM submissions WHERE id = :i", i=submission_id) == 0
    finally:
        services.start("harian")
    assert outcome(users["guru"], accepted)["status"] == "diterima"
    assert _scalar(harian_db, "SELECT count(*) FROM entries WHERE submission_id = :i", i=submission_id) == 1


def test_my_calendar_lists_every_day_and_the_blank_ones(users, open_days):
    body = users["guru"].get("/api/v1/harian/calendar", query_string={"year": TODAY.year, "month": TODAY.month})
    assert body.status_code == 200, body.get_json()
    body = body.get_json()
    days = {d["date"]: d for d in body["days"]}
    assert len(days) >= 28
    assert days[open_days["today"].isoformat()]["status"] == "diajukan"
    assert open_days["today"].isoformat() not in body["blank_working_days"]
    assert all(days[d]["working"] and days[d]["status"] == "belum_diisi" for d in body["blank_working_days"])


def test_someone_elses_submission_status_is_refused(users, open_days):
    accepted = submit(users["guru"], open_days["today"], [activity(description="Les tambahan")])
    assert outcome(users["guru"], accepted)["status"] == "diterima"
    assert users["other_guru"].get(accepted.get_json()["status_url"]).status_code == 403


def test_too_many_submissions_from_one_account_get_429_with_retry_after(rabbit, services, demo_logins, people,
                                                                       open_days):

    strict = gateway_client(rabbit.amqp_uri, SUBMIT_RATE_LIMIT=2)
    guru = Client(strict, demo_logins[people["other_guru"]])
    codes = [submit(guru, open_days["today"], [activity(description=f"Kegiatan {i}")]).status_code
             for i in range(2)]
    refused = submit(guru, open_days["today"], [activity(description="Kegiatan 3")])
    assert codes == [202, 202]
    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    assert int(refused.headers["Retry-After"]) >= 1


def test_a_submission_the_broker_cannot_store_is_503_with_retry_after_not_accepted():
    from harness import TokenMint

    from ekinerja_gateway.app import create_app
    from ekinerja_kernel.localservers import free_port

    mint = TokenMint()
    nowhere = create_app({"AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:{free_port()}/", "JWKS_LOADER": mint.jwks,
                          "RPC_TIMEOUT": 1.0}).test_client()
    response = nowhere.post("/api/v1/harian/submissions", json={"date": TODAY.isoformat(), "activities": [activity()]},
                            headers={"Authorization": "Bearer " + mint.token("199001012015011001", ["pegawai"])})
    assert response.status_code == 503 and response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) >= 1


def test_the_employee_is_told_by_mail_when_a_submission_is_refused(users, people, open_days, mailbox):
    email = next(e["email"] for e in demo_masterdata()["employees"] if e["nip"] == people["other_guru"])
    day = open_days["today"] - dt.timedelta(days=60)
    result = outcome(users["other_guru"], submit(users["other_guru"], day, [activity()]))
    assert result["status"] == "ditolak"

    def told():
        return [m for m in mailbox.messages(email) if day.isoformat() in m["Subject"]]

    wait_for(told, timeout=30, what="the refusal mail")
    body = told()[0].get_payload(decode=True).decode()
    assert result["id"] in body and "outside-backfill-window" not in body and "date:" in body
    web = os.environ.get("EKINERJA_WEB_URL", "http://127.0.0.1:8080").rstrip("/")
    assert f"{web}/harian/{day.isoformat()}/pengajuan/{result['id']}" in body  # an absolute link to the page
    assert "Status: /api/" not in body
    sent = parsedate_to_datetime(told()[0]["Date"])  # every mail carries its Date
    assert abs((sent - dt.datetime.now(dt.UTC)).total_seconds()) < 300 and told()[0]["Message-ID"]


def test_compliance_numbers_for_the_school_and_who_may_see_them(users, people, open_days):
    query = {"scope": "unit", "id": "pk-sdn1", "from": open_days["today"].isoformat()}
    school = users["kepsek"].get("/api/v1/harian/compliance", query_string=query)
    assert school.status_code == 200, school.get_json()
    numbers = school.get_json()
    # Both teachers wrote today (the earlier tests), and those entries are counted as filled.
    assert numbers["filled"] >= 2 and numbers["headcount"] >= 2
    assert numbers["employee_days"] == numbers["headcount"]
    mine = users["guru"].get("/api/v1/harian/compliance", query_string={
        "scope": "employee", "id": people["guru"], "from": open_days["today"].isoformat()}).get_json()
    assert mine["filled"] == 1 and mine["blank"] == 0
    refused = users["stranger"].get("/api/v1/harian/compliance", query_string=query)
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
