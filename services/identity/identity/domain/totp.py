"""TOTP (RFC 6238) with ±1 step of clock drift and replay protection, and recovery codes."""

from __future__ import annotations

import hashlib
import secrets

import pyotp

STEP = 30
DRIFT_STEPS = 1
ISSUER = "e-Kinerja"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, nip: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=nip, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step the code belongs to, if valid and newer than the last accepted one."""
    if not (isinstance(code, str) and code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            if last_step is not None and step <= last_step:
                return None  # replay: this code (or a later one) was already used
            return step
    return None


def new_recovery_codes(count: int = 10) -> list[str]:
    return [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(count)]


def code_hash(code: str) -> str:
    """Recovery codes carry 64 bits of randomness: a plain SHA-256 is enough (case and spaces ignored)."""
    return secret_hash(code.strip().lower())


def secret_hash(value: str) -> str:
    """How tokens, tickets and codes are stored: never the value itself."""
    return hashlib.sha256(value.encode()).hexdigest()
