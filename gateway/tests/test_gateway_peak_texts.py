"""What the gateway's own refusals say at the peak (issue 15, case 12), in English and Indonesian:
"from this network address" only for the per-IP limit, "the system is busy" when a service does not
answer in time or cannot be reached, and a per-NIP limit's words passed on as identity wrote them.
The OIDC sign-in page shows a malformed NIP next to the field and links 'Lupa Password'.

No broker: the RPC client is replaced by a stub that raises what the real one raises.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from ekinerja_gateway.app import create_app
from ekinerja_gateway.rpc import ServiceTimeout, ServiceUnavailable
from ekinerja_kernel.rpc import RpcProblem

UNROUTABLE = "pyamqp://guest:guest@127.0.0.1:1/"
PROBLEM = "application/problem+json"
APP = "https://cuti.example.go.id/callback"
CLIENT = {"client_id": "cuti", "name": "Aplikasi Cuti", "redirect_uris": [APP], "first_party": True,
          "allowed_scopes": ["openid", "profile"], "confidential": True,
          "token_endpoint_auth_method": "client_secret_basic"}
FORGOT = "https://kinerja.example.go.id/lupa-password"
MALFORMED = {"type": "urn:ekinerja:problem:validation", "title": "Invalid input", "status": 422, "code": "validation",
             "detail": "A NIP is exactly 18 digits. Check what you typed; nothing was checked or changed.",
             "detail_id": "NIP harus terdiri dari tepat 18 digit angka. Periksa kembali yang Anda ketik.",
             "errors": [{"field": "nip", "rule": "nip-18-digits", "detail": "A NIP is exactly 18 digits.",
                         "detail_id": "NIP harus terdiri dari tepat 18 digit angka."}]}
WRONG = {"type": "urn:ekinerja:problem:invalid-credentials", "title": "Sign-in failed", "status": 401,
         "code": "invalid-credentials", "detail": "The NIP or password is wrong.",
         "detail_id": "NIP atau kata sandi salah.", "forgot_password_url": FORGOT}
PER_NIP = {"type": "urn:ekinerja:problem:nip-rate-limited", "title": "Too many requests for this NIP", "status": 429,
           "code": "nip-rate-limited", "detail": "Too many activation requests for this NIP: at most 5 in 60 minutes "
                                                 "per NIP, from any device or address. Try again in 2 minute(s).",
           "detail_id": "Terlalu banyak permintaan aktivasi untuk NIP ini.", "retry_after": "61", "scope": "nip"}


class StubRpc:
    """Raises `failure` for every call but the OIDC look-ups, which it answers for one client."""

    def __init__(self, failure: Exception | None = None, password: Exception | None = None) -> None:
        self.failure, self.password = failure, password

    def call(self, service, method, *args, **kwargs):
        if method == "oidc_client":
            return CLIENT
        if method == "oidc_nonce_used":
            return False
        if method in ("oidc_flow_start", "oidc_flow_get"):
            return {"flow": "flow-1", "step": "password", "client_id": "cuti", "client_name": "Aplikasi Cuti",
                    "params": {}, "nip": None}
        if method == "oidc_flow_password" and self.password is not None:
            raise self.password
        raise self.failure or AssertionError(f"unexpected RPC {service}.{method}")


def make_app(rpc: StubRpc, **settings):
    app = create_app({"AMQP_URI": UNROUTABLE, "TESTING": True, **settings})
    app.extensions["rpc"] = rpc
    return app


def login(client):
    return client.post("/api/v1/auth/login", json={"nip": "198609262015051001", "password": "Kinerja-2026"})


def test_the_per_ip_limit_says_network_address_and_that_the_account_is_not_concerned():
    client = make_app(StubRpc(RpcProblem(WRONG)), AUTH_RATE_LIMIT=1).test_client()
    assert login(client).status_code == 401

    refused = login(client)

    body = refused.get_json()
    assert refused.status_code == 429 and refused.mimetype == PROBLEM and body["scope"] == "address"
    assert "from this network address" in body["detail"] and "not about your account" in body["detail"]
    assert "dari alamat jaringan ini" in body["detail_id"] and "tidak berkaitan dengan akun Anda" in body["detail_id"]
    assert int(refused.headers["Retry-After"]) == body["retry_after"] >= 1


def test_a_per_nip_limit_is_passed_on_in_identity_s_words_never_as_an_address():
    refused = login(make_app(StubRpc(RpcProblem(PER_NIP))).test_client())

    body = refused.get_json()
    assert refused.status_code == 429 and body["code"] == "nip-rate-limited" and body["scope"] == "nip"
    assert body["detail"] == PER_NIP["detail"] and "address" not in body["title"]
    assert refused.headers["Retry-After"] == "61" and body["retry_after"] == 61


def test_a_service_that_does_not_answer_in_time_is_the_system_being_busy():
    response = login(make_app(StubRpc(ServiceTimeout("identity", 2.0))).test_client())

    body = response.get_json()
    assert response.status_code == 504 and body["code"] == "service-timeout" and body["title"] == "The system is busy"
    assert body["detail"].startswith("The system is busy: the identity service did not answer within 2 s.")
    assert body["detail_id"].startswith("Sistem sedang sibuk: layanan identity tidak menjawab dalam 2 detik.")
    assert "address" not in body["detail"] and "alamat" not in body["detail_id"]
    assert response.headers["Retry-After"]


def test_a_service_that_cannot_be_reached_is_busy_or_restarting_and_not_the_caller_s_fault():
    response = login(make_app(StubRpc(ServiceUnavailable("broker", "connection lost"))).test_client())

    body = response.get_json()
    assert response.status_code == 503 and body["code"] == "service-unavailable"
    assert "busy or restarting" in body["detail"] and "not about your request, account or address" in body["detail"]
    assert "sibuk atau dimulai ulang" in body["detail_id"] and "bukan karena permintaan, akun, atau alamat Anda" in \
        body["detail_id"]
    assert response.headers["Retry-After"]


def oidc_form(client) -> dict[str, str]:
    query = urlencode({"response_type": "code", "client_id": "cuti", "redirect_uri": APP, "scope": "openid",
                       "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                       "code_challenge_method": "S256"})
    page = client.get(f"/oauth/authorize?{query}").get_data(as_text=True)
    return {name: page.split(f'name="{name}" value="')[1].split('"')[0] for name in ("flow", "csrf_token")}


def test_the_oidc_page_shows_a_malformed_nip_next_to_the_field():
    client = make_app(StubRpc(password=RpcProblem(MALFORMED))).test_client()

    response = client.post("/oauth/authorize", data={**oidc_form(client), "nip": "1986 0926", "password": "p"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == "text/html"
    field = page.split('id="nip-error"')[1].split("</p>")[0]
    assert "NIP harus terdiri dari tepat 18 digit angka." in field and "A NIP is exactly 18 digits." in field
    assert 'aria-describedby="nip-hint nip-error"' in page and 'aria-invalid="true"' in page
    assert 'value="1986 0926"' in page  # what was typed stays, to be corrected


@pytest.mark.parametrize("problem, linked", [(WRONG, True), (MALFORMED, False)])
def test_the_oidc_page_links_lupa_password_when_identity_names_it(problem, linked):
    client = make_app(StubRpc(password=RpcProblem(problem))).test_client()

    page = client.post("/oauth/authorize", data={**oidc_form(client), "nip": "198609262015051001",
                                                 "password": "p"}).get_data(as_text=True)

    assert (f'href="{FORGOT}"' in page) is linked
    assert ('id="nip-error"' in page) is (problem is MALFORMED)


def test_the_oidc_per_address_page_uses_the_api_s_words():
    client = make_app(StubRpc(), AUTH_RATE_LIMIT=1).test_client()
    oidc_form(client)

    refused = client.get("/oauth/authorize?client_id=cuti")

    page = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "dari alamat jaringan ini" in page and "from this network address" in page
