"""Identity use cases, each given a session factory and the request's context (no nameko here)."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from typing import Any

import segno
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import ADMIN_ROLES, RequestContext, forbidden, require
from ekinerja_kernel.config import env, env_int
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, not_found
from ekinerja_kernel.events import as_utc, parse_time, utcnow
from ekinerja_kernel.inbox import first_delivery
from ekinerja_kernel.mail import queue_mail

from . import keys, mail, webpages
from . import repository as repo
from .domain import attempts, lockout, problems, totp
from .domain.accounts import Account, login_blockers, masked_email, roles
from .domain.identifiers import require_shapes
from .domain.passwords import hash_password, require_policy, verify_password
from .tables import inbox, mail_queue, mail_tokens, recovery_codes, refresh_tokens, sessions, tickets, trusted_devices

TICKET_SECONDS = {"mfa": 300, "enroll": 600}
FRESH_LOGIN_SECONDS = 600
MAIL_TOKEN_SECONDS = {"activation": 24 * 3600, "reset": 3600}


def refresh_seconds() -> int:
    return env_int("REFRESH_TOKEN_DAYS", 30) * 86400


def session_seconds() -> int:
    return env_int("SESSION_MAX_DAYS", 180) * 86400


def mfa_required_roles() -> set[str]:
    return {r.strip() for r in env("MFA_REQUIRED_ROLES", "admin_instansi,admin_nasional").split(",") if r.strip()}


Context = RequestContext


def _audit(s: Session, ctx: Context, type_: str, outcome: str, nip: str | None = None,
           agency_id: str | None = None, **detail: Any) -> None:
    repo.audit(s, type_, outcome, nip=nip, actor_nip=ctx.caller.nip if ctx.caller else None,
               agency_id=agency_id, ip=ctx.ip, request_id=ctx.request_id, detail=detail or None)


# --- master data read-copy -------------------------------------------------------------------

def on_masterdata_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    kind, data = envelope["type"], envelope["data"]
    with unit_of_work(factory) as s:
        if not first_delivery(s, inbox, envelope):
            return
        if kind == "ekinerja.employee.upserted.v1":
            repo.save_account(s, {
                "nip": data["nip"], "nik": data.get("nik"), "name": data["name"], "email": data.get("email"),
                "status": data["status"], "agency_id": data.get("agency_id"), "unit_id": data.get("unit_id"),
                "position_id": data.get("position_id"), "supervisor_nip": data.get("supervisor_nip"),
                "extra_roles": list(data.get("roles") or [])})
            if data["status"] != "active" and repo.revoke_sessions(s, data["nip"], "deactivated"):
                repo.audit(s, "session.revoked", "ok", nip=data["nip"], agency_id=data.get("agency_id"),
                           detail={"reason": "deactivated"})
        elif kind == "ekinerja.employee.deactivated.v1":
            revoked = repo.revoke_sessions(s, data["nip"], "deactivated")
            repo.audit(s, "account.deactivated", "ok", nip=data["nip"], agency_id=data.get("agency_id"),
                       detail={"sessions_revoked": len(revoked)})
        elif kind == "ekinerja.employee.diagnosed.v1":
            repo.save_findings(s, data, parse_time(data["checked_at"]))
        # Anything else is acknowledged and ignored: a queue declared by an older release may still
        # be bound to ekinerja.unit.# (the broker keeps bindings), and units are no longer kept here.


# --- tokens and sessions ---------------------------------------------------------------------

def _claims(s: Session, account: Account, sid: str, amr: list[str], auth_time: int) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": keys.issuer(), "aud": keys.AUDIENCE, "sub": account.nip, "iat": now,
            "exp": now + keys.access_ttl(), "auth_time": auth_time, "sid": sid, "amr": amr,
            "roles": roles(account, repo.has_subordinates(s, account.nip)), "agency_id": account.agency_id,
            "unit_id": account.unit_id, "name": account.name, "jti": uuid.uuid4().hex}


def _issue_refresh(s: Session, sid: str) -> str:
    token = secrets.token_urlsafe(32)
    s.execute(insert(refresh_tokens).values(token_hash=totp.secret_hash(token), session_id=sid, issued_at=utcnow(),
                                            expires_at=repo.later(refresh_seconds())))
    return token


def _authenticated(s: Session, account: Account, sid: str, amr: list[str], auth_time: int) -> dict[str, Any]:
    return {"status": "authenticated", "access_token": keys.sign(s, _claims(s, account, sid, amr, auth_time)),
            "token_type": "Bearer", "expires_in": keys.access_ttl(), "refresh_token": _issue_refresh(s, sid),
            "refresh_expires_in": refresh_seconds(), "session_id": sid}


def _start_session(s: Session, ctx: Context, account: Account, amr: list[str], auth_time: int,
                   device_name: str | None) -> dict[str, Any]:
    sid = str(uuid.uuid4())
    now = utcnow()
    s.execute(insert(sessions).values(id=sid, nip=account.nip, device_name=(device_name or "")[:200] or None,
                                      user_agent=(ctx.user_agent or "")[:400] or None, ip=ctx.ip, amr=amr,
                                      auth_time=auth_time, created_at=now, last_used_at=now,
                                      expires_at=repo.later(session_seconds())))
    _audit(s, ctx, "login.succeeded", "ok", nip=account.nip, agency_id=account.agency_id, amr=amr, session=sid)
    return _authenticated(s, account, sid, amr, auth_time)


def _ticket(s: Session, nip: str, kind: str, auth_time: int, device_name: str | None) -> dict[str, Any]:
    value = secrets.token_urlsafe(32)
    s.execute(insert(tickets).values(ticket_hash=totp.secret_hash(value), nip=nip, kind=kind, auth_time=auth_time,
                                     device_name=device_name, expires_at=repo.later(TICKET_SECONDS[kind])))
    name = "mfa_ticket" if kind == "mfa" else "enrollment_ticket"
    status = "mfa_required" if kind == "mfa" else "mfa_enrollment_required"
    return {"status": status, name: value, "expires_in": TICKET_SECONDS[kind]}


def _use_ticket(s: Session, value: str | None, kind: str) -> Any:
    row = s.execute(select(tickets).where(tickets.c.ticket_hash == totp.secret_hash(value or ""),
                                          tickets.c.kind == kind).with_for_update()).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        raise problems.ticket_invalid()
    return row


def _check_guard(s: Session, ctx: Context, nip: str, factor: str, agency_id: str | None) -> lockout.Guard:
    g = repo.guard(s, nip, factor)
    wait = lockout.retry_after(g, utcnow())
    if wait:
        _audit(s, ctx, "login.locked" if factor == "password" else "mfa.locked", "refused", nip=nip,
               agency_id=agency_id, retry_after=wait)
        raise problems.locked(factor, wait, webpages.url(webpages.FORGOT_PASSWORD))
    return g


def _mfa_required(s: Session, account: Account) -> bool:
    agency_required, _ = repo.policy(s, account.agency_id)
    account_roles = set(roles(account, repo.has_subordinates(s, account.nip)))
    return agency_required or bool(account_roles & mfa_required_roles())


def _device_trusted(s: Session, nip: str, device_token: str | None) -> bool:
    if not device_token:
        return False
    row = s.execute(select(trusted_devices).where(trusted_devices.c.token_hash == totp.secret_hash(device_token),
                                                  trusted_devices.c.nip == nip)).first()
    return row is not None and as_utc(row.expires_at) > utcnow()


def _committing(factory: sessionmaker[Session], work):
    """Run `work(session)` in one transaction that commits even when it refuses the request,
    so failure counters and audit lines are kept; the refusal is raised after the commit."""
    refusal: DomainError | None = None
    result = None
    with unit_of_work(factory) as s:
        try:
            result = work(s)
        except DomainError as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    return result


def check_password(s: Session, ctx: Context, nip: str, password: str, **audited: Any) -> tuple[Account, Any]:
    """The account and credential of `nip` if `password` is theirs and nothing in master data stops
    them; else the refusal (one answer for an unknown NIP and a wrong password, the per-NIP lockout
    counted, the diagnosis finding that blocks sign-in). `audited` goes into the audit lines (the
    OIDC sign-in says `via="oidc"`). A malformed NIP is refused first (422, the 18-digit rule): it
    cannot be anybody's, so that answer tells nothing about who has an account, and it counts nothing."""
    require_shapes(nip)
    account = repo.account(s, nip)
    agency_id = account.agency_id if account else None
    g = _check_guard(s, ctx, nip, "password", agency_id)
    cred = repo.credential(s, nip) if account else None
    if not verify_password(cred.password_hash if cred else None, password):
        repo.save_guard(s, nip, "password", lockout.after_failure(g, utcnow()))
        _audit(s, ctx, "login.failed", "refused", nip=nip, agency_id=agency_id, reason="credentials", **audited)
        raise problems.invalid_credentials(webpages.url(webpages.FORGOT_PASSWORD))
    repo.save_guard(s, nip, "password", lockout.Guard())
    assert account is not None and cred is not None  # verify_password refuses a missing credential
    blockers = login_blockers(account, repo.findings(s, nip))
    if blockers:
        _audit(s, ctx, "login.failed", "refused", nip=nip, agency_id=agency_id, reason=blockers[0].code, **audited)
        raise blockers[0]
    return account, cred


def login(factory: sessionmaker[Session], ctx: Context, nip: str, password: str, device_name: str | None = None,
          device_token: str | None = None) -> dict[str, Any]:
    def work(s: Session) -> dict[str, Any]:
        account, cred = check_password(s, ctx, nip, password)
        auth_time = int(time.time())
        if cred.mfa_confirmed_at is not None:
            if _device_trusted(s, nip, device_token):
                return _start_session(s, ctx, account, ["pwd", "device"], auth_time, device_name)
            return _ticket(s, nip, "mfa", auth_time, device_name)
        if _mfa_required(s, account):
            return _ticket(s, nip, "enroll", auth_time, device_name)
        return _start_session(s, ctx, account, ["pwd"], auth_time, device_name)

    return _committing(factory, work)


def _verify_second_factor(s: Session, ctx: Context, account: Account, cred: Any, code: str | None,
                          recovery_code: str | None) -> None:
    g = _check_guard(s, ctx, account.nip, "totp", account.agency_id)
    ok = False
    if recovery_code:
        row = s.execute(select(recovery_codes).where(recovery_codes.c.code_hash == totp.code_hash(recovery_code),
                                                     recovery_codes.c.nip == account.nip,
                                                     recovery_codes.c.used_at.is_(None))).first()
        if row is not None:
            s.execute(update(recovery_codes).where(recovery_codes.c.code_hash == row.code_hash)
                      .values(used_at=utcnow()))
            ok = True
    elif code:
        step = totp.matching_step(cred.mfa_secret, code, time.time(), cred.mfa_last_step)
        if step is not None:
            repo.set_credential(s, account.nip, mfa_last_step=step)
            ok = True
    if not ok:
        repo.save_guard(s, account.nip, "totp", lockout.after_failure(g, utcnow()))
        _audit(s, ctx, "mfa.failed", "refused", nip=account.nip, agency_id=account.agency_id,
               method="recovery" if recovery_code else "totp")
        raise problems.mfa_invalid()
    repo.save_guard(s, account.nip, "totp", lockout.Guard())


def verify_mfa(factory: sessionmaker[Session], ctx: Context, mfa_ticket: str, code: str | None = None,
               recovery_code: str | None = None, trust_device: bool = False,
               device_name: str | None = None) -> dict[str, Any]:
    def work(s: Session) -> dict[str, Any]:
        ticket = _use_ticket(s, mfa_ticket, "mfa")
        account = repo.account(s, ticket.nip)
        cred = repo.credential(s, ticket.nip)
        if account is None or cred is None or cred.mfa_secret is None:
            raise problems.ticket_invalid()
        _verify_second_factor(s, ctx, account, cred, code, recovery_code)
        s.execute(update(tickets).where(tickets.c.ticket_hash == ticket.ticket_hash).values(used_at=utcnow()))
        result = _start_session(s, ctx, account, ["pwd", "otp"], ticket.auth_time, device_name or ticket.device_name)
        _, days = repo.policy(s, account.agency_id)
        if trust_device and days > 0:
            device_token = secrets.token_urlsafe(32)
            s.execute(insert(trusted_devices).values(token_hash=totp.secret_hash(device_token), nip=account.nip,
                                                     created_at=utcnow(), expires_at=repo.later(days * 86400)))
            result.update(device_token=device_token, device_token_expires_in=days * 86400)
        return result

    return _committing(factory, work)


def refresh(factory: sessionmaker[Session], ctx: Context, refresh_token: str) -> dict[str, Any]:
    def work(s: Session) -> dict[str, Any]:
        row = s.execute(select(refresh_tokens).where(
            refresh_tokens.c.token_hash == totp.secret_hash(refresh_token or "")).with_for_update()).first()
        if row is None:
            raise problems.refresh_invalid()
        sess = s.execute(select(sessions).where(sessions.c.id == row.session_id)).first()
        assert sess is not None  # session_id is a foreign key, and sessions are never deleted
        if row.used_at is not None:
            # A refresh token is used once; seeing it again means it was copied: end the whole session.
            if repo.revoke_sessions(s, sess.nip, "refresh-reuse", only=sess.id):
                _audit(s, ctx, "session.revoked", "ok", nip=sess.nip, reason="refresh-reuse", session=sess.id)
            raise problems.refresh_invalid()
        account = repo.account(s, sess.nip)
        if (sess.revoked_at is not None or as_utc(sess.expires_at) < utcnow() or as_utc(row.expires_at) < utcnow()
                or account is None or account.status != "active"):
            raise problems.refresh_invalid()
        s.execute(update(refresh_tokens).where(refresh_tokens.c.token_hash == row.token_hash).values(used_at=utcnow()))
        s.execute(update(sessions).where(sessions.c.id == sess.id).values(last_used_at=utcnow()))
        return _authenticated(s, account, sess.id, list(sess.amr), sess.auth_time)

    return _committing(factory, work)


def logout(factory: sessionmaker[Session], ctx: Context) -> dict[str, Any]:
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        if caller.sid and repo.revoke_sessions(s, caller.nip, "logout", only=caller.sid):
            _audit(s, ctx, "session.revoked", "ok", nip=caller.nip, agency_id=caller.agency_id, reason="logout")
    return {"status": "logged_out"}


def revoked_sessions(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Every session ended recently enough that an access token of it may still be valid, each with the
    time after which none can be: what a gateway worker loads when it (re)connects to the
    session.revoked events, so that it misses none ended while it was not listening."""
    now = utcnow()
    with factory() as s:
        ended = repo.recently_revoked(s, now)
    return {"as_of": now.isoformat(), "sessions": [{"sid": e["sid"], "until": e["until"].isoformat()} for e in ended]}


def list_sessions(factory: sessionmaker[Session], ctx: Context) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        rows = s.execute(select(sessions).where(sessions.c.nip == caller.nip, sessions.c.revoked_at.is_(None),
                                                sessions.c.expires_at > utcnow())
                         .order_by(sessions.c.last_used_at.desc())).all()
    return {"sessions": [{"id": r.id, "device_name": r.device_name, "user_agent": r.user_agent, "ip": r.ip,
                          "created_at": as_utc(r.created_at).isoformat(),
                          "last_used_at": as_utc(r.last_used_at).isoformat(), "current": r.id == caller.sid}
                         for r in rows]}


def revoke_session(factory: sessionmaker[Session], ctx: Context, session_id: str) -> dict[str, Any]:
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        if not repo.revoke_sessions(s, caller.nip, "revoked-by-user", only=session_id):
            raise not_found("session", "Sesi", session_id)
        _audit(s, ctx, "session.revoked", "ok", nip=caller.nip, agency_id=caller.agency_id, session=session_id)
    return {"status": "revoked"}


# --- MFA enrolment ---------------------------------------------------------------------------

def _enrolling_nip(s: Session, ctx: Context, enrollment_ticket: str | None) -> tuple[str, Any]:
    if enrollment_ticket:
        ticket = _use_ticket(s, enrollment_ticket, "enroll")
        cred = repo.credential(s, ticket.nip)
        if cred is not None and cred.mfa_confirmed_at is not None:
            raise problems.ticket_invalid()  # enrolled since the ticket was given: replacing needs the code
        return ticket.nip, ticket
    caller = require(ctx.caller)
    if "pwd" not in caller.amr or not caller.auth_time or time.time() - caller.auth_time > FRESH_LOGIN_SECONDS:
        raise problems.fresh_login_required()
    return caller.nip, None


def mfa_enroll(factory: sessionmaker[Session], ctx: Context, enrollment_ticket: str | None = None,
               code: str | None = None, recovery_code: str | None = None) -> dict[str, Any]:
    """A new secret to confirm. Replacing an enrolled authenticator also needs a current code of it
    or a recovery code (checked like a sign-in: counted, locked out, replay refused)."""
    def work(s: Session) -> tuple[str, str]:
        nip, ticket = _enrolling_nip(s, ctx, enrollment_ticket)
        cred = repo.credential(s, nip)
        if ticket is None and cred is not None and cred.mfa_confirmed_at is not None:
            account = repo.account(s, nip)
            if account is None:
                raise not_found("account", "Akun", nip)
            if not code and not recovery_code:
                _audit(s, ctx, "mfa.enrolled", "refused", nip=nip, agency_id=account.agency_id,
                       reason="current-factor-missing")
                raise problems.mfa_proof_required()
            _verify_second_factor(s, ctx, account, cred, code, recovery_code)
        secret = totp.new_secret()
        repo.set_credential(s, nip, mfa_pending_secret=secret)
        return nip, secret

    nip, secret = _committing(factory, work)
    uri = totp.provisioning_uri(secret, nip)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": segno.make(uri, error="m").svg_inline(scale=4)}


def mfa_confirm(factory: sessionmaker[Session], ctx: Context, code: str,
                enrollment_ticket: str | None = None) -> dict[str, Any]:
    def work(s: Session) -> dict[str, Any]:
        nip, ticket = _enrolling_nip(s, ctx, enrollment_ticket)
        account = repo.account(s, nip)
        cred = repo.credential(s, nip)
        step = totp.matching_step(cred.mfa_pending_secret, code, time.time(), None) \
            if cred is not None and cred.mfa_pending_secret else None
        if step is None:
            _audit(s, ctx, "mfa.enrolled", "refused", nip=nip, agency_id=account.agency_id if account else None)
            raise problems.mfa_invalid()
        repo.clear_mfa(s, nip)
        repo.set_credential(s, nip, mfa_secret=cred.mfa_pending_secret, mfa_confirmed_at=utcnow(), mfa_last_step=step)
        codes = totp.new_recovery_codes()
        for c in codes:
            s.execute(insert(recovery_codes).values(code_hash=totp.code_hash(c), nip=nip, used_at=None))
        _audit(s, ctx, "mfa.enrolled", "ok", nip=nip, agency_id=account.agency_id if account else None)
        result: dict[str, Any] = {"recovery_codes": codes}
        if ticket is not None:
            assert account is not None  # a ticket is given at sign-in only, and accounts are never deleted
            s.execute(update(tickets).where(tickets.c.ticket_hash == ticket.ticket_hash).values(used_at=utcnow()))
            result.update(_start_session(s, ctx, account, ["pwd", "otp"], ticket.auth_time, ticket.device_name))
        return result

    return _committing(factory, work)


def admin_reset_mfa(factory: sessionmaker[Session], ctx: Context, nip: str) -> dict[str, Any]:
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        account = repo.account(s, nip)
        if account is None or not caller.administers(account.agency_id):
            raise not_found("account in your agency", "Akun di instansi Anda", nip)
        repo.clear_mfa(s, nip)
        _audit(s, ctx, "mfa.reset", "ok", nip=nip, agency_id=account.agency_id)
    return {"status": "reset"}


# --- activation and passwords ----------------------------------------------------------------

def _mail_token(s: Session, nip: str, kind: str) -> str:
    """A new single-use link; any earlier one of the same kind for `nip` stops working (only the
    latest mail counts, so an old mail found later in a shared inbox opens nothing)."""
    s.execute(delete(mail_tokens).where(mail_tokens.c.nip == nip, mail_tokens.c.kind == kind,
                                        mail_tokens.c.used_at.is_(None)))
    value = secrets.token_urlsafe(32)
    s.execute(insert(mail_tokens).values(token_hash=totp.secret_hash(value), nip=nip, kind=kind,
                                         expires_at=repo.later(MAIL_TOKEN_SECONDS[kind])))
    return value


def _same_email(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().lower() == b.strip().lower())


def request_rule() -> attempts.Rule:
    return attempts.Rule(env_int("ACTIVATION_RESET_LIMIT", attempts.DEFAULT_LIMIT),
                         dt.timedelta(seconds=env_int("ACTIVATION_RESET_WINDOW", attempts.DEFAULT_WINDOW_SECONDS)))


def _count_request(s: Session, ctx: Context, nip: str, kind: str, audit_type: str) -> None:
    """Count this activation/reset request for `nip` (known or not); beyond the limit the same 429 for all,
    before anything about the account is looked at."""
    rule, now = request_rule(), utcnow()
    key = (nip or "")[:64]
    decision = attempts.admit(repo.request_times(s, key, kind), now, rule)
    repo.save_request_times(s, key, kind, decision.times, now - rule.window)
    if not decision.admitted:
        # The answer is the same for every NIP; the audit line still goes to the account's agency, so
        # its admin sees why the person was refused.
        known = repo.account(s, key)
        _audit(s, ctx, audit_type, "refused", nip=key, agency_id=known.agency_id if known else None,
               reason="nip-rate-limited", retry_after=decision.retry_after)
        raise problems.requests_limited(kind, decision.retry_after, rule.limit, int(rule.window.total_seconds()))


def _proven(s: Session, ctx: Context, nip: str, nik: str, audit_type: str, **audited: Any) -> Account:
    """The account of `nip` when `nik` is the NIK master data holds for it: NIP and NIK together prove
    who asks. Else the refusal, the same for a NIP master data does not hold (no account oracle),
    and the audit line says which it was."""
    account = repo.account(s, nip)
    if account is None or account.nik != nik:
        _audit(s, ctx, audit_type, "refused", nip=nip, agency_id=account.agency_id if account else None,
               reason="unknown-nip" if account is None else "nik-not-matched",
               **({} if account is None else {"nik_in_master_data": bool(account.nik)}), **audited)
        raise problems.nik_not_matched()
    return account


def request_activation(factory: sessionmaker[Session], ctx: Context, nip: str, nik: str, email: str,
                       notify=None) -> dict[str, Any]:
    require_shapes(nip, nik, check_nik=True)

    def work(s: Session) -> dict[str, Any]:
        _count_request(s, ctx, nip, "activation", "activation.requested")
        account = _proven(s, ctx, nip, nik, "activation.requested")
        agency_id = account.agency_id
        # NIP and NIK together prove who asks: now the data problems may be named precisely.
        blockers = login_blockers(account, repo.findings(s, nip))
        if blockers:
            _audit(s, ctx, "activation.requested", "refused", nip=nip, agency_id=agency_id, reason=blockers[0].code)
            raise blockers[0]
        if not _same_email(account.email, email):
            _audit(s, ctx, "activation.requested", "refused", nip=nip, agency_id=agency_id, reason="email-not-matched")
            raise problems.email_not_matched("activation", masked_email(account.email))
        assert account.email is not None  # _same_email matched it
        cred = repo.credential(s, nip)
        if cred is not None and cred.activated_at is not None:
            queue_mail(s, mail_queue, account.email, *mail.already_active(account))
        else:
            queue_mail(s, mail_queue, account.email, *mail.activation(account, _mail_token(s, nip, "activation")))
        _audit(s, ctx, "activation.requested", "ok", nip=nip, agency_id=agency_id)
        return {"status": "accepted"}

    result = _committing(factory, work)
    if notify:
        notify()
    return result


def _use_mail_token(s: Session, token: str, kind: str) -> Any:
    row = s.execute(select(mail_tokens).where(mail_tokens.c.token_hash == totp.secret_hash(token or ""),
                                              mail_tokens.c.kind == kind).with_for_update()).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) < utcnow():
        raise problems.token_invalid()
    return row


def activate(factory: sessionmaker[Session], ctx: Context, token: str, password: str) -> dict[str, Any]:
    def work(s: Session) -> dict[str, Any]:
        row = _use_mail_token(s, token, "activation")
        cred = repo.credential(s, row.nip)
        if cred is not None and cred.activated_at is not None:
            # Active already (by a later link, or a password reset): the link must not set a password.
            s.execute(delete(mail_tokens).where(mail_tokens.c.nip == row.nip, mail_tokens.c.kind == "activation"))
            account = repo.account(s, row.nip)
            _audit(s, ctx, "account.activated", "refused", nip=row.nip,
                   agency_id=account.agency_id if account else None, reason="already-active")
            raise problems.token_invalid()
        require_policy(password, row.nip)
        s.execute(update(mail_tokens).where(mail_tokens.c.token_hash == row.token_hash).values(used_at=utcnow()))
        repo.set_credential(s, row.nip, password_hash=hash_password(password), password_changed_at=utcnow(),
                            activated_at=utcnow())
        account = repo.account(s, row.nip)
        _audit(s, ctx, "account.activated", "ok", nip=row.nip, agency_id=account.agency_id if account else None)
        return {"status": "activated"}

    return _committing(factory, work)


def _reset_refusal(account: Account | None, cred: Any, email: str) -> str | None:
    """Why no reset mail is sent (without a NIK, for the audit only: the answer is the same 202)."""
    if account is None:
        return "unknown-nip"
    if cred is None or cred.activated_at is None:
        return "not-activated"
    if not _same_email(account.email, email):
        return "email-not-matched"
    return None


RESET_ACCEPTED = {
    "status": "accepted",
    "detail": "If this NIP is registered with this email, a password-reset link is on its way (valid for 1 hour). "
              "No mail after a few minutes? Ask again with your NIK too (field 'nik'): with NIP and NIK, e-Kinerja "
              "tells you what is wrong, such as another email being recorded.",
    "detail_id": "Jika NIP ini terdaftar dengan email ini, tautan atur ulang kata sandi sedang dikirim (berlaku 1 "
                 "jam). Belum ada email setelah beberapa menit? Minta lagi dengan menyertakan NIK (kolom 'nik'): "
                 "dengan NIP dan NIK, e-Kinerja memberi tahu apa yang salah, misalnya email lain yang tercatat.",
}


def request_password_reset(factory: sessionmaker[Session], ctx: Context, nip: str, email: str,
                           nik: str | None = None, notify=None) -> dict[str, Any]:
    """'Lupa Password'. With NIP and email only, one answer whatever the outcome (the audit keeps why).
    With the NIK too, NIP and NIK prove who asks (within the NIP's request limit), so a refusal is
    said precisely: the NIK does not match, the account was never activated, or another email is
    recorded (shown masked)."""
    require_shapes(nip, nik, check_nik=nik is not None)

    def work(s: Session) -> dict[str, Any]:
        _count_request(s, ctx, nip, "reset", "password.reset_requested")
        account: Account | None
        if nik is not None:
            account = _proven(s, ctx, nip, nik, "password.reset_requested", with_nik=True)
            cred = repo.credential(s, nip)
        else:
            account = repo.account(s, nip)
            cred = repo.credential(s, nip) if account else None
        refusal = _reset_refusal(account, cred, email)
        agency_id = account.agency_id if account else None
        if refusal is None:
            assert account is not None and account.email is not None  # else _reset_refusal names why
            queue_mail(s, mail_queue, account.email, *mail.reset(account, _mail_token(s, nip, "reset")))
            _audit(s, ctx, "password.reset_requested", "ok", nip=nip, agency_id=agency_id, with_nik=nik is not None)
            return dict(RESET_ACCEPTED)
        _audit(s, ctx, "password.reset_requested", "refused", nip=nip, agency_id=agency_id, reason=refusal,
               with_nik=nik is not None)
        if nik is None:
            return dict(RESET_ACCEPTED)
        assert account is not None  # with a NIK, _proven gave it
        if refusal == "not-activated":
            raise problems.not_activated(webpages.url(webpages.ACTIVATION))
        raise problems.email_not_matched("reset", masked_email(account.email))

    result = _committing(factory, work)
    if notify:
        notify()
    return result


def reset_password(factory: sessionmaker[Session], ctx: Context, token: str, password: str) -> dict[str, Any]:
    with unit_of_work(factory) as s:
        row = _use_mail_token(s, token, "reset")
        require_policy(password, row.nip)
        s.execute(update(mail_tokens).where(mail_tokens.c.token_hash == row.token_hash).values(used_at=utcnow()))
        repo.set_credential(s, row.nip, password_hash=hash_password(password), password_changed_at=utcnow())
        repo.save_guard(s, row.nip, "password", lockout.Guard())
        revoked = repo.revoke_sessions(s, row.nip, "password-reset")
        account = repo.account(s, row.nip)
        _audit(s, ctx, "password.changed", "ok", nip=row.nip, agency_id=account.agency_id if account else None,
               via="reset", sessions_revoked=len(revoked))
    return {"status": "password_changed"}


def change_password(factory: sessionmaker[Session], ctx: Context, current_password: str,
                    new_password: str) -> dict[str, Any]:
    caller = require(ctx.caller)

    def work(s: Session) -> dict[str, Any]:
        cred = repo.credential(s, caller.nip)
        if not verify_password(cred.password_hash if cred else None, current_password):
            _audit(s, ctx, "password.changed", "refused", nip=caller.nip, agency_id=caller.agency_id)
            raise problems.password_wrong()
        require_policy(new_password, caller.nip, field="new_password")
        repo.set_credential(s, caller.nip, password_hash=hash_password(new_password), password_changed_at=utcnow())
        # Other devices must sign in again; this one keeps its session.
        revoked = repo.revoke_sessions(s, caller.nip, "password-changed", keep=caller.sid or "")
        _audit(s, ctx, "password.changed", "ok", nip=caller.nip, agency_id=caller.agency_id, via="change",
               sessions_revoked=len(revoked))
        return {"status": "password_changed"}

    return _committing(factory, work)


# --- views -----------------------------------------------------------------------------------

def whoami(factory: sessionmaker[Session], ctx: Context) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        account = repo.account(s, caller.nip)
        if account is None:
            raise not_found("account", "Akun", caller.nip)
        cred = repo.credential(s, caller.nip)
        return {"nip": account.nip, "name": account.name, "agency_id": account.agency_id,
                "unit_id": account.unit_id, "roles": roles(account, repo.has_subordinates(s, account.nip)),
                "mfa_enabled": bool(cred and cred.mfa_confirmed_at)}


def sign_in_state(factory: sessionmaker[Session], ctx: Context, nip: str | None = None) -> dict[str, Any]:
    """What stands between an account and signing in, for sync's diagnosis (the gateway passes it
    on): the caller's own, or, for an admin, an account of their agency. Kept out of every event:
    lockouts and MFA are nobody else's business."""
    caller = require(ctx.caller)
    nip = nip or caller.nip
    with factory() as s:
        account = repo.account(s, nip)
        own = nip == caller.nip
        if not own and not (caller.administers(account.agency_id) if account else
                            any(caller.has(r) for r in ADMIN_ROLES)):
            raise forbidden("Only the employee or an admin of their agency can see this account's state.",
                            "Hanya pegawai yang bersangkutan atau admin instansinya yang dapat melihat "
                            "status akun ini.")
        if account is None:
            return {"nip": nip, "known": False}
        cred = repo.credential(s, nip)
        now = utcnow()

        def locked_until(factor: str) -> str | None:
            g = repo.guard(s, nip, factor, lock=False)
            if not lockout.retry_after(g, now):
                return None
            assert g.locked_until is not None  # retry_after is 0 without it
            return g.locked_until.isoformat()

        return {"nip": nip, "known": True, "activated": bool(cred and cred.password_hash),
                "mfa_enabled": bool(cred and cred.mfa_confirmed_at), "mfa_required": _mfa_required(s, account),
                "password_locked_until": locked_until("password"), "mfa_locked_until": locked_until("totp")}


def audit_events(factory: sessionmaker[Session], ctx: Context, nip: str | None = None, type_: str | None = None,
                 limit: int = 100) -> dict[str, Any]:
    caller = require(ctx.caller)
    if not (caller.has("admin_nasional") or caller.has("admin_instansi")):
        raise forbidden("Only agency or national admins can read the audit log.",
                        "Hanya admin instansi atau admin nasional yang dapat membaca log audit.")
    scope = None if caller.has("admin_nasional") else caller.agency_id
    with factory() as s:
        rows = repo.audit_page(s, scope, nip, type_, max(1, min(int(limit), 500)))
    return {"events": [{"time": as_utc(r["time"]).isoformat(), "type": r["type"], "outcome": r["outcome"],
                        "nip": r["nip"], "actor_nip": r["actor_nip"], "agency_id": r["agency_id"], "ip": r["ip"],
                        "request_id": r["request_id"], "detail": r["detail"]} for r in rows]}


def jwks(factory: sessionmaker[Session]) -> dict[str, Any]:
    with unit_of_work(factory) as s:
        return keys.jwks(s)
