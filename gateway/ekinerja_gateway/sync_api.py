"""Master-data routes of the sync service: the self-service diagnosis ("why can't I sign in or fill in
my SKP?") and the agency admin's repairs. Each checks the request's shape and makes one RPC (the
diagnosis two: identity's state of the account, handed on to sync); who may see or repair whose data
is the sync service's rule (an admin instansi only within their agency)."""

from __future__ import annotations

from typing import Any

from flask import Response

from ekinerja_kernel.rpc import RpcProblem

from .api import answer, api, call
from .auth import ADMIN_ROLES, requires_roles
from .bodies import (
    OFFSET,
    OPTIONAL,
    OPTIONAL_BOOL,
    OPTIONAL_YEAR,
    REQUIRED,
    SEMESTER,
    YEAR,
    body_fields,
    limit,
    query_fields,
)
from .rpc import ServiceFailed, ServiceTimeout, ServiceUnavailable

LIST_LIMIT_MAX = 500  # sync's largest page of employees, findings and repairs
SYNC_RUNS_LIMIT_MAX = 200  # ... and of registry runs


def sync(method: str, *args: Any, idempotent: bool = False, **kwargs: Any) -> Any:
    return call("sync", method, *args, idempotent=idempotent, **kwargs)


# --- diagnosis -------------------------------------------------------------------------------------

def _sign_in_state(nip: str | None) -> dict[str, Any] | None:
    """identity's state of the account (activation, lockouts, MFA), handed to sync's diagnosis as it
    is. None when identity refuses or cannot answer quickly (a slow identity must not hold gateway
    workers): the diagnosis then says it does not know, and sync alone decides who may see it."""
    try:
        return call("identity", "sign_in_state", nip, idempotent=True, quick=True)
    except (RpcProblem, ServiceFailed, ServiceTimeout, ServiceUnavailable):
        return None


def sync_state() -> dict[str, Any] | None:
    """Whether the caller can press "Sinkronisasi ASN" now and, if not, why and who can (GET
    /api/v1/me); None when sync cannot answer quickly: the rest of /me does not wait for it."""
    try:
        return sync("sync_state", idempotent=True, quick=True)
    except (RpcProblem, ServiceFailed, ServiceTimeout, ServiceUnavailable):
        return None


def _diagnosis(nip: str | None) -> Response:
    fields = query_fields({"year": OPTIONAL_YEAR})
    return answer(sync("diagnose", nip, fields.get("year"), sign_in=_sign_in_state(nip), idempotent=True))


@api.get("/me/diagnosis")
def my_diagnosis() -> Response:
    return _diagnosis(None)


@api.get("/employees/<nip>/diagnosis")
def employee_diagnosis(nip: str) -> Response:
    return _diagnosis(nip)


# --- admin repairs -----------------------------------------------------------------------------------

@api.get("/admin/units/<unit_id>/employees")
@requires_roles(*ADMIN_ROLES)
def admin_unit_employees(unit_id: str) -> Response:
    fields = query_fields({"offset": OFFSET, "limit": limit(LIST_LIMIT_MAX)})
    return answer(sync("unit_employees", unit_id, fields.get("offset", 0), fields.get("limit", 100),
                       idempotent=True))


@api.get("/admin/agencies/<agency_id>/findings")
@requires_roles(*ADMIN_ROLES)
def admin_agency_findings(agency_id: str) -> Response:
    fields = query_fields({"code": OPTIONAL, "status": OPTIONAL, "offset": OFFSET, "limit": limit(LIST_LIMIT_MAX),
                           "year": OPTIONAL_YEAR})
    return answer(sync("agency_findings", agency_id, fields.get("code"), fields.get("status"),
                       fields.get("offset", 0), fields.get("limit", 100), fields.get("year"), idempotent=True))


@api.put("/admin/employees/<nip>/supervisor")
@requires_roles(*ADMIN_ROLES)
def admin_set_supervisor(nip: str) -> Response:
    fields = body_fields({"supervisor_nip": REQUIRED, "reason": OPTIONAL})
    return answer(sync("set_supervisor", nip, fields["supervisor_nip"], fields.get("reason")))


@api.post("/admin/employees/<nip>/supervisor/reset")
@requires_roles(*ADMIN_ROLES)
def admin_reset_supervisor(nip: str) -> Response:
    fields = body_fields({"reason": OPTIONAL}, empty_ok=True)
    return answer(sync("set_supervisor", nip, None, fields.get("reason")))


@api.post("/admin/employees/<nip>/deactivate")
@requires_roles(*ADMIN_ROLES)
def admin_deactivate(nip: str) -> Response:
    fields = body_fields({"reason": OPTIONAL}, empty_ok=True)
    return answer(sync("set_status", nip, "inactive", fields.get("reason")))


@api.post("/admin/employees/<nip>/reactivate")
@requires_roles(*ADMIN_ROLES)
def admin_reactivate(nip: str) -> Response:
    fields = body_fields({"reason": OPTIONAL}, empty_ok=True)
    return answer(sync("set_status", nip, "active", fields.get("reason")))


@api.put("/admin/employees/<nip>/email")
@requires_roles(*ADMIN_ROLES)
def admin_set_email(nip: str) -> Response:
    fields = body_fields({"email": REQUIRED, "reason": OPTIONAL})
    return answer(sync("set_email", nip, fields["email"], fields.get("reason")))


@api.post("/admin/acting")
@requires_roles(*ADMIN_ROLES)
def admin_record_acting() -> Response:
    fields = body_fields({"id": OPTIONAL, "unit_id": REQUIRED, "position_id": REQUIRED, "nip": REQUIRED,
                          "kind": REQUIRED, "start_date": REQUIRED, "end_date": REQUIRED, "reason": OPTIONAL})
    reason = fields.pop("reason", None)
    result = sync("record_acting", fields, reason)
    return answer(result, 201 if result.get("created") else 200)


@api.get("/admin/repairs")
@requires_roles(*ADMIN_ROLES)
def admin_repairs() -> Response:
    fields = query_fields({"nip": OPTIONAL, "limit": limit(LIST_LIMIT_MAX)})
    return answer(sync("repair_log", fields.get("nip"), fields.get("limit", 100), idempotent=True))


# --- registry sync ("Sinkronisasi ASN") and PMM -------------------------------------------------------

@api.post("/me/sync")
def my_sync() -> Response:
    """"Sinkronisasi ASN": the caller's master data from the national registry, now."""
    body_fields({}, empty_ok=True)
    return answer(sync("sync_me"))


@api.post("/me/pmm/sync")
def my_pmm_sync() -> Response:
    """"Sinkron PMM": the caller's RHK agreed in PMM for a semester, as proposals in their SKP."""
    fields = body_fields({"year": YEAR, "semester": SEMESTER})
    return answer(sync("import_pmm", fields["year"], fields["semester"]))


@api.post("/admin/employees/<nip>/sync")
@requires_roles(*ADMIN_ROLES)
def admin_sync_employee(nip: str) -> Response:
    body_fields({}, empty_ok=True)
    return answer(sync("sync_me", nip))


@api.post("/admin/agencies/<agency_id>/sync")
@requires_roles(*ADMIN_ROLES)
def admin_sync_agency(agency_id: str) -> Response:
    """Queued for the sync service's loop: 202 with the run to follow (the same run while one is
    already queued or running for the agency)."""
    fields = body_fields({"full": OPTIONAL_BOOL}, empty_ok=True)
    run = sync("sync_agency", agency_id, fields.get("full", False))
    response = answer(run, 202)
    response.headers["Location"] = f"/api/v1/admin/sync-runs/{run['id']}"
    return response


@api.get("/admin/sync-runs")
@requires_roles(*ADMIN_ROLES)
def admin_sync_runs() -> Response:
    fields = query_fields({"agency_id": OPTIONAL, "kind": OPTIONAL, "status": OPTIONAL, "offset": OFFSET,
                           "limit": limit(SYNC_RUNS_LIMIT_MAX)})
    return answer(sync("sync_runs", fields.get("agency_id"), fields.get("kind"), fields.get("status"),
                       fields.get("offset", 0), fields.get("limit", 50), idempotent=True))


@api.get("/admin/sync-runs/<run_id>")
@requires_roles(*ADMIN_ROLES)
def admin_sync_run(run_id: str) -> Response:
    return answer(sync("sync_run", run_id, idempotent=True))
