"""Turning one imported row (a dict of strings) into a model object, or into field errors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ekinerja_kernel.errors import FieldError

from .identifiers import InvalidIdentifier, nik_nip_mismatches, parse_nik, parse_nip
from .model import (
    ACTING_KINDS,
    AGENCY_KINDS,
    EMPLOYMENT_TYPES,
    EXTRA_ROLES,
    POSITION_KINDS,
    STATUSES,
    UNIT_KINDS,
    Acting,
    Agency,
    Employee,
    Position,
    Unit,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GOLONGAN_PNS = re.compile(r"^(I/[a-d]|II/[a-d]|III/[a-d]|IV/[a-e])$")
GOLONGAN_PPPK = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII)$")


class RowErrors(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.rule}" for e in errors))
        self.errors = errors


def _text(row: dict[str, Any], name: str, errors: list[FieldError], required: bool = True) -> str | None:
    raw = row.get(name)
    value = raw.strip() if isinstance(raw, str) else (None if raw is None else str(raw))
    if not value:
        if required:
            errors.append(FieldError(name, "required", f"{name} is required.", f"{name} wajib diisi."))
        return None
    return value


def _choice(row: dict[str, Any], name: str, choices: tuple[str, ...], errors: list[FieldError],
            default: str | None = None) -> str | None:
    value = _text(row, name, errors, required=default is None) or default
    if value is not None and value not in choices:
        allowed = ", ".join(choices)
        errors.append(FieldError(name, "one-of", f"{name} must be one of: {allowed}.",
                                 f"{name} harus salah satu dari: {allowed}."))
    return value


def _done(errors: list[FieldError]) -> None:
    if errors:
        raise RowErrors(errors)


def parse_agency(row: dict[str, Any]) -> Agency:
    errors: list[FieldError] = []
    agency = Agency(_text(row, "id", errors), _text(row, "name", errors),
                    _choice(row, "kind", AGENCY_KINDS, errors))
    _done(errors)
    return agency


def parse_unit(row: dict[str, Any]) -> Unit:
    errors: list[FieldError] = []
    unit = Unit(_text(row, "id", errors), _text(row, "agency_id", errors),
                _text(row, "parent_id", errors, required=False), _text(row, "name", errors),
                _choice(row, "kind", UNIT_KINDS, errors, default="unit"))
    if unit.id and unit.parent_id == unit.id:
        errors.append(FieldError("parent_id", "not-self", "A unit cannot be its own parent.",
                                 "Unit tidak boleh menjadi induk dirinya sendiri."))
    _done(errors)
    return unit


def parse_position(row: dict[str, Any]) -> Position:
    errors: list[FieldError] = []
    kelas = _text(row, "kelas_jabatan", errors, required=False)
    kelas_value = None
    if kelas is not None:
        if re.fullmatch(r"[0-9]{1,2}", kelas) and 1 <= int(kelas) <= 27:
            kelas_value = int(kelas)
        else:
            errors.append(FieldError("kelas_jabatan", "range-1-27",
                                     "kelas_jabatan must be a whole number from 1 to 27.",
                                     "kelas_jabatan harus bilangan bulat 1 sampai 27."))
    position = Position(_text(row, "id", errors), _text(row, "agency_id", errors),
                        _text(row, "name", errors), _choice(row, "kind", POSITION_KINDS, errors),
                        _text(row, "jenjang", errors, required=False), kelas_value)
    _done(errors)
    return position


def _roles(row: dict[str, Any], errors: list[FieldError]) -> tuple[str, ...]:
    raw = row.get("roles") or []
    if isinstance(raw, str):
        raw = [r for r in re.split(r"[;,\s]+", raw) if r]
    bad = [r for r in raw if r not in EXTRA_ROLES]
    if bad:
        errors.append(FieldError("roles", "one-of", f"roles may only contain: {', '.join(EXTRA_ROLES)}.",
                                 f"roles hanya boleh berisi: {', '.join(EXTRA_ROLES)}."))
    return tuple(sorted(set(raw)))


def parse_employee(row: dict[str, Any]) -> tuple[Employee, list[FieldError]]:
    """Returns the employee and its warnings (NIK/NIP disagreements: flagged, not rejected)."""
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    nip_text = _text(row, "nip", errors)
    nik_text = _text(row, "nik", errors)
    nip = nik = None
    if nip_text:
        try:
            nip = parse_nip(nip_text)
        except InvalidIdentifier as exc:
            errors.append(exc.field_error("nip"))
    if nik_text:
        try:
            nik = parse_nik(nik_text)
        except InvalidIdentifier as exc:
            errors.append(exc.field_error("nik"))
    email = _text(row, "email", errors)
    if email and not EMAIL.match(email):
        errors.append(FieldError("email", "email-format", "email is not a valid address.",
                                 "email bukan alamat yang valid."))
    employment_type = _choice(row, "employment_type", EMPLOYMENT_TYPES, errors)
    if nip and employment_type in EMPLOYMENT_TYPES and nip.kind != employment_type:
        errors.append(FieldError("employment_type", "matches-nip",
                                 f"The NIP is a {nip.kind} number but employment_type is {employment_type}.",
                                 f"NIP berformat {nip.kind} tetapi employment_type {employment_type}."))
    golongan = _text(row, "golongan", errors)
    pattern = GOLONGAN_PPPK if employment_type == "PPPK" else GOLONGAN_PNS
    if golongan and not pattern.match(golongan):
        example = "IX" if employment_type == "PPPK" else "III/a"
        errors.append(FieldError("golongan", "golongan-format",
                                 f"golongan is not a valid {employment_type or 'PNS'} rank (e.g. {example}).",
                                 f"golongan bukan golongan {employment_type or 'PNS'} yang valid (mis. {example})."))
    supervisor = _text(row, "supervisor_nip", errors, required=False)
    if supervisor and nip_text and supervisor == nip_text:
        errors.append(FieldError("supervisor_nip", "not-self", "An employee cannot supervise themselves.",
                                 "Pegawai tidak boleh menjadi atasan dirinya sendiri."))
    elif supervisor:
        try:
            parse_nip(supervisor)
        except InvalidIdentifier as exc:  # named by its rule, not as a supervisor who "does not exist"
            errors.append(exc.field_error("supervisor_nip"))
    employee = Employee(
        nip=nip_text, nik=nik_text, name=_text(row, "name", errors), email=email,
        employment_type=employment_type, status=_choice(row, "status", STATUSES, errors, default="active"),
        golongan=golongan, agency_id=_text(row, "agency_id", errors),
        unit_id=_text(row, "unit_id", errors, required=False),
        position_id=_text(row, "position_id", errors, required=False),
        supervisor_nip=supervisor, roles=_roles(row, errors))
    _done(errors)
    if nip and nik:
        warnings = nik_nip_mismatches(nik, nip)
    return employee, warnings


def _date(row: dict[str, Any], name: str, errors: list[FieldError]) -> date | None:
    text = _text(row, name, errors)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(name, "date-format", f"{name} must be a date as YYYY-MM-DD.",
                                 f"{name} harus berupa tanggal YYYY-MM-DD."))
        return None


def acting_official_errors(official: Employee | None, record: Acting) -> list[FieldError]:
    """Who may act in a seat: an existing, active employee who does not hold that seat already."""
    if official is None:
        return [FieldError("nip", "exists", f"Employee {record.nip} does not exist.",
                           f"Pegawai {record.nip} tidak ada.")]
    if official.status != "active":
        return [FieldError("nip", "active", "An acting official must be an active employee.",
                           "Pejabat PLT/PLH harus pegawai aktif.")]
    if (official.unit_id, official.position_id) == (record.unit_id, record.position_id):
        return [FieldError("nip", "not-holder", "This employee already holds the position in this unit.",
                           "Pegawai ini sudah memegang jabatan tersebut di unit ini.")]
    return []


def parse_acting(row: dict[str, Any]) -> Acting:
    errors: list[FieldError] = []
    nip = _text(row, "nip", errors)
    if nip:
        try:
            parse_nip(nip)
        except InvalidIdentifier as exc:
            errors.append(exc.field_error("nip"))
    start, end = _date(row, "start_date", errors), _date(row, "end_date", errors)
    if start and end and end < start:
        errors.append(FieldError("end_date", "not-before-start", "end_date cannot be before start_date.",
                                 "end_date tidak boleh sebelum start_date."))
    acting = Acting(_text(row, "id", errors), _text(row, "agency_id", errors), _text(row, "unit_id", errors),
                    _text(row, "position_id", errors),
                    nip, _choice(row, "kind", ACTING_KINDS, errors), start, end)
    _done(errors)
    return acting
