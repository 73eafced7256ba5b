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


def test_invalid_credentials_takes_no_argument():
    assert inspect.signature(problems.invalid_credentials).parameters == {}
    with pytest.raises(TypeError):
        problems.invalid_credentials("unknown-nip")


def test_invalid_credentials_is_always_the_same_text():
    a, b = problems.invalid_credentials(), problems.invalid_credentials()
    assert a.to_problem() == b.to_problem()
    assert a.status == 401
    assert a.code == "invalid-credentials"
    # It does not reveal which part was wrong, and covers the never-activated case.
    assert "NIP or password" in a.detail
    assert "activate" in a.detail
    assert a.detail_id and a.detail_id != a.detail


def test_data_problem_names_who_fixes_it():
    problem = problems.data_problem("x", "Broken.", "Rusak.", "the admin", "admin").to_problem()
    assert problem["status"] == 403
    assert problem["fixed_by"] == "the admin"
    assert problem["fixed_by_id"] == "admin"
    assert problem["detail"].endswith("Who can fix it: the admin.")
    assert problem["detail_id"].endswith("Yang dapat memperbaiki: admin.")
