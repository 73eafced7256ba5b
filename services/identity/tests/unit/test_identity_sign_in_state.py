"""identity's answer to "what stands between this account and signing in" (sign_in_state), which
the gateway hands to sync's diagnosis: activation, lockouts, MFA; and who may ask."""

from __future__ import annotations

import datetime as dt

import pytest

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import make_event, utcnow
from identity import handlers
from identity import repository as repo
from identity.domain import lockout
from identity.domain.passwords import hash_password

NIP = "199001012015031001"
OTHER_AGENCY_NIP = "198002142005042002"
PASSWORD = "Kinerja-Uji-2026"


def upserted(nip: str, agency_id: str, roles=()):
    return make_event("sync", "employee.upserted", nip, {
        "nip": nip, "nik": "3171010101900001", "name": "Budi Santoso", "email": "budi@uji.go.id",
        "status": "active", "agency_id": agency_id, "unit_id": "u1", "position_id": "p1",
        "supervisor_nip": None, "roles": list(roles)})


def as_(nip: str, *roles: str, agency_id: str = "kemendemo") -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=("pegawai", *roles), agency_id=agency_id),
                          request_id="req-1")


@pytest.fixture
def factory(identity_db):
    handlers.on_masterdata_event(identity_db, upserted(NIP, "kemendemo"))
    handlers.on_masterdata_event(identity_db, upserted(OTHER_AGENCY_NIP, "pemkotdemo"))
    return identity_db


def state(factory, ctx=None, nip=None):
    return handlers.sign_in_state(factory, ctx or as_(NIP), nip)


def test_an_account_that_never_set_a_password_is_not_activated(factory):
    assert state(factory) == {"nip": NIP, "known": True, "activated": False, "mfa_enabled": False,
                              "mfa_required": False, "password_locked_until": None, "mfa_locked_until": None}


def test_activation_mfa_and_agency_policy_are_reported(factory):
    with unit_of_work(factory) as s:
        repo.set_credential(s, NIP, password_hash=hash_password(PASSWORD), activated_at=utcnow(),
                            mfa_confirmed_at=utcnow())
        repo.set_policy(s, "kemendemo", True, 0)

    got = state(factory)

    assert (got["activated"], got["mfa_enabled"], got["mfa_required"]) == (True, True, True)


def test_an_admin_role_requires_mfa_even_without_an_agency_policy(factory):
    handlers.on_masterdata_event(factory, upserted(NIP, "kemendemo", roles=["admin_instansi"]))
    assert state(factory)["mfa_required"] is True


def test_a_lockout_is_reported_until_it_ends(factory):
    now = utcnow()
    with unit_of_work(factory) as s:
        g = lockout.Guard()
        for _ in range(lockout.FREE_ATTEMPTS):
            g = lockout.after_failure(g, now)
        repo.save_guard(s, NIP, "password", g)
        repo.save_guard(s, NIP, "totp", lockout.Guard(3, now, now - dt.timedelta(seconds=1)))  # already over

    got = state(factory)

    assert got["password_locked_until"] == g.locked_until.isoformat()
    assert dt.datetime.fromisoformat(got["password_locked_until"]) > now
    assert got["mfa_locked_until"] is None


def test_an_agency_admin_sees_their_agency_only(factory):
    admin = as_("197001012000011001", "admin_instansi")

    assert state(factory, admin, NIP)["known"] is True
    with pytest.raises(DomainError) as refused:
        state(factory, admin, OTHER_AGENCY_NIP)
    assert refused.value.status == 403


def test_a_plain_employee_cannot_ask_about_someone_else(factory):
    with pytest.raises(DomainError) as refused:
        state(factory, as_(NIP), OTHER_AGENCY_NIP)
    assert refused.value.status == 403


def test_an_unknown_nip_is_known_false_for_an_admin_and_forbidden_to_others(factory):
    unknown = "199512312020121001"
    assert state(factory, as_("197001012000011001", "admin_nasional"), unknown) == {"nip": unknown, "known": False}
    with pytest.raises(DomainError):
        state(factory, as_(NIP), unknown)
