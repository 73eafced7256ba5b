"""The shape of the numbers a person types to say who they are: the NIP (18 digits) and the NIK
(16 digits), as docs/domain.md "Identifiers" and sync's parser define them (rule codes
`nip-18-digits` and `nik-16-digits`, the same words).

Checked before anything is looked up: a malformed number cannot be anybody's, so saying that it is
malformed reveals nothing about who is registered, and the request changes nothing (no lockout
counted, no request counted against a NIP's limit, no audit line). Only the shape is checked here,
not the dates inside: whether a well-formed NIP is in the master data is sync's to say, and a
sign-in must not refuse a NIP sync accepted.
"""

from __future__ import annotations

from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.identifiers import is_nik, is_nip


def nip_error(value: Any, field: str = "nip") -> FieldError | None:
    if is_nip(value):
        return None
    return FieldError(field, "nip-18-digits",
                      "A NIP is exactly 18 digits (numbers only, without spaces, dots or letters), as on your "
                      "SK and in MyASN.",
                      "NIP harus terdiri dari tepat 18 digit angka (tanpa spasi, titik, atau huruf), seperti "
                      "pada SK Anda dan di MyASN.")


def nik_error(value: Any, field: str = "nik") -> FieldError | None:
    if is_nik(value):
        return None
    return FieldError(field, "nik-16-digits",
                      "A NIK is exactly 16 digits (numbers only), as on your KTP.",
                      "NIK harus terdiri dari tepat 16 digit angka, seperti pada KTP Anda.")


def require_shapes(nip: Any, nik: Any = None, *, check_nik: bool = False) -> None:
    """Raise 422 naming each malformed number (the NIK only when `check_nik`)."""
    errors = [e for e in (nip_error(nip), nik_error(nik) if check_nik else None) if e is not None]
    if errors:
        raise malformed(errors)


def malformed(errors: list[FieldError]) -> DomainError:
    what = " ".join(e.detail for e in errors)
    what_id = " ".join(e.detail_id for e in errors)
    return validation_error(errors, detail=f"{what} Check what you typed; nothing was checked or changed.",
                            detail_id=f"{what_id} Periksa kembali yang Anda ketik; belum ada yang diperiksa "
                                      "atau diubah.")
