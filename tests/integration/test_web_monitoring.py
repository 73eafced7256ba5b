"""BKN's national account in a real browser (Debian's Chromium through Selenium) against the real gateway
and web processes in front of the real services: it signs in with its password and TOTP code, opens
Pemantauan and drills from the nation to one teacher of the demo city's school (agency, Sekretariat
Daerah, Dinas Pendidikan, the school, the teacher), sorts a table by a column and downloads it, with
JavaScript on and off; axe-core finds no serious or critical violation on any page, the console no
error; and the teacher's page read by the national account is recorded by the services."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from selenium.webdriver.common.by import By
from skp_world import Client, demo_masterdata, gateway_client, import_masterdata
from web_harness import browser, check_page, click_and_wait, name_of, sign_in, start_stack, stop_all, until, use

from ekinerja_kernel.localservers import wait_for

BKN = "197904172005011039"  # deploy/demo: Bambang Setiadi, admin_nasional
VARIANTS = [pytest.param(True, id="js"), pytest.param(False, id="nojs")]


@pytest.fixture(scope="module")
def world(rabbit, services, demo_logins, service_databases, tmp_path_factory):
    from sqlalchemy import create_engine, text

    demo = demo_masterdata()
    import_masterdata(rabbit.amqp_uri, demo)
    engine = create_engine(service_databases["harian"])
    try:
        wait_for(lambda: engine.connect().execute(text("SELECT count(*) FROM mon_nodes WHERE node = 'u:pk-sdn1' "
                                                       "AND known")).scalar() == 1, timeout=30,
                 what="harian's unit tree of the demo city")
    finally:
        engine.dispose()
    teacher = next(e for e in demo["employees"] if e["unit_id"] == "pk-sdn1" and e["position_id"] == "pk-guru-muda")
    gateway, web = start_stack(rabbit.amqp_uri, tmp_path_factory.mktemp("web-monitoring"))
    api = Client(gateway_client(rabbit.amqp_uri), demo_logins[BKN])
    yield {"web": web.base, "accounts": demo_logins, "totp": {BKN: demo_logins[BKN]["totp_secret"]},
           "teacher": teacher, "api": api}
    stop_all(web, gateway)


@pytest.fixture(scope="module")
def driver():
    found = browser()
    yield found
    found.quit()


def follow(driver, selector: str, text_: str) -> None:
    link = next(a for a in driver.find_elements(By.CSS_SELECTOR, selector) if a.text.strip() == text_)
    click_and_wait(driver, link)


def heading(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


@pytest.mark.parametrize("js", VARIANTS)
def test_the_national_account_drills_from_the_nation_to_one_teacher(driver, world, js):
    use(driver, js, world["web"])
    sign_in(driver, world, BKN, js)
    follow(driver, "nav.nav a", "Pemantauan")
    until(lambda: "/pemantauan/nasional" in driver.current_url, what="the national page")
    assert "Nasional" in heading(driver)
    assert driver.find_element(By.CSS_SELECTOR, "svg.chart[role=img] title").get_attribute("textContent")
    check_page(driver, name_of(js, "pemantauan-nasional"))

    for name, page in (("Pemerintah Kota Demo", "instansi"), ("Sekretariat Daerah", "setda"),
                       ("Dinas Pendidikan", "disdik"), ("SD Negeri 1 Kota Demo", "sekolah")):
        follow(driver, "#tabel-anak tbody a", name)
        assert name in heading(driver), heading(driver)
        check_page(driver, name_of(js, f"pemantauan-{page}"))

    # the school's people, sorted by blank days, most first
    follow(driver, "#tabel-orang thead a", "Kosong")
    sorted_by = driver.find_element(By.CSS_SELECTOR, "#tabel-orang th[aria-sort=descending]")
    assert sorted_by.text.startswith("Kosong")
    rows = driver.find_elements(By.CSS_SELECTOR, "#tabel-orang tbody tr")
    assert len(rows) >= 10
    check_page(driver, name_of(js, "pemantauan-sekolah-urut"))

    download = driver.find_element(By.XPATH, "//table[@id='tabel-orang']/ancestor::div[1]"
                                             "/following-sibling::p[@class='exports']/a[text()='CSV']")
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    exported = requests.get(download.get_attribute("href"), cookies=cookies, timeout=30)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:2] == ["NIP", "Nama"] and len(table) == len(rows) + 1

    teacher = world["teacher"]
    follow(driver, "#tabel-orang tbody a", teacher["name"])
    until(lambda: f"/pemantauan/pegawai/{teacher['nip']}" in driver.current_url, what="the teacher's page")
    assert teacher["name"] in heading(driver)
    crumbs = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.breadcrumbs a")]
    assert crumbs[:2] == ["Nasional", "Pemerintah Kota Demo"] and crumbs[-1] == teacher["name"]
    check_page(driver, name_of(js, "pemantauan-pegawai"))

    reads = world["api"].get("/api/v1/monitoring/reads", query_string={"subject": teacher["nip"]}).get_json()
    assert {r["service"] for r in reads["reads"]} >= {"harian", "skp"}
    assert all(r["reader_nip"] == BKN for r in reads["reads"])


def test_a_page_of_another_role_is_refused_in_plain_words(driver, world):
    use(driver, True, world["web"])
    sign_in(driver, world, BKN, True)
    driver.get(world["web"] + "/pemantauan/unit/tidak-ada")
    assert "Permintaan tidak dapat dipenuhi" in heading(driver) or "tidak ditemukan" in driver.page_source
    check_page(driver, "pemantauan-unit-tidak-ada")
