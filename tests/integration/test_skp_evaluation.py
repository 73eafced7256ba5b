"""SKP evaluation through the gateway (issue #4, items 1 and 5), in the demo city's school: the admin
defines the periods, a teacher records realisasi with evidence, the kepala sekolah rates it (predikat
and credit points, announced as skp.evaluated), and the school is finalised under its predikat:
refused in "block" mode, finalised with warnings in "warn" mode. Year 2027, so the planning tests'
2026 plans in the ministry are not touched."""

from __future__ import annotations

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

YEAR = 2027
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
    assert (january["start"], january["end"], january["deadline"]) == ("2027-01-01", "2027-01-31", "2027-02-10")
    assert made["settings"]["distribution_mode"] == "block"

    # /skp/periods is its own route, not the SKP called "periods".
    read = users["guru"].get("/api/v1/skp/periods", query_string={"year": YEAR})
    assert read.status_code == 200 and read.get_json() == made
    no_year = users["guru"].get("/api/v1/skp/periods")
    assert no_year.status_code == 422 and no_year.get_json()["errors"][0]["field"] == "year"
    bad = users["admin"].post("/api/v1/skp/periods", json={"year": YEAR, "frequency": "yearly"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "frequency"

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
    skp, january = state["guru"], monthly(state["periods"], 1)
    url = f"/api/v1/skp/{skp['id']}/evaluations/{january['id']}/realisasi"
    item = {"rhk_id": skp["rhk"][0]["id"], "realisasi": "12 RPP dan 1 laporan hasil belajar", "evidence": [EVIDENCE]}

    recorded = users["guru"].put(url, json={"items": [item]})

    assert recorded.status_code == 200, recorded.get_json()
    body = recorded.get_json()
    assert body["state"] == "draft" and body["realisasi"] == [item] and body["period"]["id"] == january["id"]

    not_a_list = users["guru"].put(url, json={"items": "semua selesai"})
    assert not_a_list.status_code == 422 and not_a_list.get_json()["errors"][0]["field"] == "items"
    bad_link = users["guru"].put(url, json={"items": [{**item, "evidence": ["ftp://server/bukti.pdf"]}]})
    assert bad_link.status_code == 422 and bad_link.mimetype == PROBLEM
    assert [(e["field"], e["rule"]) for e in bad_link.get_json()["errors"]] == [("items[0].evidence[0]", "http-url")]

    next_year = monthly(state["next_year"], 1)
    wrong_year = users["guru"].put(f"/api/v1/skp/{skp['id']}/evaluations/{next_year['id']}/realisasi",
                                   json={"items": [item]})
    assert wrong_year.status_code == 409 and wrong_year.get_json()["code"] == "period-outside-skp-year"
    assert "2028" in wrong_year.get_json()["detail_id"]

    listed = users["guru"].get(f"/api/v1/skp/{skp['id']}/evaluations").get_json()["evaluations"]
    assert [(e["period"]["id"], e["realisasi"]) for e in listed] == [(january["id"], [item])]  # refusals kept out


def test_the_kepala_sekolah_rates_and_the_predikat_is_announced(users, people, state, subscriber):
    events = subscriber("ekinerja.skp.evaluated.#")
    skp, january = state["guru"], monthly(state["periods"], 1)
    url = f"/api/v1/skp/{skp['id']}/evaluations/{january['id']}/evaluate"
    rating = {"rating_hasil_kerja": ATAS, "rating_perilaku": SESUAI,
              "feedback_rhk": {skp["rhk"][0]["id"]: "RPP lengkap dan tepat waktu"},
              "feedback_perilaku": {"berorientasi_pelayanan": "Sabar melayani orang tua murid"}}

    stranger = users["stranger"].post(url, json=rating)
    assert stranger.status_code == 403 and stranger.mimetype == PROBLEM
    above = users["kadis"].post(url, json=rating)  # in the chain, but not the penilai
    assert above.status_code == 403 and above.get_json()["code"] == "wrong-actor"
    missing = users["kepsek"].post(url, json={"rating_hasil_kerja": ATAS})
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "rating_perilaku"

    rated = users["kepsek"].post(url, json=rating)

    assert rated.status_code == 200, rated.get_json()
    body = rated.get_json()
    assert (body["state"], body["predikat"], body["angka_kredit"]) == ("dinilai", "baik", "1.04")
    assert body["penilai_nip"] == people["kepsek"]
    assert body["feedback_perilaku"] == rating["feedback_perilaku"]
    event = events.next()
    assert event["type"] == "ekinerja.skp.evaluated.v1" and event["subject"] == people["guru"]
    assert event["data"]["predikat"] == "baik" and event["data"]["angka_kredit"] == "1.04"
    assert event["data"]["period"] == {"id": january["id"], "kind": "monthly", "seq": 1,
                                       "start": "2027-01-01", "end": "2027-01-31"}
    assert (event["data"]["skp_id"], event["data"]["penilai_nip"]) == (skp["id"], people["kepsek"])


def test_finalising_the_school_blocks_then_warns(users, people, state):
    skp, january = state["guru"], monthly(state["periods"], 1)
    url = f"/api/v1/skp/units/pk-sdn1/periods/{january['id']}/finalise"

    assert users["other_guru"].post(url, json={"unit_predikat": "baik"}).status_code == 403
    # One teacher rated, Baik: 100% Baik and no Butuh Perbaikan/Kurang break a school rated Baik.
    blocked = users["kepsek"].post(url, json={"unit_predikat": "baik"})
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
    done = users["kepsek"].post(url, json={"unit_predikat": "baik"})

    assert done.status_code == 200, done.get_json()
    result = done.get_json()
    assert result["finalised"] == [people["guru"]] and result["distribution_mode"] == "warn"
    assert {w["rule"] for w in result["warnings"]} == {"max-baik", "min-butuh_perbaikan-kurang"}
    assert people["other_guru"] in result["not_rated"]
    final = users["kepsek"].get(f"/api/v1/skp/{skp['id']}/evaluations").get_json()["evaluations"][0]
    assert (final["state"], final["unit_predikat"], final["finalised_by"]) == ("final", "baik", people["kepsek"])
    again = users["kepsek"].post(f"/api/v1/skp/{skp['id']}/evaluations/{january['id']}/evaluate",
                                 json={"rating_hasil_kerja": SESUAI, "rating_perilaku": SESUAI})
    assert again.status_code == 409 and again.get_json()["code"] == "wrong-state"
