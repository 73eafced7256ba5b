"""The performance cycle in the web client, in a real browser (Debian's Chromium through Selenium)
against the real gateway and web processes: an SKP made one question at a time, returned with a
note and approved with ekspektasi khusus; a period's realisasi with evidence and its rating; the
supervisor's Matriks Peran Hasil and team allowances; turning on TOTP, replacing the authenticator
and ending a session. The journeys that matter run with JavaScript on and off; every page is checked
by axe-core (no serious or critical violation), with no console error and a screenshot kept.

The people are the demo ministry's Bagian Mutasi (no other test uses them): Lestari Saputra
supervises Nur Rahayu, Oki Simanjuntak and Made Nugroho (the agency's admin); above her Kartika
Santoso, and Adi Saputra heads the ministry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests
from harness import totp_code
from selenium.webdriver.common.by import By
from skp_world import Client, demo_masterdata, gateway_client, import_masterdata, rhk, wait_for_skp_copy
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

TODAY = config.today()
NEXT_YEAR = TODAY.year + 1
ADI, KARTIKA, LESTARI = "197809172020021001", "198604252010012011", "199010142019032012"
NUR, OKI, MADE = "198507222011092014", "199307142016051015", "199502212020111013"
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
