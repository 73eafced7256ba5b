"""A submission's identity: the id a client's `Idempotency-Key` gives it, so that a retry names the
same submission (stored once), and the key's form. The gateway derives the id when it accepts a
submission; harian derives the same id when it records which request first used the key."""

from __future__ import annotations

import re
import uuid

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d8f8e-7c55-4e55-9d0b-6f2c1e0b5a11")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")  # 1 to 200 visible ASCII characters
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")  # a SHA-256, hex


def submission_id(nip: str, key: str | None) -> str:
    """The submission id of `nip`'s request with `key`; a fresh one when no key is given."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{nip}:{key}") if key else uuid.uuid4())
