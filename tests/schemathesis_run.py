"""Runs schemathesis over the gateway's OpenAPI document as a signed-in employee: no answer may be
a server error (5xx) or fall outside the document's schema for its status.

`make schemathesis` runs it against the stack `make up` started; the integration test
(tests/integration/test_schemathesis.py) against a gateway the test harness starts. Usage:

    python tests/schemathesis_run.py --base-url http://127.0.0.1:8000 --nip NIP --password PASSWORD
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

CHECKS = "not_a_server_error,response_schema_conformance"
# Ending the session would sign the run out half-way (schemathesis finds the session's own id in
# GET /auth/sessions): everything after it would only test 401.
EXCLUDED_PATHS = ("/api/v1/auth/logout", "/api/v1/auth/sessions/{session_id}")
CONFIG = Path(__file__).with_name("schemathesis.toml")
DEMO_ACCOUNTS = Path(__file__).resolve().parents[1] / "deploy" / "demo" / "accounts.json"


def sign_in(base_url: str, nip: str, password: str) -> str:
    """An access token for the employee, from the gateway's own sign-in."""
    request = urllib.request.Request(f"{base_url}/api/v1/auth/login", method="POST",
                                     data=json.dumps({"nip": nip, "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    if "access_token" not in body:
        raise SystemExit(f"{nip} did not get an access token (an account with MFA?): {body}")
    return body["access_token"]


def demo_employee() -> tuple[str, str]:
    """A demo account of a plain employee without TOTP (deploy/demo/accounts.json)."""
    accounts = json.loads(DEMO_ACCOUNTS.read_text(encoding="utf-8"))["accounts"]
    account = next(a for a in accounts if a["roles"] == ["pegawai"] and not a.get("totp_secret"))
    return account["nip"], account["password"]


ALL_PHASES = "examples,coverage,fuzzing"  # stateful needs links the document does not declare


def command(base_url: str, token: str, max_examples: int, seed: int, workers: int,
            excluded: tuple[str, ...] = (), phases: str = ALL_PHASES) -> list[str]:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
    args = [st, "--config-file", str(CONFIG), "run", f"{base_url}/api/v1/openapi.json", "--url", base_url,
            "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
            "--max-examples", str(max_examples), "--seed", str(seed), "--workers", str(workers),
            "--phases", phases, "--request-timeout", "30", "--no-color",
            # The employee's token on every request (not generated ones), and no example database
            # written into the working tree.
            "--generation-with-security-parameters", "false", "--generation-database", "none"]
    for path in (*EXCLUDED_PATHS, *excluded):
        args += ["--exclude-path", path]
    return args


def run(base_url: str, nip: str, password: str, max_examples: int = 5, seed: int = 2026, workers: int = 2,
        excluded: tuple[str, ...] = (), phases: str = ALL_PHASES,
        timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """`excluded`: more paths (templates as in the document) to leave out of this run. The coverage
    phase tries every boundary the document states (thousands of requests, whatever `max_examples`)."""
    token = sign_in(base_url, nip, password)
    return subprocess.run(command(base_url, token, max_examples, seed, workers, excluded, phases),
                          capture_output=True, text=True, timeout=timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8000')}")
    parser.add_argument("--nip", help="the employee (default: a demo employee without TOTP)")
    parser.add_argument("--password")
    parser.add_argument("--max-examples", type=int, default=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20")))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--phases", default=ALL_PHASES)
    args = parser.parse_args()
    nip, password = (args.nip, args.password) if args.nip else demo_employee()
    result = run(args.base_url.rstrip("/"), nip, password, args.max_examples, args.seed, args.workers,
                 phases=args.phases)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
