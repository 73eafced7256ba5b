"""/api/v1/monitoring: each level composed from harian, skp and tukin (one RPC each, sync for the
agencies' names), rows merged by node or NIP and sorted by the figure asked for, pay only where tukin
and harian both say it is visible, a service that does not know the node yet adds nothing, and the
query checked (422 naming the field and the rule).

No broker: the RPC client is replaced by a recorder that answers per service and method."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from ekinerja_gateway.app import create_app
from ekinerja_kernel import monitoring as mon
from ekinerja_kernel.rpc import RpcProblem

ISSUER = "http://127.0.0.1:8000"


class Services:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple]] = []
        self.answers: dict[tuple[str, str], Any] = {}

    def call(self, service: str, method: str, *args: Any, **_: Any) -> Any:
        self.calls.append((service, method, args))
        answer = self.answers[(service, method)]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
def client(key, services):
    app = create_app({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", "TESTING": True, "TOKEN_ISSUER": ISSUER,
                      "JWKS_LOADER": lambda: {"keys": [key.as_dict(private=False)]}})
    app.extensions["rpc"] = services
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": key.kid},
                       {"iss": ISSUER, "aud": "ekinerja-api", "sub": "197505052000032001", "iat": now,
                        "exp": now + 300, "auth_time": now, "sid": "s", "amr": ["pwd", "otp"],
                        "roles": ["pegawai", "admin_nasional"], "agency_id": "bkn", "unit_id": None, "name": "BKN"},
                       key)
    test = app.test_client()
    test.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test


def harian_figures(blank: int, filled: int) -> dict:
    return mon.harian_figures({"blank": blank, "disetujui": filled}, blank + filled, 1)


def nation(services: Services, tukin_pay: bool = True) -> None:
    services.answers[("harian", "monitoring_view")] = {
        "from": "2026-03-02", "to": "2026-03-06", "node": None, "path": [], "pay_visible": True,
        "figures": harian_figures(3, 7), "series": [],
        "children": [{"level": "agency", "id": "a1", "name": None, "figures": harian_figures(1, 4)},
                     {"level": "agency", "id": "a2", "name": None, "figures": harian_figures(2, 3)}],
        "people": []}
    services.answers[("skp", "monitoring_view")] = {
        "figures": mon.skp_figures({"disetujui": 9}, 10, {}, {}), "periods": [], "caps": [], "people": [],
        "children": [{"level": "agency", "id": "a2", "name": None, "figures": mon.skp_figures({}, 5, {}, {})},
                     {"level": "agency", "id": "a3", "name": None, "figures": mon.skp_figures({}, 1, {}, {})}]}
    services.answers[("tukin", "monitoring_view")] = {
        "pay_visible": tukin_pay, "figures": mon.tukin_figures({"employees": 10, "net_sen": 123456}),
        "series": [], "runs": [], "agencies_computed": {}, "previews": {},
        "children": [{"level": "agency", "id": "a1", "name": None,
                      "figures": mon.tukin_figures({"employees": 5, "net_sen": 100})}], "people": []}
    services.answers[("sync", "agency_names")] = {"agencies": [{"id": "a1", "name": "Kementerian A"},
                                                               {"id": "a2", "name": "Pemkot B"}]}


def test_the_nation_merges_the_three_services_rows_by_agency_and_sorts_them(client, services):
    nation(services)
    response = client.get("/api/v1/monitoring/nation?from=2026-03-02&to=2026-03-06&sort=blank")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [c["id"] for c in body["children"]] == ["a2", "a1", "a3"]  # most blank first; a3 has none known
    a1 = next(c for c in body["children"] if c["id"] == "a1")
    assert (a1["name"], a1["figures"]["blank"], a1["figures"]["tukin_net"]) == ("Kementerian A", 1, "1.00")
    a2 = next(c for c in body["children"] if c["id"] == "a2")
    assert a2["figures"]["skp_members"] == 5 and "tukin_net" not in a2["figures"]
    assert body["figures"]["tukin_net"] == "1234.56" and body["pay_visible"] is True
    assert (body["year"], body["months"]) == (2026, ["2026-03"])
    calls = {(s, m): a for s, m, a in services.calls}
    assert calls[("skp", "monitoring_view")] == ("nation", None, 2026)
    assert calls[("tukin", "monitoring_view")] == ("nation", None, ["2026-03"])
    ascending = client.get("/api/v1/monitoring/nation?from=2026-03-02&sort=filled_rate&order=asc").get_json()
    assert [c["id"] for c in ascending["children"]] == ["a2", "a1", "a3"]  # 0.6, 0.8, then none


def test_pay_is_left_out_unless_tukin_shows_it(client, services):
    nation(services, tukin_pay=False)
    body = client.get("/api/v1/monitoring/nation?from=2026-03-02").get_json()
    assert body["pay_visible"] is False and body["tukin"] is None
    assert "tukin_net" not in body["figures"]
    assert all("tukin_net" not in c["figures"] for c in body["children"])


def test_a_service_that_does_not_know_the_unit_adds_nothing_but_a_refusal_is_the_answer(client, services):
    nation(services)
    services.answers[("skp", "monitoring_view")] = RpcProblem({"status": 404, "code": "not-found", "detail": "x",
                                                               "detail_id": "x", "title": "Not found"})
    assert client.get("/api/v1/monitoring/units/u1?from=2026-03-02").status_code == 200
    services.answers[("harian", "monitoring_view")] = RpcProblem({"status": 403, "code": "forbidden", "detail": "no",
                                                                  "detail_id": "tidak", "title": "Not allowed"})
    refused = client.get("/api/v1/monitoring/units/u1?from=2026-03-02")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


@pytest.mark.parametrize("query, field, rule", [("", "from", "required"), ("from=2026-03-02&sort=salary", "sort",
                                                                            "one-of"),
                                                 ("from=2026-03-02&order=up", "order", "one-of")])
def test_the_query_is_checked_before_any_service_is_asked(client, services, query, field, rule):
    response = client.get(f"/api/v1/monitoring/nation?{query}")
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert (error["field"], error["rule"]) == (field, rule) and error["detail_id"]
    assert services.calls == []


def test_reads_merge_the_three_services_records_newest_first(client, services):
    for service, at in (("harian", "2026-03-02T01:00:00+00:00"), ("skp", "2026-03-02T03:00:00+00:00"),
                        ("tukin", "2026-03-02T02:00:00+00:00")):
        services.answers[(service, "monitoring_reads")] = {"reads": [{"at": at, "reader_nip": "1", "subject": "x",
                                                                      "what": "person", "nips": ["x"]}]}
    body = client.get("/api/v1/monitoring/reads?limit=2").get_json()
    assert [r["service"] for r in body["reads"]] == ["skp", "tukin"]
