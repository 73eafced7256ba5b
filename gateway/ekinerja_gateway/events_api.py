"""GET /api/v1/events: the replay feed of public events for other government systems.

Not a person's access token: the caller is a subscribing system with the API key `ekinerja-events
subscribers add` issued it (`Authorization: Bearer ekev_...`). The events service checks the key and
what it is granted; the gateway only checks the request's shape and passes it on."""

from __future__ import annotations

from flask import Response, request

from ekinerja_kernel.rpc import RpcProblem

from .api import answer, api, call
from .auth import public
from .bodies import OPTIONAL, limit, query_fields
from .problems import GatewayProblem

MAX_PAGE = 1000  # the events service's largest page
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ekinerja-events"'}


def subscriber_key() -> str:
    header = request.headers.get("Authorization", "")
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise GatewayProblem(401, "subscriber-key-missing", "Unauthorized",
                             "This feed needs the API key issued to your system: send 'Authorization: Bearer <key>'.",
                             "Umpan ini memerlukan kunci API yang diterbitkan untuk sistem Anda: kirim "
                             "'Authorization: Bearer <kunci>'.", headers=CHALLENGE)
    return parts[1]


@api.get("/events")
@public  # the subscriber's API key is checked by the events service, not as a person's token
def events_feed() -> Response:
    fields = query_fields({"after": OPTIONAL, "after_id": OPTIONAL, "types": OPTIONAL, "limit": limit(MAX_PAGE)})
    key = subscriber_key()
    types = [t.strip() for t in fields["types"].split(",") if t.strip()] if "types" in fields else None
    try:
        page = call("events", "replay", key, fields.get("after"), fields.get("after_id"), types,
                    fields.get("limit"), idempotent=True)
    except RpcProblem as exc:
        if exc.status == 401:
            body = dict(exc.problem)
            raise GatewayProblem(401, body.get("code", "subscriber-key-invalid"), body.get("title", "Unauthorized"),
                                 body.get("detail", ""), body.get("detail_id", ""), headers=CHALLENGE) from None
        raise
    return answer(page)
