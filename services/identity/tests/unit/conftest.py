"""Shared set-up of identity's unit tests: `identity_db`, an empty identity database on a SQLite file;
`add_account`, an account as master data gives it; and `set_password`, a password (argon2id) set
for it. A test module names what its tests start from in a fixture of its own (usually `factory`)
built on these, and adds there what only it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import make_engine, session_factory, unit_of_work
from ekinerja_kernel.events import utcnow
from identity import repository as repo
from identity.domain.passwords import hash_password
from identity.tables import metadata


@pytest.fixture
def identity_db(tmp_path) -> Iterator[sessionmaker[Session]]:
    """The session factory of an empty identity database (every table of identity.tables) on a
    SQLite file of this test's own, as the service opens it (`make_engine`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'identity.db'}")
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def add_account(identity_db) -> Callable[..., None]:
    """`add_account(nip, **fields)`: stores an account straight in `identity_db` (no event, no
    audit), active in kemendemo, named `Pegawai <last four digits>` unless `fields` say otherwise.
    A test of what identity does with master data sends `employee.upserted` instead."""

    def add(nip: str, **fields: object) -> None:
        with unit_of_work(identity_db) as s:
            repo.save_account(s, {"nip": nip, "nik": None, "name": f"Pegawai {nip[-4:]}", "email": None,
                                  "status": "active", "agency_id": "kemendemo", "unit_id": "U2", "position_id": "J1",
                                  "supervisor_nip": None, "extra_roles": [], **fields})

    return add


@pytest.fixture
def set_password(identity_db) -> Callable[..., None]:
    """`set_password(nip, password, activated=True)`: the account's password, as activation sets it;
    `activated=False` leaves the account not yet activated."""

    def set_(nip: str, password: str, activated: bool = True) -> None:
        with unit_of_work(identity_db) as s:
            repo.set_credential(s, nip, password_hash=hash_password(password), password_changed_at=utcnow(),
                                activated_at=utcnow() if activated else None)

    return set_
