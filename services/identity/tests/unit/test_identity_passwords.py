"""Password hashing (argon2id, OWASP floor) and the password policy."""

import pytest

from ekinerja_kernel.errors import DomainError
from identity.domain.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    policy_errors,
    require_policy,
    verify_password,
)

NIP = "198609262015051001"
GOOD = "Kopi-Hitam-Pagi7"


def rules(password, nip=NIP, field="password"):
    return [e.rule for e in policy_errors(password, nip, field)]


# --- hashing ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stored():
    return hash_password(GOOD)


def test_hash_then_verify_round_trip(stored):
    assert stored != GOOD
    assert verify_password(stored, GOOD) is True


def test_hash_is_argon2id_at_owasp_floor(stored):
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hash_is_salted(stored):
    assert hash_password(GOOD) != stored


def test_wrong_password_is_false(stored):
    assert verify_password(stored, GOOD + "x") is False
    assert verify_password(stored, GOOD.lower()) is False
    assert verify_password(stored, "") is False


def test_unknown_nip_has_no_hash_and_is_false():
    assert verify_password(None, GOOD) is False


def test_unknown_nip_is_false_even_for_the_timing_dummy_password():
    assert verify_password(None, "not-a-real-password-only-for-timing") is False


def test_a_malformed_stored_hash_is_false_not_an_error():
    assert verify_password("not-an-argon2-hash", GOOD) is False


# --- policy ----------------------------------------------------------------------------------

def test_a_good_password_has_no_error():
    assert policy_errors(GOOD, NIP) == []


def test_min_length():
    short = "Ab1!" + "x" * (MIN_LENGTH - 5)
    assert len(short) == MIN_LENGTH - 1
    assert rules(short) == ["min-length"]
    assert rules(short + "y") == []


def test_max_length():
    long = "Ab1!" + "x" * (MAX_LENGTH - 3)
    assert len(long) == MAX_LENGTH + 1
    assert rules(long) == ["max-length"]
    assert rules(long[:-1]) == []


@pytest.mark.parametrize("password", ["kopihitampagi", "KOPIHITAMPAGI", "kopihitam77", "kopi-hitam-pagi"])
def test_character_classes_fewer_than_three(password):
    assert rules(password) == ["character-classes"]


@pytest.mark.parametrize("password", ["kopihitam7!", "KOPIHITAM7!", "Kopihitam!!", "Kopihitam77"])
def test_character_classes_any_three_suffice(password):
    assert rules(password) == []


def test_not_personal_whole_nip():
    assert rules(f"Aa!{NIP}") == ["not-personal"]


def test_not_personal_first_8_digits_birth_date():
    assert rules(f"Kopi!{NIP[:8]}") == ["not-personal"]


def test_other_digits_are_not_personal():
    assert rules("Kopi!20150510") == []


def test_no_nip_skips_the_personal_rule():
    assert rules(f"Kopi!{NIP[:8]}", nip="") == []


@pytest.mark.parametrize("password", ["Password123", "P@ssw0rd123", "Indonesia1945", "Merdeka1945"])
def test_not_common(password):
    assert rules(password) == ["not-common"]


@pytest.mark.parametrize("password", [None, 1234567890, b"Kopi-Hitam-Pagi7"])
def test_type(password):
    errors = policy_errors(password, NIP)
    assert [(e.field, e.rule) for e in errors] == [("password", "type")]


def test_errors_name_the_given_field_and_carry_both_languages():
    errors = policy_errors("short", NIP, field="new_password")
    assert {e.rule for e in errors} == {"min-length", "character-classes"}
    for e in errors:
        assert e.field == "new_password"
        assert e.detail and e.detail_id and e.detail != e.detail_id


# --- require_policy --------------------------------------------------------------------------

def test_require_policy_accepts_a_good_password():
    assert require_policy(GOOD, NIP) is None


def test_require_policy_raises_422_naming_password():
    with pytest.raises(DomainError) as info:
        require_policy("short", NIP)
    error = info.value
    assert error.status == 422
    assert error.detail and error.detail_id
    assert {e.field for e in error.errors} == {"password"}
    problem = error.to_problem()
    assert problem["status"] == 422
    assert {e["rule"] for e in problem["errors"]} == {"min-length", "character-classes"}
    for e in problem["errors"]:
        assert e["field"] == "password"
        assert e["detail"] and e["detail_id"]


def test_require_policy_names_a_given_field():
    with pytest.raises(DomainError) as info:
        require_policy(f"Kopi!{NIP}", NIP, field="new_password")
    error = info.value
    assert error.status == 422
    assert [(e.field, e.rule) for e in error.errors] == [("new_password", "not-personal")]
    assert error.errors[0].detail and error.errors[0].detail_id
