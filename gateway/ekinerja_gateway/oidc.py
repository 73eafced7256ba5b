"""OpenID Connect provider, HTTP side: "Login with ASN Digital" for other government applications.

authlib runs the protocol (authorization code flow, PKCE S256 only, OpenID Connect ID tokens,
RFC 7009 revocation); every storage hook and decision it needs is an RPC to identity
(`oidc_*`, docs/identity-rpc.md), so the gateway still keeps no database. The HTML sign-in (NIP +
password, then TOTP, then consent) is a flow identity keeps: identity checks the password and the
code itself, records who signed in, and stores a code only for a flow it verified. The browser's
cookie (Flask's session, signed with `SECRET_KEY`, limited to /oauth/ paths) holds nothing but a
random value binding the browser to its flows and the CSRF token; a forged or replayed cookie
cannot move a flow, since the gateway never tells identity who the user is.

Errors of the HTML pages are rendered as HTML (bilingual); /oauth/token, /oauth/revoke and
/oauth/userinfo answer with standard OAuth JSON errors. None of these routes is under /api/v1, so
the bearer-token hook of auth.py does not apply to them.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Request,
    list_to_scope,
    scope_to_list,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request, session, url_for

from ekinerja_kernel.rpc import RpcProblem

from . import auth, ratelimit
from .api import client_info
from .problems import GatewayProblem, retry_after_seconds
from .rpc import ServiceFailed, ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)

oidc = Blueprint("oidc", __name__, template_folder="templates")

SCOPES = ("openid", "profile")
SCOPE_LABELS = {
    "openid": ("Your NIP (who you are)", "NIP Anda (siapa Anda)"),
    "profile": ("Your name, agency and unit", "Nama, instansi, dan unit kerja Anda"),
}
CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "at_hash", "azp",
          "name", "agency_id", "unit_id"]
# The parameters of an authorization request that are kept between the steps of the sign-in.
AUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
               "code_challenge_method", "prompt", "login_hint")
MAX_PARAM_LENGTH = 512  # redirect_uri excepted: it must equal a registered one
# Identity's refusal of a flow that is unknown, expired, over, or another browser's.
FLOW_INVALID = "oidc-flow-invalid"
HTML_PAGES = ("oidc.authorize", "oidc.authorize_step")
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _identity(method: str, *args: Any, caller: dict[str, Any] | None = None, idempotent: bool = False,
              **kwargs: Any) -> Any:
    return current_app.extensions["rpc"].call("identity", method, *args, request_id=g.get("request_id"),
                                              caller=caller, client=client_info(), idempotent=idempotent, **kwargs)


# -- the objects authlib works with, built from identity's answers ----------------------------------

class Client(ClientMixin):
    def __init__(self, data: dict[str, Any]) -> None:
        self.client_id: str = data["client_id"]
        self.name: str = data["name"]
        self.redirect_uris: list[str] = list(data["redirect_uris"])
        self.first_party: bool = bool(data["first_party"])
        self.allowed_scopes: list[str] = list(data["allowed_scopes"])
        self.auth_method: str = data["token_endpoint_auth_method"]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # OpenID Connect: every authorization request names its redirect_uri

    def get_allowed_scope(self, scope: str | None) -> str:
        return list_to_scope([s for s in scope_to_list(scope or "") if s in self.allowed_scopes])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact string equality, no prefix or pattern

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(_identity("oidc_check_client_secret", self.client_id, client_secret, idempotent=True))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.auth_method == "none":
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class AuthorizationCode(AuthorizationCodeMixin):
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.code_challenge = data["code_challenge"]
        self.code_challenge_method = data["code_challenge_method"]

    def get_redirect_uri(self) -> str:
        return self.data["redirect_uri"]

    def get_scope(self) -> str:
        return self.data["scope"]

    def get_nonce(self) -> str | None:
        return self.data.get("nonce")

    def get_auth_time(self) -> int:
        return self.data["auth_time"]

    def get_amr(self) -> list[str]:
        return list(self.data.get("amr") or [])


@dataclass(frozen=True)
class EndUser:
    """Who identity says signed in: authlib needs a user to grant; the code's data come from identity."""

    nip: str
    auth_time: int = 0
    amr: list[str] = field(default_factory=list)

    def get_user_id(self) -> str:
        return self.nip


def query_client(client_id: Any) -> Client | None:
    """The registered client (asked of identity once per request), or None."""
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
        return None
    cache = g.setdefault("oidc_clients", {})
    if client_id not in cache:
        data = _identity("oidc_client", client_id, idempotent=True)
        cache[client_id] = Client(data) if data else None
    return cache[client_id]


# -- grant, extensions and endpoints ------------------------------------------------------------

class S256CodeChallenge(CodeChallenge):
    """PKCE is required of every client, and only with S256 (never `plain`)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class IdentityOpenIDCode(OpenIDCode):
    """The OpenID Connect extension; identity signs the ID token, with the access token."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return bool(_identity("oidc_nonce_used", request.payload.client_id, nonce, idempotent=True))

    def process_token(self, grant: Any, response: Any) -> Any:
        _, token, _ = response
        return token  # the id_token came from identity's oidc_issue_tokens


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def validate_authorization_request(self) -> str:
        redirect_uri = super().validate_authorization_request()
        if "openid" not in scope_to_list(self.request.scope or ""):
            raise InvalidScopeError("The scope must include openid.", redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        # Identity keeps the code for the user, methods and time its own flow recorded, and only if
        # that flow is verified; nothing about the user is sent from here.
        flow_id, browser = request.oidc_flow
        _identity("oidc_flow_code", flow_id, browser, code)

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        # identity marks the code used as it hands it out: a second presentation finds nothing.
        data = _identity("oidc_take_code", code, client.client_id)
        return AuthorizationCode(data) if data else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        pass  # already used up by oidc_take_code

    def authenticate_user(self, authorization_code: AuthorizationCode) -> EndUser:
        data = authorization_code.data
        return EndUser(nip=data["nip"], auth_time=data["auth_time"], amr=list(data.get("amr") or []))

    def generate_token(self, user: EndUser | None = None, scope: str | None = None, grant_type: str | None = None,
                       expires_in: int | None = None, include_refresh_token: bool = True) -> dict[str, Any]:
        code: AuthorizationCode = self.request.authorization_code
        try:  # identity issues them for what it stored with the code, once; it is not told the user
            return _identity("oidc_issue_tokens", self.request.client.client_id, code.data["code_id"])
        except RpcProblem as exc:
            if 400 <= exc.status < 500:
                raise InvalidGrantError("The grant can no longer be used.") from None
            raise


class _Token:
    def __init__(self, value: str) -> None:
        self.value = value

    def check_client(self, client: Client) -> bool:
        return True  # identity revokes only a token of the asking client, and ignores any other


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token:
        return _Token(token_string)

    def revoke_token(self, token: _Token, request: OAuth2Request) -> None:
        _identity("oidc_revoke", token.value, request.client.client_id)


class Server(AuthorizationServer):
    def create_oauth2_request(self, req: Any) -> OAuth2Request:
        # The later steps of the sign-in replay the request identity kept with the flow, already built.
        return req if isinstance(req, OAuth2Request) else super().create_oauth2_request(req)


@oidc.record_once
def _setup(state: Any) -> None:
    app: Flask = state.app
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(SCOPES))
    # The sign-in cookie: only for /oauth/, not sent on cross-site POSTs, Secure when the issuer is https.
    app.config["SESSION_COOKIE_NAME"] = app.config.get("OIDC_COOKIE_NAME", "ekinerja_sso")
    app.config["SESSION_COOKIE_PATH"] = "/oauth/"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if str(app.config.get("TOKEN_ISSUER", "")).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    server = Server()
    server.init_app(app, query_client=query_client, save_token=lambda token, req: None)
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), IdentityOpenIDCode(require_nonce=False)])
    server.register_endpoint(Revocation)
    app.extensions["oidc_server"] = server


def _server() -> Server:
    return current_app.extensions["oidc_server"]


@oidc.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


# -- discovery ---------------------------------------------------------------------------------------

def discovery_document(issuer: str) -> dict[str, Any]:
    base = issuer.rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "jwks_uri": f"{base}/oauth/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [auth.ALGORITHM],
        "token_endpoint_auth_methods_supported": CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": Revocation.CLIENT_AUTH_METHODS,
        "code_challenge_methods_supported": S256CodeChallenge.SUPPORTED_CODE_CHALLENGE_METHOD,
        "claims_supported": CLAIMS,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["id", "en"],
    }


@oidc.get("/.well-known/openid-configuration")
def discovery() -> Response:
    response = jsonify(discovery_document(current_app.config["TOKEN_ISSUER"]))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# -- the sign-in pages ------------------------------------------------------------------------------

def _csrf() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _page(template: str, status: int = 200, **context: Any) -> Response:
    body = render_template(f"oidc/{template}", csrf=_csrf(), **context)
    return Response(body, status=status, mimetype="text/html")


def _message(status: int, title: str, title_id: str, detail: str, detail_id: str) -> Response:
    return _page("message.html", status, title=title, title_id=title_id, detail=detail, detail_id=detail_id)


def _browser(create: bool = False) -> str | None:
    """The random value binding this browser to its sign-ins (identity keeps only its hash)."""
    if create and not session.get("browser"):
        session["browser"] = secrets.token_urlsafe(32)
    return session.get("browser")


def _stored_request(flow: dict[str, Any], browser: str) -> OAuth2Request:
    req = OAuth2Request("GET", url_for("oidc.authorize", _external=True), headers=request.headers)
    req.payload = BasicOAuth2Payload(dict(flow["params"]))
    req.oidc_flow = (flow["flow"], browser)  # read by save_authorization_code
    return req


def _authorization_error(error: OAuth2Error) -> Response:
    """Back to the client when its redirect URI is known to be its own; otherwise a page here."""
    if error.redirect_uri:
        return _server().handle_error_response(None, error)
    return _message(400, "This sign-in request is not valid", "Permintaan masuk ini tidak valid",
                    f"The application sent an invalid request ({error.error}: {error.description}). "
                    "Contact the application's administrator.",
                    f"Aplikasi mengirim permintaan yang tidak valid ({error.error}). "
                    "Hubungi pengelola aplikasi tersebut.")


def _expired() -> Response:
    return _message(400, "This sign-in page has expired", "Halaman masuk ini sudah kedaluwarsa",
                    "Go back to the application and start signing in again.",
                    "Kembali ke aplikasi dan mulai masuk lagi.")


def _login_page(flow: dict[str, Any], status: int = 200, nip: str = "",
                error: dict[str, Any] | None = None) -> Response:
    return _page("login.html", status, flow=flow["flow"], client_name=flow["client_name"], nip=nip, error=error)


def _mfa_page(flow: dict[str, Any], status: int = 200, error: dict[str, Any] | None = None) -> Response:
    return _page("mfa.html", status, flow=flow["flow"], client_name=flow["client_name"], error=error)


def _consent_page(flow: dict[str, Any], status: int = 200) -> Response:
    scopes = [SCOPE_LABELS.get(s, (s, s)) for s in scope_to_list(flow["params"].get("scope", ""))]
    return _page("consent.html", status, flow=flow["flow"], client_name=flow["client_name"], nip=flow["nip"],
                 scopes=scopes)


def _rate_limited() -> Response | None:
    """The sign-in limit per client IP (AUTH_RATE_LIMIT, as on /api/v1/auth/), as a page."""
    limiter = current_app.extensions.get("auth_rate_limiter")
    wait = limiter.hit(request.remote_addr or "unknown") if limiter else 0.0
    if not wait:
        return None
    refusal = ratelimit.rate_limited(wait)  # the API's words: one text for the one per-address limit
    response = _message(429, "Too many attempts", "Terlalu banyak percobaan", refusal.detail, refusal.detail_id)
    response.headers.update(refusal.headers)
    return response


@oidc.get("/oauth/authorize")
def authorize() -> Response:
    """Validate the client's request (client, exact redirect URI, PKCE S256, scope), open a sign-in
    flow in identity for this browser, then ask for the NIP."""
    # Each sign-in started costs identity a look-up and a row kept 10 minutes: counted like the
    # steps, per client IP.
    refused = _rate_limited()
    if refused is not None:
        return refused
    try:
        _server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _authorization_error(error)
    params = {k: request.args[k] for k in AUTH_PARAMS if request.args.get(k)}
    if any(len(v) > MAX_PARAM_LENGTH for k, v in params.items() if k != "redirect_uri"):
        return _authorization_error(InvalidRequestError("A parameter is too long."))
    flow = _identity("oidc_flow_start", _browser(create=True), params)
    hint = params.get("login_hint", "")
    return _login_page(flow, nip=hint if hint.isdigit() else "")


@oidc.post("/oauth/authorize")
def authorize_step() -> Response:
    """One step of the sign-in form, the one identity says the flow is at: password, then TOTP, then
    consent; the last one redirects."""
    refused = _rate_limited()
    if refused is not None:
        return refused
    browser = _browser()
    flow_id = request.form.get("flow", "")
    if not browser or not flow_id:
        return _expired()
    expected = session.get("csrf")
    if not expected or not secrets.compare_digest(request.form.get("csrf_token", ""), expected):
        return _message(400, "The form could not be verified", "Formulir tidak dapat diverifikasi",
                        "Reload the sign-in page from the application and try again.",
                        "Muat ulang halaman masuk dari aplikasi lalu coba lagi.")
    try:
        flow = _identity("oidc_flow_get", flow_id, browser)
    except RpcProblem as exc:
        if exc.problem.get("code") == FLOW_INVALID:
            return _expired()
        raise
    step = {"password": _password_step, "mfa": _mfa_step, "consent": _consent_step}.get(flow["step"])
    return step(flow, browser) if step else _next(flow, browser)


def _flow_refusal(exc: RpcProblem) -> Response | None:
    """The page for a refusal that ends the sign-in, or None when the step may be tried again."""
    code = exc.problem.get("code")
    if code == FLOW_INVALID:
        return _expired()
    if code == "mfa-enrollment-required":
        return _message(exc.status, "Set up two-step verification first", "Aktifkan verifikasi dua langkah dahulu",
                        exc.problem.get("detail", ""), exc.problem.get("detail_id", ""))
    return None


def _password_step(flow: dict[str, Any], browser: str) -> Response:
    nip = request.form.get("nip", "").strip()
    password = request.form.get("password", "")
    if not nip or not password:
        return _login_page(flow, 422, nip, {"detail": "Enter your NIP and password.",
                                            "detail_id": "Masukkan NIP dan kata sandi Anda."})
    try:
        flow = _identity("oidc_flow_password", flow["flow"], browser, nip, password)
    except RpcProblem as exc:
        return _flow_refusal(exc) or _retry_after(_login_page(flow, exc.status, nip, exc.problem), exc)
    return _next(flow, browser)


def _mfa_step(flow: dict[str, Any], browser: str) -> Response:
    code = "".join(request.form.get("code", "").split())
    if not code:
        return _mfa_page(flow, 422, {"detail": "Enter the code from your authenticator app.",
                                     "detail_id": "Masukkan kode dari aplikasi autentikator Anda."})
    second: dict[str, Any] = {"code": code} if code.isdigit() and len(code) == 6 else {"recovery_code": code}
    try:
        flow = _identity("oidc_flow_mfa", flow["flow"], browser, **second)
    except RpcProblem as exc:
        return _flow_refusal(exc) or _retry_after(_mfa_page(flow, exc.status, exc.problem), exc)
    return _next(flow, browser)


def _consent_step(flow: dict[str, Any], browser: str) -> Response:
    decision = request.form.get("decision")
    if decision not in ("allow", "deny"):
        return _consent_page(flow, 422)
    try:
        flow = _identity("oidc_flow_consent", flow["flow"], browser, decision)
    except RpcProblem as exc:
        refusal = _flow_refusal(exc)
        if refusal is None:
            raise
        return refusal
    return _next(flow, browser)


def _retry_after(response: Response, exc: RpcProblem) -> Response:
    """A lockout (429) says when to try again, as on the API."""
    wait = retry_after_seconds(exc.problem.get("retry_after"))
    if exc.status == 429 and wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


def _next(flow: dict[str, Any], browser: str) -> Response:
    """The page of the step identity moved the flow to; a verified or denied flow goes back to the
    application (with a code that identity stores for this flow, or with access_denied)."""
    if flow["step"] == "mfa":
        return _mfa_page(flow)
    if flow["step"] == "consent":
        return _consent_page(flow)
    if flow["step"] not in ("verified", "denied"):
        return _expired()
    user = EndUser(nip=flow["nip"]) if flow["step"] == "verified" else None
    req = _stored_request(flow, browser)
    try:
        grant = _server().get_consent_grant(req, end_user=user)
        # authlib answers access_denied to the client when there is no user.
        return _server().create_authorization_response(request=req, grant_user=user, grant=grant)
    except OAuth2Error as error:
        return _authorization_error(error)


# -- token, userinfo, revocation ------------------------------------------------------------------

@oidc.post("/oauth/token")
def token() -> Response:
    return _server().create_token_response()


@oidc.post("/oauth/revoke")
def revoke() -> Response:
    return _server().create_endpoint_response("revocation")


def _bearer_error(error: str | None, description: str) -> Response:
    challenge = 'Bearer realm="ekinerja-oidc"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    response = jsonify(error=error or "invalid_request", error_description=description)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    return response


@oidc.route("/oauth/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return _bearer_error(None, "Send the access token as Authorization: Bearer <token>.")
    try:
        return jsonify(_identity("oidc_userinfo", parts[1], idempotent=True))
    except RpcProblem as exc:
        if exc.status == 401:
            return _bearer_error("invalid_token", "The access token is invalid, expired or revoked.")
        raise


# -- failures of identity or the broker on these routes -------------------------------------------

@oidc.errorhandler(RpcProblem)
@oidc.errorhandler(ServiceTimeout)
@oidc.errorhandler(ServiceUnavailable)
@oidc.errorhandler(ServiceFailed)
@oidc.errorhandler(GatewayProblem)
def _failure(exc: Exception) -> Response:
    if isinstance(exc, RpcProblem):
        status = exc.status
        detail, detail_id = exc.problem.get("detail", ""), exc.problem.get("detail_id", "")
    elif isinstance(exc, GatewayProblem):
        status, detail, detail_id = exc.status, exc.detail, exc.detail_id
    else:
        if isinstance(exc, ServiceFailed):
            log.error("service %s failed: %s", exc.service, exc.remote)
        status = 502 if isinstance(exc, ServiceFailed) else 504 if isinstance(exc, ServiceTimeout) else 503
        detail = "The sign-in service is not available right now. Please try again shortly."
        detail_id = "Layanan masuk sedang tidak tersedia. Silakan coba lagi sebentar lagi."
    if request.endpoint in HTML_PAGES:
        return _message(status, "Sign-in could not continue", "Proses masuk tidak dapat dilanjutkan", detail,
                        detail_id)
    error = "invalid_request" if 400 <= status < 500 else (
        "temporarily_unavailable" if status in (503, 504) else "server_error")
    response = jsonify(error=error, error_description=detail)
    response.status_code = status if 400 <= status < 500 else (503 if status in (503, 504) else 500)
    return response

