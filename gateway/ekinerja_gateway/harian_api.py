"""The /api/v1/harian routes (daily progress). Submissions take the peak-safe path: checked for
shape, handed to harian's durable queue with a publisher confirm, answered 202 with a status URL.
Everything else is one RPC, like the other routes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from flask import Response, current_app, g, request
from harian_contract.entry import read_date, submission_errors
from harian_contract.submission import IDEMPOTENCY_KEY, submission_id

from ekinerja_kernel import config
from ekinerja_kernel.bus import HARIAN_SUBMIT

from .api import answer, api, call
from .auth import ADMIN_ROLES, authenticate, requires_roles
from .bodies import (
    MONTH,
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
    invalid,
    json_object,
    parse,
    query_fields,
)
from .problems import GatewayProblem


def harian(method: str, *args: Any, idempotent: bool = False) -> Any:
    return call("harian", method, *args, idempotent=idempotent)


def _day(value: Any, name: str = "date") -> dt.date:
    """A date parameter, read by harian's own rule (its wire contract)."""
    day, errors = read_date(value, name)
    if errors:
        raise invalid([e.to_dict() for e in errors])
    assert day is not None
    return day


def fingerprint(body: Any) -> str:
    """What makes two requests with one Idempotency-Key the same request: method, path and the body
    as canonical JSON (keys sorted, no insignificant whitespace), hashed."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


# --- my days -----------------------------------------------------------------------------------

@api.get("/harian/rhk")
def harian_rhk() -> Response:
    fields = query_fields({"date": REQUIRED})
    return answer(harian("rhk_for_day", _day(fields["date"]).isoformat(), idempotent=True))


@api.get("/harian/days/<date>")
def harian_day(date: str) -> Response:
    return answer(harian("my_day", _day(date).isoformat(), idempotent=True))


@api.put("/harian/days/<date>/draft")
def harian_save_draft(date: str) -> Response:
    fields = body_fields({"activities": REQUIRED_LIST})
    return answer(harian("save_draft", _day(date).isoformat(), fields["activities"]))


@api.delete("/harian/days/<date>/draft")
def harian_delete_draft(date: str) -> Response:
    return answer(harian("delete_draft", _day(date).isoformat()))


@api.get("/harian/calendar")
def harian_calendar() -> Response:
    fields = query_fields({"year": YEAR, "month": MONTH})
    return answer(harian("my_month", fields["year"], fields["month"], idempotent=True))


@api.post("/harian/submissions")
def harian_submit() -> Response:
    """Submit a day: its activities, or (without them) the day's saved draft. 202 once the broker
    holds it; harian applies the rules that need its data and the status URL tells the outcome."""
    caller = authenticate()
    body = json_object()
    fields = parse({"date": REQUIRED, "activities": OPTIONAL_LIST}, body)
    # Every rule that needs no stored data, from harian's contract: refused now, never queued.
    day, errors = submission_errors(fields["date"], fields.get("activities"), config.today())
    if errors:
        raise invalid([e.to_dict() for e in errors])
    assert day is not None
    limiter = current_app.extensions["submission_limiter"]
    wait = limiter.hit(caller["nip"])
    if wait:
        seconds = max(1, int(wait) + 1)
        raise GatewayProblem(429, "rate-limited", "Too many submissions",
                             f"Too many submissions from your account. Try again in {seconds} s.",
                             f"Terlalu banyak pengiriman dari akun Anda. Coba lagi dalam {seconds} detik.",
                             headers={"Retry-After": str(seconds)}, retry_after=seconds)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise invalid([{"field": "Idempotency-Key", "rule": "format",
                        "detail": "Idempotency-Key must be 1 to 200 visible ASCII characters.",
                        "detail_id": "Idempotency-Key harus 1 sampai 200 karakter ASCII yang terlihat."}])
    accepted_at = dt.datetime.now(dt.UTC).isoformat()
    if key is None:
        submitted = {"id": submission_id(caller["nip"], None), "date": day.isoformat(), "accepted_at": accepted_at}
    else:
        # harian records the first request of each key: a retry of it gets its answer (and is queued
        # again, harmlessly: harian stores a submission id once), another request with it a 422.
        submitted = call("harian", "claim_submission", key, fingerprint(body), day.isoformat(), accepted_at,
                         idempotent=True)
    current_app.extensions["commands"].send(HARIAN_SUBMIT, caller["nip"], {
        "id": submitted["id"], "nip": caller["nip"], "date": submitted["date"], "activities": fields.get("activities"),
        "accepted_at": submitted["accepted_at"]}, g.get("request_id"))
    status_url = f"/api/v1/harian/submissions/{submitted['id']}"
    response = answer({"id": submitted["id"], "status": "accepted", "date": submitted["date"],
                       "accepted_at": submitted["accepted_at"], "status_url": status_url}, 202)
    response.headers["Location"] = status_url
    return response


@api.get("/harian/submissions/<submission_id>")
def harian_submission(submission_id: str) -> Response:
    try:
        uuid.UUID(submission_id)
    except ValueError:
        raise GatewayProblem(404, "http-404", "Not Found", "No such submission.", "Pengiriman tidak ditemukan.") \
            from None
    return answer(harian("submission_status", submission_id, idempotent=True))


# --- my team -----------------------------------------------------------------------------------

@api.get("/harian/team")
def harian_team() -> Response:
    fields = query_fields({"from": REQUIRED, "to": OPTIONAL, "of": OPTIONAL})
    start = _day(fields["from"], "from").isoformat()
    end = _day(fields["to"], "to").isoformat() if fields.get("to") else None
    return answer(harian("team_days", start, end, fields.get("of"), idempotent=True))


@api.get("/harian/decisions")
def harian_decisions() -> Response:
    """The supervisor's decisions (with each return note) on an employee's days, up to a year."""
    fields = query_fields({"nip": REQUIRED, "from": REQUIRED, "to": OPTIONAL})
    start = _day(fields["from"], "from").isoformat()
    end = _day(fields["to"], "to").isoformat() if fields.get("to") else None
    return answer(harian("decisions", fields["nip"], start, end, idempotent=True))


@api.post("/harian/decisions")
def harian_decide() -> Response:
    """Approve or return one or many submitted entries of my team."""
    fields = body_fields({"entry_ids": REQUIRED_LIST, "action": REQUIRED, "note": OPTIONAL})
    return answer(call("harian", "decide", fields["entry_ids"], fields["action"], fields.get("note")))


# --- agency ------------------------------------------------------------------------------------

@api.get("/harian/settings")
def harian_settings() -> Response:
    fields = query_fields({"agency_id": OPTIONAL})
    return answer(harian("settings", fields.get("agency_id"), idempotent=True))


@api.put("/harian/settings")
@requires_roles(*ADMIN_ROLES)
def harian_put_settings() -> Response:
    fields = query_fields({"agency_id": OPTIONAL})
    body = body_fields({"work_saturday": OPTIONAL_BOOL, "backfill_days": OPTIONAL_INT,
                        "reminder_hour": OPTIONAL_INT, "extra_holidays": OPTIONAL_LIST,
                        "extra_working_days": OPTIONAL_LIST, "go_live": OPTIONAL,
                        "absence_max_days": OPTIONAL_OBJECT}, empty_ok=True)
    return answer(call("harian", "put_settings", body, fields.get("agency_id")))


@api.post("/harian/absences")
@requires_roles(*ADMIN_ROLES)
def harian_record_absence() -> Response:
    fields = body_fields({"nip": REQUIRED, "kind": REQUIRED, "start": REQUIRED, "end": OPTIONAL, "note": OPTIONAL})
    return answer(call("harian", "record_absence", fields["nip"], fields["kind"], fields["start"],
                       fields.get("end"), fields.get("note")), 201)


@api.put("/harian/absences/<absence_id>")
@requires_roles(*ADMIN_ROLES)
def harian_correct_absence(absence_id: str) -> Response:
    """Correct a recorded absence (its kind, dates, note), saying why."""
    fields = body_fields({"kind": REQUIRED, "start": REQUIRED, "end": OPTIONAL, "note": OPTIONAL,
                          "reason": REQUIRED})
    return answer(call("harian", "correct_absence", absence_id, fields["kind"], fields["start"], fields.get("end"),
                       fields.get("note"), fields["reason"]))


@api.post("/harian/absences/<absence_id>/withdrawal")
@requires_roles(*ADMIN_ROLES)
def harian_withdraw_absence(absence_id: str) -> Response:
    """Withdraw a recorded absence, saying why: its days stop being justified."""
    fields = body_fields({"reason": REQUIRED})
    return answer(call("harian", "withdraw_absence", absence_id, fields["reason"]))


@api.get("/harian/absences")
def harian_absences() -> Response:
    fields = query_fields({"nip": REQUIRED})
    return answer(harian("absences", fields["nip"], idempotent=True))


# --- reminders and compliance -----------------------------------------------------------------

REQUIRED_BOOL = Field("boolean")


@api.get("/harian/reminders")
def harian_reminder_preference() -> Response:
    return answer(harian("reminder_preference", idempotent=True))


@api.put("/harian/reminders")
def harian_set_reminder_preference() -> Response:
    fields = body_fields({"enabled": REQUIRED_BOOL})
    return answer(call("harian", "set_reminder_preference", fields["enabled"]))


@api.get("/harian/compliance")
def harian_compliance() -> Response:
    """Counts for an employee, a unit or an agency over a day or up to 31 days."""
    fields = query_fields({"scope": REQUIRED, "id": REQUIRED, "from": REQUIRED, "to": OPTIONAL})
    start = _day(fields["from"], "from").isoformat()
    end = _day(fields["to"], "to").isoformat() if fields.get("to") else None
    return answer(harian("compliance", fields["scope"], fields["id"], start, end, idempotent=True))
