"""Who in an agency is blocked, and why: the agency admin's list of the problems and warnings last
announced (read model `open_findings`, kept by the findings loop), to repair master data before
people run into it. Counted by code, filtered by code or status, one page of employees at a time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.errors import FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc

from .domain.diagnosis import PROBLEM, WARNING
from .repairs import LIST_LIMIT_MAX, admin_caller, require_scope
from .repository import MasterData
from .tables import employees, open_findings, registry_refused, units


def _year(value: Any) -> int:
    if value is None:
        return config.today().year
    if isinstance(value, bool) or not isinstance(value, int) or not 2020 <= value <= 2100:
        raise validation_error([FieldError("year", "range-2020-2100", "year must be a year from 2020 to 2100.",
                                           "year harus tahun 2020 sampai 2100.")])
    return value


def _filters(agency_id: str, year: int, code: str | None, status: str | None) -> list[Any]:
    if status not in (None, PROBLEM, WARNING):
        raise validation_error([FieldError("status", "one-of", "status must be one of: problem, warning.",
                                           "status harus salah satu dari: problem, warning.")])
    where = [open_findings.c.agency_id == agency_id, open_findings.c.year == year]
    if code:
        where.append(open_findings.c.code == code)
    if status:
        where.append(open_findings.c.status == status)
    return where


def agency_findings(factory: sessionmaker[Session], ctx: RequestContext, agency_id: str, code: str | None = None,
                    status: str | None = None, offset: int = 0, limit: int = 100,
                    year: int | None = None) -> dict[str, Any]:
    """`year`: the SKP year the findings were checked for (the current year unless given); the
    findings loop checks the current year, so a past year shows it as last checked then."""
    caller = admin_caller(ctx)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), LIST_LIMIT_MAX))
    year = _year(year)
    with factory() as s:
        agency = MasterData(s).agency(agency_id)
        if agency is None:
            raise not_found("agency", "Instansi", agency_id)
        require_scope(caller, agency_id)
        where = _filters(agency_id, year, code, status)
        counted = func.count().label("employees")
        summary = s.execute(
            select(open_findings.c.code, open_findings.c.status, open_findings.c.check_name, counted)
            .where(open_findings.c.agency_id == agency_id, open_findings.c.year == year)
            .group_by(open_findings.c.code, open_findings.c.status, open_findings.c.check_name)
            .order_by(open_findings.c.status, desc(counted), open_findings.c.code)).all()
        matching = select(open_findings.c.nip).where(*where).distinct().subquery()
        total = s.execute(select(func.count()).select_from(matching)).scalar_one()
        # Someone the registry delivered but the import refused has no employee row: their record's name.
        name = func.coalesce(employees.c.name, registry_refused.c.name, "").label("name")
        page = s.execute(
            select(matching.c.nip, name, employees.c.unit_id, units.c.name.label("unit_name"))
            .select_from(matching)
            .outerjoin(employees, employees.c.nip == matching.c.nip)
            .outerjoin(registry_refused, registry_refused.c.nip == matching.c.nip)
            .outerjoin(units, units.c.id == employees.c.unit_id)
            .order_by(name, matching.c.nip).offset(offset).limit(limit)).all()
        found: dict[str, list[Any]] = {}
        for row in s.execute(select(open_findings).where(open_findings.c.nip.in_([p.nip for p in page]),
                                                         open_findings.c.year == year)
                             .order_by(open_findings.c.nip)):
            found.setdefault(row.nip, []).append(row)
        years = sorted(s.execute(select(open_findings.c.year).where(open_findings.c.agency_id == agency_id)
                                 .distinct()).scalars())
    return {
        "agency": {"id": agency.id, "name": agency.name}, "year": year, "years": years,
        "summary": [{"code": r.code, "status": r.status, "check": r.check_name, "employees": r.employees}
                    for r in summary],
        "total": total, "offset": offset, "limit": limit,
        "employees": [_employee(p, found.get(p.nip, [])) for p in page],
    }


def _employee(person: Any, rows: list[Any]) -> dict[str, Any]:
    return {"nip": person.nip, "name": person.name, "unit_id": person.unit_id, "unit_name": person.unit_name,
            "blocked": sorted({b for r in rows if r.status == PROBLEM for b in r.blocks}),
            "problems": [r.code for r in rows if r.status == PROBLEM],
            "warnings": [r.code for r in rows if r.status == WARNING],
            "checked_at": as_utc(max(r.checked_at for r in rows)).isoformat() if rows else None}
