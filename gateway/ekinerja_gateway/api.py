"""The /api/v1 routes: each checks the request's shape and maps it to one RPC (docs/identity-rpc.md).

Authentication happens before these views run (auth.install): every route here needs a Bearer
token unless marked `@public` / `@public_with_ticket`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from .auth import ADMIN_ROLES, public, public_with_ticket, requires_roles
from .bodies import (
    OPTIONAL,
    OPTIONAL_BOOL,
    OPTIONAL_INT,
    OPTIONAL_LIST,
    OPTIONAL_OBJECT,
    REQUIRED,
    REQUIRED_LIST,
    YEAR,
    Field,
    body_fields,
    field_error,
    invalid,
    json_object,
    limit,
    parse,
    query_fields,
)
from .problems import GatewayProblem

api = Blueprint("api", __name__, url_prefix="/api/v1")

USER_AGENT_MAX = 512
AUDIT_LIMIT_MAX = 500  # identity's largest page of the audit log


def client_info() -> dict[str, str]:
    """The `client` context data of every RPC: who is on the other end of this HTTP request."""
    return {"ip": request.remote_addr or "", "user_agent": request.user_agent.string[:USER_AGENT_MAX]}


def call(service: str, method: str, *args: Any, idempotent: bool = False, quick: bool = False, **kwargs: Any) -> Any:
    """One RPC with this request's id, client and (on authenticated routes) verified caller;
    `quick`: within the short probe timeout, for an answer the request can do without."""
    return current_app.extensions["rpc"].call(service, method, *args, request_id=g.get("request_id"),
                                              caller=g.get("caller"), client=client_info(),
                                              idempotent=idempotent, quick=quick, **kwargs)


def identity(method: str, *args: Any, idempotent: bool = False, **kwargs: Any) -> Any:
    return call("identity", method, *args, idempotent=idempotent, **kwargs)


def answer(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


@api.after_request
def _no_store(response: Response) -> Response:
    # Tokens and personal data: no shared or browser cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


# -- sign-in (public) ------------------------------------------------------------------------

@api.post("/auth/login")
@public
def login() -> Response:
    fields = body_fields({"nip": REQUIRED, "password": REQUIRED, "device_name": OPTIONAL, "device_token": OPTIONAL})
    return answer(identity("login", fields.pop("nip"), fields.pop("password"), **fields))


@api.post("/auth/mfa")
@public
def verify_mfa() -> Response:
    fields = body_fields({"mfa_ticket": REQUIRED, "code": OPTIONAL, "recovery_code": OPTIONAL,
                          "trust_device": OPTIONAL_BOOL, "device_name": OPTIONAL})
    if "code" not in fields and "recovery_code" not in fields:
        raise invalid([field_error("code", "required")])
    return answer(identity("verify_mfa", fields.pop("mfa_ticket"), **fields))


@api.post("/auth/refresh")
@public
def refresh() -> Response:
    fields = body_fields({"refresh_token": REQUIRED})
    return answer(identity("refresh", fields["refresh_token"]))


@api.post("/auth/activation")
@public
def request_activation() -> Response:
    fields = body_fields({"nip": REQUIRED, "nik": REQUIRED, "email": REQUIRED})
    return answer(identity("request_activation", fields["nip"], fields["nik"], fields["email"]), 202)


@api.post("/auth/activation/confirm")
@public
def activate() -> Response:
    fields = body_fields({"token": REQUIRED, "password": REQUIRED})
    return answer(identity("activate", fields["token"], fields["password"]))


@api.post("/auth/password/forgot")
@public
def request_password_reset() -> Response:
    # With the NIK too, identity answers a refusal precisely (NIP and NIK prove who asks).
    fields = body_fields({"nip": REQUIRED, "email": REQUIRED, "nik": OPTIONAL})
    return answer(identity("request_password_reset", fields["nip"], fields["email"], fields.get("nik")), 202)


@api.post("/auth/password/reset")
@public
def reset_password() -> Response:
    fields = body_fields({"token": REQUIRED, "password": REQUIRED})
    return answer(identity("reset_password", fields["token"], fields["password"]))


# -- MFA enrollment: public with an enrollment ticket, else the signed-in caller --------------

@api.post("/auth/mfa/enroll")
@public_with_ticket("enrollment_ticket")
def mfa_enroll() -> Response:
    # Replacing an enrolled authenticator also needs its current `code` or a `recovery_code`.
    fields = body_fields({"enrollment_ticket": OPTIONAL, "code": OPTIONAL, "recovery_code": OPTIONAL}, empty_ok=True)
    return answer(identity("mfa_enroll", **fields))


@api.post("/auth/mfa/enroll/confirm")
@public_with_ticket("enrollment_ticket")
def mfa_confirm() -> Response:
    fields = body_fields({"code": REQUIRED, "enrollment_ticket": OPTIONAL})
    return answer(identity("mfa_confirm", fields.pop("code"), **fields))


# -- the signed-in caller ----------------------------------------------------------------------

@api.post("/auth/logout")
def logout() -> Response:
    return answer(identity("logout"))


@api.get("/auth/sessions")
def list_sessions() -> Response:
    return answer(identity("list_sessions", idempotent=True))


@api.delete("/auth/sessions/<session_id>")
def revoke_session(session_id: str) -> Response:
    return answer(identity("revoke_session", session_id))


@api.post("/auth/password/change")
def change_password() -> Response:
    fields = body_fields({"current_password": REQUIRED, "new_password": REQUIRED})
    return answer(identity("change_password", fields["current_password"], fields["new_password"]))


@api.get("/me")
def whoami() -> Response:
    from .sync_api import sync_state  # that module's routes import this one

    # `sync`: whether "Sinkronisasi ASN" can be pressed now, and if not why and who can (sync's rule).
    return answer({**identity("whoami", idempotent=True), "sync": sync_state()})


@api.get("/employees/<nip>")
def get_employee(nip: str) -> Response:
    # Who may see whom is the sync service's rule: it gets the caller with the call.
    return answer(call("sync", "get_employee", nip, idempotent=True))


# -- administrators ------------------------------------------------------------------------------

@api.post("/admin/users/<nip>/mfa/reset")
@requires_roles(*ADMIN_ROLES)
def admin_reset_mfa(nip: str) -> Response:
    return answer(identity("admin_reset_mfa", nip))


@api.get("/admin/audit")
@requires_roles(*ADMIN_ROLES)
def audit_events() -> Response:
    params = query_fields({"nip": OPTIONAL, "type": OPTIONAL, "limit": limit(AUDIT_LIMIT_MAX)})
    return answer(identity("audit_events", idempotent=True, **params))


# -- SKP (performance plans) -----------------------------------------------------------------

SKP_ACTIONS = ("submit", "approve", "return", "revise", "publish")


def skp(method: str, *args: Any, idempotent: bool = False) -> Any:
    return call("skp", method, *args, idempotent=idempotent)


def skp_body(spec: dict[str, Field], empty_ok: bool = False) -> dict[str, Any]:
    """The body of an SKP route by `spec`; a field the route does not take is refused (422), not
    dropped, so a misspelt or misplaced field never passes for an accepted one."""
    body = json_object(empty_ok)
    unknown = [name for name in body if name not in spec]
    if unknown:
        allowed = ", ".join(spec) or "-"
        raise invalid([{"field": name, "rule": "unknown-field",
                        "detail": f"'{name}' is not a field of this request (allowed: {allowed}).",
                        "detail_id": f"'{name}' bukan kolom permintaan ini (yang diizinkan: {allowed})."}
                       for name in unknown])
    return parse(spec, body)


@api.post("/skp")
def create_skp() -> Response:
    fields = skp_body({"year": YEAR, "approach": REQUIRED, "rhk": REQUIRED_LIST})
    return answer(skp("create_skp", fields["year"], fields["approach"], fields["rhk"]), 201)


@api.get("/skp/intervenable")
def skp_intervenable() -> Response:
    fields = query_fields({"year": YEAR})
    return answer(skp("intervenable", fields["year"], idempotent=True))


@api.get("/skp/ak")
def skp_credit_points() -> Response:
    fields = query_fields({"nip": OPTIONAL})
    return answer(skp("credit_points", fields.get("nip"), idempotent=True))


@api.get("/skp")
def my_skps() -> Response:
    return answer(skp("my_skps", idempotent=True))


@api.get("/skp/team")
def skp_team() -> Response:
    fields = query_fields({"year": YEAR})
    return answer(skp("team", fields["year"], idempotent=True))


@api.get("/skp/proposals")
def skp_proposals() -> Response:
    fields = query_fields({"year": YEAR})
    return answer(skp("my_proposals", fields["year"], idempotent=True))


@api.post("/skp/proposals/<proposal_id>/accept")
def accept_skp_proposal(proposal_id: str) -> Response:
    fields = skp_body({"iki": OPTIONAL_LIST, "kind": OPTIONAL, "intervenes": OPTIONAL}, empty_ok=True)
    # `intervenes` goes by name and only when given: a request without it still suits an skp
    # that predates the field (rolling deploys).
    chosen = {"intervenes": fields["intervenes"]} if fields.get("intervenes") else {}
    return answer(call("skp", "accept_proposal", proposal_id, fields.get("iki"), fields.get("kind") or "utama",
                       **chosen))


@api.post("/skp/proposals/<proposal_id>/decline")
def decline_skp_proposal(proposal_id: str) -> Response:
    fields = skp_body({"note": REQUIRED})
    return answer(call("skp", "decline_proposal", proposal_id, fields["note"]))


@api.get("/skp/<skp_id>/rhk/<rhk_id>/matriks")
def skp_matrix(skp_id: str, rhk_id: str) -> Response:
    return answer(skp("matrix", skp_id, rhk_id, idempotent=True))


@api.put("/skp/<skp_id>/rhk/<rhk_id>/matriks")
def lay_out_skp_matrix(skp_id: str, rhk_id: str) -> Response:
    fields = skp_body({"cells": REQUIRED_LIST})
    return answer(call("skp", "lay_out_matrix", skp_id, rhk_id, fields["cells"]))


@api.get("/skp/<skp_id>")
def get_skp(skp_id: str) -> Response:
    return answer(skp("get_skp", skp_id, idempotent=True))


@api.put("/skp/<skp_id>")
def update_skp(skp_id: str) -> Response:
    fields = skp_body({"approach": REQUIRED, "rhk": REQUIRED_LIST})
    return answer(skp("update_skp", skp_id, fields["approach"], fields["rhk"]))


@api.put("/skp/<skp_id>/ekspektasi")
def set_skp_ekspektasi(skp_id: str) -> Response:
    fields = skp_body({"ekspektasi_khusus": Field("object")})
    return answer(skp("set_ekspektasi", skp_id, fields["ekspektasi_khusus"]))


@api.get("/skp/<skp_id>/cascade")
def skp_cascade(skp_id: str) -> Response:
    return answer(skp("cascade", skp_id, idempotent=True))


@api.post("/skp/<skp_id>/<action>")
def skp_action(skp_id: str, action: str) -> Response:
    if action not in SKP_ACTIONS:
        raise GatewayProblem(404, "http-404", "Not Found", f"Unknown SKP action '{action}'.",
                             f"Tindakan SKP '{action}' tidak dikenal.")
    fields = skp_body({"note": OPTIONAL}, empty_ok=True)
    return answer(call("skp", "act", skp_id, action, fields.get("note")))


# -- SKP evaluation (periods, realisasi, ratings, finalising a unit) ---------------------------------



@api.get("/skp/periods")
def skp_periods() -> Response:
    fields = query_fields({"year": YEAR})
    return answer(skp("periods", fields["year"], idempotent=True))


@api.post("/skp/periods")
@requires_roles(*ADMIN_ROLES)
def define_skp_periods() -> Response:
    fields = skp_body({"year": YEAR, "frequency": OPTIONAL, "deadline_days": OPTIONAL_INT,
                       "distribution_mode": OPTIONAL, "rating_opens_days": OPTIONAL_INT})
    # `rating_opens_days` goes by name and only when given (an skp that predates it still answers).
    window = {"rating_opens_days": fields["rating_opens_days"]} if "rating_opens_days" in fields else {}
    return answer(call("skp", "define_periods", fields["year"], fields.get("frequency"),
                       fields.get("deadline_days"), fields.get("distribution_mode"), **window))


@api.get("/skp/<skp_id>/evaluations")
def skp_evaluations(skp_id: str) -> Response:
    return answer(skp("evaluations", skp_id, idempotent=True))


@api.put("/skp/<skp_id>/evaluations/<period_id>/realisasi")
def record_realisasi(skp_id: str, period_id: str) -> Response:
    fields = skp_body({"items": REQUIRED_LIST})
    return answer(call("skp", "record_realisasi", skp_id, period_id, fields["items"]))


@api.post("/skp/<skp_id>/evaluations/<period_id>/evaluate")
def evaluate_skp(skp_id: str, period_id: str) -> Response:
    fields = skp_body({"rating_hasil_kerja": REQUIRED, "rating_perilaku": REQUIRED,
                       "feedback_rhk": OPTIONAL_OBJECT, "feedback_perilaku": OPTIONAL_OBJECT,
                       "ends_position": OPTIONAL})
    ends = {"ends_position": fields["ends_position"]} if "ends_position" in fields else {}
    return answer(call("skp", "evaluate", skp_id, period_id, fields["rating_hasil_kerja"],
                       fields["rating_perilaku"], fields.get("feedback_rhk"), fields.get("feedback_perilaku"),
                       **ends))


@api.put("/skp/units/<unit_id>/periods/<period_id>/predikat")
def set_unit_predikat(unit_id: str, period_id: str) -> Response:
    fields = skp_body({"unit_predikat": REQUIRED})
    return answer(call("skp", "set_unit_predikat", unit_id, period_id, fields["unit_predikat"]))


@api.post("/skp/units/<unit_id>/periods/<period_id>/finalise")
def finalise_unit(unit_id: str, period_id: str) -> Response:
    skp_body({}, empty_ok=True)  # the unit's predikat is the one its head's penilai (or the admin) set
    return answer(call("skp", "finalise_unit", unit_id, period_id))
