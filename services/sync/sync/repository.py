"""SQLAlchemy access to master data, returning domain objects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, aliased

from ekinerja_kernel.events import utcnow

from . import overrides as held_values
from .domain.model import Acting, Agency, Employee, Position, Unit
from .domain.overrides import Override
from .tables import acting, agencies, employees, positions, units


class MasterData:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _one(self, table, key_col, key: str):
        return self.session.execute(select(table).where(key_col == key)).mappings().first()

    def _save(self, table, key_col, key: str, values: dict[str, Any], exists: bool) -> None:
        values = {**values, "updated_at": utcnow()}
        if exists:
            self.session.execute(update(table).where(key_col == key).values(**values))
        else:
            self.session.execute(insert(table).values(**values))

    def agency(self, agency_id: str) -> Agency | None:
        row = self._one(agencies, agencies.c.id, agency_id)
        return Agency(row["id"], row["name"], row["kind"]) if row else None

    def save_agency(self, agency: Agency, exists: bool) -> None:
        self._save(agencies, agencies.c.id, agency.id, vars(agency), exists)

    def unit(self, unit_id: str) -> Unit | None:
        row = self._one(units, units.c.id, unit_id)
        return Unit(row["id"], row["agency_id"], row["parent_id"], row["name"], row["kind"]) if row else None

    def save_unit(self, unit: Unit, exists: bool) -> None:
        self._save(units, units.c.id, unit.id, vars(unit), exists)

    def parent_of(self, unit_id: str) -> str | None:
        return self.session.execute(select(units.c.parent_id).where(units.c.id == unit_id)).scalar()

    def position(self, position_id: str) -> Position | None:
        row = self._one(positions, positions.c.id, position_id)
        if not row:
            return None
        return Position(row["id"], row["agency_id"], row["name"], row["kind"], row["jenjang"],
                        row["kelas_jabatan"])

    def save_position(self, position: Position, exists: bool) -> None:
        self._save(positions, positions.c.id, position.id, vars(position), exists)

    def acting(self, acting_id: str) -> Acting | None:
        row = self._one(acting, acting.c.id, acting_id)
        if not row:
            return None
        return Acting(row["id"], row["agency_id"], row["unit_id"], row["position_id"], row["nip"], row["kind"],
                      row["start_date"], row["end_date"])

    def save_acting(self, record: Acting, exists: bool) -> None:
        self._save(acting, acting.c.id, record.id, vars(record), exists)

    def position_snapshot(self, position_id: str | None) -> dict[str, Any] | None:
        position = self.position(position_id) if position_id else None
        return position.snapshot() if position else None

    def employee(self, nip: str) -> Employee | None:
        row = self._one(employees, employees.c.nip, nip)
        return employee_from_row(row) if row else None

    def holders(self, position_id: str) -> list[Employee]:
        """Everyone whose position this is, in NIP order."""
        rows = self.session.execute(select(employees).where(employees.c.position_id == position_id)
                                    .order_by(employees.c.nip)).mappings()
        return [employee_from_row(row) for row in rows]

    def save_employee(self, employee: Employee, exists: bool) -> None:
        self._save(employees, employees.c.nip, employee.nip, employee.to_dict(), exists)

    def overrides(self, nip: str) -> list[Override]:
        """The admin's repairs in force for the employee (they hold against imports)."""
        return held_values.of(self.session, [nip]).get(nip, [])

    def supervisor_of(self, nip: str) -> str | None:
        return self.session.execute(
            select(employees.c.supervisor_nip).where(employees.c.nip == nip)).scalar()

    def nip_with_nik(self, nik: str) -> str | None:
        return self.session.execute(select(employees.c.nip).where(employees.c.nik == nik)).scalar()

    def employee_view(self, nip: str) -> dict[str, Any] | None:
        """The employee with the names of their agency, unit, position and supervisor."""
        sup = aliased(employees)
        row = self.session.execute(
            select(employees, agencies.c.name.label("agency_name"), units.c.name.label("unit_name"),
                   positions.c.name.label("position_name"), positions.c.kind.label("position_kind"),
                   positions.c.jenjang.label("position_jenjang"), sup.c.name.label("supervisor_name"))
            .join(agencies, agencies.c.id == employees.c.agency_id)
            .outerjoin(units, units.c.id == employees.c.unit_id)
            .outerjoin(positions, positions.c.id == employees.c.position_id)
            .outerjoin(sup, sup.c.nip == employees.c.supervisor_nip)
            .where(employees.c.nip == nip)).mappings().first()
        return dict(row) if row else None


def employee_from_row(row: Any) -> Employee:
    return Employee(nip=row["nip"], nik=row["nik"], name=row["name"], email=row["email"],
                    employment_type=row["employment_type"], status=row["status"], golongan=row["golongan"],
                    agency_id=row["agency_id"], unit_id=row["unit_id"], position_id=row["position_id"],
                    supervisor_nip=row["supervisor_nip"], roles=tuple(row["roles"] or ()))
