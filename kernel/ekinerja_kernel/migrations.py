"""Alembic plumbing shared by every service's `alembic/env.py` and by the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from .config import database_url
from .db import make_engine


def run_env(metadata: MetaData) -> None:
    """Body of a service's alembic env.py: migrate `<SERVICE>_DATABASE_URL` (online only)."""
    cfg = context.config
    service = cfg.get_main_option("service")
    assert service is not None  # every service's alembic.ini names it
    url = cfg.attributes.get("url") or database_url(service)
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=url.startswith("sqlite"))  # SQLite alters by copy
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def upgrade(service_dir: Path | str, url: str | None = None, revision: str = "head") -> None:
    """Migrate one service's database (used by `make migrate` and the test fixtures)."""
    cfg = Config(str(Path(service_dir) / "alembic.ini"))
    if url:
        cfg.attributes["url"] = url
    command.upgrade(cfg, revision)
