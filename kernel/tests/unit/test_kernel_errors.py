"""Domain errors become RFC 9457 problem documents."""

import pytest

from ekinerja_kernel.errors import PROBLEM_BASE, DomainError, FieldError, not_found, validation_error


def test_validation_error_problem_shape():
    exc = validation_error([FieldError("nip", "nip-18-digits", "A NIP is exactly 18 digits.",
                                       "NIP harus terdiri dari tepat 18 digit angka.")])
    problem = exc.to_problem()
    assert PROBLEM_BASE == "urn:ekinerja:problem:"
    assert problem["type"].startswith("urn:ekinerja:problem:")
    assert problem["type"] == "urn:ekinerja:problem:validation"
    assert problem["status"] == 422
    assert problem["code"] == "validation"
    assert problem["title"]
    assert problem["detail"] == "The input is not valid."
    assert problem["detail_id"] == "Masukan tidak valid."
    assert problem["errors"] == [{"field": "nip", "rule": "nip-18-digits", "detail": "A NIP is exactly 18 digits.",
                                  "detail_id": "NIP harus terdiri dari tepat 18 digit angka."}]


def test_validation_error_keeps_every_field_error_in_order():
    errors = [FieldError("name", "required", "n", "n"), FieldError("email", "email-format", "e", "e")]
    problem = validation_error(errors, detail="Bad row.", detail_id="Baris salah.").to_problem()
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("name", "required"), ("email", "email-format")]
    assert (problem["detail"], problem["detail_id"]) == ("Bad row.", "Baris salah.")


def test_not_found_problem_has_no_errors_list():
    problem = not_found("employee", "Pegawai", "198609262015051001").to_problem()
    assert problem["type"] == "urn:ekinerja:problem:not-found"
    assert problem["status"] == 404
    assert "198609262015051001" in problem["detail"]
    assert "198609262015051001" in problem["detail_id"]
    assert "errors" not in problem


def test_extra_members_are_merged_into_the_problem():
    exc = DomainError(code="conflict", status=409, title="Conflict", detail="Already approved.",
                      detail_id="Sudah disetujui.", extra={"current_state": "disetujui"})
    problem = exc.to_problem()
    assert problem["current_state"] == "disetujui"
    assert problem["type"] == "urn:ekinerja:problem:conflict"
    assert problem["status"] == 409


def test_domain_error_is_raisable_and_readable():
    with pytest.raises(DomainError) as info:
        raise not_found("unit", "Unit", "u9")
    assert isinstance(info.value, Exception)
    assert str(info.value) == "not-found: No unit with identifier u9."
