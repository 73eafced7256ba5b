"""The steps of a "Login with ASN Digital" sign-in, as identity keeps them (plain rules, no storage).

A flow starts from an authorization request, is bound to one browser by a random value that only
that browser's cookie holds, and lives FLOW_SECONDS. It moves only on what identity verified itself:

    password ──▶ mfa ──▶ consent ──▶ verified ──▶ done (one code was issued)
       │  └──────┴──────────┼──────────▲   └──▶ denied (the user said no)
       └──▶ ended           └──────────┘ (no consent needed: first-party client, or already given)
           (the account must set up TOTP first)

A step on a flow that is unknown, expired, over, or bound to another browser is refused with one
answer (`oidc-flow-invalid`), so a probe learns nothing; a flow presented by another browser is
ended as well, since its id has leaked. A step asked of a flow that is at another step is refused
(`oidc-flow-step`): nothing can skip the password, the TOTP code or the consent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from ekinerja_kernel.errors import DomainError

FLOW_SECONDS = 600
MAX_FLOWS_PER_BROWSER = 5  # sign-ins in progress in one browser (tabs); the oldest one gives way
MIN_RANDOM_LENGTH = 22  # characters of URL-safe base64: 128 bits at least
MAX_RANDOM_LENGTH = 128

PASSWORD, MFA, CONSENT, VERIFIED = "password", "mfa", "consent", "verified"
DONE, DENIED, ENDED = "done", "denied", "ended"
OPEN_STEPS = (PASSWORD, MFA, CONSENT, VERIFIED)


@dataclass(frozen=True)
class Flow:
    step: str
    expires_at: dt.datetime
    nip: str | None = None
    amr: tuple[str, ...] = ()
    auth_time: int | None = None


# --- refusals ------------------------------------------------------------------------------------

def flow_invalid() -> DomainError:
    return DomainError(code="oidc-flow-invalid", status=400, title="Sign-in expired",
                       detail="This sign-in page has expired or was already used. Go back to the application "
                              "and start signing in again.",
                       detail_id="Halaman masuk ini sudah kedaluwarsa atau sudah dipakai. Kembali ke aplikasi "
                                 "dan mulai masuk lagi.")


def step_refused(step: str) -> DomainError:
    return DomainError(code="oidc-flow-step", status=409, title="Not this step of the sign-in",
                       detail=f"This sign-in is at the '{step}' step: finish that step first.",
                       detail_id=f"Proses masuk ini berada pada langkah '{step}': selesaikan langkah itu dahulu.",
                       extra={"step": step})


def enrollment_required() -> DomainError:
    return DomainError(code="mfa-enrollment-required", status=403, title="Set up two-step verification first",
                       detail="Your account must use an authenticator app (TOTP). Sign in to the e-Kinerja app once "
                              "to set it up, then come back to this application.",
                       detail_id="Akun Anda wajib memakai aplikasi autentikator (TOTP). Masuk ke aplikasi e-Kinerja "
                                 "sekali untuk mengaktifkannya, lalu kembali ke aplikasi ini.")


# --- rules -----------------------------------------------------------------------------------------

def unguessable(value: object) -> bool:
    """The shape of a flow id or a browser binding: a random URL-safe value of at least 128 bits
    (identity makes flow ids of 256 bits, the gateway bindings of 256 bits)."""
    return (isinstance(value, str) and MIN_RANDOM_LENGTH <= len(value) <= MAX_RANDOM_LENGTH and value.isascii()
            and all(c.isalnum() or c in "-_" for c in value))


def usable(flow: Flow | None, same_browser: bool, now: dt.datetime) -> Flow:
    """The flow, if this browser may go on with it; else the one refusal for every reason."""
    if flow is None or not same_browser or flow.step not in OPEN_STEPS or flow.expires_at <= now:
        raise flow_invalid()
    return flow


def at_step(flow: Flow, step: str) -> Flow:
    if flow.step != step:
        raise step_refused(flow.step)
    return flow


def consent_needed(first_party: bool, prompt: str | None, asked: list[str], granted: list[str]) -> bool:
    """A client that is not first-party needs the user's consent to every scope it asks for; a
    `prompt=consent` asks again even when it was given before."""
    if first_party:
        return False
    return "consent" in (prompt or "").split() or not set(asked) <= set(granted)


def after_password(flow: Flow, nip: str, auth_time: int, mfa_enrolled: bool, needs_consent: bool) -> Flow:
    """The password was right (identity checked it): next the TOTP code if the account has one."""
    at_step(flow, PASSWORD)
    proven = replace(flow, nip=nip, auth_time=auth_time, amr=("pwd",))
    if mfa_enrolled:
        return replace(proven, step=MFA)
    return replace(proven, step=CONSENT if needs_consent else VERIFIED)


def after_second_factor(flow: Flow, needs_consent: bool) -> Flow:
    """The TOTP or recovery code was right (identity checked it)."""
    at_step(flow, MFA)
    return replace(flow, amr=("pwd", "otp"), step=CONSENT if needs_consent else VERIFIED)


def after_consent(flow: Flow, allow: bool) -> Flow:
    at_step(flow, CONSENT)
    return replace(flow, step=VERIFIED if allow else DENIED)


def after_code(flow: Flow) -> Flow:
    """Only a verified flow gives a code, and only one."""
    at_step(flow, VERIFIED)
    if not flow.nip or flow.auth_time is None or "pwd" not in flow.amr:
        raise step_refused(flow.step)  # cannot happen through the steps above; refuse rather than trust
    return replace(flow, step=DONE)


def ended(flow: Flow) -> Flow:
    return replace(flow, step=ENDED)
