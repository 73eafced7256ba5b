"""Password hashing (argon2id at the OWASP floor) and the password policy."""

from __future__ import annotations

import re

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from ekinerja_kernel.errors import FieldError, validation_error

# OWASP minimum for argon2id: t=2, m=19 MiB, p=1 (~30 ms a verify here).
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
# Verified when the NIP is unknown, so a wrong NIP costs as much time as a wrong password.
DUMMY_HASH = HASHER.hash("not-a-real-password-only-for-timing")

MIN_LENGTH, MAX_LENGTH = 10, 128
COMMON = {"password123", "password1234", "qwerty12345", "1234567890", "passw0rd123", "bismillah123",
          "indonesia123", "indonesia1945", "merdeka1945", "p@ssw0rd123", "admin12345", "ekinerja123"}


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash or DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def policy_errors(password: str, nip: str, field: str = "password") -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(password, str):
        return [FieldError(field, "type", "The password must be text.", "Kata sandi harus berupa teks.")]
    if len(password) < MIN_LENGTH:
        errors.append(FieldError(field, "min-length", f"Use at least {MIN_LENGTH} characters.",
                                 f"Gunakan minimal {MIN_LENGTH} karakter."))
    if len(password) > MAX_LENGTH:
        errors.append(FieldError(field, "max-length", f"Use at most {MAX_LENGTH} characters.",
                                 f"Gunakan paling banyak {MAX_LENGTH} karakter."))
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    if classes < 3:
        errors.append(FieldError(field, "character-classes",
                                 "Mix at least three of: lower case, upper case, digits, symbols.",
                                 "Gabungkan minimal tiga dari: huruf kecil, huruf besar, angka, simbol."))
    if nip and (nip in password or nip[:8] in password):
        errors.append(FieldError(field, "not-personal", "Do not use your NIP or birth date in the password.",
                                 "Jangan gunakan NIP atau tanggal lahir dalam kata sandi."))
    if password.lower() in COMMON:
        errors.append(FieldError(field, "not-common", "This password is too common.",
                                 "Kata sandi ini terlalu umum."))
    return errors


def require_policy(password: str, nip: str, field: str = "password") -> None:
    errors = policy_errors(password, nip, field)
    if errors:
        raise validation_error(errors, detail="The new password does not meet the password rules.",
                               detail_id="Kata sandi baru tidak memenuhi aturan kata sandi.")
