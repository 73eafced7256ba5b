"""The web client's browser tests: the real gateway and the web under gunicorn (as deploy/Procfile
starts them) in front of the in-process services, and Debian's Chromium driven by Selenium.

Selenium Manager never runs: the driver is /usr/bin/chromedriver, given explicitly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from harness import totp_code
from selenium.webdriver.common.by import By

from ekinerja_kernel.localservers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "web"
AXE = Path(__file__).with_name("web_axe") / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


class Process:
    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.name, self.port, self.log = name, port, log
        self.base = f"http://127.0.0.1:{port}"
        with open(log, "wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]

    def wait_healthy(self, timeout: float = 60) -> None:
        def alive() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")
            try:
                return requests.get(self.base + "/healthz", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):
                return False

        wait_for(alive, timeout=timeout, interval=0.1, what=f"{self.name}'s /healthz")

    def stop(self) -> None:
        stop_all(self)


def stop_all(*processes: Process) -> None:
    """Stopped together, each told at once (SIGINT: gunicorn's quick shutdown, as nothing here tests
    the graceful one), then waited for on one deadline."""
    running = [p for p in processes if p.process.poll() is None]
    for p in running:
        p.process.send_signal(signal.SIGINT)
    for p in running:
        try:
            p.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.process.kill()
            p.process.wait(timeout=10)


def procfile_command(name: str) -> list[str]:
    for line in (ROOT / "deploy" / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name}:"):
            import shlex

            words = shlex.split(line.partition(":")[2].strip())
            words[0] = str(Path(sys.executable).parent / words[0])  # the venv's gunicorn
            return words
    raise AssertionError(f"no {name} line in deploy/Procfile")


def start_stack(amqp_uri: str, workdir: Path) -> tuple[Process, Process]:
    env = dict(os.environ)
    gateway_port, web_port = free_port(), free_port()
    metrics = workdir / "prometheus"
    metrics.mkdir(parents=True, exist_ok=True)
    env.update({"AMQP_URI": amqp_uri, "GATEWAY_PORT": str(gateway_port), "GATEWAY_WORKERS": "2",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics), "AUTH_RATE_LIMIT": "100000", "RPC_TIMEOUT": "10",
                "READY_TIMEOUT": "3", "WEB_PORT": str(web_port), "WEB_WORKERS": "2",
                "EKINERJA_API_URL": f"http://127.0.0.1:{gateway_port}",
                "WEB_SESSION_DB": str(workdir / "web-sessions.db"), "WEB_SUBMISSION_WAIT": "4"})
    env.pop("GATEWAY_HOST", None)
    env.pop("WEB_HOST", None)
    gateway = Process("gateway", procfile_command("gateway"), env, gateway_port, workdir / "gateway.log")
    web = Process("web", procfile_command("web"), env, web_port, workdir / "web.log")
    try:
        gateway.wait_healthy()
        web.wait_healthy()
    except BaseException:
        stop_all(gateway, web)
        raise
    return gateway, web


def browser():
    """One headless Chromium, to be reused by a module's tests (use() resets it between them)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=390,900", "--lang=id", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    driver.javascript = True
    return driver


def _scripts(driver, enabled: bool) -> None:
    # What DevTools' "Disable JavaScript" does: the page's own scripts never run (for every page
    # loaded from now on), while WebDriver can still read the page.
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not enabled})


def use(driver, javascript: bool, origin: str):
    """The browser as a new visitor would bring it: no cookie, no stored offline day, nothing left in
    the console, and the page's JavaScript on or off."""
    driver.get("about:blank")  # stops a previous page's script (a submission followed, say)
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    _scripts(driver, javascript)
    driver.javascript = javascript
    driver.get_log("browser")  # drained: what the next page logs is its own
    return driver


def axe_violations(driver) -> list[dict]:
    """axe-core's serious and critical violations of the page (WCAG 2.x A/AA, 2.2 included). With the
    page's JavaScript off, scripts are allowed for the audit only: the page is already built without
    them (a deferred script skipped while parsing is not run later), so axe audits the no-JS page."""
    if not driver.javascript:
        _scripts(driver, True)
    try:
        if not driver.execute_script("return typeof window.axe === 'object'"):
            driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', "
            "'wcag21a', 'wcag21aa', 'wcag22aa']}}).then(r => done(JSON.stringify(r.violations))).catch(e => done("
            "JSON.stringify([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));")
    finally:
        if not driver.javascript:
            _scripts(driver, False)
    return [v for v in json.loads(result) if v.get("impact") in ("serious", "critical")]


def console_errors(driver) -> list[dict]:
    """Errors in the console, except the page's own answer being a 4xx: a form shown again with the
    API's refusal is answered 422 on purpose, and Chromium logs that status as a failed load."""
    own = driver.current_url.split("#")[0]
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"
            and not (entry.get("source") == "network" and entry.get("message", "").startswith(own + " ")
                     and "status of 4" in entry.get("message", ""))]


def check_page(driver, name: str) -> None:
    """Every page a journey shows: a screenshot kept, no serious/critical axe violation, no console error."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    violations = axe_violations(driver)
    assert not violations, json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                                        "nodes": [n.get("html") for n in v.get("nodes", [])][:3]}
                                       for v in violations], indent=1)
    errors = console_errors(driver)
    assert not errors, errors


def until(condition, timeout: float = 30, what: str = "the condition") -> None:
    """Poll `condition` until true or the deadline (the kernel's wait_for, named for readability)."""
    wait_for(condition, timeout=timeout, interval=0.2, what=what)


def click_and_wait(driver, element) -> None:
    """Click what submits a form or follows a link, then wait until the browser shows the next page
    (the old page's root is gone): a page answered slowly, or at the same address (a form shown again
    with the API's refusal), is read only once it is there."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced() -> bool:
        try:
            page.tag_name  # noqa: B018  raises once the page is gone
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:  # asked mid-navigation, Chromium says it in its own words
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    until(replaced, what="the next page")


def name_of(js: bool, page: str) -> str:
    return f"{page}-{'js' if js else 'nojs'}"


def sign_in(driver, world, nip: str, js: bool, page_prefix: str | None = None) -> None:
    """Through the sign-in pages (and the TOTP step for an account in world["totp"]) to Beranda."""
    account = world["accounts"][nip]
    driver.get(world["web"] + "/masuk")
    if page_prefix:
        check_page(driver, name_of(js, f"{page_prefix}-masuk"))
    driver.find_element(By.ID, "nip").send_keys(nip)
    driver.find_element(By.ID, "password").send_keys(account["password"])
    driver.find_element(By.CSS_SELECTOR, "form[action='/masuk'] button[type=submit]").click()
    if nip in world["totp"]:
        until(lambda: "/masuk/kode" in driver.current_url, what="the TOTP step")
        if page_prefix:
            check_page(driver, name_of(js, f"{page_prefix}-kode"))
        driver.find_element(By.ID, "code").send_keys(totp_code(world["totp"][nip]))
        driver.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    until(lambda: driver.current_url.rstrip("/") == world["web"], what=f"{nip}'s Beranda")


def sign_out(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "form.signout button").click()
    until(lambda: "/masuk" in driver.current_url, what="the sign-in page after sign-out")
