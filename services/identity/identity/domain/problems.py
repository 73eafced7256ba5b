"""The refusals identity gives, each in English and Indonesian, saying who can fix it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError


def invalid_credentials() -> DomainError:
    # One message for an unknown NIP, a wrong password and an account never activated.
    return DomainError(
        code="invalid-credentials", status=401, title="Sign-in failed",
        detail="The NIP or password is wrong. If you have never signed in, activate your account first; "
               "if you forgot your password, use 'Lupa Password'.",
        detail_id="NIP atau kata sandi salah. Jika belum pernah masuk, aktivasi akun terlebih dahulu; "
                  "jika lupa kata sandi, gunakan 'Lupa Password'.")


def locked(kind: str, retry_after: int) -> DomainError:
    what, what_id = ("password", "kata sandi") if kind == "password" else ("authenticator code", "kode autentikator")
    return DomainError(
        code=f"{'login' if kind == 'password' else 'mfa'}-locked", status=429, title="Too many attempts",
        detail=f"Too many wrong {what} attempts. Try again in {retry_after} seconds.",
        detail_id=f"Terlalu banyak percobaan {what_id} yang salah. Coba lagi dalam {retry_after} detik.",
        extra={"retry_after": retry_after})


def ticket_invalid() -> DomainError:
    return DomainError(code="ticket-invalid", status=401, title="Sign-in step expired",
                       detail="This sign-in step has expired or was already used. Sign in again with your password.",
                       detail_id="Langkah masuk ini sudah kedaluwarsa atau sudah dipakai. "
                                 "Masuk lagi dengan kata sandi.")


def mfa_invalid() -> DomainError:
    return DomainError(code="mfa-invalid", status=401, title="Wrong code",
                       detail="The authenticator code is wrong, expired or already used. Enter the current code.",
                       detail_id="Kode autentikator salah, kedaluwarsa, atau sudah dipakai. "
                                 "Masukkan kode yang berlaku.")


def refresh_invalid() -> DomainError:
    return DomainError(code="refresh-invalid", status=401, title="Session ended",
                       detail="This session has ended. Sign in again.",
                       detail_id="Sesi ini telah berakhir. Silakan masuk kembali.")


def token_invalid() -> DomainError:
    return DomainError(code="token-invalid", status=400, title="Link no longer valid",
                       detail="This link or token is invalid, expired or already used. Ask for a new one.",
                       detail_id="Tautan atau token ini tidak valid, kedaluwarsa, atau sudah dipakai. Minta yang baru.")


def fresh_login_required() -> DomainError:
    return DomainError(code="fresh-login-required", status=403, title="Sign in again",
                       detail="For this step, sign in again with your password first (within the last 10 minutes).",
                       detail_id="Untuk langkah ini, masuk kembali dengan kata sandi terlebih dahulu "
                                 "(dalam 10 menit terakhir).")


def mfa_proof_required() -> DomainError:
    """Replacing an authenticator: a recent password sign-in is not enough, since a stolen session
    could then take over the second factor too; the current one must be shown."""
    detail = ("To replace your authenticator, enter a current code from it ('code') or one of your recovery codes "
              "('recovery_code'). Lost both? Ask your agency admin to reset your MFA.")
    detail_id = ("Untuk mengganti autentikator, masukkan kode yang berlaku dari autentikator itu ('code') atau salah "
                 "satu kode pemulihan Anda ('recovery_code'). Kehilangan keduanya? Minta admin instansi Anda "
                 "mengatur ulang MFA.")
    return DomainError(code="mfa-proof-required", status=403, title="Show your current authenticator",
                       detail=detail, detail_id=detail_id,
                       errors=[FieldError("code", "required-to-replace",
                                          "A current authenticator code (or a recovery_code) is required.",
                                          "Kode autentikator yang berlaku (atau recovery_code) wajib diisi.")])


def requests_limited(kind: str, retry_after: int) -> DomainError:
    """The same answer for every NIP, known or not: beyond the limit nothing about the account is said."""
    what, what_id = ("activation", "aktivasi") if kind == "activation" else ("password-reset", "atur ulang kata sandi")
    minutes = max(1, -(-retry_after // 60))
    return DomainError(
        code="nip-rate-limited", status=429, title="Too many requests for this NIP",
        detail=f"Too many {what} requests for this NIP. Try again in {minutes} minute(s).",
        detail_id=f"Terlalu banyak permintaan {what_id} untuk NIP ini. Coba lagi dalam {minutes} menit.",
        extra={"retry_after": retry_after})


def password_wrong() -> DomainError:
    return DomainError(code="password-wrong", status=422, title="Current password is wrong",
                       detail="The current password is wrong.", detail_id="Kata sandi saat ini salah.",
                       errors=[FieldError("current_password", "matches", "The current password is wrong.",
                                          "Kata sandi saat ini salah.")])


def email_not_matched() -> DomainError:
    """Activation with the right NIP and NIK (who asks is proven) but another email than master data's,
    where the link must go: say so, and who corrects it, rather than send nothing in silence."""
    fixed_by = ("the employee: use the email recorded in MyASN; if it is wrong or no longer used, correct it "
                "there, then the agency admin (BKD/BKPSDM) syncs it or corrects it in e-Kinerja")
    fixed_by_id = ("pegawai yang bersangkutan: gunakan email yang tercatat di MyASN; jika salah atau tidak dipakai "
                   "lagi, perbaiki di sana, lalu admin instansi (BKD/BKPSDM) menyinkronkan atau membetulkannya di "
                   "e-Kinerja")
    return DomainError(
        code="email-not-matched", status=403, title="The email is not the one in master data",
        detail="NIP and NIK match, but this email is not the one recorded in the master data, where the "
               f"activation link is sent. Who can fix it: {fixed_by}.",
        detail_id="NIP dan NIK cocok, tetapi email ini bukan email yang tercatat di data induk, tempat tautan "
                  f"aktivasi dikirim. Yang dapat memperbaiki: {fixed_by_id}.",
        extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id, "fixers": ["employee", "admin_instansi"]})


def master_data_blocks(finding: Mapping[str, Any]) -> DomainError:
    """Sign-in refused by one finding of sync's diagnosis: what is wrong, why, and who fixes it, in its
    own words, with the whole finding so a client can show (or link to) exactly what the diagnosis shows."""
    fixed_by, fixed_by_id = finding.get("fixed_by") or "", finding.get("fixed_by_id") or ""
    detail = [finding["detail"], finding.get("why"), fixed_by and f"Who can fix it: {fixed_by}."]
    detail_id = [finding["detail_id"], finding.get("why_id"), fixed_by_id and f"Yang dapat memperbaiki: {fixed_by_id}."]
    return DomainError(code=finding["code"], status=403, title="Your master data blocks sign-in",
                       detail=" ".join(x for x in detail if x), detail_id=" ".join(x for x in detail_id if x),
                       extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id,
                              "fixers": list(finding.get("fixers") or ()), "finding": dict(finding)})
