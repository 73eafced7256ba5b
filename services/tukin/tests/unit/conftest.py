"""Shared set-up of tukin's unit tests: `tukin_db`, an empty tukin database on a SQLite file, and
`save_demo_policy`, a demo agency's policy (tukin/domain/policies/<agency>.yaml) stored in it as an
admin's PUT stores one. A test module names what its tests start from in a fixture of its own
(usually `factory`) built on these, and adds there what only it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import make_engine, session_factory, unit_of_work
from tukin.tables import metadata


@pytest.fixture
def tukin_db(tmp_path) -> Iterator[sessionmaker[Session]]:
    """The session factory of an empty tukin database (every table of tukin.tables) on a SQLite
    file of this test's own, as the service opens it (`make_engine`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tukin.db'}")
    metadata.create_all(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def save_demo_policy(tukin_db) -> Callable[..., dict[str, Any]]:
    """`save_demo_policy("kemendemo")`: that demo agency's policy, validated and stored in `tukin_db`
    (loaded by "test"); returns it as stored."""

    # Imported here: a policy module that does not import fails the tests that use it, not the run.
    from tukin.domain.policy import DEMO_POLICIES_DIR
    from tukin.handlers import save_policy

    def save(agency: str) -> dict[str, Any]:
        with unit_of_work(tukin_db) as s:
            return save_policy(s, yaml.safe_load((DEMO_POLICIES_DIR / f"{agency}.yaml").read_text()), "test")

    return save
