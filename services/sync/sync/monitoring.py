"""What national monitoring asks of master data: the agencies' names (the services' unit trees know
the units from unit.upserted, and an agency only by its id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext, require
from ekinerja_kernel.errors import FieldError, validation_error

from .tables import agencies

MAX_IDS = 2000


def agency_names(factory: sessionmaker[Session], ctx: RequestContext, ids: Any = None) -> dict[str, Any]:
    """{id, name, kind} of the agencies asked for (all without `ids`), to any signed-in caller: an
    agency's name is no secret."""
    require(ctx.caller)
    if ids is not None and (not isinstance(ids, list) or len(ids) > MAX_IDS or
                            not all(isinstance(i, str) for i in ids)):
        raise validation_error([FieldError("ids", "list", f"ids lists at most {MAX_IDS} agency ids.",
                                           f"ids berisi paling banyak {MAX_IDS} id instansi.")])
    query = select(agencies.c.id, agencies.c.name, agencies.c.kind).order_by(agencies.c.name)
    if ids is not None:
        query = query.where(agencies.c.id.in_(ids))
    with factory() as s:
        return {"agencies": [{"id": r.id, "name": r.name, "kind": r.kind} for r in s.execute(query)]}
