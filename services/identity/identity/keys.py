"""Signing keys (RS256) and the tokens signed with them.

The newest key signs; the previous ones stay published in the JWKS so tokens they signed still
verify until they expire. Keys rotate every KEY_ROTATION_DAYS.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ekinerja_kernel.config import env, env_int
from ekinerja_kernel.events import as_utc, utcnow

from .tables import signing_keys

ALG = "RS256"
AUDIENCE = "ekinerja-api"
PUBLISHED_KEYS = 3


def issuer() -> str:
    return env("TOKEN_ISSUER", "http://127.0.0.1:8000")


def access_ttl() -> int:
    return env_int("ACCESS_TOKEN_SECONDS", 600)


def _rotation() -> dt.timedelta:
    return dt.timedelta(days=env_int("KEY_ROTATION_DAYS", 30))


def _new_key(session: Session) -> RSAKey:
    kid = f"{utcnow():%Y%m%d}-{uuid.uuid4().hex[:8]}"
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALG}, private=True)
    session.execute(insert(signing_keys).values(kid=kid, private_jwk=json.dumps(key.as_dict(private=True)),
                                                created_at=utcnow()))
    return key


def _recent(session: Session) -> Sequence[Any]:
    return session.execute(select(signing_keys).order_by(signing_keys.c.created_at.desc())
                           .limit(PUBLISHED_KEYS)).all()


def signing_key(session: Session) -> RSAKey:
    """The current key, rotating it when it is older than the rotation period."""
    rows = _recent(session)
    if not rows or utcnow() - as_utc(rows[0].created_at) > _rotation():
        return _new_key(session)
    return RSAKey.import_key(json.loads(rows[0].private_jwk))


def jwks(session: Session) -> dict[str, Any]:
    rows = _recent(session)
    if not rows:
        signing_key(session)
        rows = _recent(session)
    return {"keys": [RSAKey.import_key(json.loads(r.private_jwk)).as_dict(private=False) for r in rows]}


def sign(session: Session, claims: dict[str, Any]) -> str:
    key = signing_key(session)
    return jwt.encode({"alg": ALG, "kid": key.kid, "typ": "JWT"}, claims, key)

