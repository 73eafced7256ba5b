"""The mails identity sends: Indonesian first, then English."""

from __future__ import annotations

from urllib.parse import quote

from ekinerja_kernel.config import env

from .domain.accounts import Account


def _web_url() -> str:
    # The web client's pages where a person sets the password (they read the token from the link).
    return env("EKINERJA_WEB_URL", "http://127.0.0.1:8080").rstrip("/")


def _link(page: str, token: str) -> str:
    return f"{_web_url()}/{page}?token={quote(token, safe='')}"


def activation(account: Account, token: str) -> tuple[str, str]:
    return ("Aktivasi akun e-Kinerja / e-Kinerja account activation", f"""Yth. {account.name} (NIP {account.nip}),

Untuk mengaktifkan akun e-Kinerja Anda, buat kata sandi dengan token berikut (berlaku 24 jam):

    {token}

Buka tautan ini untuk membuat kata sandi: {_link("aktivasi/konfirmasi", token)}
Jika Anda tidak meminta aktivasi, abaikan email ini.

---
To activate your e-Kinerja account, set a password with the token above (valid for 24 hours)
at {_link("aktivasi/konfirmasi", token)}. If you did not ask for this, ignore this mail.
""")


def already_active(account: Account) -> tuple[str, str]:
    subject = "Akun e-Kinerja sudah aktif / e-Kinerja account already active"
    return (subject, f"""Yth. {account.name} (NIP {account.nip}),

Akun Anda sudah aktif. Jika lupa kata sandi, gunakan 'Lupa Password'.

---
Your account is already active. If you forgot your password, use 'Forgot password'.
""")


def reset(account: Account, token: str) -> tuple[str, str]:
    return ("Atur ulang kata sandi e-Kinerja / e-Kinerja password reset", f"""Yth. {account.name} (NIP {account.nip}),

Untuk mengatur ulang kata sandi, gunakan token berikut (berlaku 1 jam):

    {token}

Buka tautan ini untuk membuat kata sandi baru: {_link("reset-password", token)}
Semua sesi Anda akan diakhiri. Jika Anda tidak meminta ini, abaikan email ini.

---
To reset your password, use the token above (valid for 1 hour) at
{_link("reset-password", token)}. All your sessions will end. If you did not ask for this,
ignore this mail.
""")
