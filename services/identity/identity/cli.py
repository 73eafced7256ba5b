"""`ekinerja-identity`: agency sign-in policy, OIDC client registration, and the demo logins for `make up`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time

from sqlalchemy import insert, select

from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.config import database_url
from ekinerja_kernel.db import make_engine, session_factory, unit_of_work
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow

from . import oidc
from . import repository as repo
from .domain import totp
from .domain.passwords import hash_password, verify_password
from .tables import accounts, recovery_codes


def load_demo(factory, path: str, wait: float) -> int:
    """Give each demo account its password (and TOTP where listed), once its master data arrived."""
    wanted = json.load(open(path, encoding="utf-8"))["accounts"]
    deadline = time.monotonic() + wait
    while True:  # the accounts come from sync's events: wait until every one is here
        with factory() as s:
            present = {r.nip for r in s.execute(select(accounts.c.nip))}
        missing = [a["nip"] for a in wanted if a["nip"] not in present]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if missing:
        print(f"{len(missing)} demo accounts have not arrived from sync: {missing[:3]}...", file=sys.stderr)
        return 1
    with unit_of_work(factory) as s:
        for a in wanted:
            cred = repo.credential(s, a["nip"])
            if cred is None or not verify_password(cred.password_hash, a["password"]):
                repo.set_credential(s, a["nip"], password_hash=hash_password(a["password"]),
                                    password_changed_at=utcnow(), activated_at=utcnow())
            if a.get("totp_secret") and (cred is None or cred.mfa_secret != a["totp_secret"]):
                repo.clear_mfa(s, a["nip"])
                repo.set_credential(s, a["nip"], mfa_secret=a["totp_secret"], mfa_confirmed_at=utcnow())
                for code in a.get("recovery_codes", []):
                    s.execute(insert(recovery_codes).values(code_hash=totp.code_hash(code), nip=a["nip"]))
        for agency, (mfa_required, days) in {"kemendemo": (False, 30), "pemkotdemo": (False, 7)}.items():
            repo.set_policy(s, agency, mfa_required, days)
    print(f"{len(wanted)} demo logins ready")
    return 0


def clients(factory, args: argparse.Namespace) -> int:
    """`clients add` registers an application for "Login with ASN Digital"; `clients list` shows them."""
    if args.clients_command == "list":
        for c in oidc.list_clients(factory):
            kind = "confidential" if c["confidential"] else "public"
            party = "first-party" if c["first_party"] else "third-party"
            print(f"{c['client_id']}  {c['name']}  [{kind}, {party}]  scopes={' '.join(c['allowed_scopes'])}  "
                  f"redirect_uris={' '.join(c['redirect_uris'])}")
        return 0
    try:
        created = oidc.register_client(factory, RequestContext(), args.name, args.redirect_uri,
                                       first_party=args.first_party, confidential=args.confidential,
                                       scopes=args.scopes, created_by=f"cli:{_user()}")
    except DomainError as exc:
        print(f"refused: {exc.detail}", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error.field}: {error.detail}", file=sys.stderr)
        return 2
    print(f"client_id: {created['client_id']}")
    if "client_secret" in created:
        print(f"client_secret: {created['client_secret']}")
        print("The secret is shown only now; only its hash is stored.", file=sys.stderr)
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ekinerja-identity")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-accounts", help="set the demo logins of deploy/demo/accounts.json")
    demo.add_argument("file")
    demo.add_argument("--wait", type=float, default=60, help="seconds to wait for the accounts to arrive")
    pol = sub.add_parser("policy", help="set an agency's sign-in policy")
    pol.add_argument("agency_id")
    pol.add_argument("--mfa-required", action="store_true", help="everyone in the agency must use TOTP")
    pol.add_argument("--trusted-device-days", type=int, default=0, help="days a device may skip TOTP (0 = never)")
    cli = sub.add_parser("clients", help="OIDC clients of 'Login with ASN Digital'")
    cli_sub = cli.add_subparsers(dest="clients_command", required=True)
    add = cli_sub.add_parser("add", help="register an application; prints its client_id (and secret once)")
    add.add_argument("--name", required=True)
    add.add_argument("--redirect-uri", action="append", required=True,
                     help="an exact redirect URI (repeat for several); compared character for character")
    add.add_argument("--first-party", action="store_true", help="a government e-Kinerja app: no consent screen")
    add.add_argument("--confidential", action="store_true",
                     help="a server-side app with a client secret (default: a public client using PKCE only)")
    add.add_argument("--scopes", default=oidc.DEFAULT_SCOPES, help="allowed scopes (default: %(default)s)")
    cli_sub.add_parser("list", help="list registered applications")
    args = parser.parse_args(argv)
    engine = make_engine(database_url("identity"))
    factory = session_factory(engine)
    try:
        if args.command == "demo-accounts":
            return load_demo(factory, args.file, args.wait)
        if args.command == "clients":
            return clients(factory, args)
        with unit_of_work(factory) as s:
            repo.set_policy(s, args.agency_id, args.mfa_required, args.trusted_device_days)
        print(f"policy of {args.agency_id}: mfa_required={args.mfa_required}, "
              f"trusted_device_days={args.trusted_device_days}")
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
