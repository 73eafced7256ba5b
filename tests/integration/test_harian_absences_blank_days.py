"""Blank days count, visibly, and absences can be corrected (issue 14, items 5 and 6), through the
gateway with every service on the bus: the ministry's admin sets its go-live in the past, so an
employee imported today owes the days since (before, no blank day of anyone imported today ever
closed); the closed blank days reach tukin, whose explanation names them, the rule and the start;
a sick day recorded late is excused, withdrawn it counts again; a correction re-closes both dates;
a cuti over a year is refused naming the field and the rule; the supervisors read the absences."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from skp_world import PROBLEM, Client, demo_masterdata, gateway_client, import_masterdata
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.db import session_factory
from ekinerja_kernel.localservers import wait_for

ADMIN, HANA = "199502212020111013", "199512122019082008"
GILANG, BUDI, FITRI = "199611232020101007", "199310182020081002", "199106032017052006"  # Budi > Gilang > Hana
GO_LIVE = "2026-01-02"
POLICY = Path(__file__).resolve().parents[2] / "services" / "tukin" / "tukin" / "domain" / "policies" / "kemendemo.yaml"


def _value(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def dbs(service_databases):
    engines = {name: create_engine(service_databases[name]) for name in ("harian", "tukin")}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="module")
def users(rabbit, services, demo_logins, dbs):
    import_masterdata(rabbit.amqp_uri, demo_masterdata())
    wait_for(lambda: _value(dbs["harian"], "SELECT count(*) FROM employees WHERE nip = :n", n=HANA) == 1
             and _value(dbs["tukin"], "SELECT kelas_jabatan FROM employees WHERE nip = :n", n=HANA) is not None,
             timeout=30, what="harian's and tukin's copies of staff")
    gateway = gateway_client(rabbit.amqp_uri)
    return {nip: Client(gateway, demo_logins[nip]) for nip in (ADMIN, HANA, GILANG, BUDI, FITRI)}


@pytest.fixture(scope="module")
def policy(users):
    """The ministry's demo policy, as a version of its own from the go-live (the allowance module
    loads the 1 January one itself; the rules are the same)."""
    text_ = POLICY.read_text().replace("effective_from: 2026-01-01", f"effective_from: {GO_LIVE}")
    loaded = users[ADMIN].gateway.post("/api/v1/tukin/policies", data=text_,
                                       headers={**users[ADMIN].headers, "Content-Type": "application/yaml"})
    assert loaded.status_code in (201, 409), loaded.get_json()  # 409: loaded already in this run


@pytest.fixture(scope="module")
def closed(users, dbs, policy):
    """The go-live set by the admin, then harian's day closer run as it runs every few minutes."""
    from harian.closing import close_days
    from harian.tables import OUTBOX

    settings = users[ADMIN].put("/api/v1/harian/settings", json={"go_live": GO_LIVE})
    assert settings.status_code == 200, settings.get_json()
    assert settings.get_json()["go_live"] == GO_LIVE
    close_days(session_factory(dbs["harian"]), OUTBOX, config.today())
    with dbs["harian"].connect() as conn:
        blank = [r.date for r in conn.execute(text(
            "SELECT date FROM day_closures WHERE nip = :n AND status = 'belum_diisi' ORDER BY date"), {"n": HANA})]
    assert blank, "harian closed no blank day for someone imported today"
    last = blank[-1]
    month_days = [d for d in blank if (d.year, d.month) == (last.year, last.month)]
    wait_for(lambda: _value(dbs["tukin"], "SELECT count(*) FROM days WHERE nip = :n AND status = 'belum_diisi' "
                            "AND obligation_start = :g", n=HANA, g=dt.date.fromisoformat(GO_LIVE)) >= len(blank),
             timeout=30, what="tukin's copy of the closed days")
    return {"month": f"{last.year:04d}-{last.month:02d}", "blank": month_days}


def _mine(users, month):
    computed = users[ADMIN].post("/api/v1/tukin/computations", json={"month": month})
    assert computed.status_code == 200, computed.get_json()
    mine = users[HANA].get("/api/v1/tukin/me", query_string={"month": month})
    assert mine.status_code == 200, mine.get_json()
    return mine.get_json()["computation"]


def _tukin_status(dbs, day):
    return _value(dbs["tukin"], "SELECT status FROM days WHERE nip = :n AND date = :d", n=HANA, d=day)


def test_blank_days_after_the_go_live_count_and_the_explanation_names_them(users, closed):
    mine = _mine(users, closed["month"])
    explained = mine["blank_days"]
    assert explained["counted"] == [d.isoformat() for d in closed["blank"]]
    assert explained["obligation_start"] == GO_LIVE and "blank_day" in explained["rules"]
    assert "hari belum diisi tanpa keterangan dihitung" in explained["explanation"]["id"]
    assert "2,5%" in explained["explanation"]["id"] and explained["explanation"]["en"]
    line = next(d for d in mine["deductions"] if d["kind"] == "blank_day")
    assert line["basis"]["count"] == len(closed["blank"]) and int(line["amount"]) > 0
    calendar = users[HANA].get("/api/v1/harian/calendar", query_string={
        "year": closed["blank"][0].year, "month": closed["blank"][0].month}).get_json()
    assert calendar["obligation_start"] == GO_LIVE
    assert {d.isoformat() for d in closed["blank"]} <= set(calendar["blank_working_days"])


def test_a_late_sick_day_is_excused_and_withdrawn_it_counts_again(users, closed, dbs):
    day = closed["blank"][0]
    recorded = users[ADMIN].post("/api/v1/harian/absences", json={
        "nip": HANA, "kind": "sakit", "start": day.isoformat(), "note": "Surat dokter"})
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["reclosed_days"] == 1
    wait_for(lambda: _tukin_status(dbs, day) == "justified", timeout=30, what="the re-closed day in tukin")
    explained = _mine(users, closed["month"])["blank_days"]
    assert {"date": day.isoformat(), "absence": "sakit"} in explained["excused"]
    assert day.isoformat() not in explained["counted"] and "sakit" in explained["explanation"]["id"]

    for boss in (GILANG, BUDI):  # the supervisor and the one above read the team's absences
        seen = users[boss].get("/api/v1/harian/absences", query_string={"nip": HANA})
        assert seen.status_code == 200 and seen.get_json()["read_only"] is True
        assert [a["kind"] for a in seen.get_json()["absences"]] == ["sakit"]
    stranger = users[FITRI].get("/api/v1/harian/absences", query_string={"nip": HANA})
    assert stranger.status_code == 403 and stranger.mimetype == PROBLEM
    by_supervisor = users[GILANG].post(f"/api/v1/harian/absences/{recorded.get_json()['id']}/withdrawal",
                                       json={"reason": "Bukan wewenang atasan"})
    assert by_supervisor.status_code == 403

    no_reason = users[ADMIN].post(f"/api/v1/harian/absences/{recorded.get_json()['id']}/withdrawal", json={})
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"][0]["field"] == "reason"
    withdrawn = users[ADMIN].post(f"/api/v1/harian/absences/{recorded.get_json()['id']}/withdrawal",
                                  json={"reason": "Surat dokter tidak sah"})
    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["reclosed_days"] == 1
    wait_for(lambda: _tukin_status(dbs, day) == "belum_diisi", timeout=30, what="the day blank again in tukin")
    assert day.isoformat() in _mine(users, closed["month"])["blank_days"]["counted"]
    history = users[ADMIN].get("/api/v1/harian/absences", query_string={"nip": HANA}).get_json()["history"]
    assert [(h["action"], h["reason"]) for h in history][-2:] == [("recorded", None),
                                                                  ("withdrawn", "Surat dokter tidak sah")]


def test_a_correction_re_closes_the_old_and_the_new_dates(users, closed, dbs):
    first, *rest = closed["blank"]
    other = rest[0] if rest else first
    recorded = users[ADMIN].post("/api/v1/harian/absences", json={
        "nip": HANA, "kind": "dinas_luar", "start": first.isoformat()}).get_json()
    wait_for(lambda: _tukin_status(dbs, first) == "justified", timeout=30, what="the travel day in tukin")
    corrected = users[ADMIN].put(f"/api/v1/harian/absences/{recorded['id']}", json={
        "kind": "dinas_luar", "start": other.isoformat(), "reason": "Tanggal perjalanan dinas salah"})
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["start"] == other.isoformat()
    if other != first:
        wait_for(lambda: _tukin_status(dbs, first) == "belum_diisi" and _tukin_status(dbs, other) == "justified",
                 timeout=30, what="both dates re-closed in tukin")
    users[ADMIN].post(f"/api/v1/harian/absences/{recorded['id']}/withdrawal", json={"reason": "Uji selesai"})


def test_a_cuti_over_a_year_is_refused_naming_the_field_and_the_rule(users):
    start = config.today()
    refused = users[ADMIN].post("/api/v1/harian/absences", json={
        "nip": HANA, "kind": "cuti", "start": start.isoformat(), "end": (start + dt.timedelta(days=400)).isoformat()})
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert [(e["field"], e["rule"]) for e in refused.get_json()["errors"]] == [("end", "max-length")]
    assert "cuti paling lama" in refused.get_json()["errors"][0]["detail_id"]
