"""TOTP with ±1 step of drift, replay protection, and recovery codes (identity.domain.totp)."""

import hashlib
import re
import urllib.parse

import pyotp
import pytest

from identity.domain.totp import (
    code_hash,
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    secret_hash,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_741_000_015.0  # fixed: a few seconds into a step
STEP = int(NOW // 30)
NIP = "198609262015051001"


def code(offset_steps, secret=SECRET):
    return pyotp.TOTP(secret).at(NOW + 30 * offset_steps)


def test_fixture_codes_are_distinct():
    # The tests below rely on the codes of nearby steps not colliding.
    assert len({code(k) for k in range(-3, 4)}) == 7


def test_current_code_is_accepted_and_gives_its_step():
    assert matching_step(SECRET, code(0), NOW, None) == STEP


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_drift_is_accepted(offset):
    assert matching_step(SECRET, code(offset), NOW, None) == STEP + offset


@pytest.mark.parametrize("offset", [-2, 2, -3, 3])
def test_two_steps_of_drift_are_refused(offset):
    assert matching_step(SECRET, code(offset), NOW, None) is None


def test_a_code_for_another_secret_is_refused():
    other = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
    assert code(0, other) != code(0)
    assert matching_step(SECRET, code(0, other), NOW, None) is None


def test_replay_of_the_same_step_is_refused():
    step = matching_step(SECRET, code(0), NOW, None)
    assert matching_step(SECRET, code(0), NOW, step) is None
    assert matching_step(SECRET, code(0), NOW + 10, step) is None


def test_an_older_step_is_refused_after_a_newer_one():
    assert matching_step(SECRET, code(-1), NOW, STEP) is None
    assert matching_step(SECRET, code(0), NOW, STEP + 1) is None


def test_a_newer_step_is_accepted():
    assert matching_step(SECRET, code(0), NOW, STEP - 1) == STEP
    assert matching_step(SECRET, code(1), NOW, STEP) == STEP + 1


def test_the_next_code_after_time_passes():
    first = matching_step(SECRET, code(0), NOW, None)
    assert matching_step(SECRET, code(1), NOW + 30, first) == first + 1


def to_fullwidth(digits):
    return "".join(chr(ord("０") + int(d)) for d in digits)


def to_arabic_indic(digits):
    return "".join(chr(0x0660 + int(d)) for d in digits)


@pytest.mark.parametrize("make", [
    lambda c: c[:5],
    lambda c: c + "0",
    lambda c: "0" + c,
    lambda c: " " + c,
    lambda c: c + "\n",
    lambda c: c[:3] + " " + c[3:],
    lambda c: c[:5] + "a",
    lambda c: to_fullwidth(c),
    lambda c: to_arabic_indic(c),
    lambda c: "",
    lambda c: None,
    lambda c: int(c),
    lambda c: c.encode(),
], ids=["5-digits", "7-digits", "leading-0", "leading-space", "trailing-newline", "inner-space", "letter",
        "fullwidth", "arabic-indic", "empty", "none", "int", "bytes"])
def test_malformed_codes_are_refused(make):
    assert matching_step(SECRET, make(code(0)), NOW, None) is None


def test_provisioning_uri_names_issuer_and_nip():
    uri = provisioning_uri(SECRET, NIP)
    parsed = urllib.parse.urlparse(uri)
    assert parsed.scheme == "otpauth"
    assert parsed.netloc == "totp"
    assert urllib.parse.unquote(parsed.path) == f"/e-Kinerja:{NIP}"
    query = urllib.parse.parse_qs(parsed.query)
    assert query["issuer"] == ["e-Kinerja"]
    assert query["secret"] == [SECRET]


def test_provisioning_uri_round_trips_through_pyotp():
    totp = pyotp.parse_uri(provisioning_uri(SECRET, NIP))
    assert totp.issuer == "e-Kinerja"
    assert totp.name == NIP
    assert totp.at(NOW) == code(0)


def test_new_secret_is_base32_and_random():
    a, b = new_secret(), new_secret()
    assert a != b
    assert re.fullmatch(r"[A-Z2-7]{32}", a)
    assert len(pyotp.TOTP(a).now()) == 6


def test_ten_distinct_recovery_codes():
    codes = new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for c in codes:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{8}", c)
    assert set(codes).isdisjoint(new_recovery_codes())


def test_code_hash_ignores_case_and_surrounding_spaces():
    assert code_hash("  ABCD1234-EF567890 \n") == code_hash("abcd1234-ef567890")
    assert code_hash("abcd1234-ef567890") == hashlib.sha256(b"abcd1234-ef567890").hexdigest()


def test_code_hash_still_tells_codes_apart():
    assert code_hash("abcd1234-ef567890") != code_hash("abcd1234-ef567891")
    assert code_hash("abcd1234-ef567890") != "abcd1234-ef567890"


def test_secret_hash_is_case_sensitive_sha256():
    assert secret_hash("Token-ABC") != secret_hash("token-abc")
    assert secret_hash("Token-ABC") == hashlib.sha256(b"Token-ABC").hexdigest()
    assert secret_hash(" x") != secret_hash("x")
