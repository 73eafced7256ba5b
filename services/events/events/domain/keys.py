"""Credentials the events service issues: a subscriber's broker password and API key, a webhook's
signing secret. Each is 256 random bits; only the API key's SHA-256 is kept (a random key of that
length needs no slow hash, and a lookup by hash finds its subscriber)."""

from __future__ import annotations

import base64
import hashlib
import secrets

API_KEY_PREFIX = "ekev_"
SECRET_PREFIX = "whsec_"  # Standard Webhooks' secret format: whsec_ + base64 of the key bytes


def new_password() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_webhook_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def is_webhook_secret(value: str) -> bool:
    """A secret as Standard Webhooks writes one: whsec_ and the base64 of 24 to 64 bytes."""
    if not isinstance(value, str) or not value.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(value[len(SECRET_PREFIX):], validate=True)
    except ValueError:
        return False
    return 24 <= len(raw) <= 64
