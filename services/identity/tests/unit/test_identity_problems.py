"""Identity refusals as problem documents (identity.domain.problems)."""

import inspect

import pytest

from ekinerja_kernel.errors import DomainError
from identity.domain import problems


@pytest.mark.parametrize("kind, code", [("password", "login-locked"), ("totp", "mfa-locked")])
def test_locked_carries_retry_after_and_429(kind, code):
    error = problems.locked(kind, 45)
    assert isinstance(error, DomainError)
    assert error.status == 429
    problem = error.to_problem()
    assert problem["status"] == 429
    assert problem["retry_after"] == 45
    assert problem["code"] == code
    assert "45" in problem["detail"] and "45" in problem["detail_id"]


def test_locked_says_which_factor():
    assert "password" in problems.locked("password", 30).detail
    assert "authenticator" in problems.locked("totp", 30).detail


def test_a_password_lockout_names_lupa_password_its_page_and_the_nip_s_limit():
    error = problems.locked("password", 30, URL)

    for text in (error.detail, error.detail_id):
        assert "'Lupa Password'" in text and URL in text and "NIP" in text and "5" in text
    assert "lifts the pause" in error.detail and "mencabut penangguhan" in error.detail_id
    assert error.extra == {"retry_after": 30, "scope": "nip", "forgot_password_url": URL}
    # A lost authenticator is not solved by a password reset: that lockout says what is.
    totp = problems.locked("totp", 30, URL)
    assert "Lupa Password" not in totp.detail and "recovery code" in totp.detail and "kode pemulihan" in totp.detail_id


def test_the_per_nip_request_limit_names_the_limit_and_not_an_address():
    error = problems.requests_limited("reset", 61, 5, 3600)

    assert error.status == 429 and error.code == "nip-rate-limited"
    assert "at most 5 in 60 minutes per NIP" in error.detail and "Try again in 2 minute(s)" in error.detail
    assert "paling banyak 5 kali dalam 60 menit per NIP" in error.detail_id
    assert "this address" not in error.detail and "alamat ini" not in error.detail_id
    assert error.extra == {"retry_after": 61, "scope": "nip", "limit": 5, "window_seconds": 3600}


URL = "https://kinerja.example.go.id/lupa-password"


def test_invalid_credentials_takes_only_the_reset_page_never_a_reason():
    assert list(inspect.signature(problems.invalid_credentials).parameters) == ["forgot_password_url"]
    with pytest.raises(TypeError):
        problems.invalid_credentials(URL, "unknown-nip")


def test_invalid_credentials_is_always_the_same_text():
    a, b = problems.invalid_credentials(URL), problems.invalid_credentials(URL)
    assert a.to_problem() == b.to_problem()
    assert a.status == 401
    assert a.code == "invalid-credentials"
    # It does not reveal which part was wrong; it covers a typo in the NIP, a NIP not in SIASN yet,
    # the never-activated case and a forgotten password, in both languages.
    assert "NIP or password" in a.detail and "18 digits" in a.detail and "not in SIASN yet" in a.detail
    assert a.detail_id.startswith("NIP atau kata sandi salah: periksa 18 digit NIP Anda; jika NIP benar tetapi "
                                  "belum ada di SIASN")
    assert "activate" in a.detail.lower() and "Aktivasi akun" in a.detail_id
    assert URL in a.detail and URL in a.detail_id and a.extra["forgot_password_url"] == URL
    assert a.detail_id and a.detail_id != a.detail


FINDING = {"check": "nik", "status": "problem", "code": "nik-not-matched", "detail": "Not an Active Civil Servant.",
           "detail_id": "Bukan ASN Aktif.", "why": "Activation checks the NIK.", "why_id": "Aktivasi memeriksa NIK.",
           "fixed_by": "the employee; the agency admin (BKD/BKPSDM)",
           "fixed_by_id": "pegawai; admin instansi (BKD/BKPSDM)", "fixers": ["employee", "admin_instansi"],
           "blocks": ["login"]}


def test_master_data_blocks_quotes_the_finding_and_names_who_fixes_it():
    problem = problems.master_data_blocks(FINDING).to_problem()
    assert problem["status"] == 403 and problem["code"] == "nik-not-matched"
    assert problem["title"] == "Your master data blocks sign-in"
    assert problem["detail"] == ("Not an Active Civil Servant. Activation checks the NIK. "
                                 "Who can fix it: the employee; the agency admin (BKD/BKPSDM).")
    assert problem["detail_id"] == ("Bukan ASN Aktif. Aktivasi memeriksa NIK. "
                                    "Yang dapat memperbaiki: pegawai; admin instansi (BKD/BKPSDM).")
    assert problem["fixed_by"] == FINDING["fixed_by"] and problem["fixed_by_id"] == FINDING["fixed_by_id"]
    assert problem["fixers"] == ["employee", "admin_instansi"]
    assert problem["finding"] == FINDING


def test_master_data_blocks_without_the_optional_parts():
    bare = {k: FINDING[k] for k in ("check", "status", "code", "detail", "detail_id")}
    problem = problems.master_data_blocks(bare).to_problem()
    assert problem["detail"] == "Not an Active Civil Servant."
    assert problem["detail_id"] == "Bukan ASN Aktif."
    assert problem["fixed_by"] == "" and problem["fixers"] == [] and problem["finding"] == bare


def test_master_data_blocks_does_not_share_the_finding():
    finding = dict(FINDING)
    problem = problems.master_data_blocks(finding)
    finding["detail"] = "changed"
    assert problem.extra["finding"]["detail"] == "Not an Active Civil Servant."
