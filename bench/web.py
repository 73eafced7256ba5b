"""`make bench`, the web part: how long the main pages take through the web process (`make up`'s
http://127.0.0.1:$WEB_PORT), signed in through the web's own sign-in pages as the demo supervisors.

Each page (Beranda, Progres Harian, Tim, SKP) is asked BENCH_WEB_REQUESTS times by BENCH_WEB_USERS
browsers at once, each a demo supervisor with their own web session (cookie), after two warm-up
requests each that are not counted. A page's time is the client's, from sending the request to the
last byte of the HTML: the web's rendering and every gateway call the page makes. Printed as p50,
p95 and max per page, and written to var/bench/<time>-web-<run id>.json.

Exit status: 0 when every page answered 200 signed in; 1 when one did not (a 5xx, a redirect to the
sign-in page, no answer within BENCH_TIMEOUT); 2 when the web is not there to measure. Settings:
BENCH_WEB_URL (http://127.0.0.1:$WEB_PORT), BENCH_WEB_USERS (4), BENCH_WEB_REQUESTS (100 per page),
BENCH_TIMEOUT (30). See docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import requests

from .load import percentile

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ROOT / "deploy" / "demo" / "accounts.json"
PAGES = (("Beranda", "/"), ("Progres Harian", "/harian/"), ("Tim", "/tim/"), ("SKP", "/skp/"))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SIGNED_IN = 'class="signout"'  # only a signed-in page has the sign-out form


class SetupError(Exception):
    """The web is not there (or cannot be signed in to): exit 2 with this message."""


@dataclass(frozen=True)
class Settings:
    url: str
    users: int
    requests: int
    timeout: float
    var_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        def num(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            try:
                value = int(raw) if raw else default
            except ValueError:
                raise SetupError(f"{name}={raw!r} is not a whole number") from None
            if value <= 0:
                raise SetupError(f"{name}={raw!r} must be positive")
            return value

        port = os.environ.get("WEB_PORT", "8080")
        timeout = os.environ.get("BENCH_TIMEOUT", "").strip()
        return cls(url=os.environ.get("BENCH_WEB_URL", f"http://127.0.0.1:{port}").rstrip("/"),
                   users=num("BENCH_WEB_USERS", 4), requests=num("BENCH_WEB_REQUESTS", 100),
                   timeout=float(timeout) if timeout else 30.0,
                   var_dir=Path(os.environ.get("EKINERJA_VAR_DIR") or ROOT / "var").resolve())


@dataclass
class PageResult:
    latencies: list[float] = field(default_factory=list)  # seconds, every counted response
    statuses: Counter = field(default_factory=Counter)  # HTTP status, "signed-out" or "timeout"
    bytes: int = 0  # the HTML of one answer
    elapsed: float = 0.0


def _csrf(html: str, where: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise SetupError(f"{where} has no CSRF token: is {where.split(' ')[0]} e-Kinerja's web?")
    return found.group(1)


def sign_in(settings: Settings, account: dict[str, Any]) -> requests.Session:
    """A browser's session signed in through /masuk (and /masuk/kode for an account with TOTP)."""
    browser = requests.Session()
    page = browser.get(settings.url + "/masuk", timeout=settings.timeout)
    form = {"csrf_token": _csrf(page.text, settings.url + "/masuk"), "nip": account["nip"],
            "password": account["password"], "next": "/"}
    answer = browser.post(settings.url + "/masuk", data=form, timeout=settings.timeout, allow_redirects=False)
    if answer.status_code == 302 and answer.headers.get("Location", "").endswith("/masuk/kode"):
        if not account.get("totp_secret"):
            raise SetupError(f"demo account {account['nip']} asks for a TOTP code it has no secret for")
        step = browser.get(settings.url + "/masuk/kode", timeout=settings.timeout)
        answer = browser.post(settings.url + "/masuk/kode", timeout=settings.timeout, allow_redirects=False,
                              data={"csrf_token": _csrf(step.text, settings.url + "/masuk/kode"),
                                    "code": pyotp.TOTP(account["totp_secret"]).now()})
    if answer.status_code != 302 or "/masuk" in answer.headers.get("Location", ""):
        raise SetupError(f"signing in demo account {account['nip']} through the web answered {answer.status_code} "
                         f"({answer.headers.get('Location') or answer.text[:200]}). Were the demo accounts loaded "
                         "(make up)?")
    return browser


def supervisors(count: int) -> list[dict[str, Any]]:
    """Demo accounts that see every main page (Tim needs a team), those without TOTP first (a TOTP
    code may be used once: several sign-ins of one account within 30 s would be refused)."""
    accounts = json.loads(ACCOUNTS.read_text(encoding="utf-8"))["accounts"]
    leads = sorted((a for a in accounts if "atasan" in a.get("roles", [])), key=lambda a: bool(a.get("totp_secret")))
    if not leads:
        raise SetupError(f"no supervisor among the demo accounts in {ACCOUNTS}")
    return [leads[i % len(leads)] for i in range(count)]


def measure(settings: Settings, browsers: list[requests.Session], path: str) -> PageResult:
    result = PageResult()
    lock = threading.Lock()
    share = [settings.requests // len(browsers) + (1 if i < settings.requests % len(browsers) else 0)
             for i in range(len(browsers))]

    def client(index: int) -> None:
        browser = browsers[index]
        for n in range(share[index] + 2):
            started = time.perf_counter()
            try:
                answer = browser.get(settings.url + path, timeout=settings.timeout, allow_redirects=False)
                body = answer.content
                spent = time.perf_counter() - started
                status: Any = answer.status_code
                if status == 200 and SIGNED_IN.encode() not in body or status == 302:
                    status = "signed-out"
            except requests.RequestException:
                spent, status, body = time.perf_counter() - started, "timeout", b""
            if n < 2:  # warm-up: connection, first template compile, caches
                continue
            with lock:
                result.statuses[status] += 1
                result.latencies.append(spent)
                result.bytes = max(result.bytes, len(body))

    began = time.perf_counter()
    with ThreadPoolExecutor(len(browsers)) as pool:
        list(pool.map(client, range(len(browsers))))
    result.elapsed = time.perf_counter() - began
    return result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main() -> int:
    try:
        return run(Settings.from_env())
    except SetupError as exc:
        print(f"\nbench web: {exc}", file=sys.stderr)
        return 2


def run(settings: Settings) -> int:
    try:
        health = requests.get(settings.url + "/healthz", timeout=5)
    except requests.RequestException as exc:
        raise SetupError(f"the web does not answer on {settings.url} ({type(exc).__name__}). Start the system "
                         "first: make up") from None
    if health.status_code != 200:
        raise SetupError(f"{settings.url}/healthz answered {health.status_code}: is that e-Kinerja's web?")
    run_id, now = uuid.uuid4().hex[:8], dt.datetime.now(dt.UTC)
    print(f"\ne-Kinerja web pages · run {run_id} · {settings.url} · {settings.users} signed-in browsers at once · "
          f"{settings.requests} requests per page (+2 warm-up each, not counted)")
    started = time.perf_counter()
    with ThreadPoolExecutor(settings.users) as pool:
        browsers = list(pool.map(lambda a: sign_in(settings, a), supervisors(settings.users)))
    print(f"  signed in {len(browsers)} demo supervisors through /masuk in {time.perf_counter() - started:.1f} s")
    results: dict[str, PageResult] = {}
    for name, path in PAGES:
        result = results[name] = measure(settings, browsers, path)
        p = [percentile(result.latencies, q) for q in (50, 95)]
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items(), key=lambda kv: str(kv[0])))
        print(f"  {name:<15} {path:<9} p50 {p[0]:,.1f} ms · p95 {p[1]:,.1f} ms · max {ms(max(result.latencies))} · "
              f"{len(result.latencies) / result.elapsed:,.1f} pages/s · {result.bytes / 1024:.1f} kB HTML · {statuses}")
    failures = [f"{name}: {n} × {status}" for name, result in results.items()
                for status, n in result.statuses.items() if status != 200]
    out = settings.var_dir / "bench" / f"{now:%Y%m%dT%H%M%S}-web-{run_id}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "run_id": run_id, "time": now.isoformat(), "url": settings.url, "users": settings.users,
        "requests_per_page": settings.requests,
        "pages": {name: {"path": path, "p50_ms": percentile(results[name].latencies, 50),
                         "p95_ms": percentile(results[name].latencies, 95),
                         "max_ms": max(results[name].latencies) * 1000, "html_bytes": results[name].bytes,
                         "pages_per_s": len(results[name].latencies) / results[name].elapsed,
                         "statuses": {str(k): v for k, v in results[name].statuses.items()}}
                  for name, path in PAGES}, "failures": failures}, indent=1))
    if failures:
        print(f"  WEB PAGES FAILED: {'; '.join(failures)} (details: {out})")
        return 1
    print(f"  every page answered 200, signed in (details: {out})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
