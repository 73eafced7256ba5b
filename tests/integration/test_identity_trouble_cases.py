"""Issue 15, identity's trouble cases end to end through the gateway, with every service running on the
real broker and PostgreSQL, and the registry simulator as SIASN for the email repair: what a civil
servant sees in English and Indonesian, and what the agency admin sees (audit, diagnosis), when

1. sign-in fails: a malformed NIP, a NIP SIASN has not delivered yet, a wrong password, the lockout;
5. activation is asked with a NIK master data does not hold (a typo, or SIASN recorded another);
10. 'Lupa Password' is asked with an email that is not the recorded one, after an admin repaired the
    email and a registry sync that still says the old one;
12. at the peak: the per-address limit, a NIP's request limit and a busy system.

Each condition is made the way it comes about: by an import, the registry simulator, an admin's
repair, or the requests themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from builders import employee
from skp_world import MINT, PROBLEM, demo_masterdata, gateway_client, import_masterdata
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import free_port, port_open, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deploy" / "demo" / "masterdata.json"
WEB = os.environ.get("EKINERJA_WEB_URL", "http://127.0.0.1:8080").rstrip("/")
PASSWORD = "Kinerja-Masuk-2026"
ADMIN_KEMEN = "199502212020111013"  # deploy/demo/masterdata.json: the demo ministry's agency admin
CITRA = "197501201999022003"  # a head of division there
# New employees of the demo ministry, made in these tests only (NIP and NIK agree on birth date and gender).
LATE = ("199208172019031011", "3171011708920011", "Sandi Terlambat")  # not in SIASN yet, then delivered
FORGETS = ("199708232019032017", "3171016308970017", "Maya Lupasandi")  # types a wrong password
LOCKED = ("199707222019031016", "3171012207970016", "Andi Terkunci")  # types it wrong five times
TYPO = ("199303182019032012", "3171015803930012", "Nina Salahketik")  # types a wrong NIK
MISRECORDED = ("199404192019031013", "3171011904940013", "Rio Salahcatat")  # SIASN holds another NIK for him
MOVED_MAIL = ("199505202019031014", "3171012005950014", "Eko Pindahsurel")  # the admin repairs his email
LIMITED = ("199606212019032015", "3171016106960015", "Lia Batas")  # asks once too often
STRANGER = "199912312020121998"  # well formed, in no master data
CROWD = "199812302020121997"  # another one, asked from a crowded address


def row(person, **over) -> dict:
    nip, nik, name = person
    return {**employee(nip, nik, name, agency_id="kemendemo", unit_id="kd-bag-eval", position_id="kd-prakom",
                       supervisor=CITRA), **over}


@pytest.fixture(scope="module")
def world(rabbit, services, service_databases):
    """The demo master data in sync (other modules empty it), the gateway, and an agency admin."""
    import_masterdata(rabbit.amqp_uri, demo_masterdata())
    gateway = gateway_client(rabbit.amqp_uri)
    identity = create_engine(service_databases["identity"])
    yield {"gateway": gateway, "identity": identity, "admin": Admin(gateway, ADMIN_KEMEN, "kemendemo")}
    identity.dispose()


class Admin:
    """An agency admin of the gateway (a token of the test key the gateway trusts)."""

    def __init__(self, gateway, nip: str, agency: str, roles=("pegawai", "admin_instansi")) -> None:
        self.gateway = gateway
        self.headers = {"Authorization": "Bearer " + MINT.token(nip, list(roles), agency, ttl=3600)}

    def get(self, path, **kw):
        return self.gateway.get(path, headers=self.headers, **kw)

    def post(self, path, json=None):
        return self.gateway.post(path, headers=self.headers, json=json)

    def put(self, path, json=None):
        return self.gateway.put(path, headers=self.headers, json=json)


def imported(rabbit, world, *rows) -> None:
    """Rows imported as an agency's file import would, and identity's copy of them arrived."""
    import_masterdata(rabbit.amqp_uri, {"employees": list(rows)})
    for r in rows:
        account(world, r["nip"], "email", r["email"])


def account(world, nip: str, column: str, expected) -> None:
    def arrived():
        with world["identity"].connect() as conn:
            found = conn.execute(text(f"SELECT {column} FROM accounts WHERE nip = :n"), {"n": nip}).first()
        return found is not None and found[0] == expected
    wait_for(arrived, timeout=30, what=f"identity's copy of {nip}.{column} to be {expected}")


def problem(response, status: int, code: str) -> dict:
    body = response.get_json()
    assert (response.status_code, response.mimetype, body.get("code")) == (status, PROBLEM, code), body
    assert body["detail"] and body["detail_id"] and body["detail"] != body["detail_id"]
    return body


def same_answer(a: dict, b: dict) -> bool:
    return {**a, "request_id": None} == {**b, "request_id": None}


def audit(admin, nip: str, type_: str) -> list[dict]:
    response = admin.get("/api/v1/admin/audit", query_string={"nip": nip, "type": type_})
    assert response.status_code == 200, response.get_json()
    return list(reversed(response.get_json()["events"]))  # oldest first


def login(gateway, nip, password=PASSWORD):
    return gateway.post("/api/v1/auth/login", json={"nip": nip, "password": password})


def activate(gateway, mailbox, nip, nik, email) -> None:
    before = len(mailbox.messages(email))
    response = gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": nik, "email": email})
    assert response.status_code == 202, response.get_json()
    wait_for(lambda: len(mailbox.messages(email)) > before, timeout=30, what="the activation mail")
    token = mailbox.token_in(mailbox.messages(email)[-1])
    confirmed = gateway.post("/api/v1/auth/activation/confirm", json={"token": token, "password": PASSWORD})
    assert confirmed.status_code == 200, confirmed.get_json()


# --- case 1: login fails --------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["19920817 201903 1 011", "1992081720190310l1", "19920817201903101",
                                   " 199208172019031011"])
def test_a_malformed_nip_is_422_with_the_18_digit_rule_and_tells_nothing(world, typed):
    response = login(world["gateway"], typed)

    body = problem(response, 422, "validation")
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("nip", "nip-18-digits")]
    assert "exactly 18 digits" in body["errors"][0]["detail"]
    assert "tepat 18 digit angka" in body["errors"][0]["detail_id"]
    assert "SIASN" not in body["detail"] and "password" not in body["detail"]  # nothing about any account


def test_a_nip_siasn_has_not_delivered_gets_the_shared_answer_until_the_import_brings_it(rabbit, world, mailbox):
    gateway, admin = world["gateway"], world["admin"]
    nip, nik, _ = LATE
    national = Admin(gateway, "199001012015011001", None, ("pegawai", "admin_nasional"))

    early = problem(login(gateway, nip), 401, "invalid-credentials")

    assert "check the 18 digits of your NIP for a typo; if the NIP is right but not in SIASN yet" in early["detail"]
    assert early["detail_id"].startswith("NIP atau kata sandi salah: periksa 18 digit NIP Anda; jika NIP benar tetapi "
                                         "belum ada di SIASN")
    assert early["forgot_password_url"] == f"{WEB}/lupa-password" and early["forgot_password_url"] in early["detail_id"]
    # A wrong password of a real account reads the same: the password step is no account oracle.
    imported(rabbit, world, row(FORGETS))
    activate(gateway, mailbox, FORGETS[0], FORGETS[1], row(FORGETS)["email"])
    assert same_answer(problem(login(gateway, FORGETS[0], "Salah-Sekali-2026"), 401, "invalid-credentials"), early)
    # The admin is told what it is: the diagnosis says SIASN has not delivered the NIP.
    found = {f["check"]: f for f in national.get(f"/api/v1/employees/{nip}/diagnosis").get_json()["findings"]}
    assert found["nip"]["code"] == "nip-not-found" and "SIASN" in found["nip"]["detail"]
    assert "SIASN" in found["nip"]["detail_id"]
    assert [e["detail"]["reason"] for e in audit(national, nip, "login.failed")] == ["credentials"]

    imported(rabbit, world, row(LATE))  # the registry's data arrives by the agency's import
    assert problem(login(gateway, nip), 401, "invalid-credentials")["detail"] == early["detail"]  # not activated
    assert {f["check"]: f for f in admin.get(f"/api/v1/employees/{nip}/diagnosis").get_json()["findings"]}[
        "account"]["code"] == "account-not-activated"
    activate(gateway, mailbox, nip, nik, row(LATE)["email"])
    assert login(gateway, nip).get_json()["status"] == "authenticated"


def test_the_lockout_names_lupa_password_and_its_page_and_the_admin_sees_it(rabbit, world, mailbox):
    gateway, admin = world["gateway"], world["admin"]
    nip = LOCKED[0]
    imported(rabbit, world, row(LOCKED))
    activate(gateway, mailbox, nip, LOCKED[1], row(LOCKED)["email"])
    for _ in range(5):
        problem(login(gateway, nip, "Salah-Sekali-2026"), 401, "invalid-credentials")

    locked = problem(login(gateway, nip), 429, "login-locked")  # even the right password waits

    forgot = f"'Lupa Password' ({WEB}/lupa-password)"
    assert forgot in locked["detail"] and "lifts the pause" in locked["detail"]
    assert forgot in locked["detail_id"] and "mencabut penangguhan" in locked["detail_id"]
    assert "5 or more wrong passwords in a row for this NIP" in locked["detail"]
    assert locked["scope"] == "nip" and locked["forgot_password_url"] == f"{WEB}/lupa-password"
    found = {f["check"]: f for f in admin.get(f"/api/v1/employees/{nip}/diagnosis").get_json()["findings"]}
    assert found["account"]["code"] == "login-locked"
    assert [e["outcome"] for e in audit(admin, nip, "login.locked")] == ["refused"]


# --- case 5: NIK not matched ----------------------------------------------------------------------

def test_activation_with_a_wrong_nik_is_answered_precisely_and_the_admin_sees_why(rabbit, world, mailbox):
    gateway, admin = world["gateway"], world["admin"]
    nip, nik, _ = TYPO
    imported(rabbit, world, row(TYPO))

    wrong = gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": "3171015803930021",  # two swapped
                                                          "email": row(TYPO)["email"]})

    body = problem(wrong, 403, "nik-not-matched")
    assert "This NIP and NIK are not recorded together in the master data (SIASN)." in body["detail"]
    assert "NIP dan NIK ini tidak tercatat bersama di data induk (SIASN)." in body["detail_id"]
    assert "'Data Matching'" in body["fixed_by"] and "'Pemadanan Data'" in body["fixed_by_id"]
    assert body["fixers"] == ["employee", "admin_instansi"] and body["errors"][0]["field"] == "nik"
    stranger = gateway.post("/api/v1/auth/activation", json={"nip": STRANGER, "nik": nik, "email": "x@uji.go.id"})
    assert same_answer(problem(stranger, 403, "nik-not-matched"), body)  # nothing said about who is registered
    assert [(e["outcome"], e["detail"]) for e in audit(admin, nip, "activation.requested")] == [
        ("refused", {"reason": "nik-not-matched", "nik_in_master_data": True})]
    assert mailbox.messages(row(TYPO)["email"]) == []
    activate(gateway, mailbox, nip, nik, row(TYPO)["email"])  # with the NIK right, the mail goes out


def test_a_nik_siasn_recorded_wrongly_is_the_same_answer_and_the_admin_is_shown_why(rabbit, world, mailbox):
    gateway, admin = world["gateway"], world["admin"]
    nip, nik, _ = MISRECORDED
    imported(rabbit, world, row(MISRECORDED, nik="3171011909940013"))  # SIASN's NIK: a wrong digit in the date

    refused = gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": nik, "email": row(MISRECORDED)["email"]})

    problem(refused, 403, "nik-not-matched")
    assert audit(admin, nip, "activation.requested")[-1]["detail"] == {"reason": "nik-not-matched",
                                                                       "nik_in_master_data": True}
    found = {f["check"]: f for f in admin.get(f"/api/v1/employees/{nip}/diagnosis").get_json()["findings"]}
    assert (found["nik"]["code"], found["nik"]["status"]) == ("nik-nip-mismatch", "warning")
    assert "birth date in the NIK differs" in found["nik"]["detail"] and found["nik"]["detail_id"]

    imported(rabbit, world, row(MISRECORDED))  # corrected in SIASN, delivered again
    account(world, nip, "nik", nik)
    activate(gateway, mailbox, nip, nik, row(MISRECORDED)["email"])


# --- case 12: the peak ----------------------------------------------------------------------------

def test_a_nip_s_request_limit_names_the_nip_s_limit_not_an_address(rabbit, world):
    gateway = world["gateway"]
    nip = LIMITED[0]
    imported(rabbit, world, row(LIMITED))
    answers = [gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": f"31710161069600{n:02d}",
                                                              "email": "tebak@gmail.com"}) for n in range(6)]

    assert [a.status_code for a in answers] == [403] * 5 + [429]
    body = problem(answers[-1], 429, "nip-rate-limited")
    assert "at most 5 in 60 minutes per NIP, from any device or address" in body["detail"]
    assert "paling banyak 5 kali dalam 60 menit per NIP, dari perangkat atau alamat mana pun" in body["detail_id"]
    assert body["scope"] == "nip" and "network address" not in body["detail"]
    assert 3500 < int(answers[-1].headers["Retry-After"]) <= 3600
    # The agency admin reads why in the audit: five wrong NIKs, then the limit.
    assert [e["detail"]["reason"] for e in audit(world["admin"], nip, "activation.requested")] == [
        "nik-not-matched"] * 5 + ["nip-rate-limited"]


def test_the_per_address_limit_says_so_and_that_the_account_is_not_concerned(rabbit, world):
    crowded = gateway_client(rabbit.amqp_uri, AUTH_RATE_LIMIT=2)  # one office network's address
    for _ in range(2):
        problem(login(crowded, CROWD), 401, "invalid-credentials")

    refused = login(crowded, CROWD)

    body = problem(refused, 429, "rate-limited")
    assert body["scope"] == "address" and "from this network address" in body["detail"]
    assert "office network" in body["detail"] and "not about your account" in body["detail"]
    assert "dari alamat jaringan ini" in body["detail_id"] and "jaringan kantor" in body["detail_id"]
    assert int(refused.headers["Retry-After"]) >= 1


def test_a_system_too_busy_to_answer_in_time_says_so(rabbit, world):
    hurried = gateway_client(rabbit.amqp_uri, RPC_TIMEOUT=1.0)
    with world["identity"].connect() as held:  # identity's database busy, as at 08:00: its answer waits
        transaction = held.begin()
        held.execute(text("LOCK TABLE refresh_tokens IN ACCESS EXCLUSIVE MODE"))
        try:
            response = hurried.post("/api/v1/auth/refresh", json={"refresh_token": "token-yang-tidak-ada"})
        finally:
            transaction.rollback()

    body = problem(response, 504, "service-timeout")
    assert body["title"] == "The system is busy" and body["detail"].startswith("The system is busy:")
    assert body["detail_id"].startswith("Sistem sedang sibuk:") and "address" not in body["detail"]
    assert int(response.headers["Retry-After"]) >= 1


# --- case 10: forgot password, another email recorded (last: it restarts sync with a registry) ---------

SETTINGS = {  # the registry simulator as SIASN, no scheduled run while this module lasts
    "SYNC_REGISTRY_RETRIES": "2", "SYNC_REGISTRY_BACKOFF": "0.05", "SYNC_REGISTRY_BACKOFF_MAX": "0.1",
    "SYNC_REGISTRY_TIMEOUT": "2", "SYNC_REGISTRY_INTERACTIVE_TIMEOUT": "2", "SYNC_REGISTRY_POLL_SECONDS": "0.2",
    "SYNC_REGISTRY_FIRST_DELAY": "3600", "SYNC_REGISTRY_INTERVAL": "3600",
}


@pytest.fixture(scope="module")
def registry(services, world):
    """The registry simulator serving the demo data, and sync restarted with it as SIASN."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync.registry.simulator", "--port", str(port),
                                "--data", str(DEMO)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: port_open(port), timeout=30, what="the registry simulator")
    url = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in [*SETTINGS, "SYNC_REGISTRY_URL"]}
    os.environ.update(SETTINGS, SYNC_REGISTRY_URL=url)
    services.stop("sync")
    services.start("sync")
    yield url
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    services.stop("sync")
    services.start("sync")
    process.terminate()
    process.wait(timeout=10)


def test_an_email_repair_holds_against_siasn_and_the_reset_says_which_address_is_recorded(world, registry, mailbox):
    gateway, admin = world["gateway"], world["admin"]
    nip, nik, _ = MOVED_MAIL
    old, new = "eko.lama@kemendemo.go.id", "eko.pindah@uji.go.id"
    requests.put(f"{registry}/_control/employees/{nip}", json={**row(MOVED_MAIL, email=old), "roles": []},
                 timeout=5).raise_for_status()  # in SIASN with the address he no longer reads
    pulled = admin.post(f"/api/v1/admin/employees/{nip}/sync")  # the admin pulls the NIP from SIASN
    assert pulled.status_code == 200 and pulled.get_json()["status"] == "ok", pulled.get_json()
    account(world, nip, "email", old)
    activate(gateway, mailbox, nip, nik, old)

    repaired = admin.put(f"/api/v1/admin/employees/{nip}/email", json={"email": new, "reason": "email dinas baru"})
    assert repaired.status_code == 200, repaired.get_json()
    account(world, nip, "email", new)
    again = admin.post(f"/api/v1/admin/employees/{nip}/sync")  # SIASN still says the old address
    assert again.status_code == 200 and again.get_json()["status"] == "ok", again.get_json()
    found = {f["check"]: f for f in admin.get(f"/api/v1/employees/{nip}/diagnosis").get_json()["findings"]}
    assert found["override"]["code"] == "registry-differs"  # kept, and the admin is told SIASN differs
    account(world, nip, "email", new)  # the repair holds in identity too

    mistaken = gateway.post("/api/v1/auth/password/forgot", json={"nip": nip, "email": old, "nik": nik})

    body = problem(mistaken, 403, "email-not-matched")
    assert body["registered_email"] == "e***h@u***.go.id" and new not in body["detail"]
    assert "password-reset link is sent. The recorded one is e***h@u***.go.id." in body["detail"]
    assert "tautan atur ulang kata sandi dikirim. Email yang tercatat: e***h@u***.go.id." in body["detail_id"]
    assert audit(admin, nip, "password.reset_requested")[-1]["detail"] == {"reason": "email-not-matched",
                                                                           "with_nik": True}
    # Without the NIK the answer is the one for everybody, and it says the NIK would tell more.
    silent = gateway.post("/api/v1/auth/password/forgot", json={"nip": nip, "email": old})
    assert silent.status_code == 202 and "'nik'" in silent.get_json()["detail"]
    sent_to_old = len(mailbox.messages(old))

    asked = gateway.post("/api/v1/auth/password/forgot", json={"nip": nip, "email": new, "nik": nik})

    assert asked.status_code == 202
    wait_for(lambda: mailbox.messages(new), timeout=30, what="the reset mail at the repaired address")
    assert len(mailbox.messages(old)) == sent_to_old  # only the activation mail ever went to the old one
    token = mailbox.token_in(mailbox.messages(new)[-1])
    reset = gateway.post("/api/v1/auth/password/reset", json={"token": token, "password": "Kinerja-Baru-2027"})
    assert reset.status_code == 200
    assert login(gateway, nip, "Kinerja-Baru-2027").get_json()["status"] == "authenticated"
