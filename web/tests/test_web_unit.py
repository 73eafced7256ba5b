"""The web client's own mechanics, without the API: sessions, CSRF, cookies, redirects, language,
catalogues, problem placement and page weight. (Pages against the real API: tests/integration/test_web_*.py.)"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from ekinerja_web.api import ApiProblem
from ekinerja_web.app import create_app, safe_next
from ekinerja_web.forms import Form
from ekinerja_web.store import SessionStore

PACKAGE = Path(__file__).resolve().parents[1] / "ekinerja_web"
CATALOGUE = PACKAGE / "translations" / "en" / "LC_MESSAGES"


@pytest.fixture
def app(tmp_path):
    # Nothing listens on port 9: a page that needs the API says so, in plain words.
    app = create_app({"SESSION_DB": str(tmp_path / "sessions.db"), "API_URL": "http://127.0.0.1:9", "API_TIMEOUT": 1})
    app.testing = True
    return app


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_the_store_keeps_no_usable_id_and_forgets_idle_sessions(tmp_path):
    now = [1000.0]
    store = SessionStore(str(tmp_path / "s.db"), idle_seconds=60, clock=lambda: now[0])
    sid = store.create({"tokens": {"access": "a"}})
    assert store.load(sid) == {"tokens": {"access": "a"}}
    keys = [row[0] for row in sqlite3.connect(tmp_path / "s.db").execute("SELECT key FROM sessions")]
    assert sid not in keys and len(keys) == 1  # only the id's hash is stored
    now[0] += 61
    assert store.load(sid) is None


def test_an_update_sees_the_other_workers_write(tmp_path):
    store = SessionStore(str(tmp_path / "s.db"), idle_seconds=60)
    sid = store.create({"tokens": {"access": "old"}})
    other = SessionStore(str(tmp_path / "s.db"), idle_seconds=60)  # another gunicorn worker
    other.update(sid, lambda data: {**data, "tokens": {"access": "new"}})
    seen = []
    store.update(sid, lambda data: seen.append(data["tokens"]["access"]) or data)
    assert seen == ["new"]


def test_the_cookie_is_an_opaque_httponly_samesite_id(app):
    client = app.test_client()
    response = client.get("/masuk")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ekinerja_sid=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40 and "." not in value  # random, not a signed payload
    assert "no-store" in response.headers["Cache-Control"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_cookie_is_secure_over_https(app):
    response = app.test_client().get("/masuk", base_url="https://web.example.go.id")
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_post_without_the_forms_csrf_token_changes_nothing(app):
    client = app.test_client()
    client.get("/masuk")
    response = client.post("/masuk", data={"nip": "198201272019112004", "password": "x"})
    assert response.status_code == 400
    assert "Formulir sudah kedaluwarsa" in response.get_data(as_text=True)


def test_an_api_that_does_not_answer_is_a_sentence_not_a_trace(app):
    client = app.test_client()
    token = csrf(client.get("/masuk").get_data(as_text=True))
    response = client.post("/masuk", data={"csrf_token": token, "nip": "198201272019112004", "password": "x"})
    html = response.get_data(as_text=True)
    assert "Layanan sedang tidak menjawab" in html and "Traceback" not in html
    assert 'class="error-summary"' in html


def test_pages_need_a_sign_in_and_come_back_after_it(app):
    response = app.test_client().get("/harian/?bulan=2026-12")
    assert response.status_code == 302
    assert response.headers["Location"] == "/masuk?next=/harian/?bulan%3D2026-12"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"])
def test_next_never_leaves_the_site(target):
    assert safe_next(target) == "/"


def test_english_is_one_click_away(app):
    client = app.test_client()
    page = client.get("/masuk").get_data(as_text=True)
    assert "Masuk ke e-Kinerja" in page and 'lang="id"' in page
    link = re.search(r'href="(/bahasa/en[^"]*)"', page).group(1).replace("&amp;", "&")
    client.get(link)
    page = client.get("/masuk").get_data(as_text=True)
    assert "Sign in to e-Kinerja" in page and 'lang="en"' in page


def test_the_committed_catalogue_is_compiled_and_complete():
    with open(CATALOGUE / "messages.po", "rb") as f:
        po = read_po(f)
    with open(CATALOGUE / "messages.mo", "rb") as f:
        mo = read_mo(f)
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, "run the compile step"
    extracted = {message[2] if isinstance(message[2], str) else message[2][0]
                 for message in extract_from_dir(str(PACKAGE), method_map=[("**.py", "python"),
                                                                           ("**/templates/**.html", "jinja2")],
                                                 keywords={"_": None, "_l": None, "gettext": None})}
    untranslated = sorted(i for i in extracted if not (po.get(i) and po.get(i).string))
    assert not untranslated


def test_a_problem_is_placed_next_to_the_fields_it_names(app):
    problem = ApiProblem.from_body(422, {"detail": "Invalid", "detail_id": "Tidak valid", "errors": [
        {"field": "activities[1].quantity", "rule": "positive-number", "detail": "A number above 0.",
         "detail_id": "Angka lebih dari 0."},
        {"field": "elsewhere", "rule": "x", "detail": "Other.", "detail_id": "Lain."}]})
    with app.test_request_context("/"):
        form = Form().take(problem, lambda name: "a-3-quantity" if name == "activities[1].quantity" else None)
    assert form.errors == {"a-3-quantity": "Angka lebih dari 0."}
    assert form.summary == [("a-3-quantity", "Angka lebih dari 0."), (None, "Lain.")]


def test_a_page_with_its_css_and_script_stays_under_100_kb(app):
    client = app.test_client()
    html = client.get("/masuk").get_data()
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    total = len(html) + sum(len(client.get(a.decode()).get_data()) for a in assets if b"print" not in a)
    assert total < 100_000, total


def _response(status: int, body: dict, headers: dict | None = None):
    import json

    import requests

    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update({"Content-Type": "application/problem+json", **(headers or {})})
    return response


def test_only_a_refused_token_is_worth_a_refresh():
    """A 401 with the Bearer challenge is the access token's; one without it (a wrong TOTP code) is
    the request's own refusal, shown on the page rather than taken for a signed-out session."""
    token = ApiProblem.from_response(_response(401, {"detail": "Expired", "code": "token-expired"}, {
        "WWW-Authenticate": 'Bearer realm="ekinerja", error="invalid_token", error_description="token-expired"'}))
    wrong_code = ApiProblem.from_response(_response(401, {"detail": "Wrong code", "code": "mfa-invalid"}))
    assert token.token_refused and not wrong_code.token_refused


def test_an_rhk_is_sent_with_the_aspek_typed_and_refusals_go_to_the_page_that_asks_them():
    from ekinerja_web.views.rencana import _blank_rhk, _place, _rhk_body

    answers = _blank_rhk()
    answers.update(text="Tersusunnya modul", intervenes="boss-rhk")
    answers["iki"]["kuantitas"] = {"indikator": "Jumlah modul", "target": "2", "satuan": "modul"}
    answers["iki"]["waktu"] = {"indikator": "Selesai", "target": "12", "satuan": "bulan"}
    sent = _rhk_body(answers)
    assert [i["aspek"] for i in sent["iki"]] == ["kuantitas", "waktu"]  # kualitas and biaya left blank
    assert sent["intervenes"] == "boss-rhk" and "id" not in sent
    assert _place("rhk[0].iki[1].target", "within-period", 0, sent) == ("iki", "iki-waktu-target")
    assert _place("rhk[0].iki", "has-kualitas", 0, sent) == ("iki", "iki-kualitas-indikator")
    assert _place("rhk[0].intervenes", "required", 0, sent) == ("intervensi", "intervenes")
    assert _place("rhk", "has-utama", 0, sent) == ("uraian", "kind")
    assert _place("rhk[1].text", "required", 0, sent) is None  # another RHK's: the summary says it


def test_a_path_segment_from_the_pages_url_is_data_for_the_api():
    """An id taken from the page's address cannot walk the API's tree or start a query of its own."""
    from ekinerja_web.api import Api

    api, sent = Api("http://127.0.0.1:9", 1), []
    api.http.request = lambda method, url, **kw: sent.append(url) or _response(404, {"detail": "x"})
    with pytest.raises(ApiProblem) as walked:
        api.call("GET", "/api/v1/skp/..")
    assert walked.value.status == 404 and sent == []
    with pytest.raises(ApiProblem):
        api.call("GET", "/api/v1/skp/abc?x=1#y/evaluations")
    assert sent == ["http://127.0.0.1:9/api/v1/skp/abc%3Fx=1%23y/evaluations"]
