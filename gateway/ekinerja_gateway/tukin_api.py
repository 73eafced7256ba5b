"""The /api/v1/tukin routes (allowances): each checks the request's shape and makes one RPC."""

from __future__ import annotations

import base64
from typing import Any

import yaml
from flask import Response, request

from .api import answer, api, call
from .auth import ADMIN_ROLES, requires_roles
from .bodies import (
    OFFSET,
    OPTIONAL,
    REQUIRED,
    body_fields,
    json_object,
    limit,
    query_fields,
    screen_document,
    too_deep,
)
from .problems import GatewayProblem

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
AGENCY_LIMIT_MAX = 1000  # the largest page of an agency's allowances
# YAML aliases let a small text stand for a huge document: a policy is a few hundred values.
MAX_POLICY_VALUES = 100_000


def tukin(method: str, *args: Any, idempotent: bool = False) -> Any:
    return call("tukin", method, *args, idempotent=idempotent)


def _policy_body() -> dict[str, Any]:
    """A policy as JSON, or as YAML (the format agencies write them in)."""
    if request.mimetype in YAML_TYPES:
        try:
            body = yaml.safe_load(request.get_data(as_text=True))
        except yaml.YAMLError as exc:
            raise GatewayProblem(400, "body-not-yaml", "Bad request", f"The YAML body cannot be read: {exc}",
                                 f"Isi YAML tidak dapat dibaca: {exc}") from None
        except RecursionError:
            raise too_deep() from None
        screen_document(body, MAX_POLICY_VALUES)
        if not isinstance(body, dict):
            raise GatewayProblem(400, "body-not-object", "Bad request", "The policy must be a mapping.",
                                 "Kebijakan harus berupa pemetaan (mapping).")
        return body
    return json_object()


@api.get("/tukin/policies")
def tukin_policies() -> Response:
    fields = query_fields({"agency_id": OPTIONAL})
    return answer(tukin("policies", fields.get("agency_id"), idempotent=True))


@api.post("/tukin/policies")
@requires_roles(*ADMIN_ROLES)
def tukin_put_policy() -> Response:
    return answer(call("tukin", "put_policy", _policy_body()), 201)


@api.post("/tukin/computations")
@requires_roles(*ADMIN_ROLES)
def tukin_compute() -> Response:
    fields = body_fields({"month": REQUIRED, "agency_id": OPTIONAL})
    return answer(call("tukin", "compute", fields["month"], fields.get("agency_id")))


@api.get("/tukin/me")
def tukin_mine() -> Response:
    fields = query_fields({"month": REQUIRED})
    return answer(tukin("mine", fields["month"], idempotent=True))


@api.get("/tukin/team")
def tukin_team() -> Response:
    fields = query_fields({"month": REQUIRED})
    return answer(tukin("team", fields["month"], idempotent=True))


@api.get("/tukin/agency")
@requires_roles(*ADMIN_ROLES)
def tukin_agency() -> Response:
    fields = query_fields({"month": REQUIRED, "agency_id": OPTIONAL, "offset": OFFSET,
                           "limit": limit(AGENCY_LIMIT_MAX)})
    return answer(call("tukin", "agency", fields["month"], fields.get("agency_id"), fields.get("offset", 0),
                       fields.get("limit", 200), idempotent=True))


def _payroll_file(fmt: str) -> Response:
    """The payroll file tukin made (it refuses a month that has not closed): CSV text, or XLSX bytes
    carried over the bus as base64."""
    fields = query_fields({"month": REQUIRED, "agency_id": OPTIONAL})
    made = call("tukin", "export", fields["month"], fields.get("agency_id"), fmt, idempotent=True)
    content = base64.b64decode(made["content_base64"]) if "content_base64" in made else made["content"]
    return Response(content, mimetype=made["media_type"],
                    headers={"Content-Disposition": f'attachment; filename="{made["filename"]}"'})


@api.get("/tukin/export.csv")
@requires_roles(*ADMIN_ROLES)
def tukin_export() -> Response:
    return _payroll_file("csv")


@api.get("/tukin/export.xlsx")
@requires_roles(*ADMIN_ROLES)
def tukin_export_xlsx() -> Response:
    return _payroll_file("xlsx")


@api.get("/tukin/promotion")
def tukin_promotion() -> Response:
    fields = query_fields({"nip": OPTIONAL})
    return answer(tukin("promotion", fields.get("nip"), idempotent=True))
