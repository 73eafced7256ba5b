"""The refusals identity gives, each in English and Indonesian, saying who can fix it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError

from . import lockout

SIASN_FIXERS = ("employee", "admin_instansi")  # a NIP or NIK wrong in SIASN: corrected there


def invalid_credentials(forgot_password_url: str) -> DomainError:
    """One answer for an unknown NIP, a wrong password and an account never activated, so that the
    password step tells nobody whether a NIP has an account: it names what to check for each cause
    (a typo in the NIP, a NIP not yet delivered by SIASN, no activation, a forgotten password).
    `forgot_password_url` is the web's "Lupa Password" page, the same for everyone."""
    fixed_by = ("you: check the NIP, activate the account or reset the password; the agency admin "
                "(BKD/BKPSDM) when the NIP is not in SIASN yet")
    fixed_by_id = ("Anda sendiri: periksa NIP, aktivasi akun, atau atur ulang kata sandi; admin instansi "
                   "(BKD/BKPSDM) jika NIP belum ada di SIASN")
    return DomainError(
        code="invalid-credentials", status=401, title="Sign-in failed",
        detail="The NIP or password is wrong: check the 18 digits of your NIP for a typo; if the NIP is right but "
               "not in SIASN yet, e-Kinerja cannot know it until the registry delivers it (do 'Sinkronisasi "
               "SIASN' in MyASN, or ask your agency admin (BKD/BKPSDM)). Never signed in? Activate your account "
               f"first. Forgot your password? Use 'Lupa Password': {forgot_password_url}",
        detail_id="NIP atau kata sandi salah: periksa 18 digit NIP Anda; jika NIP benar tetapi belum ada di SIASN, "
                  "e-Kinerja belum dapat mengenalinya sampai data kepegawaian mengirimkannya (lakukan "
                  "'Sinkronisasi SIASN' di MyASN, atau hubungi admin instansi (BKD/BKPSDM)). Belum pernah masuk? "
                  "Aktivasi akun terlebih dahulu. Lupa kata sandi? Gunakan 'Lupa Password': "
                  f"{forgot_password_url}",
        extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id, "fixers": list(SIASN_FIXERS),
               "forgot_password_url": forgot_password_url})


def locked(kind: str, retry_after: int, forgot_password_url: str | None = None) -> DomainError:
    """The per-NIP pause after repeated wrong passwords (or codes): counted for the NIP on every device
    and address, known account or not (so it says nothing about one). A password pause names 'Lupa
    Password', whose reset lifts it."""
    what, what_id = ("passwords", "kata sandi") if kind == "password" else ("authenticator codes", "kode autentikator")
    limit = (f"after {lockout.FREE_ATTEMPTS} or more wrong {what} in a row for this NIP, on any device or address "
             f"(each further wrong one doubles the pause, up to {lockout.MAX_DELAY // 60} minutes)")
    limit_id = (f"setelah {lockout.FREE_ATTEMPTS} kali atau lebih {what_id} salah berturut-turut untuk NIP ini, di "
                f"perangkat atau alamat mana pun (setiap kesalahan berikutnya menggandakan jeda, paling lama "
                f"{lockout.MAX_DELAY // 60} menit)")
    extra: dict[str, Any] = {"retry_after": retry_after, "scope": "nip"}
    if kind == "password":
        where = f" ({forgot_password_url})" if forgot_password_url else ""
        detail = (f"Sign-in with this NIP is paused for {retry_after} seconds, {limit}. Wait, or reset your "
                  f"password with 'Lupa Password'{where}: the reset also lifts the pause.")
        detail_id = (f"Masuk dengan NIP ini ditangguhkan selama {retry_after} detik, {limit_id}. Tunggu, atau atur "
                     f"ulang kata sandi dengan 'Lupa Password'{where}: atur ulang itu juga mencabut penangguhan.")
        if forgot_password_url:
            extra["forgot_password_url"] = forgot_password_url
        title, code = "Too many wrong passwords for this NIP", "login-locked"
    else:
        detail = (f"Two-step verification for this NIP is paused for {retry_after} seconds, {limit}. Lost your "
                  "authenticator? Use a recovery code, or ask your agency admin (BKD/BKPSDM) to reset your MFA.")
        detail_id = (f"Verifikasi dua langkah untuk NIP ini ditangguhkan selama {retry_after} detik, {limit_id}. "
                     "Kehilangan autentikator? Gunakan kode pemulihan, atau minta admin instansi (BKD/BKPSDM) "
                     "mengatur ulang MFA Anda.")
        title, code = "Too many wrong codes for this NIP", "mfa-locked"
    return DomainError(code=code, status=429, title=title, detail=detail, detail_id=detail_id, extra=extra)


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


def requests_limited(kind: str, retry_after: int, limit: int, window_seconds: int) -> DomainError:
    """The same answer for every NIP, known or not: beyond the limit nothing about the account is said.
    It names the NIP's own limit (not an address's: asking from another device does not help)."""
    what, what_id = ("activation", "aktivasi") if kind == "activation" else ("password-reset", "atur ulang kata sandi")
    minutes = max(1, -(-retry_after // 60))
    window = max(1, window_seconds // 60)
    return DomainError(
        code="nip-rate-limited", status=429, title="Too many requests for this NIP",
        detail=f"Too many {what} requests for this NIP: at most {limit} in {window} minutes per NIP, from any "
               f"device or address. Try again in {minutes} minute(s).",
        detail_id=f"Terlalu banyak permintaan {what_id} untuk NIP ini: paling banyak {limit} kali dalam {window} "
                  f"menit per NIP, dari perangkat atau alamat mana pun. Coba lagi dalam {minutes} menit.",
        extra={"retry_after": retry_after, "scope": "nip", "limit": limit, "window_seconds": window_seconds})


def password_wrong() -> DomainError:
    return DomainError(code="password-wrong", status=422, title="Current password is wrong",
                       detail="The current password is wrong.", detail_id="Kata sandi saat ini salah.",
                       errors=[FieldError("current_password", "matches", "The current password is wrong.",
                                          "Kata sandi saat ini salah.")])


def nik_not_matched() -> DomainError:
    """Activation or reset with a NIK that is not the one master data holds for the NIP, and the same
    answer for a NIP master data does not hold: precise about the pair (what to check, who corrects
    it in SIASN) without telling a stranger whether the NIP is registered. Only given within the
    NIP's request limit (attempts.py), so the ~10^4 NIKs a NIP leaves cannot be tried."""
    fixed_by = ("the employee: check both numbers; if they are right, match the NIK in MyASN (menu 'Data "
                "Matching' / 'Pemadanan Data') and do 'Sinkronisasi SIASN'; if it stays wrong, the agency admin "
                "(BKD/BKPSDM) corrects the NIK or the NIP in SIASN")
    fixed_by_id = ("pegawai yang bersangkutan: periksa kedua nomor; jika sudah benar, padankan NIK di MyASN (menu "
                   "'Pemadanan Data') lalu lakukan 'Sinkronisasi SIASN'; jika tetap salah, admin instansi "
                   "(BKD/BKPSDM) membetulkan NIK atau NIP di SIASN")
    return DomainError(
        code="nik-not-matched", status=403, title="NIP and NIK do not match the master data",
        detail="This NIP and NIK are not recorded together in the master data (SIASN). Check both for a typo: the "
               "NIP has 18 digits, the NIK the 16 digits of your KTP. If both are right, SIASN holds another NIK "
               f"for this NIP, or does not have this NIP yet. Who can fix it: {fixed_by}.",
        detail_id="NIP dan NIK ini tidak tercatat bersama di data induk (SIASN). Periksa keduanya dari salah ketik: "
                  "NIP 18 digit, NIK 16 digit sesuai KTP Anda. Jika keduanya benar, SIASN mencatat NIK lain untuk "
                  f"NIP ini, atau belum memiliki NIP ini. Yang dapat memperbaiki: {fixed_by_id}.",
        errors=[FieldError("nik", "nip-nik-pair", "This NIK is not the one recorded with this NIP.",
                           "NIK ini bukan NIK yang tercatat untuk NIP ini.")],
        extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id, "fixers": list(SIASN_FIXERS)})


def email_not_matched(kind: str, registered: str | None) -> DomainError:
    """Activation or reset with the right NIP and NIK (who asks is proven) but another email than master
    data's, where the link must go: say so, show the recorded address masked (`registered`, already
    masked; None when none is recorded) so the person knows which inbox to open, and who corrects it,
    rather than send nothing in silence."""
    link, link_id = ("activation", "aktivasi") if kind == "activation" else ("password-reset", "atur ulang kata sandi")
    fixed_by = ("the employee: use the email recorded in MyASN; if it is wrong or no longer used, correct it "
                "there, then the agency admin (BKD/BKPSDM) syncs it or corrects it in e-Kinerja")
    fixed_by_id = ("pegawai yang bersangkutan: gunakan email yang tercatat di MyASN; jika salah atau tidak dipakai "
                   "lagi, perbaiki di sana, lalu admin instansi (BKD/BKPSDM) menyinkronkan atau membetulkannya di "
                   "e-Kinerja")
    if registered:
        recorded = f"The recorded one is {registered}."
        recorded_id = f"Email yang tercatat: {registered}."
    else:
        recorded = "No email is recorded for this NIP, so no link can be sent."
        recorded_id = "Belum ada email yang tercatat untuk NIP ini, sehingga tautan tidak dapat dikirim."
    return DomainError(
        code="email-not-matched", status=403, title="The email is not the one in master data",
        detail=f"NIP and NIK match, but this email is not the one recorded in the master data, where the {link} "
               f"link is sent. {recorded} Who can fix it: {fixed_by}.",
        detail_id=f"NIP dan NIK cocok, tetapi email ini bukan email yang tercatat di data induk, tempat tautan "
                  f"{link_id} dikirim. {recorded_id} Yang dapat memperbaiki: {fixed_by_id}.",
        errors=[FieldError("email", "matches-master-data", "Not the email recorded in the master data.",
                           "Bukan email yang tercatat di data induk.")],
        extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id, "fixers": ["employee", "admin_instansi"],
               "registered_email": registered})


def not_activated(activation_url: str) -> DomainError:
    """A password reset asked with the right NIP and NIK for an account that never set a password."""
    fixed_by = ("the employee: Aktivasi Akun with NIP, NIK and the email recorded in the master data, then the "
                "link in that email")
    fixed_by_id = ("pegawai yang bersangkutan: Aktivasi Akun dengan NIP, NIK, dan email yang tercatat di data "
                   "induk, lalu tautan di email tersebut")
    return DomainError(
        code="account-not-activated", status=403, title="The account is not activated yet",
        detail="NIP and NIK match, but this account has never been activated, so there is no password to reset. "
               f"Activate it first: {activation_url}. Who can fix it: {fixed_by}.",
        detail_id="NIP dan NIK cocok, tetapi akun ini belum pernah diaktivasi, sehingga belum ada kata sandi yang "
                  f"dapat diatur ulang. Aktivasi terlebih dahulu: {activation_url}. Yang dapat memperbaiki: "
                  f"{fixed_by_id}.",
        extra={"fixed_by": fixed_by, "fixed_by_id": fixed_by_id, "fixers": ["employee"],
               "activation_url": activation_url})


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
