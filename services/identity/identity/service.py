"""nameko entrypoints of the identity service (login by NIP and password, TOTP MFA, OIDC/OAuth2 SSO)."""

from __future__ import annotations

from ekinerja_kernel.service import OutboxRelay, ServiceBase

from .tables import OUTBOX


class IdentityService(ServiceBase):
    name = "identity"
    relay = OutboxRelay(OUTBOX)
