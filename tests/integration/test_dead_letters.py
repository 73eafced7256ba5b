"""No message halts a queue: a submission harian cannot store, sent between two good ones, is parked
in the dead-letter queue with its error while the good ones are stored; its status URL says it failed
and why, the employee gets a mail, and a metric counts it. An event whose handler fails every try is
parked (not dropped), and the operator's replay puts it back once the cause is fixed.

Everything runs on the real broker and database: the poison text reaches harian the way the gateway
hands a submission over (straight onto harian.submissions), and the handler's failure is a real
constraint of harian's database that the test adds and removes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from skp_world import Client, demo_masterdata, gateway_client, holders, import_masterdata
from sqlalchemy import text

from ekinerja_kernel import config
from ekinerja_kernel.__main__ import main as kernel_cli
from ekinerja_kernel.bus import HARIAN_SUBMISSIONS, HARIAN_SUBMIT, ConfirmedPublisher, commands_exchange
from ekinerja_kernel.events import make_event
from ekinerja_kernel.localservers import wait_for

TODAY = config.today()
YESTERDAY = TODAY - dt.timedelta(days=1)
RHK = str(uuid.uuid4())
POISON = "Rapat guru \ud800"  # a lone surrogate: valid JSON text escape, not storable text


def account(demo: dict, nip: str) -> dict:
    person = next(e for e in demo["employees"] if e["nip"] == nip)
    return {"nip": nip, "roles": person["roles"], "agency_id": person["agency_id"], "email": person["email"]}


def _scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def school(rabbit, services, harian_db):
    """Two teachers of the demo city's school known to harian; today and yesterday are working days
    for the city; the first teacher's SKP is approved."""
    demo = demo_masterdata()
    teachers = holders(demo, "pk-sdn1", "pk-guru-pertama")[2:4]
    admin = next(e["nip"] for e in demo["employees"]
                 if e["agency_id"] == "pemkotdemo" and "admin_instansi" in e["roles"])
    import_masterdata(rabbit.amqp_uri, demo)
    wait_for(lambda: _scalar(harian_db, "SELECT count(*) FROM employees WHERE nip = ANY(:n)", n=teachers) == 2,
             timeout=30, what="harian's copy of staff")
    gateway = gateway_client(rabbit.amqp_uri)
    settings = Client(gateway, account(demo, admin)).put("/api/v1/harian/settings", json={
        "extra_working_days": [TODAY.isoformat(), YESTERDAY.isoformat()]})
    assert settings.status_code == 200, settings.get_json()
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    publisher.publish(approved_skp(teachers[0], [RHK]))
    publisher.close()
    wait_for(lambda: _scalar(harian_db, "SELECT count(*) FROM approved_rhk WHERE rhk_id = :r", r=RHK) == 1,
             timeout=30, what="harian's copy of the approved RHK")
    return {"gateway": gateway, "teacher": account(demo, teachers[0]), "other": account(demo, teachers[1])}


def approved_skp(nip: str, rhk_ids: list[str]) -> dict:
    return make_event("skp", "skp.approved", nip, {
        "skp_id": str(uuid.uuid4()), "nip": nip, "year": TODAY.year, "agency_id": "pemkotdemo", "version": 1,
        "state": "disetujui", "actor_nip": None,
        "rhk": [{"id": r, "kind": "utama", "text": "Terlaksananya pembelajaran", "intervenes": None, "iki": []}
                for r in rhk_ids]})


def submission(nip: str, day: dt.date, description: str) -> dict:
    """The command the gateway publishes after its 202 (gateway/ekinerja_gateway/harian_api.py)."""
    return make_event("gateway", HARIAN_SUBMIT, nip, {
        "id": str(uuid.uuid4()), "nip": nip, "date": day.isoformat(),
        "accepted_at": dt.datetime.now(dt.UTC).isoformat(),
        "activities": [{"rhk_id": RHK, "description": description, "quantity": 2, "satuan": "jam pelajaran",
                        "quality": 100, "evidence_url": "https://drive.kotademo.go.id/sdn1/bukti.pdf",
                        "minutes": 70}]}, request_id=f"dead-letter-test-{uuid.uuid4().hex[:8]}")


def dead_letters_counted(metrics_port: int, service: str, queue: str) -> float:
    body = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
    return sum(s.value for family in text_string_to_metric_families(body) for s in family.samples
               if s.name == "ekinerja_dead_letters_total" and s.labels == {"service": service, "queue": queue})


def parked(capsys, queue: str) -> dict[str, dict]:
    """What `python -m ekinerja_kernel dead-letters show QUEUE --json` shows, by message id."""
    capsys.readouterr()
    code = kernel_cli(["dead-letters", "show", queue, "--json", "--limit", "1000"])
    shown = capsys.readouterr()
    if code == 1 and f"no dead-letter queue {queue}.dead" in shown.err:
        return {}  # nothing was ever parked from that queue
    assert code == 0, shown.err
    return {m["message_id"]: m for m in map(json.loads, shown.out.splitlines())}


@pytest.fixture(autouse=True)
def broker_uri(rabbit, monkeypatch):
    monkeypatch.setenv("AMQP_URI", rabbit.amqp_uri)


def test_a_poison_submission_between_two_good_ones_is_parked_and_the_good_ones_are_stored(
        rabbit, school, harian_db, metrics_ports, mailbox, capsys):
    teacher = Client(school["gateway"], school["teacher"])
    before = dead_letters_counted(metrics_ports["harian"], "harian", "harian.submissions")
    teacher_nip = school["teacher"]["nip"]
    first = submission(teacher_nip, YESTERDAY, "Mengajar matematika kelas 5")
    poison = submission(teacher_nip, TODAY, POISON)
    # The good ones are of another day: a later submission of the poison's day would replace it (diganti).
    second = submission(teacher_nip, YESTERDAY, "Mengoreksi ulangan harian")
    publisher = ConfirmedPublisher(rabbit.amqp_uri, exchange=commands_exchange(), queues=(HARIAN_SUBMISSIONS,))
    started = time.monotonic()
    for command in (first, poison, second):
        publisher.publish(command)
    publisher.close()

    def status(command):
        return teacher.get(f"/api/v1/harian/submissions/{command['data']['id']}").get_json()

    wait_for(lambda: all(status(c)["status"] == "diterima" for c in (first, second)), timeout=20,
             interval=0.1, what="both good submissions to be stored")
    assert time.monotonic() - started < 10, "the good ones waited for the poison one"
    assert [status(c)["entries"] for c in (first, second)] == [1, 1]

    wait_for(lambda: status(poison)["status"] == "gagal", timeout=30, what="the poison submission to fail")
    failed = status(poison)
    problem = failed["problem"]
    assert problem["code"] == "unstorable-text" and failed["entries"] == 0
    assert [e["field"] for e in problem["errors"]] == ["activities[0].description"]
    assert problem["detail"] and problem["detail_id"] and problem["errors"][0]["detail_id"]
    assert "Traceback" not in json.dumps(problem) and "UnicodeEncodeError" not in json.dumps(problem)
    assert _scalar(harian_db, "SELECT count(*) FROM entries WHERE submission_id = :i", i=poison["data"]["id"]) == 0
    # The employee's day and calendar show it, as they show a refusal.
    day = teacher.get(f"/api/v1/harian/days/{TODAY.isoformat()}").get_json()
    assert day["last_refused_submission"]["id"] == poison["data"]["id"]
    calendar = teacher.get("/api/v1/harian/calendar", query_string={"year": TODAY.year, "month": TODAY.month})
    assert next(d for d in calendar.get_json()["days"] if d["date"] == TODAY.isoformat())["has_refused_submission"]

    # The parked copy keeps the submission as it came, with the error and the tries.
    copy = parked(capsys, "harian.submissions")[poison["id"]]
    assert copy["body"] == json.loads(json.dumps(poison))
    assert copy["error_type"] == "UnicodeEncodeError" and "surrogates not allowed" in copy["error"]
    assert copy["tries"] == 5 and copy["first_failure"] <= copy["last_failure"]
    assert copy["queue"] == "harian.submissions" and copy["service"] == "harian"

    wait_for(lambda: dead_letters_counted(metrics_ports["harian"], "harian", "harian.submissions") == before + 1,
             timeout=10, what="the dead-letter metric")

    def told():
        return [m for m in mailbox.messages(school["teacher"]["email"]) if poison["data"]["id"] in
                m.get_payload(decode=True).decode()]

    wait_for(told, timeout=30, what="the mail telling the teacher")
    body = told()[0].get_payload(decode=True).decode()
    assert "activities[0].description" in body and TODAY.isoformat() in told()[0]["Subject"]


def test_a_submission_that_failed_on_our_side_is_stored_when_replayed_after_the_fix(
        rabbit, school, harian_db, capsys):
    """A fault of ours (here: a constraint the database refuses the entry with) parks the submission
    as failed, saying nothing is lost; once fixed, the operator's replay stores it and the status
    says so."""
    teacher = Client(school["gateway"], school["teacher"])
    command = submission(school["teacher"]["nip"], TODAY, "Supervisi kelas oleh kepala sekolah")
    with harian_db.begin() as conn:
        conn.execute(text("ALTER TABLE entries ADD CONSTRAINT dead_letter_fault "
                          "CHECK (description <> 'Supervisi kelas oleh kepala sekolah') NOT VALID"))
    try:
        publisher = ConfirmedPublisher(rabbit.amqp_uri, exchange=commands_exchange(), queues=(HARIAN_SUBMISSIONS,))
        publisher.publish(command)
        publisher.close()
        url = f"/api/v1/harian/submissions/{command['data']['id']}"
        wait_for(lambda: teacher.get(url).get_json()["status"] == "gagal", timeout=30,
                 what="the submission to fail")
        problem = teacher.get(url).get_json()["problem"]
        assert problem["code"] == "processing-failed" and "errors" not in problem
        assert "Nothing is lost" in problem["detail"] and "Tidak ada yang hilang" in problem["detail_id"]
        assert "dead_letter_fault" not in json.dumps(problem)  # the operator's detail stays in the parked copy
        assert "dead_letter_fault" in parked(capsys, "harian.submissions")[command["id"]]["error"]
    finally:
        with harian_db.begin() as conn:
            conn.execute(text("ALTER TABLE entries DROP CONSTRAINT IF EXISTS dead_letter_fault"))

    capsys.readouterr()
    assert kernel_cli(["dead-letters", "replay", "harian.submissions", "--id", command["id"]]) == 0
    wait_for(lambda: teacher.get(url).get_json()["status"] == "diterima", timeout=30,
             what="the replayed submission to be stored")
    assert teacher.get(url).get_json()["entries"] == 1
    assert _scalar(harian_db, "SELECT count(*) FROM submissions WHERE id = :i", i=command["data"]["id"]) == 1
    assert command["id"] not in parked(capsys, "harian.submissions")


def test_a_failing_event_handler_parks_its_event_and_replay_puts_it_back(
        rabbit, school, harian_db, metrics_ports, capsys):
    nip = school["other"]["nip"]
    rhk = [str(uuid.uuid4()), str(uuid.uuid4())]
    before = dead_letters_counted(metrics_ports["harian"], "harian", "harian.events")
    assert nip.isdigit()  # goes into DDL, which takes no bound parameters
    with harian_db.begin() as conn:
        conn.execute(text(f"ALTER TABLE approved_rhk ADD CONSTRAINT dead_letter_test CHECK (nip <> '{nip}') NOT VALID"))
    event = approved_skp(nip, rhk)
    try:
        publisher = ConfirmedPublisher(rabbit.amqp_uri)
        publisher.publish(event)
        publisher.close()
        wait_for(lambda: dead_letters_counted(metrics_ports["harian"], "harian", "harian.events") == before + 1,
                 timeout=30, what="harian to park the event")
        copy = parked(capsys, "harian.events")[event["id"]]
        assert copy["error_type"] == "IntegrityError" and "dead_letter_test" in copy["error"]
        assert copy["tries"] == 5 and copy["type"] == "ekinerja.skp.approved.v1"
        assert _scalar(harian_db, "SELECT count(*) FROM approved_rhk WHERE nip = :n", n=nip) == 0
        # sync took the same event from its own queue: one handler's failure is nobody else's
        assert event["id"] not in parked(capsys, "sync.events")
    finally:
        with harian_db.begin() as conn:
            conn.execute(text("ALTER TABLE approved_rhk DROP CONSTRAINT IF EXISTS dead_letter_test"))

    listed = subprocess.run([sys.executable, "-m", "ekinerja_kernel", "dead-letters", "list"], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "AMQP_URI": rabbit.amqp_uri})
    assert listed.returncode == 0, listed.stderr
    counts = dict(line.split()[:2] for line in listed.stdout.splitlines()[1:])
    assert int(counts["harian.events.dead"]) >= 1

    capsys.readouterr()
    assert kernel_cli(["dead-letters", "replay", "harian.events", "--id", event["id"]]) == 0
    assert "replayed 1" in capsys.readouterr().out
    wait_for(lambda: _scalar(harian_db, "SELECT count(*) FROM approved_rhk WHERE nip = :n", n=nip) == 2,
             timeout=30, what="the replayed event to be handled")
    assert event["id"] not in parked(capsys, "harian.events")


def test_show_and_replay_of_an_unknown_queue_say_so(capsys):
    assert kernel_cli(["dead-letters", "show", "nosuch.events"]) == 1
    assert "nosuch.events.dead" in capsys.readouterr().err
    assert kernel_cli(["dead-letters", "replay", "nosuch.events"]) == 1


def test_declared_dead_letter_queues_exist_empty_before_anything_is_parked(capsys):
    queue = f"probe{uuid.uuid4().hex[:8]}.events"
    assert kernel_cli(["dead-letters", "declare", queue]) == 0
    assert f"declared {queue}.dead" in capsys.readouterr().out
    assert kernel_cli(["dead-letters", "list", queue]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == [f"{queue}.dead", "0"]
    assert kernel_cli(["dead-letters", "show", queue]) == 0 and capsys.readouterr().out == ""
    assert kernel_cli(["dead-letters", "replay", queue]) == 0
    assert "replayed 0" in capsys.readouterr().out
