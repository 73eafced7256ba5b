"""The HTML sign-in of "Login with ASN Digital", kept by identity as flows (rules: domain/oidc_flow.py).

The gateway runs the OAuth pages but decides nothing about who signed in: its cookie holds a random
browser binding, its forms a flow id, and each step is an RPC here that checks the binding, checks
that the flow is at that step, verifies the password or the TOTP code itself, and records the
result in the flow's row. A code is stored only for a flow that reached `verified`, for the user,
methods and time recorded in that row, and only once.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.events import as_utc, utcnow

from . import handlers, oidc, webpages
from . import repository as repo
from .domain import oidc_flow, problems
from .domain.identifiers import require_shapes
from .domain.oidc_flow import Flow
from .domain.totp import secret_hash
from .tables import oidc_flows

MAX_PARAMS = 16
MAX_PARAM_CHARS = 2000  # a redirect URI may be that long (oidc.redirect_uri_problem); the rest far less
MAX_CODE_CHARS = 256

Context = RequestContext


def _refused_params() -> DomainError:
    return validation_error([FieldError("params", "authorization-request",
                                        f"At most {MAX_PARAMS} authorization parameters, each a string of at most "
                                        f"{MAX_PARAM_CHARS} characters.",
                                        f"Paling banyak {MAX_PARAMS} parameter otorisasi, masing-masing teks paling "
                                        f"panjang {MAX_PARAM_CHARS} karakter.")])


def _flow(row: Any) -> Flow:
    return Flow(step=row.step, expires_at=as_utc(row.expires_at), nip=row.nip, amr=tuple(row.amr or ()),
                auth_time=row.auth_time)


def _save(s: Session, row: Any, flow: Flow) -> None:
    s.execute(update(oidc_flows).where(oidc_flows.c.flow_hash == row.flow_hash)
              .values(step=flow.step, nip=flow.nip, amr=list(flow.amr), auth_time=flow.auth_time))


def _bound(s: Session, ctx: Context, flow_id: Any, browser: Any) -> tuple[Any, Flow]:
    """The flow `flow_id`, if it is open and was started by this browser. A flow shown by another
    browser is ended (its id leaked), in the transaction that the refusal commits."""
    row = None
    if oidc_flow.unguessable(flow_id):
        row = s.execute(select(oidc_flows).where(oidc_flows.c.flow_hash == secret_hash(flow_id))
                        .with_for_update()).first()
    same = (row is not None and oidc_flow.unguessable(browser)
            and secrets.compare_digest(row.browser_hash, secret_hash(browser)))
    if row is not None and not same and row.step in oidc_flow.OPEN_STEPS:
        _save(s, row, oidc_flow.ended(_flow(row)))
        oidc.audit(s, ctx, "oidc.flow_refused", "refused", nip=row.nip, client_id=row.client_id,
                   reason="another-browser", step=row.step)
    return row, oidc_flow.usable(_flow(row) if row is not None else None, same, utcnow())


def _view(s: Session, flow_id: str, row: Any, flow: Flow) -> dict[str, Any]:
    client = oidc.client_row(s, row.client_id)
    return {"flow": flow_id, "step": flow.step, "client_id": row.client_id,
            "client_name": client.name if client is not None else row.client_id, "params": dict(row.params),
            "nip": flow.nip, "expires_in": max(0, int((flow.expires_at - utcnow()).total_seconds()))}


def _needs_consent(s: Session, row: Any, nip: str) -> bool:
    client = oidc.client_row(s, row.client_id)
    if client is None:
        raise oidc_flow.flow_invalid()  # the application was removed while its user signed in
    asked = oidc.scope_list(row.params.get("scope"))
    return oidc_flow.consent_needed(bool(client.first_party), row.params.get("prompt"), asked,
                                    oidc.granted_scopes(s, nip, row.client_id))


def _proven(s: Session, ctx: Context, row: Any, flow: Flow) -> None:
    """The user is who they say (password, and TOTP where enrolled): audited like any sign-in, without
    an e-Kinerja session (the application gets its own tokens)."""
    assert flow.nip is not None  # set by the password step, which comes first
    account = repo.account(s, flow.nip)
    oidc.audit(s, ctx, "login.succeeded", "ok", nip=flow.nip, agency_id=account.agency_id if account else None,
               amr=list(flow.amr), via="oidc", client_id=row.client_id)


# --- the steps -------------------------------------------------------------------------------------

def start(factory: sessionmaker[Session], ctx: Context, browser: str, params: dict[str, Any]) -> dict[str, Any]:
    """Open a sign-in for an authorization request (already validated by the gateway's protocol code,
    checked again here), bound to `browser`. Returns the new flow's id, once."""
    if not oidc_flow.unguessable(browser):
        raise validation_error([FieldError("browser", "binding",
                                           "The browser binding must be a random URL-safe value of 22 to 128 "
                                           "characters.",
                                           "Pengikat peramban harus nilai acak aman-URL sepanjang 22 sampai 128 "
                                           "karakter.")])
    if (not isinstance(params, dict) or len(params) > MAX_PARAMS
            or not all(isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_PARAM_CHARS
                       for k, v in params.items())):
        raise _refused_params()
    with unit_of_work(factory) as s:
        client = oidc.client_row(s, params.get("client_id"))
        if client is None:
            raise oidc.request_invalid("The application is not registered.", "Aplikasi ini tidak terdaftar.")
        if params.get("response_type") != "code":
            raise oidc.request_invalid("Only response_type=code is supported.",
                                       "Hanya response_type=code yang didukung.")
        oidc.check_request(client, params.get("redirect_uri"), params.get("scope"), params.get("code_challenge"),
                           params.get("code_challenge_method"))
        now = utcnow()
        s.execute(delete(oidc_flows).where(oidc_flows.c.expires_at <= now))
        browser_hash = secret_hash(browser)
        open_flows = s.execute(select(oidc_flows.c.flow_hash).where(oidc_flows.c.browser_hash == browser_hash)
                               .order_by(oidc_flows.c.created_at.desc())).scalars().all()
        stale = open_flows[oidc_flow.MAX_FLOWS_PER_BROWSER - 1:]
        if stale:
            s.execute(delete(oidc_flows).where(oidc_flows.c.flow_hash.in_(stale)))
        flow_id = secrets.token_urlsafe(32)
        s.execute(insert(oidc_flows).values(
            flow_hash=secret_hash(flow_id), browser_hash=browser_hash, client_id=client.client_id, params=dict(params),
            step=oidc_flow.PASSWORD, nip=None, amr=[], auth_time=None, created_at=now,
            expires_at=now + dt.timedelta(seconds=oidc_flow.FLOW_SECONDS)))
        row = s.execute(select(oidc_flows).where(oidc_flows.c.flow_hash == secret_hash(flow_id))).one()
        return _view(s, flow_id, row, _flow(row))


def get(factory: sessionmaker[Session], ctx: Context, flow_id: str, browser: str) -> dict[str, Any]:
    """Where this browser's sign-in stands (step, request, client, and the NIP once proven)."""
    def work(s: Session) -> dict[str, Any]:
        row, flow = _bound(s, ctx, flow_id, browser)
        return _view(s, flow_id, row, flow)

    return handlers._committing(factory, work)


def password(factory: sessionmaker[Session], ctx: Context, flow_id: str, browser: str, nip: str,
             password: str) -> dict[str, Any]:
    """The NIP and password step. Next: `mfa` for an account with TOTP, else `consent` or `verified`."""
    def work(s: Session) -> dict[str, Any]:
        row, flow = _bound(s, ctx, flow_id, browser)
        oidc_flow.at_step(flow, oidc_flow.PASSWORD)
        # The NIP's shape first (422 naming the 18-digit rule, the flow stays at this step), then the
        # password, as at login.
        require_shapes(nip)
        if not isinstance(password, str):
            raise problems.invalid_credentials(webpages.url(webpages.FORGOT_PASSWORD))
        account, cred = handlers.check_password(s, ctx, nip, password, via="oidc")
        enrolled = cred.mfa_confirmed_at is not None
        if not enrolled and handlers._mfa_required(s, account):
            _save(s, row, oidc_flow.ended(flow))
            raise oidc_flow.enrollment_required()
        # With TOTP, consent is looked at once the code is right (the account may change meanwhile).
        needs_consent = not enrolled and _needs_consent(s, row, nip)
        flow = oidc_flow.after_password(flow, nip, int(time.time()), enrolled, needs_consent)
        if flow.step != oidc_flow.MFA:
            _proven(s, ctx, row, flow)
        _save(s, row, flow)
        return _view(s, flow_id, row, flow)

    return handlers._committing(factory, work)


def second_factor(factory: sessionmaker[Session], ctx: Context, flow_id: str, browser: str, code: str | None = None,
                  recovery_code: str | None = None) -> dict[str, Any]:
    """The TOTP step (a current code, or one recovery code), with login's replay refusal and lockout."""
    def work(s: Session) -> dict[str, Any]:
        row, flow = _bound(s, ctx, flow_id, browser)
        oidc_flow.at_step(flow, oidc_flow.MFA)
        assert flow.nip is not None  # set by the password step, which comes first
        account, cred = repo.account(s, flow.nip), repo.credential(s, flow.nip)
        if account is None or cred is None or cred.mfa_secret is None:  # TOTP reset meanwhile: start again
            _save(s, row, oidc_flow.ended(flow))
            raise oidc_flow.flow_invalid()
        handlers._verify_second_factor(s, ctx, account, cred, code if isinstance(code, str) else None,
                                       recovery_code if isinstance(recovery_code, str) else None)
        flow = oidc_flow.after_second_factor(flow, _needs_consent(s, row, flow.nip))
        _proven(s, ctx, row, flow)
        _save(s, row, flow)
        return _view(s, flow_id, row, flow)

    return handlers._committing(factory, work)


def consent(factory: sessionmaker[Session], ctx: Context, flow_id: str, browser: str, decision: str) -> dict[str, Any]:
    """The user's answer on the consent page: `allow` records the consent (step `verified`), `deny`
    ends the flow (`denied`: the application is told access_denied)."""
    if decision not in ("allow", "deny"):
        raise validation_error([FieldError("decision", "one-of", "The decision is 'allow' or 'deny'.",
                                           "Keputusan berupa 'allow' atau 'deny'.")])

    def work(s: Session) -> dict[str, Any]:
        row, flow = _bound(s, ctx, flow_id, browser)
        flow = oidc_flow.after_consent(flow, decision == "allow")
        assert flow.nip is not None  # set by the password step, which comes first
        if decision == "allow":
            oidc.record_consent(s, ctx, flow.nip, row.client_id, row.params.get("scope") or "")
        else:
            account = repo.account(s, flow.nip)
            oidc.audit(s, ctx, "consent.denied", "ok", nip=flow.nip, agency_id=account.agency_id if account else None,
                       client_id=row.client_id)
        _save(s, row, flow)
        return _view(s, flow_id, row, flow)

    return handlers._committing(factory, work)


def issue_code(factory: sessionmaker[Session], ctx: Context, flow_id: str, browser: str, code: str) -> dict[str, Any]:
    """Keep the authorization code the gateway made for a `verified` flow, for the user, methods and
    time this flow recorded; the flow is then `done`, so no second code comes from it."""
    if not isinstance(code, str) or not 20 <= len(code) <= MAX_CODE_CHARS:
        raise validation_error([FieldError("code", "length", "The code is a string of 20 to 256 characters.",
                                           "Kode berupa teks 20 sampai 256 karakter.")])

    def work(s: Session) -> dict[str, Any]:
        row, flow = _bound(s, ctx, flow_id, browser)
        done = oidc_flow.after_code(flow)
        assert flow.nip is not None and flow.auth_time is not None  # after_code refuses a flow without them
        p = row.params
        saved = oidc.store_code(s, code, row.client_id, flow.nip, p.get("redirect_uri"), p.get("scope"),
                                p.get("nonce"), p.get("code_challenge"), p.get("code_challenge_method"),
                                flow.auth_time, list(flow.amr))
        _save(s, row, done)
        return saved

    return handlers._committing(factory, work)
