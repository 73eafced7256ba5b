"""The performance cycle in the web client, in a real browser (Debian's Chromium through Selenium)
against the real gateway and web processes: an SKP made one question at a time, returned with a
note and approved with ekspektasi khusus; a period's realisasi with evidence and its rating; the
supervisor's Matriks Peran Hasil and team allowances; turning on TOTP, replacing the authenticator
and ending a session. The journeys that matter run with JavaScript on and off; every page is checked
by axe-core (no serious or critical violation), with no console error and a screenshot kept.

The people are the demo ministry's Bagian Mutasi (no other test uses them): Lestari Saputra
supervises Nur Rahayu, Oki Simanjuntak and Made Nugroho (the agency's admin); above her Kartika
Santoso, and Adi Saputra heads the ministry.

Made, as the agency's admin, also changes the agency's daily-progress settings (something harmless,
put back at the end), corrects and withdraws absences of Joko Simanjuntak (no other test uses him)
on days months ahead, and downloads the payroll files (a month that has not closed is refused)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import requests
from harness import totp_code
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from skp_world import Client, demo_masterdata, gateway_client, import_masterdata, rhk, wait_for_skp_copy
from sqlalchemy import create_engine, text
from web_harness import (
    browser,
    check_page,
    click_and_wait,
    name_of,
    sign_in,
    sign_out,
    start_stack,
    stop_all,
    until,
    use,
)

from ekinerja_kernel import config
from ekinerja_kernel.bus import ConfirmedPublisher
from ekinerja_kernel.events import make_event

TODAY = config.today()
NEXT_YEAR = TODAY.year + 1
ADI, KARTIKA, LESTARI = "197809172020021001", "198604252010012011", "199010142019032012"
NUR, OKI, MADE = "198507222011092014", "199307142016051015", "199502212020111013"
JOKO = "198009092015101010"  # the ministry's Bagian Evaluasi: no other test uses him
EVIDENCE = "https://drive.kemendemo.go.id/mutasi/laporan-mutasi.pdf"
LAST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
POLICY = Path(__file__).resolve().parents[2] / "services" / "tukin" / "tukin" / "domain" / "policies" / "kemendemo.yaml"
VARIANTS = [pytest.param(True, id="js"), pytest.param(False, id="nojs")]


def _in_force(users: dict, nip: str, penilai: str | None, intervenes: str | None, text: str) -> dict:
    """`nip`'s SKP of next year, in force (made, submitted and approved, or published at the top)."""
    owner = users[nip]
    plan = next((s for s in owner.get("/api/v1/skp").get_json()["skps"] if s["year"] == NEXT_YEAR), None)
    if plan is None:
        made = owner.post("/api/v1/skp", json={"year": NEXT_YEAR, "approach": "kuantitatif",
                                               "rhk": [rhk(text, intervenes)]})
        assert made.status_code == 201, made.get_json()
        plan = made.get_json()
    if plan["state"] == "draft":
        action = "publish" if penilai is None else "submit"
        assert owner.post(f"/api/v1/skp/{plan['id']}/{action}", json={}).status_code == 200
    if penilai is not None and owner.get(f"/api/v1/skp/{plan['id']}").get_json()["state"] == "diajukan":
        approved = users[penilai].post(f"/api/v1/skp/{plan['id']}/approve", json={})
        assert approved.status_code == 200, approved.get_json()
    return owner.get(f"/api/v1/skp/{plan['id']}").get_json()


@pytest.fixture(scope="module")
def world(rabbit, services, demo_logins, service_databases, tmp_path_factory):
    from ekinerja_kernel.db import make_engine, session_factory
    from skp.cli import demo_plans

    demo = demo_masterdata()
    import_masterdata(rabbit.amqp_uri, demo)
    chain = [ADI, KARTIKA, LESTARI, NUR, OKI, MADE]
    wait_for_skp_copy(service_databases["skp"], chain, demo)
    engine = make_engine(service_databases["skp"])
    assert demo_plans(session_factory(engine), ["kemendemo"], TODAY.year, 60) == 0
    engine.dispose()
    api = gateway_client(rabbit.amqp_uri)
    users = {nip: Client(api, demo_logins[nip]) for nip in chain}
    # Next year's chain down to Lestari is in force, so her staff can plan next year under her.
    top = _in_force(users, ADI, None, None, "Terlaksananya reformasi birokrasi kementerian")
    biro = _in_force(users, KARTIKA, ADI, top["rhk"][0]["id"], "Terkelolanya SDM aparatur kementerian")
    bagian = _in_force(users, LESTARI, KARTIKA, biro["rhk"][0]["id"], "Terlaksananya mutasi pegawai tepat waktu")
    # This year's evaluation: monthly periods, each rated from within 31 days of its end (so the
    # current month is open for realisasi and rating whatever day the suite runs).
    periods = users[MADE].post("/api/v1/skp/periods", json={"year": TODAY.year, "frequency": "monthly",
                                                            "rating_opens_days": 31})
    assert periods.status_code == 200, periods.get_json()
    month = next(p for p in periods.get_json()["periods"] if p["kind"] == "monthly" and p["seq"] == TODAY.month)
    # Last month's allowances, computed by the admin under the ministry's policy.
    loaded = users[MADE].gateway.post("/api/v1/tukin/policies", data=POLICY.read_text(),
                                      headers={**users[MADE].headers, "Content-Type": "application/yaml"})
    assert loaded.status_code in (201, 409), loaded.get_json()
    computed = users[MADE].post("/api/v1/tukin/computations", json={"month": LAST_MONTH})
    assert computed.status_code == 200, computed.get_json()
    gateway, web = start_stack(rabbit.amqp_uri, tmp_path_factory.mktemp("web-cycle"))
    yield {"web": web.base, "api": gateway.base, "users": users, "accounts": demo_logins,
           "totp": {MADE: demo_logins[MADE]["totp_secret"]}, "bagian": bagian, "period": month}
    stop_all(web, gateway)


@pytest.fixture(scope="module")
def chromium(world):
    driver = browser()
    yield driver
    driver.quit()


@pytest.fixture
def driver_for(world, chromium):
    return lambda javascript: use(chromium, javascript, world["web"])


def fill(driver, field_id: str, value: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def press(driver, selector: str = "main form button[type=submit]") -> None:
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, selector))


def at(driver, fragment: str) -> None:
    until(lambda: fragment in driver.current_url, what=f"a page at {fragment}")


def plan_of(world, nip: str, year: int) -> dict:
    user = world["users"][nip]
    found = next(s for s in user.get("/api/v1/skp").get_json()["skps"] if s["year"] == year)
    return user.get(f"/api/v1/skp/{found['id']}").get_json()


@pytest.mark.parametrize("js", VARIANTS)
def test_an_employee_makes_an_skp_one_question_at_a_time_and_submits_it(world, driver_for, js):
    owner = NUR if js else OKI
    parent = world["bagian"]["rhk"][0]
    text = f"Tersusunnya usulan mutasi pegawai ({'js' if js else 'nojs'})"
    driver = driver_for(js)
    sign_in(driver, world, owner, js)
    driver.get(world["web"] + "/skp/")
    check_page(driver, name_of(js, "skp-saya"))
    driver.find_element(By.LINK_TEXT, "Buat SKP").click()
    at(driver, "/skp/baru")
    check_page(driver, name_of(js, "skp-baru-tahun"))
    fill(driver, "year", str(NEXT_YEAR))
    press(driver)
    at(driver, "/skp/baru/pendekatan")
    check_page(driver, name_of(js, "skp-baru-pendekatan"))
    driver.find_element(By.CSS_SELECTOR, "input[name=approach][value=kuantitatif]").click()
    press(driver)
    at(driver, "/rhk/intervensi")
    check_page(driver, name_of(js, "skp-baru-intervensi"))
    # Lestari's RHK, offered with its text.
    choice = driver.find_element(By.CSS_SELECTOR, f"input[name=intervenes][value='{parent['id']}']")
    assert parent["text"] in driver.find_element(By.CSS_SELECTOR, f"label[for='{choice.get_attribute('id')}']").text
    choice.click()
    press(driver)
    at(driver, "/rhk/uraian")
    check_page(driver, name_of(js, "skp-baru-uraian"))
    fill(driver, "text", text)
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=utama]").click()
    press(driver)
    at(driver, "/rhk/iki")
    check_page(driver, name_of(js, "skp-baru-iki"))
    for aspek, values in {"kuantitas": ("Jumlah usulan mutasi", "24", "usulan"),
                          "kualitas": ("Usulan lengkap tanpa perbaikan", "150", "%"),  # over 100 %: refused
                          "waktu": ("Selesai dalam tahun berjalan", "12", "bulan")}.items():
        for part, value in zip(("indikator", "target", "satuan"), values, strict=True):
            fill(driver, f"iki-{aspek}-{part}", value)
    press(driver)
    at(driver, "/rhk/periksa")
    check_page(driver, name_of(js, "skp-baru-periksa"))
    assert driver.find_element(By.CSS_SELECTOR, "[data-intervened]").text == parent["text"]
    press(driver)

    # The API's refusal, linked from the summary to the field on the page that asks it.
    summary = driver.find_element(By.CSS_SELECTOR, ".error-summary a[href$='#iki-kualitas-target']")
    assert "100" in summary.text
    check_page(driver, name_of(js, "skp-baru-galat"))
    summary.click()
    at(driver, "/rhk/iki")
    assert "100" in driver.find_element(By.ID, "iki-kualitas-target-error").text
    check_page(driver, name_of(js, "skp-baru-iki-galat"))
    fill(driver, "iki-kualitas-target", "100")
    press(driver)
    at(driver, "/rhk/periksa")  # back to the check page, not through every question again
    press(driver)
    until(lambda: "selesai=create" in driver.current_url, what="the SKP made")
    check_page(driver, name_of(js, "skp-draf"))
    made = plan_of(world, owner, NEXT_YEAR)
    assert made["state"] == "draft" and made["approach"] == "kuantitatif"
    assert [(r["text"], r["intervenes"], r["kind"]) for r in made["rhk"]] == [(text, parent["id"], "utama")]
    assert {i["aspek"]: (i["target"], i["satuan"]) for i in made["rhk"][0]["iki"]} == {
        "kuantitas": ("24", "usulan"), "kualitas": ("100", "%"), "waktu": ("12", "bulan")}

    # A second RHK added to the draft, then the plan submitted.
    driver.find_element(By.LINK_TEXT, "Tambah RHK").click()
    at(driver, "/rhk/intervensi")
    driver.find_element(By.CSS_SELECTOR, f"input[name=intervenes][value='{parent['id']}']").click()
    press(driver)
    fill(driver, "text", "Terlaksananya layanan konsultasi kepegawaian")
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=tambahan]").click()
    press(driver)
    for aspek, values in {"kuantitas": ("Jumlah konsultasi", "40", "layanan"),
                          "kualitas": ("Kepuasan pegawai", "90", "%"), "waktu": ("Sepanjang tahun", "12", "bulan")
                          }.items():
        for part, value in zip(("indikator", "target", "satuan"), values, strict=True):
            fill(driver, f"iki-{aspek}-{part}", value)
    press(driver)
    at(driver, "/rhk/periksa")
    press(driver)
    until(lambda: "selesai=rhk" in driver.current_url, what="the RHK added")
    second = plan_of(world, owner, NEXT_YEAR)["rhk"]
    assert [r["kind"] for r in second] == ["utama", "tambahan"]
    # The second RHK removed again (after a confirmation page), the approach page seen and kept.
    driver.find_element(By.CSS_SELECTOR, f"a[href$='/rhk/{second[1]['id']}/hapus']").click()
    check_page(driver, name_of(js, "skp-hapus-rhk"))
    press(driver, "main form button.button-warning")
    until(lambda: "selesai=hapus" in driver.current_url, what="the RHK removed")
    assert [r["text"] for r in plan_of(world, owner, NEXT_YEAR)["rhk"]] == [text]
    driver.find_element(By.CSS_SELECTOR, "a[href$='/pendekatan']").click()
    check_page(driver, name_of(js, "skp-pendekatan"))
    assert driver.find_element(By.CSS_SELECTOR, "input[name=approach][value=kuantitatif]").is_selected()
    press(driver)
    until(lambda: "selesai=pendekatan" in driver.current_url, what="the approach kept")
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]").click()
    until(lambda: "selesai=submit" in driver.current_url, what="the SKP submitted")
    assert plan_of(world, owner, NEXT_YEAR)["state"] == "diajukan"


@pytest.mark.parametrize("js", VARIANTS)
def test_the_supervisor_returns_the_skp_with_a_note_then_approves_it_with_ekspektasi_khusus(world, driver_for, js):
    owner = NUR if js else OKI
    plan = plan_of(world, owner, NEXT_YEAR)
    driver = driver_for(js)
    sign_in(driver, world, LESTARI, js)
    driver.get(f"{world['web']}/tim/skp?tahun={NEXT_YEAR}")
    check_page(driver, name_of(js, "tim-skp-tahun-depan"))
    driver.find_element(By.CSS_SELECTOR, f"a[href='/tim/skp/{plan['id']}']").click()
    at(driver, f"/tim/skp/{plan['id']}")
    driver.find_element(By.ID, "note").send_keys("Target konsultasi terlalu rendah")
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=return]").click()
    until(lambda: "selesai=return" in driver.current_url, what="the SKP returned")
    sign_out(driver)

    # The employee sees the note and the history, and submits again.
    sign_in(driver, world, owner, js)
    driver.get(f"{world['web']}/skp/{plan['id']}")
    check_page(driver, name_of(js, "skp-dikembalikan"))
    assert driver.find_element(By.CSS_SELECTOR, "[data-note]").text == "Target konsultasi terlalu rendah"
    assert "Target konsultasi terlalu rendah" in [e.text for e in
                                                   driver.find_elements(By.CSS_SELECTOR, "[data-history-note]")]
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]").click()
    until(lambda: "selesai=submit" in driver.current_url, what="the SKP submitted again")
    sign_out(driver)

    sign_in(driver, world, LESTARI, js)
    driver.get(f"{world['web']}/tim/skp/{plan['id']}")
    check_page(driver, name_of(js, "tim-skp-tinjau-lagi"))
    driver.find_element(By.LINK_TEXT, "Tulis ekspektasi khusus pimpinan").click()
    at(driver, "/ekspektasi")
    check_page(driver, name_of(js, "tim-skp-ekspektasi"))
    fill(driver, "ek-kolaboratif", "Aktif berbagi data mutasi dengan bagian lain")
    press(driver)
    until(lambda: "selesai=ekspektasi" in driver.current_url, what="the ekspektasi saved")
    assert driver.find_element(By.CSS_SELECTOR, "[data-ekspektasi=kolaboratif]").text == \
        "Aktif berbagi data mutasi dengan bagian lain"
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=approve]").click()
    until(lambda: "selesai=approve" in driver.current_url, what="the SKP approval")

    approved = plan_of(world, owner, NEXT_YEAR)
    assert approved["state"] == "disetujui" and approved["note"] is None
    assert {p["key"]: p["ekspektasi_khusus"] for p in approved["perilaku"]}["kolaboratif"] == \
        "Aktif berbagi data mutasi dengan bagian lain"
    driver.get(f"{world['web']}/skp/{plan['id']}/cetak")
    check_page(driver, name_of(js, "skp-cetak"))
    assert "Aktif berbagi data mutasi dengan bagian lain" in driver.find_element(By.CSS_SELECTOR, "article").text


@pytest.mark.parametrize("js", VARIANTS)
def test_an_employee_records_realisasi_and_the_supervisor_rates_it(world, driver_for, js):
    owner = NUR if js else OKI
    plan = plan_of(world, owner, TODAY.year)
    period = world["period"]
    hasil, perilaku, predikat = (("di_atas_ekspektasi", "di_atas_ekspektasi", "Sangat Baik") if js
                                 else ("sesuai_ekspektasi", "sesuai_ekspektasi", "Baik"))
    driver = driver_for(js)
    sign_in(driver, world, owner, js)
    driver.get(world["web"] + "/skp/penilaian-saya")
    check_page(driver, name_of(js, "penilaian-saya"))
    driver.get(f"{world['web']}/skp/{plan['id']}/penilaian")
    check_page(driver, name_of(js, "penilaian-periode"))
    driver.find_element(By.CSS_SELECTOR, f"tr[data-period='{period['id']}'] a[href$='/realisasi']").click()
    at(driver, "/realisasi")
    check_page(driver, name_of(js, "realisasi"))
    fill(driver, "r-0-realisasi", "Usulan mutasi bulan ini selesai seluruhnya")
    fill(driver, "r-0-evidence", "bukan-tautan")
    press(driver)
    assert "https://" in driver.find_element(By.ID, "r-0-evidence-error").text  # the API's rule, at the field
    check_page(driver, name_of(js, "realisasi-galat"))
    fill(driver, "r-0-evidence", EVIDENCE)
    press(driver)
    until(lambda: "selesai=realisasi" in driver.current_url, what="the realisasi saved")
    sign_out(driver)

    sign_in(driver, world, LESTARI, js)
    driver.get(world["web"] + "/tim/penilaian/")
    check_page(driver, name_of(js, "tim-penilaian"))
    driver.find_element(By.CSS_SELECTOR, f"a[href='/tim/penilaian/{plan['id']}/{period['id']}']").click()
    at(driver, "/hasil-kerja")
    check_page(driver, name_of(js, "menilai-hasil-kerja"))
    assert driver.find_element(By.CSS_SELECTOR, f"a[href='{EVIDENCE}']")
    fill(driver, "fb-rhk-0", "Tepat waktu dan lengkap")
    driver.find_element(By.CSS_SELECTOR, f"input[name=rating_hasil_kerja][value={hasil}]").click()
    press(driver)
    at(driver, "/perilaku")
    check_page(driver, name_of(js, "menilai-perilaku"))
    fill(driver, "fb-kolaboratif", "Membantu bagian lain menyiapkan data")
    press(driver)
    at(driver, "/periksa")
    press(driver)  # sent without a rating perilaku: the API names it, the summary links to its page
    link = driver.find_element(By.CSS_SELECTOR, ".error-summary a[href$='#rating_perilaku']")
    check_page(driver, name_of(js, "menilai-galat"))
    link.click()
    at(driver, "/perilaku")
    assert driver.find_element(By.ID, "rating_perilaku-error").text
    driver.find_element(By.CSS_SELECTOR, f"input[name=rating_perilaku][value={perilaku}]").click()
    press(driver)
    at(driver, "/periksa")
    check_page(driver, name_of(js, "menilai-periksa"))
    press(driver)
    until(lambda: "selesai=dinilai" in driver.current_url, what="the rating")
    check_page(driver, name_of(js, "penilaian-dokumen"))
    assert driver.find_element(By.CSS_SELECTOR, "[data-predikat]").text == predikat

    rated = next(e for e in world["users"][owner].get(f"/api/v1/skp/{plan['id']}/evaluations").get_json()[
        "evaluations"] if e["period"]["id"] == period["id"])
    assert (rated["state"], rated["rating_hasil_kerja"], rated["rating_perilaku"]) == ("dinilai", hasil, perilaku)
    assert rated["feedback_rhk"] == {plan["rhk"][0]["id"]: "Tepat waktu dan lengkap"}
    assert rated["feedback_perilaku"] == {"kolaboratif": "Membantu bagian lain menyiapkan data"}
    assert rated["realisasi"][0]["evidence"] == [EVIDENCE]
    sign_out(driver)

    sign_in(driver, world, owner, js)
    driver.get(world["web"] + "/skp/penilaian-saya")
    assert driver.find_element(By.CSS_SELECTOR, f"tr[data-evaluation='{rated['id']}'] [data-predikat]").text == \
        predikat
    driver.get(f"{world['web']}/skp/{plan['id']}/penilaian/{period['id']}")
    check_page(driver, name_of(js, "penilaian-dokumen-pegawai"))
    assert driver.find_element(By.CSS_SELECTOR, "[data-feedback-perilaku=kolaboratif]").text == \
        "Membantu bagian lain menyiapkan data"


def test_the_supervisor_lays_out_an_rhk_for_the_team_and_reads_its_allowances(world, driver_for):
    plan = world["bagian"]
    driver = driver_for(True)
    sign_in(driver, world, LESTARI, True)
    driver.get(f"{world['web']}/tim/matriks?tahun={NEXT_YEAR}")
    check_page(driver, "tim-matriks")
    driver.find_element(By.LINK_TEXT, plan["rhk"][0]["text"]).click()
    at(driver, f"/tim/matriks/{plan['id']}/")
    check_page(driver, "tim-matriks-rhk")
    driver.find_element(By.CSS_SELECTOR, f"tr[data-member='{MADE}'] a").click()
    at(driver, f"/{MADE}")
    check_page(driver, "tim-matriks-sel")
    fill(driver, "text", "Terverifikasinya berkas mutasi")
    driver.find_element(By.CSS_SELECTOR, "details summary").click()
    for aspek, values in {"kuantitas": ("Jumlah berkas", "30", "berkas"), "kualitas": ("Berkas lengkap", "100", "%"),
                          "waktu": ("Dalam tahun", "12", "bulan")}.items():
        for part, value in zip(("indikator", "target", "satuan"), values, strict=True):
            fill(driver, f"iki-{aspek}-{part}", value)
    press(driver, "button[name=action][value=save]")
    until(lambda: "selesai=cell" in driver.current_url, what="the cell saved")
    assert driver.find_element(By.CSS_SELECTOR, f"tr[data-member='{MADE}'] [data-cell-state=diusulkan]")
    proposed = world["users"][MADE].get("/api/v1/skp/proposals", query_string={"year": NEXT_YEAR}).get_json()
    assert [(p["text"], p["state"], p["parent_rhk_id"], len(p["iki"])) for p in proposed["proposals"]] == [
        ("Terverifikasinya berkas mutasi", "diusulkan", plan["rhk"][0]["id"], 3)]
    # A second cell, without IKI (Oki gives them when accepting): Made's stays proposed.
    driver.find_element(By.CSS_SELECTOR, f"tr[data-member='{OKI}'] a").click()
    fill(driver, "text", "Terarsipnya SK mutasi")
    press(driver, "button[name=action][value=save]")
    until(lambda: "selesai=cell" in driver.current_url, what="the second cell saved")
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-cell-state=diusulkan]")) == 2
    assert [p["text"] for p in world["users"][OKI].get("/api/v1/skp/proposals", query_string={
        "year": NEXT_YEAR}).get_json()["proposals"]] == ["Terarsipnya SK mutasi"]

    driver.get(f"{world['web']}/tim/tunjangan?bulan={LAST_MONTH}")
    check_page(driver, "tim-tunjangan")
    team = world["users"][LESTARI].get("/api/v1/tukin/team", query_string={"month": LAST_MONTH}).get_json()
    assert {row.get_attribute("data-nip") for row in driver.find_elements(By.CSS_SELECTOR, "tr[data-nip]")} == {
        NUR, OKI, MADE} == {c["nip"] for c in team["team"]}
    assert driver.find_element(By.CSS_SELECTOR, "[data-total-net]").text.replace("\u00a0", " ") == \
        f"Rp {int(team['totals']['net']):,}".replace(",", ".")


def test_an_employee_ends_a_session_turns_on_totp_and_replaces_the_authenticator(world, driver_for):
    account = world["accounts"][OKI]
    phone = requests.post(f"{world['api']}/api/v1/auth/login", json={
        "nip": OKI, "password": account["password"], "device_name": "Ponsel lama"}, timeout=10).json()
    assert phone["status"] == "authenticated", phone
    driver = driver_for(True)
    sign_in(driver, world, OKI, True)
    # The proposal from the matrix asks for its IKI before it can be accepted.
    driver.get(f"{world['web']}/skp/usulan?tahun={NEXT_YEAR}")
    check_page(driver, "skp-usulan-tanpa-iki")
    assert driver.find_element(By.CSS_SELECTOR, "input[name='iki-kuantitas-target']")
    driver.get(world["web"] + "/pengaturan/")
    check_page(driver, "pengaturan")
    driver.find_element(By.LINK_TEXT, "Lihat sesi").click()
    at(driver, "/pengaturan/sesi")
    check_page(driver, "pengaturan-sesi")
    driver.find_element(By.CSS_SELECTOR, f"[data-session='{phone['session_id']}'] button").click()
    until(lambda: "selesai=" in driver.current_url, what="the session ended")
    assert not driver.find_elements(By.CSS_SELECTOR, f"[data-session='{phone['session_id']}']")
    assert driver.find_elements(By.CSS_SELECTOR, "[data-session][data-current]")
    refused = requests.post(f"{world['api']}/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]},
                            timeout=10)
    assert refused.status_code == 401, refused.text

    driver.get(world["web"] + "/pengaturan/")
    driver.find_element(By.LINK_TEXT, "Aktifkan").click()
    at(driver, "/pengaturan/verifikasi")
    check_page(driver, "pengaturan-totp-mulai")
    press(driver)
    at(driver, "/verifikasi/pindai")
    check_page(driver, "pengaturan-totp-pindai")
    first = driver.find_element(By.CSS_SELECTOR, "[data-secret]").text
    fill(driver, "code", totp_code(first))
    press(driver)
    at(driver, "/masuk/kode-pemulihan")
    check_page(driver, "pengaturan-kode-pemulihan")
    recovery = driver.find_element(By.CSS_SELECTOR, ".codes code").text
    driver.find_element(By.LINK_TEXT, "Saya sudah menyimpannya").click()
    until(lambda: "selesai=mfa" in driver.current_url, what="settings after enrolment")
    assert driver.find_element(By.CSS_SELECTOR, "[data-mfa]").get_attribute("data-mfa") == "on"

    # Replacing it needs a proof: without one the API refuses; a recovery code does.
    driver.find_element(By.LINK_TEXT, "Ganti aplikasi autentikator").click()
    at(driver, "/pengaturan/verifikasi")
    check_page(driver, "pengaturan-totp-ganti")
    fill(driver, "code", "000000")
    press(driver)
    assert driver.find_element(By.ID, "code-error").text
    check_page(driver, "pengaturan-totp-ganti-galat")
    driver.find_element(By.PARTIAL_LINK_TEXT, "kode pemulihan").click()
    at(driver, "cara=pemulihan")
    fill(driver, "code", recovery)
    press(driver)
    at(driver, "/verifikasi/pindai")
    second = driver.find_element(By.CSS_SELECTOR, "[data-secret]").text
    assert second != first
    fill(driver, "code", totp_code(second))
    press(driver)
    at(driver, "/masuk/kode-pemulihan")
    driver.find_element(By.LINK_TEXT, "Saya sudah menyimpannya").click()
    until(lambda: "selesai=mfa" in driver.current_url, what="settings after the replacement")

    # Signing in now takes a code of the new authenticator; the old one no longer works.
    login = requests.post(f"{world['api']}/api/v1/auth/login", json={"nip": OKI, "password": account["password"]},
                          timeout=10).json()
    assert login["status"] == "mfa_required", login
    old = requests.post(f"{world['api']}/api/v1/auth/mfa", json={"mfa_ticket": login["mfa_ticket"],
                                                                  "code": totp_code(first)}, timeout=10)
    assert old.status_code == 401, old.text
    new = requests.post(f"{world['api']}/api/v1/auth/mfa", json={"mfa_ticket": login["mfa_ticket"],
                                                                  "code": totp_code(second)}, timeout=10)
    assert new.status_code == 200 and new.json()["status"] == "authenticated", new.text


# --- Admin instansi: the agency's settings, absences, the payroll files ------------------------------

def set_date(driver, field_id: str, day: dt.date) -> None:
    """A date field given a date as its picker would (what typing into it means depends on the
    browser's locale); with the page's JavaScript off, scripts are allowed for this step only."""
    if not driver.javascript:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    try:
        driver.execute_script("arguments[0].value = arguments[1];", driver.find_element(By.ID, field_id),
                              day.isoformat())
    finally:
        if not driver.javascript:
            driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})


@pytest.mark.parametrize("js", VARIANTS)
def test_the_admin_changes_the_agency_settings_and_a_refused_line_is_named_where_it_was_typed(world, driver_for,
                                                                                             js):
    admin = world["users"][MADE]
    before = admin.get("/api/v1/harian/settings").get_json()
    holiday = TODAY + dt.timedelta(days=200)  # months ahead: no test counts that day
    hour = (before["reminder_hour"] + 1) % 24  # reminders are off in the suite
    try:
        driver = driver_for(js)
        sign_in(driver, world, MADE, js)
        driver.get(world["web"] + "/admin/")
        driver.find_element(By.LINK_TEXT, "Pengaturan instansi").click()
        at(driver, "/admin/pengaturan")
        check_page(driver, name_of(js, "admin-pengaturan"))
        # The form shows what the API holds.
        shown = driver.find_element(By.ID, "extra_holidays").get_attribute("value")
        assert shown.splitlines() == [f"{h['date']} {h['name']}" for h in before["extra_holidays"]]
        assert driver.find_element(By.ID, "extra_working_days").get_attribute("value").splitlines() == \
            before["extra_working_days"]
        assert driver.find_element(By.ID, "reminder_hour").get_attribute("value") == str(before["reminder_hour"])
        assert driver.find_element(By.ID, "work_saturday" if before["work_saturday"] else "work_saturday-2") \
            .is_selected()
        assert driver.find_element(By.ID, "max-sakit").get_attribute("value") == \
            str(before["absence_max_days"]["sakit"])

        # A holiday that is no date: refused on its line, next to the list, and nothing is stored.
        lines = shown.splitlines() + [f"{holiday} Libur uji web", f"{NEXT_YEAR}-02-30 Tanggal salah"]
        fill(driver, "extra_holidays", "\n".join(lines))
        fill(driver, "reminder_hour", str(hour))
        press(driver)
        error = driver.find_element(By.ID, "extra_holidays-error").text
        assert f"Baris {len(lines)}:" in error and "YYYY-MM-DD" in error, error
        assert driver.find_element(By.CSS_SELECTOR, ".error-summary a[href$='#extra_holidays']")
        assert driver.find_element(By.ID, "reminder_hour").get_attribute("value") == str(hour)  # as typed
        check_page(driver, name_of(js, "admin-pengaturan-galat"))
        assert admin.get("/api/v1/harian/settings").get_json() == before

        fill(driver, "extra_holidays", "\n".join(lines[:-1]))
        press(driver)
        until(lambda: "selesai=1" in driver.current_url, what="the settings saved")
        assert driver.find_element(By.CSS_SELECTOR, ".notice").text == "Pengaturan instansi disimpan."
        check_page(driver, name_of(js, "admin-pengaturan-disimpan"))
        after = admin.get("/api/v1/harian/settings").get_json()
        assert after == {**before, "reminder_hour": hour,
                         "extra_holidays": sorted(before["extra_holidays"] + [
                             {"date": holiday.isoformat(), "name": "Libur uji web"}], key=lambda h: h["date"])}
    finally:
        restored = admin.put("/api/v1/harian/settings", json={k: v for k, v in before.items() if k != "agency_id"})
        assert restored.status_code == 200, restored.get_json()
        assert admin.get("/api/v1/harian/settings").get_json() == before


@pytest.mark.parametrize("js", VARIANTS)
def test_the_admin_corrects_then_withdraws_a_recorded_absence(world, driver_for, js):
    admin = world["users"][MADE]
    start = TODAY + dt.timedelta(days=150 if js else 180)  # Joko's, months ahead: no day of it is closed
    until(lambda: admin.get("/api/v1/harian/absences", query_string={"nip": JOKO}).status_code == 200,
          what="harian's copy of Joko")
    recorded = admin.post("/api/v1/harian/absences", json={
        "nip": JOKO, "kind": "cuti", "start": start.isoformat(), "end": (start + dt.timedelta(days=2)).isoformat(),
        "note": "Cuti tahunan"})
    assert recorded.status_code == 201, recorded.get_json()
    absence = recorded.get_json()["id"]

    def stored() -> list[dict]:
        return admin.get("/api/v1/harian/absences", query_string={"nip": JOKO}).get_json()["absences"]

    driver = driver_for(js)
    sign_in(driver, world, MADE, js)
    driver.get(f"{world['web']}/admin/ketidakhadiran?nip={JOKO}")
    check_page(driver, name_of(js, "admin-ketidakhadiran-daftar"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"[data-absence='{absence}'] a[href$='/koreksi']"))
    at(driver, f"/admin/ketidakhadiran/{JOKO}/{absence}/koreksi")
    check_page(driver, name_of(js, "admin-ketidakhadiran-koreksi"))
    assert driver.find_element(By.ID, "start").get_attribute("value") == start.isoformat()
    assert driver.find_element(By.ID, "note").get_attribute("value") == "Cuti tahunan"

    # Without a reason the API refuses, next to the reason, and the absence stays as it was.
    driver.find_element(By.CSS_SELECTOR, "#kind option[value=sakit]").click()
    set_date(driver, "end", start + dt.timedelta(days=1))
    press(driver)
    assert driver.find_element(By.ID, "reason-error").text
    assert driver.find_element(By.CSS_SELECTOR, ".error-summary a[href$='#reason']")
    assert driver.find_element(By.ID, "end").get_attribute("value") == (start + dt.timedelta(days=1)).isoformat()
    check_page(driver, name_of(js, "admin-ketidakhadiran-koreksi-galat"))
    assert [(a["id"], a["kind"], a["end"]) for a in stored()] == [
        (absence, "cuti", (start + dt.timedelta(days=2)).isoformat())]
    fill(driver, "reason", "Surat keterangan dokter menyusul")
    press(driver)
    until(lambda: "selesai=koreksi" in driver.current_url, what="the absence corrected")
    assert driver.find_element(By.CSS_SELECTOR, ".notice").text == "Ketidakhadiran dikoreksi."
    assert driver.find_element(By.CSS_SELECTOR, f"[data-absence='{absence}']").text.startswith("Sakit")
    check_page(driver, name_of(js, "admin-ketidakhadiran-dikoreksi"))
    assert [(a["id"], a["kind"], a["start"], a["end"]) for a in stored()] == [
        (absence, "sakit", start.isoformat(), (start + dt.timedelta(days=1)).isoformat())]

    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"[data-absence='{absence}'] a[href$='/tarik']"))
    at(driver, f"/admin/ketidakhadiran/{JOKO}/{absence}/tarik")
    check_page(driver, name_of(js, "admin-ketidakhadiran-tarik"))
    fill(driver, "reason", "Uji")  # too short for the audit: refused, nothing withdrawn
    press(driver, "main form button.button-warning")
    assert driver.find_element(By.ID, "reason-error").text
    check_page(driver, name_of(js, "admin-ketidakhadiran-tarik-galat"))
    assert [a["id"] for a in stored()] == [absence]
    fill(driver, "reason", "Pegawai batal sakit")
    press(driver, "main form button.button-warning")
    until(lambda: "selesai=tarik" in driver.current_url, what="the absence withdrawn")
    assert driver.find_element(By.CSS_SELECTOR, ".notice").text.startswith("Ketidakhadiran ditarik")
    assert not driver.find_elements(By.CSS_SELECTOR, f"[data-absence='{absence}']")
    assert [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-history] [data-reason]")][:2] == [
        "Pegawai batal sakit", "Surat keterangan dokter menyusul"]  # newest first
    check_page(driver, name_of(js, "admin-ketidakhadiran-ditarik"))
    assert absence not in [a["id"] for a in stored()]
    history = admin.get("/api/v1/harian/absences", query_string={"nip": JOKO}).get_json()["history"]
    assert [(h["action"], h["reason"]) for h in history if h["absence_id"] == absence] == [
        ("recorded", None), ("corrected", "Surat keterangan dokter menyusul"), ("withdrawn", "Pegawai batal sakit")]


def _payroll(driver, world, fmt: str) -> requests.Response:
    """The payroll link's file, fetched with the browser's session (a download leaves no page to read)."""
    href = driver.find_element(By.CSS_SELECTOR, f"a[data-payroll={fmt}]").get_attribute("href")
    return requests.get(href, cookies={"ekinerja_sid": driver.get_cookie("ekinerja_sid")["value"]}, timeout=30,
                        allow_redirects=False)


@pytest.mark.parametrize("js", VARIANTS)
def test_the_admin_downloads_the_payroll_files_and_a_month_not_closed_leads_back_with_the_reason(
        world, driver_for, js, rabbit, service_databases):
    running = TODAY.strftime("%Y-%m")
    driver = driver_for(js)
    sign_in(driver, world, MADE, js)
    driver.get(f"{world['web']}/admin/tunjangan?bulan={running}")
    press(driver)  # the month computed: a preview while it runs
    until(lambda: "selesai=computed" in driver.current_url, what="the running month computed")
    assert driver.find_element(By.CSS_SELECTOR, "[data-preview]")
    check_page(driver, name_of(js, "admin-tunjangan-pratinjau"))
    for fmt, language, word in (("csv", "id", "pratinjau"), ("xlsx", "en", "preview")):
        if language == "en":
            driver.get(f"{world['web']}/bahasa/en?next=/admin/tunjangan?bulan={running}")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"a[data-payroll={fmt}]"))
        at(driver, f"/admin/tunjangan?bulan={running}")
        assert word in driver.find_element(By.ID, "bulan-error").text  # tukin's sentence, in the page's language
        assert word in driver.find_element(By.CSS_SELECTOR, ".error-summary a[href$='#bulan']").text
        check_page(driver, name_of(js, f"admin-tunjangan-ditolak-{fmt}"))
        driver.refresh()  # said once: the page read again is the month's page as it is
        assert not driver.find_elements(By.CSS_SELECTOR, ".error-summary")
    driver.get(f"{world['web']}/bahasa/id?next=/admin/tunjangan?bulan={LAST_MONTH}")

    # Last month has closed once a later working day is closed (harian says so of one of Joko's days).
    first = TODAY.replace(day=1)
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    publisher.publish(make_event("harian", "harian.day_closed", JOKO, {
        "nip": JOKO, "agency_id": "kemendemo", "unit_id": "kd-bag-eval", "date": first.isoformat(),
        "status": "disetujui", "entries": 1, "blank": False, "justified": False, "absence": None, "late": False}))
    publisher.close()
    tukin = create_engine(service_databases["tukin"])
    try:
        def copied() -> bool:
            with tukin.connect() as conn:
                return conn.execute(text(
                    "SELECT count(*) FROM days JOIN employees ON employees.nip = days.nip WHERE days.nip = :n "
                    "AND days.date = :d AND employees.agency_id = 'kemendemo'"), {"n": JOKO, "d": first}).scalar() == 1

        until(copied, what="tukin's copy of the closed day")
    finally:
        tukin.dispose()
    press(driver)
    until(lambda: "selesai=computed" in driver.current_url, what="last month computed again")
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-preview]")
    check_page(driver, name_of(js, "admin-tunjangan-ditutup"))
    month = world["users"][MADE].get("/api/v1/tukin/agency", query_string={"month": LAST_MONTH}).get_json()
    revision = month["run"]["revision"]

    as_csv = _payroll(driver, world, "csv")
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv"), as_csv.text[:500]
    assert f'filename="tukin-kemendemo-{LAST_MONTH}-r{revision}.csv"' in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert MADE in {cell for row in rows for cell in row}
    as_xlsx = _payroll(driver, world, "xlsx")
    assert as_xlsx.status_code == 200 and as_xlsx.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="tukin-kemendemo-{LAST_MONTH}-r{revision}.xlsx"' in as_xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert MADE in {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row}
