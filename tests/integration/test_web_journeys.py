"""The web client in a real browser (Debian's Chromium through Selenium), against the real gateway
and web processes in front of the real services: each journey with JavaScript on and off, every page
checked by axe-core (no serious or critical violation), no console error, and a screenshot kept.

The people are the demo ministry's Bagian Pengembangan Kompetensi (no other test uses them): Putri
Santoso supervises Rahmat, Sari and Taufik; Made Nugroho is the agency's admin. The submissions harian
could not store, "Lupa Password" with the NIK and the board of what waits are Joko Simanjuntak's (no
other test uses him) and his supervisor Gilang Hidayat's."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
from harness import totp_code
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from skp_world import Client, demo_masterdata, gateway_client, import_masterdata, wait_for_skp_copy
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
YESTERDAY = TODAY - dt.timedelta(days=1)
PUTRI, RAHMAT, SARI, TAUFIK = "196903212020102016", "197904092016081017", "199307182020012018", "198202152020051019"
ADMIN = "199502212020111013"
EVIDENCE = "https://drive.kemendemo.go.id/bangkom/bukti.pdf"
VARIANTS = [pytest.param(True, id="js"), pytest.param(False, id="nojs")]


@pytest.fixture(scope="module")
def world(rabbit, services, demo_logins, service_databases, tmp_path_factory):
    from ekinerja_kernel.db import make_engine, session_factory
    from skp.cli import demo_plans

    demo = demo_masterdata()
    import_masterdata(rabbit.amqp_uri, demo)
    team = [PUTRI, RAHMAT, SARI, TAUFIK]
    wait_for_skp_copy(service_databases["skp"], team, demo)
    engine = make_engine(service_databases["skp"])
    assert demo_plans(session_factory(engine), ["kemendemo"], TODAY.year, 60) == 0
    engine.dispose()
    api = gateway_client(rabbit.amqp_uri)
    users = {nip: Client(api, demo_logins[nip]) for nip in team + [ADMIN]}
    # Today and yesterday are working days for the ministry whatever day the suite runs.
    settings = users[ADMIN].put("/api/v1/harian/settings", json={
        "extra_working_days": [TODAY.isoformat(), YESTERDAY.isoformat()]})
    assert settings.status_code == 200, settings.get_json()
    for nip in (RAHMAT, SARI, TAUFIK):
        until(lambda nip=nip: users[nip].get("/api/v1/harian/rhk", query_string={"date": TODAY.isoformat()})
              .get_json().get("rhk"), timeout=60, what=f"harian's copy of {nip}'s approved RHK")
    gateway, web = start_stack(rabbit.amqp_uri, tmp_path_factory.mktemp("web-stack"))
    secret = _enrol_totp(gateway.base, demo_logins[RAHMAT])
    yield {"web": web.base, "api": gateway.base, "users": users, "accounts": demo_logins,
           "totp": {RAHMAT: secret, ADMIN: demo_logins[ADMIN]["totp_secret"]}}
    stop_all(web, gateway)


def _enrol_totp(api: str, account: dict) -> str:
    """The employee turns on TOTP through the public API (what the journey then signs in with)."""
    login = requests.post(f"{api}/api/v1/auth/login", json={"nip": account["nip"], "password": account["password"]},
                          timeout=10).json()
    assert login["status"] == "authenticated", login
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    secret = requests.post(f"{api}/api/v1/auth/mfa/enroll", headers=bearer, timeout=10).json()["secret"]
    confirmed = requests.post(f"{api}/api/v1/auth/mfa/enroll/confirm", headers=bearer, json={"code": totp_code(secret)},
                              timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    return secret


@pytest.fixture(scope="module")
def chromium(world):
    driver = browser()
    yield driver
    driver.quit()  # before the servers stop: no keep-alive connection holds them up


@pytest.fixture
def driver_for(world, chromium):
    """The module's one browser, reset for each test: no cookie or stored data, JavaScript on or off."""
    return lambda javascript: use(chromium, javascript, world["web"])


def _day(js: bool) -> dt.date:
    return TODAY if js else YESTERDAY


def fill_activity(driver, row: int, description: str) -> None:
    select = driver.find_element(By.ID, f"a-{row}-rhk_id")
    options = select.find_elements(By.TAG_NAME, "option")
    if not select.get_attribute("value"):
        options[1].click()
    for field, value in (("description", description), ("quantity", "2"), ("satuan", "dokumen"),
                         ("quality", "100"), ("evidence_url", EVIDENCE), ("minutes", "60")):
        element = driver.find_element(By.ID, f"a-{row}-{field}")
        element.clear()
        element.send_keys(value)


def submit_day(driver, js: bool) -> None:
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=submit]").click()
    until(lambda: "/pengajuan/" in driver.current_url, what="the submission's page")
    wait_decided(driver, js)


def wait_decided(driver, js: bool) -> None:
    """On a submission's page: until it shows harian's outcome (followed by the page's script, or
    without JavaScript by its "Periksa lagi" link)."""

    def decided() -> bool:
        try:
            heading = driver.find_element(By.TAG_NAME, "h1").text
            if heading == "Pengajuan sedang diproses" and not js:
                driver.find_element(By.LINK_TEXT, "Periksa lagi").click()  # what a person does without JS
        except (NoSuchElementException, StaleElementReferenceException):  # the page is being reloaded
            return False
        return heading != "Pengajuan sedang diproses"

    until(decided, timeout=60, what="harian to decide the submission")


def submitted(world, nip: str, day: dt.date) -> list[dict]:
    return [e for e in world["users"][nip].get(f"/api/v1/harian/days/{day.isoformat()}").get_json()["entries"]
            if e["state"] == "diajukan"]


@pytest.mark.parametrize("js", VARIANTS)
def test_an_employee_signs_in_with_totp_and_submits_the_day(world, driver_for, js):
    driver = driver_for(js)
    sign_in(driver, world, RAHMAT, js, page_prefix="pegawai")
    check_page(driver, name_of(js, "beranda"))
    assert driver.find_element(By.ID, "today-title")
    driver.get(world["web"] + "/harian/")
    check_page(driver, name_of(js, "harian-kalender"))
    assert driver.find_elements(By.CSS_SELECTOR, "table.calendar td.s-belum_diisi")
    driver.get(f"{world['web']}/harian/{_day(js).isoformat()}")
    check_page(driver, name_of(js, "harian-hari"))
    fill_activity(driver, 0, f"Menyusun modul pelatihan ({'js' if js else 'nojs'})")
    submit_day(driver, js)
    check_page(driver, name_of(js, "harian-pengajuan"))

    assert driver.find_element(By.TAG_NAME, "h1").text == "Progres harian diajukan"
    assert driver.find_element(By.CSS_SELECTOR, ".tag-diajukan").text == "Diajukan"
    assert [e["description"] for e in submitted(world, RAHMAT, _day(js))] == [
        f"Menyusun modul pelatihan ({'js' if js else 'nojs'})"]


def test_a_field_the_api_refuses_is_named_next_to_it(world, driver_for):
    """A draft with a bad evidence link: the API's sentence next to the field and in the summary."""
    driver = driver_for(False)
    sign_in(driver, world, TAUFIK, False)
    driver.get(f"{world['web']}/harian/{TODAY.isoformat()}")
    fill_activity(driver, 0, "Rapat koordinasi")
    link = driver.find_element(By.ID, "a-0-evidence_url")
    link.clear()
    link.send_keys("bukan-tautan")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[name=action][value=draft]"))
    check_page(driver, "harian-galat-nojs")

    message = driver.find_element(By.ID, "a-0-evidence_url-error").text
    assert "http://" in message and "https://" in message
    assert driver.find_element(By.CSS_SELECTOR, ".error-summary a[href='#a-0-evidence_url']")
    assert driver.title.startswith("Galat:")


def _submit_by_api(world, nip: str, day: dt.date, description: str) -> None:
    client = world["users"][nip]
    reply = client.gateway.post("/api/v1/harian/submissions", headers={**client.headers,
                                "Idempotency-Key": str(uuid.uuid4())}, json={"date": day.isoformat(), "activities": [{
                                    "rhk_id": client.get("/api/v1/harian/rhk", query_string={"date": day.isoformat()})
                                    .get_json()["rhk"][0]["id"], "description": description, "quantity": 1,
                                    "satuan": "laporan", "quality": 100, "evidence_url": EVIDENCE}]})
    assert reply.status_code == 202, reply.get_json()
    until(lambda: client.get(reply.get_json()["status_url"]).get_json()["status"] == "diterima",
          what="harian to store the submission")


@pytest.mark.parametrize("js", VARIANTS)
def test_the_supervisor_approves_one_entry_and_returns_another_with_a_note(world, driver_for, js):
    day = _day(js)
    _submit_by_api(world, SARI, day, "Laporan evaluasi diklat")
    rahmat_entry, sari_entry = submitted(world, RAHMAT, day)[0]["id"], submitted(world, SARI, day)[0]["id"]
    driver = driver_for(js)
    sign_in(driver, world, PUTRI, js, page_prefix="atasan")
    driver.get(f"{world['web']}/tim/?dari={day.isoformat()}")
    check_page(driver, name_of(js, "tim-harian"))

    driver.find_element(By.CSS_SELECTOR, f"input[name=entry][value='{rahmat_entry}']").click()
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=approve]").click()
    until(lambda: "disetujui=1" in driver.current_url, what="the approval")
    check_page(driver, name_of(js, "tim-harian-disetujui"))
    assert driver.find_element(By.CSS_SELECTOR, f"[data-entry='{rahmat_entry}']").get_attribute("data-state") == \
        "disetujui"

    driver.find_element(By.CSS_SELECTOR, f"input[name=entry][value='{sari_entry}']").click()
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[name=action][value=return]"))  # no note yet
    assert driver.find_element(By.ID, "note-error").text  # the API's rule, next to the note
    check_page(driver, name_of(js, "tim-harian-galat"))
    assert driver.find_element(By.CSS_SELECTOR, f"input[name=entry][value='{sari_entry}']").is_selected()
    driver.find_element(By.ID, "note").send_keys("Lampirkan daftar hadir peserta")
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=return]").click()
    until(lambda: "dikembalikan=1" in driver.current_url, what="the return")

    day_of_sari = world["users"][SARI].get(f"/api/v1/harian/days/{day.isoformat()}").get_json()
    assert day_of_sari["status"] == "dikembalikan"
    assert day_of_sari["entries"][0]["note"] == "Lampirkan daftar hadir peserta"
    assert world["users"][RAHMAT].get(f"/api/v1/harian/days/{day.isoformat()}").get_json()["status"] == "disetujui"


@pytest.mark.parametrize("js", VARIANTS)
def test_the_employee_sees_the_note_and_submits_again(world, driver_for, js):
    day = _day(js)
    driver = driver_for(js)
    sign_in(driver, world, SARI, js)
    if js:  # today's entry: Beranda says it came back
        assert driver.find_element(By.CSS_SELECTOR, "#today-title ~ p .tag-dikembalikan")
    driver.get(f"{world['web']}/harian/{day.isoformat()}")
    check_page(driver, name_of(js, "harian-dikembalikan"))
    assert driver.find_element(By.CSS_SELECTOR, "[data-note]").text == "Lampirkan daftar hadir peserta"
    description = driver.find_element(By.ID, "a-0-description")
    description.send_keys(" (daftar hadir terlampir)")
    submit_day(driver, js)

    assert driver.find_element(By.TAG_NAME, "h1").text == "Progres harian diajukan"
    assert [e["description"] for e in submitted(world, SARI, day)] == [
        "Laporan evaluasi diklat (daftar hadir terlampir)"]


@pytest.mark.parametrize("js", VARIANTS)
def test_the_supervisor_approves_an_skp(world, driver_for, js):
    owner = world["users"][TAUFIK if js else SARI]
    plan = next(s for s in owner.get("/api/v1/skp").get_json()["skps"] if s["year"] == TODAY.year)
    if plan["state"] == "disetujui":
        assert owner.post(f"/api/v1/skp/{plan['id']}/revise", json={}).status_code == 200
    assert owner.post(f"/api/v1/skp/{plan['id']}/submit", json={}).status_code == 200
    driver = driver_for(js)
    sign_in(driver, world, PUTRI, js)
    driver.get(world["web"] + "/tim/skp")
    check_page(driver, name_of(js, "tim-skp"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"a[href='/tim/skp/{plan['id']}']"))
    check_page(driver, name_of(js, "tim-skp-tinjau"))
    driver.find_element(By.CSS_SELECTOR, "button[name=action][value=approve]").click()
    until(lambda: "selesai=approve" in driver.current_url, what="the SKP approval")
    check_page(driver, name_of(js, "tim-skp-disetujui"))

    assert owner.get(f"/api/v1/skp/{plan['id']}").get_json()["state"] == "disetujui"


@pytest.mark.parametrize("js", VARIANTS)
def test_an_admin_repairs_a_blocked_employees_supervisor_and_the_finding_goes(world, driver_for, js):
    blocked = TAUFIK if js else SARI
    admin = world["users"][ADMIN]
    reset = admin.post(f"/api/v1/admin/employees/{blocked}/supervisor/reset", json={"reason": "uji web"})
    assert reset.status_code == 200, reset.get_json()

    def listed() -> bool:
        found = admin.get("/api/v1/admin/agencies/kemendemo/findings",
                          query_string={"code": "no-supervisor"}).get_json()
        return blocked in [e["nip"] for e in found["employees"]]

    until(listed, timeout=60, what="the findings list to show the blocked employee")
    driver = driver_for(js)
    sign_in(driver, world, blocked, js)
    assert driver.find_elements(By.CSS_SELECTOR, "[data-code='no-supervisor']")
    check_page(driver, name_of(js, "beranda-terhambat"))
    sign_out(driver)

    sign_in(driver, world, ADMIN, js, page_prefix="admin")
    driver.get(world["web"] + "/admin/?kode=no-supervisor")
    check_page(driver, name_of(js, "admin-temuan"))
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, f"tr[data-nip='{blocked}'] a"))
    check_page(driver, name_of(js, "admin-pegawai"))
    driver.find_element(By.ID, "supervisor_nip").send_keys(PUTRI)
    driver.find_element(By.ID, "reason-supervisor").send_keys("Atasan langsung sesuai SK")
    driver.find_element(By.CSS_SELECTOR, "form.repair button[type=submit]").click()
    until(lambda: "selesai=supervisor" in driver.current_url, what="the repair")
    check_page(driver, name_of(js, "admin-pegawai-diperbaiki"))
    assert PUTRI in driver.find_element(By.CSS_SELECTOR, "[data-supervisor]").text
    sign_out(driver)

    sign_in(driver, world, blocked, js)
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-code='no-supervisor']")
    check_page(driver, name_of(js, "beranda-pulih"))


# --- Joko Simanjuntak (Bagian Evaluasi) and his supervisor Gilang Hidayat -----------------------------------

JOKO, GILANG = "198009092015101010", "199611232020101007"
JOKO_NIK, JOKO_EMAIL = "3171010909807852", "joko.simanjuntak@kemendemo.go.id"


def _user(world, nip: str) -> Client:
    users = world["users"]
    if nip not in users:
        users[nip] = Client(users[ADMIN].gateway, world["accounts"][nip])
    return users[nip]


def _joko_can_write(world, day: dt.date) -> str:
    """Joko's approved RHK as harian knows it (the demo plans' copy arrives through events)."""
    joko = _user(world, JOKO)
    until(lambda: joko.get("/api/v1/harian/rhk", query_string={"date": day.isoformat()}).get_json().get("rhk"),
          timeout=60, what="harian's copy of Joko's approved RHK")
    return joko.get("/api/v1/harian/rhk", query_string={"date": day.isoformat()}).get_json()["rhk"][0]["id"]


def _summary(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".error-summary").text


def test_a_submission_with_text_harian_cannot_store_says_which_field_to_fix(world, driver_for, rabbit):
    """Text no database can store (a lone surrogate: the gateway refuses it, so it comes here the way
    the gateway hands a submission over, straight onto harian's queue) is parked after its tries; the
    submission's page says it could not be saved and names the field, and the day and the calendar
    show it rather than hide it."""
    from ekinerja_kernel.bus import HARIAN_SUBMISSIONS, HARIAN_SUBMIT, ConfirmedPublisher, commands_exchange
    from ekinerja_kernel.events import make_event

    rhk = _joko_can_write(world, TODAY)
    command = make_event("gateway", HARIAN_SUBMIT, JOKO, {
        "id": str(uuid.uuid4()), "nip": JOKO, "date": TODAY.isoformat(),
        "accepted_at": dt.datetime.now(dt.UTC).isoformat(),
        "activities": [{"rhk_id": rhk, "description": "Rekap evaluasi \ud800", "quantity": 1, "satuan": "laporan",
                        "quality": 100, "evidence_url": EVIDENCE, "minutes": None}]})
    publisher = ConfirmedPublisher(rabbit.amqp_uri, exchange=commands_exchange(), queues=(HARIAN_SUBMISSIONS,))
    publisher.publish(command)
    publisher.close()
    status_url = f"/api/v1/harian/submissions/{command['data']['id']}"
    until(lambda: _user(world, JOKO).get(status_url).get_json()["status"] == "gagal", timeout=60,
          what="harian to park the submission")
    problem = _user(world, JOKO).get(status_url).get_json()["problem"]
    assert problem["code"] == "unstorable-text"

    driver = driver_for(False)
    sign_in(driver, world, JOKO, False)
    driver.get(f"{world['web']}/harian/{TODAY.isoformat()}/pengajuan/{command['data']['id']}")
    check_page(driver, "harian-gagal-teks-nojs")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Pengajuan tidak dapat disimpan"
    assert driver.find_element(By.CSS_SELECTOR, "[data-problem]").text == problem["detail_id"]
    assert problem["errors"][0]["detail_id"] in _summary(driver)

    click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Perbaiki isian"))
    check_page(driver, "harian-gagal-teks-hari-nojs")
    panel = driver.find_element(By.CSS_SELECTOR, "[data-last-unstored='gagal']")
    assert "Pengajuan terakhir tidak dapat disimpan" in panel.text and problem["errors"][0]["detail_id"] in panel.text
    assert driver.find_element(By.ID, "a-0-description")  # the day's form, to type it again

    driver.get(f"{world['web']}/harian/?bulan={TODAY.strftime('%Y-%m')}")
    check_page(driver, "harian-kalender-gagal-nojs")
    assert "ditolak atau tidak dapat disimpan" in driver.find_element(By.CSS_SELECTOR, "ul.legend").text


@pytest.mark.parametrize("js", VARIANTS)
def test_a_submission_that_failed_on_our_side_is_submitted_again_as_typed(world, driver_for, service_databases,
                                                                          js):
    """A fault of ours (a constraint harian's database refuses this text with, added here and removed)
    parks the submission: its page says nothing is lost, with no error to fix, and "Ajukan lagi" sends
    what was typed again once the fault is gone."""
    from sqlalchemy import create_engine, text

    day, description = _day(js), f"Menyusun laporan evaluasi program ({'js' if js else 'nojs'})"
    _joko_can_write(world, day)
    engine = create_engine(service_databases["harian"])
    constraint = f"web_fault_{'js' if js else 'nojs'}"
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE entries ADD CONSTRAINT {constraint} CHECK (description <> '{description}') "
                          "NOT VALID"))
    try:
        driver = driver_for(js)
        sign_in(driver, world, JOKO, js)
        driver.get(f"{world['web']}/harian/{day.isoformat()}")
        fill_activity(driver, 0, description)
        submit_day(driver, js)
        failed_url = driver.current_url
        check_page(driver, name_of(js, "harian-gagal-kami"))
        assert driver.find_element(By.TAG_NAME, "h1").text == "Pengajuan tidak dapat disimpan"
        assert "Tidak ada yang hilang" in driver.find_element(By.CSS_SELECTOR, "[data-problem]").text
        assert not driver.find_elements(By.CSS_SELECTOR, ".error-summary")  # nothing for the person to fix
        assert description not in [e["description"] for e in submitted(world, JOKO, day)]
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE entries DROP CONSTRAINT IF EXISTS {constraint}"))
        engine.dispose()

    driver.find_element(By.XPATH, "//button[normalize-space()='Ajukan lagi']").click()
    until(lambda: "/pengajuan/" in driver.current_url and driver.current_url != failed_url,
          what="the new submission's page")
    wait_decided(driver, js)
    check_page(driver, name_of(js, "harian-gagal-diajukan-lagi"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Progres harian diajukan"
    assert [e["description"] for e in submitted(world, JOKO, day)] == [description]


@pytest.mark.parametrize("js", VARIANTS)
def test_the_supervisor_sees_what_waits_for_a_decision_on_beranda_and_the_board(world, driver_for, js):
    """Beranda and the board show the API's own figures (`waiting_for_me`, `totals`): what waits, per
    person and day, each a link to that day on the board."""
    day = _day(js)
    _joko_can_write(world, day)
    _submit_by_api(world, JOKO, day, f"Rekap capaian evaluasi ({'js' if js else 'nojs'})")
    gilang = _user(world, GILANG)

    def board(start: dt.date) -> dict:
        return gilang.get("/api/v1/harian/team", query_string={"from": start.isoformat()}).get_json()

    driver = driver_for(js)
    sign_in(driver, world, GILANG, js)
    check_page(driver, name_of(js, "beranda-atasan-menunggu"))
    today_waiting = board(TODAY)["waiting_for_me"]["entries"]
    assert today_waiting >= (1 if day == TODAY else 0)
    assert driver.find_element(By.CSS_SELECTOR, "#waiting-title ~ ul a[href='/tim/']").text == \
        f"{today_waiting} progres harian tim menunggu persetujuan"

    answer = board(day)
    driver.get(f"{world['web']}/tim/?dari={day.isoformat()}")
    check_page(driver, name_of(js, "tim-harian-menunggu"))
    assert driver.find_element(By.CSS_SELECTOR, "[data-waiting]").text == str(answer["waiting_for_me"]["entries"])
    listed = driver.find_elements(By.CSS_SELECTOR, "[data-waiting-day]")
    assert [e.get_attribute("data-waiting-day") for e in listed] == [
        f"{w['nip']}/{w['date']}" for w in answer["waiting_for_me"]["days"]]
    joko_day = next(w for w in answer["waiting_for_me"]["days"] if w["nip"] == JOKO)
    item = driver.find_element(By.CSS_SELECTOR, f"[data-waiting-day='{JOKO}/{day.isoformat()}']")
    assert "Joko Simanjuntak" in item.text and f"{joko_day['entries']} kegiatan" in item.text
    shown = {e.get_attribute("data-total"): e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-total]")}
    assert shown.keys() == {s for s, n in answer["totals"].items() if n}
    assert all(text.endswith(f": {answer['totals'][s]}") for s, text in shown.items())

    item.find_element(By.TAG_NAME, "a").click()
    until(lambda: driver.current_url.endswith(f"#d-{JOKO}-{day.isoformat()}"), what="the link to Joko's day")
    target = driver.find_element(By.ID, f"d-{JOKO}-{day.isoformat()}")
    entry = submitted(world, JOKO, day)[0]["id"]
    assert target.find_element(By.CSS_SELECTOR, f"input[name=entry][value='{entry}']")


def test_lupa_password_with_the_nik_says_what_does_not_match(world, driver_for):
    """Without the NIK one answer whatever was typed; with it, identity says precisely what does not
    match, next to that field, and who can fix it."""
    driver = driver_for(False)
    driver.get(world["web"] + "/lupa-password")
    check_page(driver, "lupa-password-nojs")

    def ask(nik: str, email: str) -> None:
        for field, value in (("nip", JOKO), ("nik", nik), ("email", email)):
            element = driver.find_element(By.ID, field)
            element.clear()
            element.send_keys(value)
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main button[type=submit]"))

    ask("", "joko@contoh.go.id")  # no NIK: nothing is told about the account (and no empty NIK is sent)
    assert "/cek-email" in driver.current_url
    driver.get(world["web"] + "/lupa-password")

    ask(JOKO_NIK[:-1] + "3", JOKO_EMAIL)
    check_page(driver, "lupa-password-nik-nojs")
    assert driver.find_element(By.ID, "nik-error").text.endswith("NIK ini bukan NIK yang tercatat untuk NIP ini.")
    assert driver.find_element(By.CSS_SELECTOR, ".error-summary a[href='#nik']")
    assert "Yang dapat memperbaiki" in _summary(driver)
    assert driver.find_element(By.ID, "nik").get_attribute("value") == JOKO_NIK[:-1] + "3"

    ask(JOKO_NIK, "joko@contoh.go.id")
    check_page(driver, "lupa-password-email-nojs")
    assert driver.find_element(By.ID, "email-error").text.endswith("Bukan email yang tercatat di data induk.")
    assert "j***k@k***.go.id" in _summary(driver)  # which inbox to open, masked
    assert not driver.find_elements(By.ID, "nik-error")

    ask(JOKO_NIK, JOKO_EMAIL)
    assert driver.current_url.endswith("/cek-email?jenis=reset")
