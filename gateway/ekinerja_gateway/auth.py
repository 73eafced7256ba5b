"""Local verification of identity's access tokens (JWT, RS256) against a cached JWKS.

No RPC per request: the key set is fetched from `identity.jwks()` when first needed and again only
when a token names a `kid` the cache does not know (at most once per `JWKS_REFRESH_INTERVAL`, so a
stream of forged `kid`s cannot flood identity). Every `/api/v1` route requires a Bearer token
unless its view is marked `@public` (or `@public_with_ticket` and the body carries the ticket);
`@requires_roles(...)` adds a role check. A token whose session identity has ended is refused from
the worker's revocation list (revocations.py), also without an RPC. The verified caller is kept in
`g.caller` for the RPC context data.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from joserfc import jws
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import RSAKey
from joserfc.jwt import JWTClaimsRegistry

from . import metrics
from .problems import GatewayProblem

log = logging.getLogger(__name__)

ALGORITHM = "RS256"  # the only one accepted: `none`, HS256 (public key as secret) etc. are refused
AUDIENCE = "ekinerja-api"
DEFAULT_LEEWAY = 30
DEFAULT_REFRESH_INTERVAL = 30.0
ADMIN_ROLES = ("admin_instansi", "admin_nasional")
API_PREFIX = "/api/v1/"
MAX_TOKEN_LENGTH = 8192

JwksLoader = Callable[[], dict[str, Any]]
View = TypeVar("View", bound=Callable[..., Any])


class TokenError(GatewayProblem):
    """401 with `WWW-Authenticate: Bearer error="invalid_token"`; `code` says why."""

    def __init__(self, code: str, detail: str, detail_id: str) -> None:
        super().__init__(401, code, "Unauthorized", detail, detail_id,
                         headers={"WWW-Authenticate": f'Bearer realm="{AUDIENCE}", error="invalid_token", '
                                                      f'error_description="{code}"'})


def token_missing() -> TokenError:
    return TokenError("token-missing", "This request needs an access token: send 'Authorization: Bearer <token>'.",
                      "Permintaan ini memerlukan token akses: kirim 'Authorization: Bearer <token>'.")


def token_invalid(reason: str = "") -> TokenError:
    if reason:
        log.info("access token refused: %s", reason)
    return TokenError("token-invalid", "The access token is not valid. Sign in again.",
                      "Token akses tidak valid. Silakan masuk kembali.")


def session_revoked() -> TokenError:
    return TokenError("session-revoked",
                      "This session has ended (signed out, revoked, or the password was changed or reset). "
                      "Sign in again.",
                      "Sesi ini telah berakhir (keluar, dicabut, atau kata sandi diganti atau diatur ulang). "
                      "Silakan masuk kembali.")


def token_expired() -> TokenError:
    return TokenError("token-expired", "The access token has expired. Refresh it or sign in again.",
                      "Token akses sudah kedaluwarsa. Perbarui token atau masuk kembali.")


class JwksCache:
    """identity's public keys, per process. Loaded on first need; reloaded for an unknown `kid`
    at most once per `refresh_interval` seconds (counted from the last load or attempt)."""

    def __init__(self, loader: JwksLoader, refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.loader = loader
        self.refresh_interval = refresh_interval
        self.clock = clock
        self._keys: dict[str, RSAKey] = {}
        self._loaded = False
        self._last_attempt: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> RSAKey | None:
        """The verification key named `kid`, or None when identity does not publish it."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load()  # a failure here (identity unreachable) propagates: 503, not 401
        key = self._keys.get(kid)
        if key is None and self._may_refresh():
            with self._lock:
                if kid not in self._keys and self._may_refresh():
                    try:
                        self._load()
                    except Exception:  # keep serving the keys we have; the unknown kid stays refused
                        log.warning("JWKS refresh failed; keeping %d cached keys", len(self._keys), exc_info=True)
            key = self._keys.get(kid)
        return key

    def public_jwks(self) -> dict[str, Any]:
        """The cached key set as served at /oauth/jwks.json (public members only)."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load()
        return {"keys": [key.as_dict(private=False) for key in self._keys.values()]}

    def _may_refresh(self) -> bool:
        return self._last_attempt is None or self.clock() - self._last_attempt >= self.refresh_interval

    def _load(self) -> None:
        self._last_attempt = self.clock()
        outcome = "error"
        try:
            self._keys = parse_jwks(self.loader())
            self._loaded = True
            outcome = "ok"
        finally:
            metrics.JWKS_LOADS.labels(outcome).inc()
        log.info("JWKS loaded: %d signing keys", len(self._keys))


def parse_jwks(document: Any) -> dict[str, RSAKey]:
    """RSA signing keys with a `kid` from a JWKS document; anything else in it is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS document is an object with a 'keys' list")
    keys: dict[str, RSAKey] = {}
    for data in document["keys"]:
        if not isinstance(data, dict) or data.get("kty") != "RSA" or not isinstance(data.get("kid"), str):
            continue
        if data.get("alg", ALGORITHM) != ALGORITHM or data.get("use", "sig") != "sig":
            continue
        public = {k: v for k, v in data.items() if k in ("kty", "kid", "n", "e", "alg", "use")}
        try:
            keys[data["kid"]] = RSAKey.import_key(public)
        except (JoseError, ValueError, TypeError):
            log.warning("skipping an unreadable key %s in the JWKS", data.get("kid"))
    return keys


def verify_token(token: str, keys: JwksCache, issuer: str, audience: str = AUDIENCE,
                 leeway: int = DEFAULT_LEEWAY) -> dict[str, Any]:
    """The claims of a valid access token; raises TokenError (token-invalid / token-expired)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise token_invalid("not a compact JWS")
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = compact.headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise token_invalid(f"unreadable: {exc}") from None
    if header.get("alg") != ALGORITHM:
        raise token_invalid(f"algorithm {header.get('alg')!r} refused")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise token_invalid("no kid")
    key = keys.key(kid)
    if key is None:
        raise token_invalid(f"unknown kid {kid!r}")
    try:
        if not jws.validate_compact(compact, key, algorithms=[ALGORITHM]):
            raise token_invalid("bad signature")
        claims = json.loads(compact.payload or b"")
    except (JoseError, ValueError, TypeError) as exc:
        raise token_invalid(f"unverifiable: {exc}") from None
    if not isinstance(claims, dict):
        raise token_invalid("claims are not an object")
    registry = JWTClaimsRegistry(leeway=leeway, iss={"essential": True, "value": issuer},
                                 aud={"essential": True, "value": audience},
                                 exp={"essential": True}, sub={"essential": True}, sid={"essential": True})
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise token_expired() from None
    except JoseError as exc:
        raise token_invalid(f"claims: {exc}") from None
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise token_invalid("roles is not a list of strings")
    return claims


def caller_from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The `caller` context data of the identity RPC contract."""
    return {"nip": claims["sub"], "name": claims.get("name"), "roles": list(claims.get("roles", [])),
            "agency_id": claims.get("agency_id"), "unit_id": claims.get("unit_id"), "sid": claims["sid"],
            "amr": list(claims.get("amr") or []), "auth_time": claims.get("auth_time")}


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header."""
    if header is None or not header.strip():
        raise token_missing()
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise token_invalid("malformed Authorization header")
    return parts[1]


def authenticate() -> dict[str, Any]:
    """Verify this request's bearer token, and that its session has not ended (the worker's revocation
    list, when the app has one); the caller is returned and kept in `g.caller`."""
    if g.get("caller") is None:
        app = current_app
        try:
            claims = verify_token(bearer_token(request.headers.get("Authorization")), app.extensions["jwks"],
                                  issuer=app.config["TOKEN_ISSUER"], leeway=int(app.config["TOKEN_LEEWAY"]))
            revocations = app.extensions.get("revocations")
            if revocations is not None:
                revocations.check(claims["sid"])
        except GatewayProblem as exc:
            metrics.AUTH_REFUSALS.labels(exc.code).inc()
            raise
        g.caller = caller_from_claims(claims)
    return g.caller


# -- marking views ---------------------------------------------------------------------------

def public(view: View) -> View:
    """No token needed (login, activation, the OpenAPI document...)."""
    view.auth_policy = "public"  # type: ignore[attr-defined]
    return view


def public_with_ticket(field: str) -> Callable[[View], View]:
    """No token needed when the JSON body carries `field` (e.g. an enrollment ticket); else Bearer."""
    def mark(view: View) -> View:
        view.auth_policy = ("ticket", field)  # type: ignore[attr-defined]
        return view
    return mark


def requires_roles(*roles: str) -> Callable[[View], View]:
    """Authenticated, and the caller has at least one of `roles` (else 403)."""
    def mark(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            caller = authenticate()
            if not set(roles) & set(caller["roles"]):
                metrics.AUTH_REFUSALS.labels("role-required").inc()
                raise GatewayProblem(403, "role-required", "Forbidden",
                                     f"This action needs one of the roles: {', '.join(roles)}.",
                                     f"Tindakan ini memerlukan salah satu peran: {', '.join(roles)}.",
                                     required_roles=list(roles))
            return view(*args, **kwargs)
        guarded.required_roles = tuple(roles)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]
    return mark


def install(app: Flask, loader: JwksLoader, refresh_interval: float, clock: Callable[[], float],
            revocations: Any = None) -> None:
    """Keep the JWKS cache (and the revocation list, an object with `check(sid)`, when given) on the app,
    and authenticate every /api/v1 request by default."""
    app.extensions["jwks"] = JwksCache(loader, refresh_interval, clock)
    if revocations is not None:
        app.extensions["revocations"] = revocations

    @app.before_request
    def _authenticate() -> None:
        if not request.path.startswith(API_PREFIX) or request.url_rule is None:
            return  # not the API, or no such route: the 404/405 problem says so
        view = app.view_functions.get(request.endpoint or "")
        policy = getattr(view, "auth_policy", "bearer")
        if policy == "public":
            return
        if isinstance(policy, tuple) and policy[0] == "ticket" and _body_has(policy[1]):
            return
        authenticate()


def _body_has(field: str) -> bool:
    body = request.get_json(silent=True) if request.is_json else None
    return isinstance(body, dict) and body.get(field) is not None
