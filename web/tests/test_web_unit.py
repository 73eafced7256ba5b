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


def test_a_problem_naming_fields_on_a_form_that_maps_none_goes_to_the_summary(app):
    problem = ApiProblem.from_body(422, {"detail": "Invalid", "detail_id": "Tidak valid", "errors": [
        {"field": "reason", "rule": "required", "detail": "Give a reason.", "detail_id": "Isi alasan."}]})
    with app.test_request_context("/"):
        form = Form().take(problem)
    assert form.errors == {} and form.summary == [(None, "Isi alasan.")]


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


# --- pages asked as a signed-in person, the API's answers given by a stand-in for its HTTP ---------------

def _sign_in(app, client, roles=("pegawai",), expires_in=600.0, access="fresh", **data) -> str:
    """A browser session holding tokens (as after the sign-in pages), without the sign-in."""
    import time

    sid = app.extensions["ekinerja_sessions"].create({
        "tokens": {"access": access, "refresh": "refresh-1", "expires_at": time.time() + expires_in,
                   "session_id": "s1"},
        "me": {"nip": "196903212020102016", "name": "Putri Santoso", "roles": list(roles)}, "csrf": "t0k3n", **data})
    client.set_cookie("ekinerja_sid", sid)
    return sid


def _answering(app, answer):
    """The API's HTTP as `answer(method, path, kwargs)` gives it: a (status, body[, headers]) tuple."""
    from urllib.parse import urlsplit

    def request(method, url, **kwargs):
        status, body, *headers = answer(method, urlsplit(url).path, kwargs)
        response = _response(status, body, headers[0] if headers else None)
        response.headers["Content-Type"] = "application/json"
        return response

    app.extensions["ekinerja_api"].http.request = request


BERANDA = {
    "/api/v1/harian/days/": {"status": "draft", "entries": []},
    "/api/v1/harian/calendar": {"days": [], "blank_working_days": [], "open_for_entry": []},
    "/api/v1/me/diagnosis": {"findings": []},
    "/api/v1/skp/proposals": {"proposals": []},
    "/api/v1/harian/team": {"totals": {}, "waiting_for_me": {"entries": 3, "days": []}, "team": []},
    "/api/v1/skp/team": {"waiting_for_me": [{"nip": "1"}, {"nip": "2"}]},
}


def _beranda_answer(path):
    return next(body for prefix, body in BERANDA.items() if path.startswith(prefix))


def test_beranda_shows_what_it_has_when_the_api_does_not_answer(app):
    """Every part asked at once, none answered (nothing listens): the page still shows, each part
    saying it could not be read, and the session is kept."""
    client = app.test_client()
    sid = _sign_in(app, client, roles=("pegawai", "atasan"))
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Selamat datang, Putri Santoso" in html
    assert "Progres harian tidak dapat dibaca sekarang" in html
    assert "menunggu persetujuan" not in html  # the team's parts are left out, not shown as 0
    assert app.extensions["ekinerja_sessions"].load(sid)["tokens"]["access"] == "fresh"


def test_beranda_whose_token_needs_a_refresh_the_api_cannot_give_still_shows(app):
    client = app.test_client()
    sid = _sign_in(app, client, roles=("pegawai", "atasan"), expires_in=5)  # inside the refresh margin
    response = client.get("/")
    assert response.status_code == 200 and "Progres harian tidak dapat dibaca sekarang" in response.get_data(True)
    assert app.extensions["ekinerja_sessions"].load(sid)["tokens"]["refresh"] == "refresh-1"  # not spent


def test_beranda_asks_its_parts_at_once_and_a_refused_token_is_refreshed_once(app):
    """The six questions of a supervisor's Beranda are in flight together (each waits at a barrier
    for the other five: asked one after the other, the first would wait alone and fail). The API then
    refuses the token for all six: it is refreshed once, not six times (a refresh token is single use)."""
    import threading

    barrier, lock = threading.Barrier(6, timeout=10), threading.Lock()
    refreshes, refused = [], []

    def answer(method, path, kwargs):
        if path == "/api/v1/auth/refresh":
            refreshes.append(kwargs["json"]["refresh_token"])
            return 200, {"access_token": "new", "refresh_token": "refresh-2", "expires_in": 600, "session_id": "s1"}
        if kwargs["headers"]["Authorization"] == "Bearer old":
            with lock:
                refused.append(path)
                first_round = len(refused) <= 6
            if first_round:
                barrier.wait()
            return 401, {"detail": "Revoked", "code": "token-revoked"}, {
                "WWW-Authenticate": 'Bearer realm="ekinerja", error="invalid_token"'}
        return 200, _beranda_answer(path)

    _answering(app, answer)
    client = app.test_client()
    sid = _sign_in(app, client, roles=("pegawai", "atasan"), access="old")
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "3 progres harian tim menunggu persetujuan" in html and "2 SKP tim menunggu persetujuan" in html
    assert 'class="tag tag-draft"' in html
    assert refreshes == ["refresh-1"] and len(refused) == 7  # six at once, then one asked again with it
    assert app.extensions["ekinerja_sessions"].load(sid)["tokens"]["access"] == "new"


def test_the_team_board_shows_the_apis_totals_and_what_waits_not_a_recount(app):
    """The rows hold one draft day and one submitted entry; the API's figures say otherwise on purpose:
    the page shows the API's."""
    team = {"from": "2026-03-02", "to": "2026-03-02", "read_only": False,
            "totals": {"belum_diisi": 0, "draft": 0, "diajukan": 5},
            "waiting_for_me": {"entries": 4, "days": [{"nip": "197904092016081017", "name": "Rahmat Simanjuntak",
                                                       "date": "2026-03-02", "entries": 4}]},
            "team": [{"nip": "197904092016081017", "name": "Rahmat Simanjuntak", "blank_working_days": [], "days": [
                {"date": "2026-03-02", "status": "draft", "late": False, "absence": None, "decisions": [],
                 "entries": [{"id": "e1", "state": "diajukan", "description": "Rapat", "quantity": "1",
                              "satuan": "laporan", "quality": "100", "minutes": None,
                              "evidence_url": "https://contoh.go.id/b.pdf", "note": None}]}]}]}
    _answering(app, lambda method, path, kwargs: (200, team))
    client = app.test_client()
    _sign_in(app, client, roles=("pegawai", "atasan"))
    html = client.get("/tim/?dari=2026-03-02").get_data(as_text=True)
    assert re.search(r'data-total="diajukan">.*?: 5</li>', html) and 'data-total="draft"' not in html
    assert "<strong data-waiting>4</strong>" in html
    assert 'href="#d-197904092016081017-2026-03-02"' in html and 'id="d-197904092016081017-2026-03-02"' in html
    assert "4 kegiatan" in html


SUBMISSION = "6f1c1d6e-3d5e-4a43-9a55-0b7f6d1f5a10"
TYPED = {"submission": SUBMISSION, "date": "2026-03-02", "index": [0], "rows": [
    {"rhk_id": "r1", "description": "Menyusun laporan", "quantity": "2", "satuan": "dokumen", "quality": "100",
     "evidence_url": "https://contoh.go.id/b.pdf", "minutes": "", "note": None}]}
FAULT = {"status": 500, "code": "processing-failed", "detail": "Nothing is lost. You may also submit the day again.",
         "detail_id": "Tidak ada yang hilang. Anda juga boleh mengirim ulang hari tersebut."}
UNSTORABLE = {"status": 422, "code": "unstorable-text", "detail": "Remove it.", "detail_id": "Hapus karakter itu.",
              "errors": [{"field": "activities[0].description", "rule": "storable-text", "detail": "Broken character.",
                          "detail_id": "Berisi karakter rusak."}]}


def _failed_submission(problem, sent=None):
    def answer(method, path, kwargs):
        if path == f"/api/v1/harian/submissions/{SUBMISSION}":
            return 200, {"id": SUBMISSION, "status": "gagal", "entries": 0, "problem": problem}
        if method == "POST" and path == "/api/v1/harian/submissions":
            sent.append((kwargs["headers"]["Idempotency-Key"], kwargs["json"]))
            return 202, {"id": "0d6c2c55-5d0e-4a8e-8f43-3c1b1f0f7a21", "status": "accepted", "date": "2026-03-02"}
        if path.startswith("/api/v1/harian/days/"):
            return 200, {"status": "draft", "entries": [], "last_refused_submission": None}
        if path == "/api/v1/harian/calendar":
            return 200, {"days": [], "open_for_entry": ["2026-03-02"], "blank_working_days": []}
        if path == "/api/v1/harian/rhk":
            return 200, {"rhk": [{"id": "r1", "text": "RHK", "satuan": "dokumen"}]}
        return 404, {"detail": "Not found", "detail_id": "Tidak ditemukan"}

    return answer


def test_a_submission_that_failed_on_our_side_says_so_and_is_submitted_again_once(app):
    sent: list = []
    _answering(app, _failed_submission(FAULT, sent))
    client = app.test_client()
    sid = _sign_in(app, client, typed=TYPED)
    html = client.get(f"/harian/2026-03-02/pengajuan/{SUBMISSION}").get_data(as_text=True)
    assert "<h1>Pengajuan tidak dapat disimpan</h1>" in html and "Tidak ada yang hilang." in html
    assert "Pengajuan ditolak" not in html and 'class="error-summary"' not in html  # not the person's error
    assert f'action="/harian/2026-03-02/pengajuan/{SUBMISSION}"' in html

    for _ in range(2):  # the button pressed again (the session still on the failed one): one key
        app.extensions["ekinerja_sessions"].update(sid, lambda data: {**data, "typed": TYPED})
        again = client.post(f"/harian/2026-03-02/pengajuan/{SUBMISSION}", data={"csrf_token": "t0k3n"})
        assert again.status_code == 302
        assert again.headers["Location"] == "/harian/2026-03-02/pengajuan/0d6c2c55-5d0e-4a8e-8f43-3c1b1f0f7a21"
    assert len(sent) == 2 and sent[0] == sent[1]
    assert sent[0][1] == {"date": "2026-03-02", "activities": [{**{k: v for k, v in TYPED["rows"][0].items()
                                                                   if k != "note"}, "minutes": None}]}


def test_text_harian_could_not_store_is_named_on_the_days_form(app):
    _answering(app, _failed_submission(UNSTORABLE))
    client = app.test_client()
    _sign_in(app, client, typed=TYPED)
    html = client.get(f"/harian/2026-03-02/pengajuan/{SUBMISSION}").get_data(as_text=True)
    assert "<h1>Pengajuan tidak dapat disimpan</h1>" in html and "Hapus karakter itu." in html
    assert 'class="error-summary"' in html and "Berisi karakter rusak." in html
    assert f'href="/harian/2026-03-02?pengajuan={SUBMISSION}"' in html
    form = client.get(f"/harian/2026-03-02?pengajuan={SUBMISSION}").get_data(as_text=True)
    assert re.search(r'id="a-0-description-error">.*Berisi karakter rusak\.', form)
    assert "Menyusun laporan</textarea>" in form  # what was typed, kept


def test_the_agency_settings_go_whole_and_a_refused_item_is_named_by_the_line_it_was_typed_on(app):
    from ekinerja_web.views.admin import _take_settings, settings_body, settings_values

    held = {"agency_id": "kemendemo", "work_saturday": False, "backfill_days": 1, "reminder_hour": 15,
            "go_live": None, "extra_holidays": [{"date": "2026-12-24", "name": "Cuti bersama Natal"}],
            "extra_working_days": ["2026-12-26"], "absence_max_days": {"cuti": 92, "sakit": 548, "dinas_luar": 92}}
    shown = settings_values(held)
    assert shown["extra_holidays"] == "2026-12-24 Cuti bersama Natal" and shown["max-sakit"] == "548"
    assert settings_body(shown)[0] == {k: v for k, v in held.items() if k != "agency_id"}  # unchanged, sent whole
    typed = {**shown, "extra_holidays": "2026-12-24 Cuti bersama Natal\n\n2026-02-30\tLibur daerah\n2027-01-04",
             "backfill_days": "dua", "reminder_hour": " 16 ", "max-cuti": ""}
    body, lines = settings_body(typed)
    assert body["extra_holidays"] == [{"date": "2026-12-24", "name": "Cuti bersama Natal"},
                                      {"date": "2026-02-30", "name": "Libur daerah"},
                                      {"date": "2027-01-04", "name": ""}]
    # A number typed goes as a number, anything else as typed: the API's rule says what is wrong with it.
    assert (body["backfill_days"], body["reminder_hour"]) == ("dua", 16)
    assert body["absence_max_days"] == {"sakit": 548, "dinas_luar": 92}  # an empty one is not sent
    problem = ApiProblem.from_body(422, {"detail": "Broken", "detail_id": "Melanggar", "errors": [
        {"field": "extra_holidays[1].date", "rule": "date", "detail": "Not a date.", "detail_id": "Bukan tanggal."},
        {"field": "extra_holidays[2].name", "rule": "required", "detail": "Name it.", "detail_id": "Beri nama."},
        {"field": "absence_max_days.sakit", "rule": "range", "detail": "1 to 1096.", "detail_id": "1 sampai 1096."},
        {"field": "settings", "rule": "object", "detail": "An object.", "detail_id": "Objek."}]})
    with app.test_request_context("/"):
        form = Form(values=typed)
        _take_settings(form, problem, lines)
    assert form.errors == {"extra_holidays": "Baris 3: Bukan tanggal. Baris 4: Beri nama.",
                           "max-sakit": "1 sampai 1096."}
    assert form.summary == [("extra_holidays", "Baris 3: Bukan tanggal."), ("extra_holidays", "Baris 4: Beri nama."),
                            ("max-sakit", "1 sampai 1096."), (None, "Objek.")]


def _activation_refused(app, body):
    """The activation page POSTed, the API refusing with `body` (a problem of status 403)."""
    _answering(app, lambda method, path, kwargs: (403, body))
    client = app.test_client()
    page = client.get("/aktivasi")
    return client.post("/aktivasi", data={"csrf_token": csrf(page.get_data(as_text=True)), "nip": "1" * 18,
                                          "nik": "2" * 16, "email": "nama@contoh.go.id"}).get_data(as_text=True)


def test_a_field_refusal_of_activation_shows_why_and_who_fixes_it_once(app):
    html = _activation_refused(app, {
        "status": 403, "code": "email-not-matched", "detail": "Not the recorded email (n***a@c***.go.id).",
        "detail_id": "Bukan email yang tercatat (n***a@c***.go.id). Yang dapat memperbaiki: pegawai di MyASN.",
        "fixed_by": "the employee in MyASN", "fixed_by_id": "pegawai di MyASN",
        "errors": [{"field": "email", "rule": "email-matches", "detail": "Not recorded.",
                    "detail_id": "Tidak cocok."}]})
    assert "n***a@c***.go.id" in html  # which inbox is on record, masked
    assert html.count("Yang dapat memperbaiki: pegawai di MyASN") == 1


@pytest.mark.parametrize("sentence", ["Akun tidak aktif.", "Akun tidak aktif. Yang dapat memperbaiki: admin instansi."])
def test_who_fixes_a_refusal_is_said_once_whether_or_not_its_sentence_says_it(app, sentence):
    html = _activation_refused(app, {"status": 403, "code": "account-inactive", "detail": "Inactive.",
                                     "detail_id": sentence, "fixed_by": "the agency admin",
                                     "fixed_by_id": "admin instansi"})
    assert "Akun tidak aktif." in html and html.count("Yang dapat memperbaiki: admin instansi") == 1
