"""The web client's pages identity sends people to, in mails and in its refusals: routes of
web/ekinerja_web/views/auth.py under EKINERJA_WEB_URL (where the web is served)."""

from __future__ import annotations

from urllib.parse import urlencode

from ekinerja_kernel.config import env

ACTIVATION = "aktivasi"  # NIP, NIK and email: asks for the activation mail
ACTIVATION_CONFIRM = "aktivasi/konfirmasi"  # the activation mail's link: sets the first password
FORGOT_PASSWORD = "lupa-password"  # "Lupa Password": asks for the reset mail
RESET_PASSWORD = "reset-password"  # the reset mail's link: sets a new password


def base_url() -> str:
    return env("EKINERJA_WEB_URL", "http://127.0.0.1:8080").rstrip("/")


def url(page: str, **query: str) -> str:
    return f"{base_url()}/{page}" + (f"?{urlencode(query)}" if query else "")
