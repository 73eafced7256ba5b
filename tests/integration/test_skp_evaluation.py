"""SKP evaluation through the gateway, in the demo city's school, for the current month of the current
year (so it runs the same on any day): the admin defines the periods, a teacher records realisasi
with evidence; the kepala sekolah may rate it only once the month has ended, or within the days
before its end the agency allows; the rating gives the predikat and, since the teacher's position
ends with the month, credit points by conversion (announced as skp.evaluated, shown in the yearly
view); the school's predikat is set by the kepala sekolah's own penilai, not by the kepala sekolah,
and the school is finalised under it: refused in "block" mode, finalised with warnings in "warn"
mode. The planning tests use the ministry, so their plans are not touched."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from skp_world import (
    PROBLEM,
    Client,
    demo_masterdata,
    gateway_client,
    holders,
    import_masterdata,
    wait_for_skp_copy,
)
from skp_world import rhk as _rhk

from ekinerja_kernel import config

TODAY = config.today()
YEAR, MONTH = TODAY.year, TODAY.month
ATAS, SESUAI = "di_atas_ekspektasi", "sesuai_ekspektasi"
EVIDENCE = "https://drive.kotademo.go.id/sdn1/laporan-januari.pdf"


def rhk(text_, intervenes=None):
    return _rhk(text_, intervenes, satuan="laporan")


@pytest.fixture(scope="module")
def demo():
    return demo_masterdata()


@pytest.fixture(scope="module")
def people(demo):
    """The city's chain down to one teacher (Guru Ahli Pertama), a second teacher, the admin and
    a stranger outside the school."""
    def find(unit, position):
        return holders(demo, unit, position)

    teachers = find("pk-sdn1", "pk-guru-pertama")
    return {"sekda": find("pk-setda", "pk-sekda")[0], "kadis": find("pk-disdik", "pk-kadis")[0],
            "kepsek": find("pk-sdn1", "pk-kepsek")[0], "guru": teachers[0], "other_guru": teachers[1],
            "stranger": find("pk-disdik", "pk-analis")[0],
            "admin": next(e["nip"] for e in demo["employees"]
                          if e["agency_id"] == "pemkotdemo" and "admin_instansi" in e["roles"])}


@pytest.fixture(scope="module")
def skp_copy_ready(demo_logins, rabbit, service_databases, demo, people):
    """The whole demo master data imported again (other modules empty sync), and skp's read-copy
    showing each person of the chain in the right unit under the right supervisor."""
    import_masterdata(rabbit.amqp_uri, demo)
    wait_for_skp_copy(service_databases["skp"], people.values(), demo)


@pytest.fixture(scope="module")
def gateway_module(rabbit, services):
    return gateway_client(rabbit.amqp_uri)


@pytest.fixture(scope="module")
def users(gateway_module, demo_logins, people, skp_copy_ready):
    return {role: Client(gateway_module, demo_logins[nip]) for role, nip in people.items()}


@pytest.fixture(scope="module")
def state():
    return {}


def monthly(year_view, seq):
    return next(p for p in year_view["periods"] if p["kind"] == "monthly" and p["seq"] == seq)


def test_the_admin_defines_the_periods_and_staff_read_them(users, state):
    refused = users["guru"].post("/api/v1/skp/periods", json={"year": YEAR, "frequency": "monthly"})
    assert refused.status_code == 403 and refused.mimetype == PROBLEM

    made = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR, "frequency": "monthly",
                                                            "distribution_mode": "block"})
    assert made.status_code == 200, made.get_json()
    made = made.get_json()
    assert made["agency_id"] == "pemkotdemo" and made["frequency"] == "monthly"
    assert [p["kind"] for p in made["periods"]] == ["annual"] + ["monthly"] * 12
    january = monthly(made, 1)
    assert (january["start"], january["end"], january["deadline"]) == (
        f"{YEAR}-01-01", f"{YEAR}-01-31", f"{YEAR}-02-10")
    assert made["settings"]["distribution_mode"] == "block" and made["settings"]["rating_opens_days"] == 0

    # /skp/periods is its own route, not the SKP called "periods".
    read = users["guru"].get("/api/v1/skp/periods", query_string={"year": YEAR})
    assert read.status_code == 200 and read.get_json() == made
    no_year = users["guru"].get("/api/v1/skp/periods")
    assert no_year.status_code == 422 and no_year.get_json()["errors"][0]["field"] == "year"
    bad = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR, "frequency": "yearly"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "frequency"
    too_early = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR, "rating_opens_days": 45})
    assert too_early.status_code == 422 and too_early.get_json()["errors"][0]["field"] == "rating_opens_days"

    state["periods"] = made
    state["next_year"] = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR + 1}).get_json()


def test_the_school_chain_plans_its_year(users, state):
    head = users["sekda"].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif",
                                                    "rhk": [rhk("Terwujudnya pelayanan publik kota")]})
    assert head.status_code == 201, head.get_json()
    head = users["sekda"].post(f"/api/v1/skp/{head.get_json()['id']}/publish").get_json()
    parent = head
    for role, boss, text_ in (("kadis", "sekda", "Meningkatnya mutu pendidikan dasar"),
                              ("kepsek", "kadis", "Meningkatnya mutu pembelajaran SD Negeri 1"),
                              ("guru", "kepsek", "Terlaksananya pembelajaran kelas 3")):
        made = users[role].post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif",
                                                     "rhk": [rhk(text_, parent["rhk"][0]["id"])]})
        assert made.status_code == 201, made.get_json()
        users[role].post(f"/api/v1/skp/{made.get_json()['id']}/submit")
        approved = users[boss].post(f"/api/v1/skp/{made.get_json()['id']}/approve").get_json()
        assert approved["state"] == "disetujui", approved
        state[role] = parent = approved


def test_the_teacher_records_realisasi_with_evidence(users, state):
    skp, period = state["guru"], monthly(state["periods"], MONTH)
    url = f"/api/v1/skp/{skp['id']}/evaluations/{period['id']}/realisasi"
    item = {"rhk_id": skp["rhk"][0]["id"], "realisasi": "12 RPP dan 1 laporan hasil belajar", "evidence": [EVIDENCE]}

    recorded = users["guru"].put(url, json={"items": [item]})

    assert recorded.status_code == 200, recorded.get_json()
    body = recorded.get_json()
    assert body["state"] == "draft" and body["realisasi"] == [item] and body["period"]["id"] == period["id"]

    not_a_list = users["guru"].put(url, json={"items": "semua selesai"})
    assert not_a_list.status_code == 422 and not_a_list.get_json()["errors"][0]["field"] == "items"
    bad_link = users["guru"].put(url, json={"items": [{**item, "evidence": ["ftp://server/bukti.pdf"]}]})
    assert bad_link.status_code == 422 and bad_link.mimetype == PROBLEM
    assert [(e["field"], e["rule"]) for e in bad_link.get_json()["errors"]] == [("items[0].evidence[0]", "http-url")]

    next_year = monthly(state["next_year"], 1)
    wrong_year = users["guru"].put(f"/api/v1/skp/{skp['id']}/evaluations/{next_year['id']}/realisasi",
                                   json={"items": [item]})
    assert wrong_year.status_code == 409 and wrong_year.get_json()["code"] == "period-outside-skp-year"
    assert str(YEAR + 1) in wrong_year.get_json()["detail_id"]

    listed = users["guru"].get(f"/api/v1/skp/{skp['id']}/evaluations").get_json()["evaluations"]
    assert [(e["period"]["id"], e["realisasi"]) for e in listed] == [(period["id"], [item])]  # refusals kept out


def conversion(months: int) -> str:
    """Guru Ahli Pertama rated Baik: months/12 × 100 % × 12.5, half up (docs/domain.md "Credit points")."""
    return str((Decimal(months) * 100 * Decimal("12.5") / 1200).quantize(Decimal("0.01"), ROUND_HALF_UP))


def test_the_kepala_sekolah_rates_once_the_period_may_be_rated(users, people, state, subscriber):
    events = subscriber("ekinerja.skp.evaluated.#")
    skp, period = state["guru"], monthly(state["periods"], MONTH)
    url = f"/api/v1/skp/{skp['id']}/evaluations/{period['id']}/evaluate"
    # The teacher moves to another school when the month ends: the month converts the year's points so far.
    rating = {"rating_hasil_kerja": ATAS, "rating_perilaku": SESUAI,
              "feedback_rhk": {skp["rhk"][0]["id"]: "RPP lengkap dan tepat waktu"},
              "feedback_perilaku": {"berorientasi_pelayanan": "Sabar melayani orang tua murid"},
              "ends_position": "moved"}

    # The month has not ended: rated from the day after its last day.
    early = users["kepsek"].post(url, json=rating)
    assert early.status_code == 409 and early.mimetype == PROBLEM
    opens = (dt.date.fromisoformat(period["end"]) + dt.timedelta(days=1)).isoformat()
    assert early.get_json()["code"] == "period-not-ended" and early.get_json()["opens_on"] == opens
    assert opens in early.get_json()["detail_id"]
    # The city lets its penilai rate in a period's last 31 days, i.e. during the whole month.
    window = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR, "rating_opens_days": 31})
    assert window.get_json()["settings"]["rating_opens_days"] == 31

    stranger = users["stranger"].post(url, json=rating)
    assert stranger.status_code == 403 and stranger.mimetype == PROBLEM
    above = users["kadis"].post(url, json=rating)  # in the chain, but not the penilai
    assert above.status_code == 403 and above.get_json()["code"] == "wrong-actor"
    missing = users["kepsek"].post(url, json={"rating_hasil_kerja": ATAS})
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "rating_perilaku"
    misspelt = users["kepsek"].post(url, json={**rating, "ratting_perilaku": SESUAI})
    assert misspelt.status_code == 422 and misspelt.get_json()["errors"][0]["rule"] == "unknown-field"

    rated = users["kepsek"].post(url, json=rating)

    assert rated.status_code == 200, rated.get_json()
    body = rated.get_json()
    assert (body["state"], body["predikat"], body["ends_position"]) == ("dinilai", "baik", "moved")
    assert (body["angka_kredit"], body["ak_months"], body["ak_jenjang"]) == (conversion(MONTH), MONTH, "Ahli Pertama")
    assert body["penilai_nip"] == people["kepsek"]
    assert body["feedback_perilaku"] == rating["feedback_perilaku"]
    event = events.next()
    assert event["type"] == "ekinerja.skp.evaluated.v1" and event["subject"] == people["guru"]
    assert event["data"]["predikat"] == "baik" and event["data"]["angka_kredit"] == conversion(MONTH)
    assert (event["data"]["ends_position"], event["data"]["ak_months"]) == ("moved", MONTH)
    assert event["data"]["period"] == {"id": period["id"], "kind": "monthly", "seq": MONTH,
                                       "start": period["start"], "end": period["end"]}
    assert (event["data"]["skp_id"], event["data"]["penilai_nip"]) == (skp["id"], people["kepsek"])


def test_the_credit_points_of_each_year_and_their_source(users, people, state):
    mine = users["guru"].get("/api/v1/skp/ak")

    assert mine.status_code == 200, mine.get_json()
    body = mine.get_json()
    assert body["nip"] == people["guru"] and body["total"] == conversion(MONTH)
    [year] = body["years"]
    assert (year["year"], year["skp_id"], year["angka_kredit"]) == (YEAR, state["guru"]["id"], conversion(MONTH))
    [source] = year["sources"]
    assert (source["source"], source["months"], source["ends_position"], source["predikat"]) == (
        "conversion", MONTH, "moved", "baik")
    assert users["kepsek"].get("/api/v1/skp/ak", query_string={"nip": people["guru"]}).get_json() == body
    assert users["stranger"].get("/api/v1/skp/ak", query_string={"nip": people["guru"]}).status_code == 403


def test_the_schools_predikat_is_set_by_the_heads_penilai_then_the_school_is_finalised(users, people, state):
    skp, period = state["guru"], monthly(state["periods"], MONTH)
    url = f"/api/v1/skp/units/pk-sdn1/periods/{period['id']}"

    assert users["other_guru"].post(f"{url}/finalise").status_code == 403
    unset = users["kepsek"].post(f"{url}/finalise")
    assert unset.status_code == 409 and unset.get_json()["code"] == "unit-predikat-missing"
    assert people["kadis"] in {p["nip"] for p in unset.get_json()["penilai"]}
    old_style = users["kepsek"].post(f"{url}/finalise", json={"unit_predikat": "baik"})
    assert old_style.status_code == 422 and old_style.get_json()["errors"][0]["field"] == "unit_predikat"
    by_head = users["kepsek"].put(f"{url}/predikat", json={"unit_predikat": "istimewa"})
    assert by_head.status_code == 403 and "penilai" in by_head.get_json()["detail"]

    recorded = users["kadis"].put(f"{url}/predikat", json={"unit_predikat": "baik"})

    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json()["unit_predikat"] == "baik"
    assert recorded.get_json()["set_by"]["nip"] == people["kadis"] and recorded.get_json()["set_by"]["as"] == "penilai"

    # One teacher rated, Baik: 100% Baik and no Butuh Perbaikan/Kurang break a school rated Baik.
    blocked = users["kepsek"].post(f"{url}/finalise")
    assert blocked.status_code == 409 and blocked.mimetype == PROBLEM
    problem = blocked.get_json()
    assert problem["code"] == "distribution-violated"
    assert {v["rule"] for v in problem["violations"]} == {"max-baik", "min-butuh_perbaikan-kurang"}
    assert all(v["detail"] and v["detail_id"] for v in problem["violations"])
    evaluation = users["guru"].get(f"/api/v1/skp/{skp['id']}/evaluations").get_json()["evaluations"][0]
    assert evaluation["state"] == "dinilai" and evaluation["finalised_at"] is None  # nothing changed

    # The city warns instead of blocking (its demo setting).
    mode = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR, "distribution_mode": "warn"})
    assert mode.get_json()["settings"]["distribution_mode"] == "warn"
    done = users["kepsek"].post(f"{url}/finalise")

    assert done.status_code == 200, done.get_json()
    result = done.get_json()
    assert result["finalised"] == [people["guru"]] and result["distribution_mode"] == "warn"
    assert result["unit_predikat"] == "baik" and result["unit_predikat_set"]["set_by"]["nip"] == people["kadis"]
    assert {w["rule"] for w in result["warnings"]} == {"max-baik", "min-butuh_perbaikan-kurang"}
    assert people["other_guru"] in result["not_rated"]
    final = users["kepsek"].get(f"/api/v1/skp/{skp['id']}/evaluations").get_json()["evaluations"][0]
    assert (final["state"], final["unit_predikat"], final["finalised_by"]) == ("final", "baik", people["kepsek"])
    again = users["kepsek"].post(f"/api/v1/skp/{skp['id']}/evaluations/{period['id']}/evaluate",
                                 json={"rating_hasil_kerja": SESUAI, "rating_perilaku": SESUAI})
    assert again.status_code == 409 and again.get_json()["code"] == "wrong-state"
    late = users["kadis"].put(f"{url}/predikat", json={"unit_predikat": "istimewa"})
    assert late.status_code == 409 and late.get_json()["code"] == "unit-finalised"
