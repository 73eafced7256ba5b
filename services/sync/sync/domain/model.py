"""The master-data model: agencies, their unit trees, positions, employees and supervision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

AGENCY_KINDS = ("pusat", "daerah")  # ministry/central institution, regional government
UNIT_KINDS = ("unit", "sekolah")
POSITION_KINDS = ("struktural", "fungsional", "pelaksana")
EMPLOYMENT_TYPES = ("PNS", "PPPK")
STATUSES = ("active", "inactive")
EXTRA_ROLES = ("admin_instansi", "admin_nasional", "kepala_sekolah")
# PLT (pelaksana tugas) fills a vacant position; PLH (pelaksana harian) stands in while its holder
# is away. Either carries the position's authority, pejabat penilai included, for its dates.
ACTING_KINDS = ("PLT", "PLH")


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class Unit:
    id: str
    agency_id: str
    parent_id: str | None
    name: str
    kind: str = "unit"


@dataclass(frozen=True)
class Position:
    id: str
    agency_id: str
    name: str
    kind: str
    jenjang: str | None = None  # e.g. JPT Pratama, Administrator, Pengawas, Ahli Muda, Terampil
    kelas_jabatan: int | None = None

    def snapshot(self) -> dict[str, Any]:
        """What employee.upserted carries of the position: consumers know positions only from there
        (SKP: top official, credit-point coefficient; Tukin: kelas jabatan)."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "jenjang": self.jenjang,
                "kelas_jabatan": self.kelas_jabatan}


@dataclass(frozen=True)
class Employee:
    nip: str
    nik: str
    name: str
    email: str
    employment_type: str
    status: str
    golongan: str
    agency_id: str
    unit_id: str | None
    position_id: str | None
    supervisor_nip: str | None
    roles: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["roles"] = list(self.roles)
        return d


@dataclass(frozen=True)
class Acting:
    """An acting official (PLT/PLH): `nip` acts in the seat `position_id` of `unit_id` (positions are
    shared by units, a seat is not) from `start_date` to `end_date`."""

    id: str
    agency_id: str
    unit_id: str
    position_id: str
    nip: str
    kind: str
    start_date: date
    end_date: date

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start_date"], d["end_date"] = self.start_date.isoformat(), self.end_date.isoformat()
        return d
