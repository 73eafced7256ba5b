"""Who may sign in, with which roles, and what in their master data refuses them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ekinerja_kernel.errors import DomainError

from . import problems

EXTRA_ROLES = ("admin_instansi", "admin_nasional", "kepala_sekolah")
LOGIN = "login"


@dataclass(frozen=True)
class Account:
    nip: str
    nik: str | None
    name: str
    email: str | None
    status: str
    agency_id: str | None
    unit_id: str | None
    position_id: str | None
    supervisor_nip: str | None
    extra_roles: tuple[str, ...] = ()


def roles(account: Account, has_subordinates: bool) -> list[str]:
    result = ["pegawai"]
    if has_subordinates:
        result.append("atasan")
    result += [r for r in EXTRA_ROLES if r in account.extra_roles]
    return result


def masked_email(email: str | None) -> str | None:
    """The recorded address as shown to someone who proved NIP and NIK but not yet the mailbox: enough
    to recognise which inbox to open (first and last letter of the name, the first letter of the
    mail host, the rest of the domain), not enough to write to it: `budi.santoso@gmail.com` →
    `b***o@g***.com`, `ani@dinas.kemendemo.go.id` → `a***i@d***.kemendemo.go.id`."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().rpartition("@")
    host, dot, rest = domain.partition(".")
    name = f"{local[0]}***{local[-1]}" if len(local) > 1 else "***"
    return f"{name}@{host[:1]}***{dot}{rest}"


def inactive_finding(status: str) -> dict[str, Any]:
    """The backstop for an account identity already knows is inactive while sync's diagnosis of it
    is still on its way (a moment after the status): short, and with the same code and fixer."""
    return {"check": "status", "status": "problem", "code": "account-inactive",
            "detail": f"The account is not active in the master data (status '{status}').",
            "detail_id": f"Akun tidak aktif di data induk (status '{status}').",
            "fixed_by": "the agency admin (BKD/BKPSDM)", "fixed_by_id": "admin instansi (BKD/BKPSDM)",
            "fixers": ["admin_instansi"], "blocks": ["login", "skp"]}


def login_blockers(account: Account, findings: Iterable[Mapping[str, Any]]) -> list[DomainError]:
    """Master-data reasons this account cannot sign in, most fundamental first: the problems of sync's
    diagnosis that block sign-in (warnings and SKP-only problems do not: the employee signs in to see
    them), then, as a backstop that does not wait for the diagnosis, the account's own inactive status.

    Only ever shown to someone who proved who they are (password, or NIP+NIK at activation).
    The status itself comes from employee.upserted, sent with the change, while the diagnosis follows
    it: so an active account is not held back by an `account-inactive` finding made before it was
    reactivated, nor by a finding that the NIP is missing or refused, made before it was stored.
    """
    blocking = [dict(f) for f in findings if f.get("status") == "problem" and LOGIN in (f.get("blocks") or ())
                and not (f.get("code") == "account-inactive" and account.status == "active")
                and f.get("check") != "nip"]  # an account identity knows is in master data by now
    if account.status != "active" and not any(f.get("code") == "account-inactive" for f in blocking):
        blocking.append(inactive_finding(account.status))
    return [problems.master_data_blocks(f) for f in blocking]
