"""The mails identity sends: Indonesian first, then English."""

from __future__ import annotations

from . import webpages
from .domain.accounts import Account


def _link(page: str, token: str) -> str:
    # The web's page where a person sets the password reads the token from the link.
    return webpages.url(page, token=token)


def activation(account: Account, token: str) -> tuple[str, str]:
    return ("Aktivasi akun e-Kinerja / e-Kinerja account activation", f"""Yth. {account.name} (NIP {account.nip}),

Untuk mengaktifkan akun e-Kinerja Anda, buat kata sandi dengan token berikut (berlaku 24 jam):

    {token}

Buka tautan ini untuk membuat kata sandi: {_link(webpages.ACTIVATION_CONFIRM, token)}
Jika Anda tidak meminta aktivasi, abaikan email ini.

---
To activate your e-Kinerja account, set a password with the token above (valid for 24 hours)
at {_link(webpages.ACTIVATION_CONFIRM, token)}. If you did not ask for this, ignore this mail.
""")


def already_active(account: Account) -> tuple[str, str]:
    subject = "Akun e-Kinerja sudah aktif / e-Kinerja account already active"
    return (subject, f"""Yth. {account.name} (NIP {account.nip}),

Akun Anda sudah aktif. Jika lupa kata sandi, gunakan 'Lupa Password': {webpages.url(webpages.FORGOT_PASSWORD)}

---
Your account is already active. If you forgot your password, use 'Lupa Password' (forgot password):
{webpages.url(webpages.FORGOT_PASSWORD)}
""")


def reset(account: Account, token: str) -> tuple[str, str]:
    return ("Atur ulang kata sandi e-Kinerja / e-Kinerja password reset", f"""Yth. {account.name} (NIP {account.nip}),

Untuk mengatur ulang kata sandi, gunakan token berikut (berlaku 1 jam):

    {token}

Buka tautan ini untuk membuat kata sandi baru: {_link(webpages.RESET_PASSWORD, token)}
Semua sesi Anda akan diakhiri. Jika Anda tidak meminta ini, abaikan email ini.

---
To reset your password, use the token above (valid for 1 hour) at
{_link(webpages.RESET_PASSWORD, token)}. All your sessions will end. If you did not ask for this,
ignore this mail.
""")
