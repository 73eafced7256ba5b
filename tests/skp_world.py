"""What the SKP, harian and tukin integration tests share: gateway users, plan builders, and the demo
master data re-imported (other modules empty sync) with a service's read-copy waited for.

The users' access tokens are signed by a test key the gateway trusts (TokenMint), with each demo
account's NIP, roles and agency: these tests are about planning, daily progress and allowances, and
signing in (argon2, TOTP steps that may each be used once) is proven by the identity tests."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from harness import TokenMint, nameko_config
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import wait_for

PROBLEM = "application/problem+json"
DEMO = os.path.join(os.path.dirname(__file__), "..", "deploy", "demo", "masterdata.json")


def iki(target: str = "12", satuan: str = "dokumen") -> list[dict]:
    return [{"aspek": "kuantitas", "indikator": f"Jumlah {satuan}", "target": target, "satuan": satuan},
            {"aspek": "kualitas", "indikator": "Diterima tanpa revisi", "target": "100", "satuan": "%"},
            {"aspek": "waktu", "indikator": "Selesai tepat waktu", "target": "12", "satuan": "bulan"}]


def rhk(text_: str, intervenes: str | None = None, target: str = "12", kind: str = "utama",
        satuan: str = "dokumen") -> dict:
    return {"kind": kind, "text": text_, "intervenes": intervenes, "iki": iki(target, satuan)}


def demo_masterdata() -> dict:
    with open(DEMO, encoding="utf-8") as f:
        return json.load(f)


def holders(demo: dict, unit: str, position: str) -> list[str]:
    return [e["nip"] for e in demo["employees"] if e["unit_id"] == unit and e["position_id"] == position]


def import_masterdata(amqp_uri: str, records: dict) -> dict:
    import ekinerja_kernel.rpc  # noqa: F401  (registers the problem type for deserialisation)

    with ClusterRpcProxy(nameko_config(amqp_uri), timeout=30) as proxy:
        report = proxy.sync.import_records(records)
    assert report["rejected"] == 0, report["errors"]
    return report


def wait_for_skp_copy(skp_url: str, nips: Iterable[str], demo: dict) -> None:
    """Until skp's read-copy shows each of `nips` in the unit, under the supervisor, with the status
    of `demo`'s employees."""
    expected = {e["nip"]: (e["unit_id"], e["supervisor_nip"], e.get("status", "active"))
                for e in demo["employees"] if e["nip"] in set(nips)}
    engine = create_engine(skp_url)

    def copied():
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT nip, unit_id, supervisor_nip, status FROM employees "
                                     "WHERE nip = ANY(:n)"), {"n": list(expected)}).all()
        return {r.nip: (r.unit_id, r.supervisor_nip, r.status) for r in rows} == expected

    try:
        wait_for(copied, timeout=30, what="skp's copy of the master data")
    finally:
        engine.dispose()


MINT = TokenMint()


def gateway_client(amqp_uri: str, **settings):
    from ekinerja_gateway.app import create_app

    # READY_TIMEOUT also bounds identity's answer in a diagnosis: roomy on a loaded test machine.
    app = create_app({"AMQP_URI": amqp_uri, "RPC_TIMEOUT": 5.0, "READY_TIMEOUT": 3.0, "AUTH_RATE_LIMIT": 100_000,
                      "JWKS_LOADER": MINT.jwks, **settings})
    return app.test_client()


class Client:
    """A user of the gateway, holding an access token with their account's NIP, roles and agency."""

    def __init__(self, gateway, account: dict) -> None:
        token = MINT.token(account["nip"], list(account["roles"]), account["agency_id"], ttl=3600)
        self.gateway, self.headers = gateway, {"Authorization": f"Bearer {token}"}

    def get(self, path, **kw):
        return self.gateway.get(path, headers=self.headers, **kw)

    def post(self, path, json=None):
        return self.gateway.post(path, headers=self.headers, json=json)

    def put(self, path, json=None):
        return self.gateway.put(path, headers=self.headers, json=json)
