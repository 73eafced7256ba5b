"""OpenID Connect provider use cases ("Login with ASN Digital" for other government applications).

The gateway speaks the OAuth/OIDC protocol (authlib) and keeps no data; everything it must remember
or decide about clients, codes, consents and tokens is here, each function given a session factory
and the request's context like handlers.py.

Rules kept here (not in the gateway): redirect URIs match a registered one exactly; a code is for
one client, lives 60 seconds and is used once (a replay revokes the tokens it gave), and its tokens
are for the user, scope and methods stored with it, issued once; PKCE is S256;
a client that is not first-party gets a code only after the user consented to the scopes; tokens
go only to active accounts; client secrets are stored as hashes. Who signed in is never the
gateway's word: the HTML sign-in is a flow identity keeps and verifies step by step (oidc_flows.py).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
from typing import Any, cast
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow

from . import keys
from . import repository as repo
from .domain import totp
from .tables import oauth_clients, oauth_codes, oauth_consents, oauth_tokens

CODE_SECONDS = 60
SUPPORTED_SCOPES = ("openid", "profile")
DEFAULT_SCOPES = "openid profile"
PROFILE_CLAIMS = ("name", "agency_id", "unit_id")
CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
KEEP_USED_SECONDS = 86400  # used/expired codes and tokens are kept a day: replays are still recognised

Context = RequestContext


# --- refusals --------------------------------------------------------------------------------

def request_invalid(detail: str, detail_id: str) -> DomainError:
    return DomainError(code="oidc-request-invalid", status=400, title="Invalid sign-in request",
                       detail=detail, detail_id=detail_id)


def grant_invalid(detail: str, detail_id: str) -> DomainError:
    return DomainError(code="oidc-grant-invalid", status=400, title="Invalid grant", detail=detail,
                       detail_id=detail_id)


def token_invalid() -> DomainError:
    return DomainError(code="oidc-token-invalid", status=401, title="Access token not valid",
                       detail="The access token is invalid, expired or revoked.",
                       detail_id="Token akses tidak valid, kedaluwarsa, atau sudah dicabut.")


def _unknown_client(client_id: str) -> DomainError:
    return not_found("OAuth client", "Klien OAuth", client_id)


# --- rules on values ---------------------------------------------------------------------------

def scope_list(scope: str | None) -> list[str]:
    """The scopes of a space-separated string, each once, in their first order."""
    seen: list[str] = []
    for item in (scope or "").split():
        if item not in seen:
            seen.append(item)
    return seen


def redirect_uri_problem(uri: Any) -> tuple[str, str] | None:
    """Why `uri` cannot be registered as a redirect URI (English, Indonesian), or None if it can.

    Allowed: https URLs; http only to a loopback host (development, native apps, RFC 8252 §7.3);
    a private-use scheme in reverse-domain form such as `id.go.app:/callback` (RFC 8252 §7.1).
    Never a fragment."""
    if not isinstance(uri, str) or not uri or len(uri) > 2000 or any(c.isspace() for c in uri):
        return ("a redirect URI is a non-empty URL of at most 2000 characters without spaces",
                "redirect URI harus URL tidak kosong, paling panjang 2000 karakter, tanpa spasi")
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return ("the redirect URI is not a valid URL", "redirect URI bukan URL yang valid")
    if parts.fragment or "#" in uri:
        return ("a redirect URI must not contain a fragment (#)", "redirect URI tidak boleh memuat fragmen (#)")
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    if parts.scheme not in ("http", "https", "") and "." in parts.scheme:
        return None
    return ("a redirect URI must use https (http only for localhost, or a reverse-domain app scheme)",
            "redirect URI harus memakai https (http hanya untuk localhost, atau skema aplikasi domain terbalik)")


def at_hash(access_token: str) -> str:
    """OIDC `at_hash` for RS256: the left half of SHA-256 of the token, base64url without padding."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _client_view(row: Any) -> dict[str, Any]:
    confidential = row.client_secret_hash is not None
    return {"client_id": row.client_id, "name": row.name, "redirect_uris": list(row.redirect_uris),
            "first_party": bool(row.first_party), "allowed_scopes": scope_list(row.allowed_scopes),
            "confidential": confidential,
            "token_endpoint_auth_method": "client_secret_basic" if confidential else "none",
            "created_at": as_utc(row.created_at).isoformat(), "created_by": row.created_by}


def client_row(s: Session, client_id: str | None) -> Any:
    if not isinstance(client_id, str) or not client_id:
        return None
    return s.execute(select(oauth_clients).where(oauth_clients.c.client_id == client_id)).first()


def audit(s: Session, ctx: Context, type_: str, outcome: str, nip: str | None = None,
           agency_id: str | None = None, **detail: Any) -> None:
    repo.audit(s, type_, outcome, nip=nip, actor_nip=ctx.caller.nip if ctx.caller else None,
               agency_id=agency_id, ip=ctx.ip, request_id=ctx.request_id, detail=detail or None)


# --- clients -----------------------------------------------------------------------------------

def register_client(factory: sessionmaker[Session], ctx: Context, name: str, redirect_uris: list[str],
                    first_party: bool = False, confidential: bool = False, scopes: str | None = None,
                    created_by: str | None = None) -> dict[str, Any]:
    """Register an application. Returns its client_id, and for a confidential client its secret:
    shown this once, only its hash is kept."""
    errors: list[FieldError] = []
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        errors.append(FieldError("name", "required", "A name of 1 to 200 characters is required.",
                                 "Nama 1 sampai 200 karakter wajib diisi."))
    uris: list[str] = []
    if not isinstance(redirect_uris, list) or not redirect_uris:
        errors.append(FieldError("redirect_uris", "required", "At least one redirect URI is required.",
                                 "Minimal satu redirect URI wajib diisi."))
    else:
        for uri in redirect_uris:
            problem = redirect_uri_problem(uri)
            if problem:
                errors.append(FieldError("redirect_uris", "redirect-uri", f"{uri!r}: {problem[0]}.",
                                         f"{uri!r}: {problem[1]}."))
            elif uri not in uris:
                uris.append(uri)
    wanted = scope_list(scopes or DEFAULT_SCOPES)
    if "openid" not in wanted or any(s not in SUPPORTED_SCOPES for s in wanted):
        errors.append(FieldError("scopes", "supported",
                                 f"Scopes must include 'openid' and be among: {' '.join(SUPPORTED_SCOPES)}.",
                                 f"Scope harus memuat 'openid' dan termasuk: {' '.join(SUPPORTED_SCOPES)}."))
    if errors:
        raise validation_error(errors)
    client_id = secrets.token_hex(16)
    secret = secrets.token_urlsafe(32) if confidential else None
    by = created_by or (ctx.caller.nip if ctx.caller else None)
    with unit_of_work(factory) as s:
        s.execute(insert(oauth_clients).values(
            client_id=client_id, client_secret_hash=totp.secret_hash(secret) if secret else None, name=name,
            redirect_uris=uris, first_party=bool(first_party), allowed_scopes=" ".join(wanted),
            created_at=utcnow(), created_by=(by or "")[:64] or None))
        audit(s, ctx, "client.registered", "ok", client_id=client_id, name=name, redirect_uris=uris,
               first_party=bool(first_party), confidential=bool(confidential), created_by=by)
    result: dict[str, Any] = {"client_id": client_id, "name": name, "redirect_uris": uris,
                              "first_party": bool(first_party), "confidential": bool(confidential),
                              "allowed_scopes": wanted}
    if secret:
        result["client_secret"] = secret
    return result


def register_client_as_admin(factory: sessionmaker[Session], ctx: Context, name: str, redirect_uris: list[str],
                             first_party: bool = False, confidential: bool = False,
                             scopes: str | None = None) -> dict[str, Any]:
    """The RPC form: only a national admin registers applications for the whole country."""
    caller = require(ctx.caller)
    if not caller.has("admin_nasional"):
        raise forbidden("Only national admins can register applications.",
                        "Hanya admin nasional yang dapat mendaftarkan aplikasi.")
    return register_client(factory, ctx, name, redirect_uris, first_party, confidential, scopes)


def list_clients(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    with factory() as s:
        rows = s.execute(select(oauth_clients).order_by(oauth_clients.c.created_at)).all()
    return [_client_view(r) for r in rows]


def client(factory: sessionmaker[Session], client_id: str) -> dict[str, Any] | None:
    """A client's public registration, or None when there is no such client."""
    with factory() as s:
        row = client_row(s, client_id)
    return _client_view(row) if row is not None else None


def check_client_secret(factory: sessionmaker[Session], client_id: str, secret: str) -> bool:
    with factory() as s:
        row = client_row(s, client_id)
    if row is None or row.client_secret_hash is None or not isinstance(secret, str) or not secret:
        return False
    return secrets.compare_digest(row.client_secret_hash, totp.secret_hash(secret))


# --- consent -----------------------------------------------------------------------------------

def granted_scopes(s: Session, nip: str, client_id: str) -> list[str]:
    """The scopes the user already allowed this client ([] when none)."""
    row = s.execute(select(oauth_consents.c.scope).where(oauth_consents.c.nip == nip,
                                                         oauth_consents.c.client_id == client_id)).first()
    return scope_list(row.scope) if row else []


def has_consent(factory: sessionmaker[Session], nip: str, client_id: str, scope: str) -> bool:
    """Whether the user already allowed this client every scope asked for."""
    with factory() as s:
        return set(scope_list(scope)) <= set(granted_scopes(s, nip, client_id))


def record_consent(s: Session, ctx: Context, nip: str, client_id: str, scope: str) -> str:
    """Add `scope` to what the user allowed the client; returns everything now allowed."""
    if client_row(s, client_id) is None:
        raise _unknown_client(client_id)
    row = s.execute(select(oauth_consents).where(oauth_consents.c.nip == nip, oauth_consents.c.client_id == client_id)
                    .with_for_update()).first()
    granted = " ".join(scope_list(f"{row.scope if row else ''} {scope}"))
    s.execute(delete(oauth_consents).where(oauth_consents.c.nip == nip, oauth_consents.c.client_id == client_id))
    s.execute(insert(oauth_consents).values(nip=nip, client_id=client_id, scope=granted, granted_at=utcnow()))
    account = repo.account(s, nip)
    audit(s, ctx, "consent.granted", "ok", nip=nip, agency_id=account.agency_id if account else None,
           client_id=client_id, scope=granted)
    return granted


def grant_consent(factory: sessionmaker[Session], ctx: Context, nip: str, client_id: str,
                  scope: str) -> dict[str, Any]:
    """Not an RPC: the user consents on the sign-in pages, through their flow (oidc_flows.consent)."""
    with unit_of_work(factory) as s:
        granted = record_consent(s, ctx, nip, client_id, scope)
    return {"status": "granted", "scope": granted}


# --- authorization codes -------------------------------------------------------------------------

def nonce_used(factory: sessionmaker[Session], client_id: str, nonce: str) -> bool:
    """Whether a code was already issued to this client with this nonce (kept a day)."""
    with factory() as s:
        return s.execute(select(oauth_codes.c.code_hash).where(oauth_codes.c.client_id == client_id,
                                                               oauth_codes.c.nonce == nonce)).first() is not None


def check_request(row: Any, redirect_uri: Any, scope: Any, code_challenge: Any,
                  code_challenge_method: Any) -> list[str]:
    """The scopes of an authorization request for the client `row`, if it may be served: the redirect
    URI registered exactly, PKCE S256, `openid` among the scopes and all of them allowed."""
    if redirect_uri not in list(row.redirect_uris):
        raise request_invalid("The redirect URI is not registered for this application.",
                              "Redirect URI ini tidak terdaftar untuk aplikasi tersebut.")
    if code_challenge_method != "S256" or not CHALLENGE.match(str(code_challenge or "")):
        raise request_invalid("PKCE with code_challenge_method S256 is required.",
                              "PKCE dengan code_challenge_method S256 wajib dipakai.")
    scopes = scope_list(scope if isinstance(scope, str) else "")
    if "openid" not in scopes or not set(scopes) <= set(scope_list(row.allowed_scopes)):
        raise request_invalid("The scope must include 'openid' and be allowed for this application.",
                              "Scope harus memuat 'openid' dan diizinkan untuk aplikasi ini.")
    return scopes


def store_code(s: Session, code: str, client_id: str, nip: str, redirect_uri: str, scope: str, nonce: str | None,
               code_challenge: str, code_challenge_method: str, auth_time: int, amr: list[str]) -> dict[str, Any]:
    """Keep a freshly issued authorization code (as a hash) with what it was issued for, checking the
    request, the account and the consent once more."""
    row = client_row(s, client_id)
    if row is None:
        raise _unknown_client(client_id)
    scopes = check_request(row, redirect_uri, scope, code_challenge, code_challenge_method)
    account = repo.account(s, nip)
    if account is None or account.status != "active":
        raise grant_invalid("This account cannot sign in.", "Akun ini tidak dapat masuk.")
    if not row.first_party and not set(scopes) <= set(granted_scopes(s, nip, client_id)):
        raise request_invalid("The user has not allowed this application these scopes.",
                              "Pengguna belum mengizinkan aplikasi ini untuk scope tersebut.")
    s.execute(delete(oauth_codes).where(oauth_codes.c.expires_at < repo.later(-KEEP_USED_SECONDS)))
    s.execute(insert(oauth_codes).values(
        code_hash=totp.secret_hash(code), client_id=client_id, nip=nip, redirect_uri=redirect_uri,
        scope=" ".join(scopes), nonce=(nonce or None), code_challenge=code_challenge,
        code_challenge_method=code_challenge_method, auth_time=int(auth_time), amr=list(amr or []),
        expires_at=repo.later(CODE_SECONDS)))
    return {"status": "saved", "expires_in": CODE_SECONDS}


def save_code(factory: sessionmaker[Session], ctx: Context, code: str, client_id: str, nip: str, redirect_uri: str,
              scope: str, nonce: str | None, code_challenge: str, code_challenge_method: str, auth_time: int,
              amr: list[str]) -> dict[str, Any]:
    """Not an RPC: nobody may name the user a code is for. The sign-in pages get a code only from a
    flow whose password (and TOTP) identity verified itself (oidc_flows.issue_code)."""
    with unit_of_work(factory) as s:
        return store_code(s, code, client_id, nip, redirect_uri, scope, nonce, code_challenge, code_challenge_method,
                          auth_time, amr)


def take_code(factory: sessionmaker[Session], ctx: Context, code: str, client_id: str) -> dict[str, Any] | None:
    """The data of a valid code issued to `client_id`, marking it used; None for any other code.
    A code seen a second time was copied: every token it gave is revoked."""
    with unit_of_work(factory) as s:
        row = s.execute(select(oauth_codes).where(oauth_codes.c.code_hash == totp.secret_hash(code or ""))
                        .with_for_update()).first()
        if row is None or row.client_id != client_id:
            return None
        if row.used_at is not None:
            revoked = s.execute(update(oauth_tokens).where(oauth_tokens.c.code_hash == row.code_hash,  # type: ignore[attr-defined]  # DML executes to a CursorResult
                                                           oauth_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=utcnow())).rowcount
            audit(s, ctx, "oidc.code_reused", "refused", nip=row.nip, client_id=client_id, tokens_revoked=revoked)
            return None
        s.execute(update(oauth_codes).where(oauth_codes.c.code_hash == row.code_hash).values(used_at=utcnow()))
        if as_utc(row.expires_at) < utcnow():
            return None
        return {"code_id": row.code_hash, "client_id": row.client_id, "nip": row.nip,
                "redirect_uri": row.redirect_uri, "scope": row.scope, "nonce": row.nonce,
                "code_challenge": row.code_challenge, "code_challenge_method": row.code_challenge_method,
                "auth_time": row.auth_time, "amr": list(row.amr or [])}


# --- tokens ----------------------------------------------------------------------------------------

def issue_tokens(factory: sessionmaker[Session], ctx: Context, client_id: str, code_id: str) -> dict[str, Any]:
    """An access token (JWT, aud = the client: not usable on /api/v1) and an ID token, for the user,
    scope, nonce, methods and time of the code `code_id` (take_code's answer) that this client took
    within the last CODE_SECONDS: once per code. Nobody names the user here."""
    with unit_of_work(factory) as s:
        row = client_row(s, client_id)
        if row is None:
            raise _unknown_client(client_id)
        code = s.execute(select(oauth_codes).where(oauth_codes.c.code_hash == str(code_id or ""))
                         .with_for_update()).first()
        if (code is None or code.client_id != client_id or code.used_at is None
                or as_utc(code.used_at) < repo.later(-CODE_SECONDS)
                or s.execute(select(oauth_tokens.c.jti).where(oauth_tokens.c.code_hash == code.code_hash))
                .first() is not None):
            raise grant_invalid("The grant can no longer be used.", "Izin ini tidak dapat dipakai lagi.")
        nip, nonce, amr = code.nip, code.nonce, list(code.amr or [])
        scopes = scope_list(code.scope)
        if "openid" not in scopes or not set(scopes) <= set(scope_list(row.allowed_scopes)):
            raise grant_invalid("The scope is not allowed for this application.",
                                "Scope tidak diizinkan untuk aplikasi ini.")
        account = repo.account(s, nip)
        if account is None or account.status != "active":
            raise grant_invalid("This account cannot sign in.", "Akun ini tidak dapat masuk.")
        now = int(time.time())
        ttl = keys.access_ttl()
        jti = uuid.uuid4().hex
        auth_time = int(code.auth_time or now)
        access = keys.sign(s, {"iss": keys.issuer(), "sub": nip, "aud": client_id, "client_id": client_id,
                               "scope": " ".join(scopes), "iat": now, "exp": now + ttl, "auth_time": auth_time,
                               "jti": jti})
        s.execute(delete(oauth_tokens).where(oauth_tokens.c.expires_at < repo.later(-KEEP_USED_SECONDS)))
        s.execute(insert(oauth_tokens).values(jti=jti, client_id=client_id, nip=nip, code_hash=code.code_hash,
                                              scope=" ".join(scopes), issued_at=utcnow(), expires_at=repo.later(ttl)))
        claims: dict[str, Any] = {"iss": keys.issuer(), "sub": nip, "aud": client_id, "azp": client_id, "iat": now,
                                  "exp": now + ttl, "auth_time": auth_time, "amr": list(amr or []),
                                  "at_hash": at_hash(access)}
        if nonce:
            claims["nonce"] = nonce
        if "profile" in scopes:
            claims.update(name=account.name, agency_id=account.agency_id, unit_id=account.unit_id)
        id_token = keys.sign(s, claims)
        audit(s, ctx, "oidc.tokens_issued", "ok", nip=nip, agency_id=account.agency_id, client_id=client_id,
               scope=" ".join(scopes))
    return {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": " ".join(scopes),
            "id_token": id_token}


def _signed_claims(s: Session, token: str) -> dict[str, Any] | None:
    """The claims of a token our keys signed and our issuer issued (expiry not checked here)."""
    if not isinstance(token, str) or not token or len(token) > 8192 or token.count(".") != 2:
        return None
    try:
        decoded = jwt.decode(token, KeySet.import_key_set(cast(KeySetSerialization, keys.jwks(s))),
                             algorithms=[keys.ALG])
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    claims = decoded.claims
    if not isinstance(claims, dict) or claims.get("iss") != keys.issuer() or not claims.get("jti"):
        return None
    return claims


def _token_row(s: Session, claims: dict[str, Any]) -> Any:
    row = s.execute(select(oauth_tokens).where(oauth_tokens.c.jti == str(claims["jti"]))).first()
    if row is None or row.client_id != claims.get("aud") or row.nip != claims.get("sub"):
        return None
    return row


def userinfo(factory: sessionmaker[Session], access_token: str) -> dict[str, Any]:
    """The claims about the user that an OIDC access token may read."""
    with unit_of_work(factory) as s:
        claims = _signed_claims(s, access_token)
        row = _token_row(s, claims) if claims else None
        if (claims is None or row is None or row.revoked_at is not None or as_utc(row.expires_at) < utcnow()
                or int(claims.get("exp", 0)) < time.time() or "openid" not in scope_list(row.scope)):
            raise token_invalid()
        account = repo.account(s, row.nip)
        if account is None or account.status != "active":
            raise token_invalid()
    info: dict[str, Any] = {"sub": account.nip}
    if "profile" in scope_list(row.scope):
        info.update(name=account.name, agency_id=account.agency_id, unit_id=account.unit_id)
    return info


def revoke(factory: sessionmaker[Session], ctx: Context, token: str, client_id: str) -> dict[str, Any]:
    """RFC 7009: revoke an access token of this client; any other token is ignored (no error)."""
    with unit_of_work(factory) as s:
        claims = _signed_claims(s, token)
        row = _token_row(s, claims) if claims else None
        if row is None or row.client_id != client_id:
            return {"status": "ignored"}
        if row.revoked_at is None:
            s.execute(update(oauth_tokens).where(oauth_tokens.c.jti == row.jti).values(revoked_at=utcnow()))
            audit(s, ctx, "oidc.token_revoked", "ok", nip=row.nip, client_id=client_id)
    return {"status": "revoked"}
