"""Who is calling: the verified access-token claims the gateway passes in RPC context data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import DomainError

ADMIN_ROLES = ("admin_instansi", "admin_nasional")


@dataclass(frozen=True)
class Caller:
    nip: str
    roles: tuple[str, ...] = ()
    agency_id: str | None = None
    unit_id: str | None = None
    sid: str | None = None
    amr: tuple[str, ...] = ()
    auth_time: int | None = None
    name: str | None = None
    client: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_context(cls, data: dict[str, Any] | None, client: dict[str, Any] | None = None) -> Caller | None:
        if not data or not data.get("nip"):
            return None
        return cls(nip=data["nip"], roles=tuple(data.get("roles") or ()), agency_id=data.get("agency_id"),
                   unit_id=data.get("unit_id"), sid=data.get("sid"), amr=tuple(data.get("amr") or ()),
                   auth_time=data.get("auth_time"), name=data.get("name"), client=dict(client or {}))

    def has(self, role: str) -> bool:
        return role in self.roles

    def administers(self, agency_id: str | None) -> bool:
        """An agency admin acts only within their own agency; a national admin everywhere."""
        return self.has("admin_nasional") or (self.has("admin_instansi") and agency_id == self.agency_id)


@dataclass(frozen=True)
class RequestContext:
    """What a service knows about the request it serves: who, from where, and its request id."""

    caller: Caller | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    @classmethod
    def from_context(cls, data: dict[str, Any]) -> RequestContext:
        client = data.get("client") or {}
        return cls(caller=Caller.from_context(data.get("caller"), client), ip=client.get("ip"),
                   user_agent=client.get("user_agent"), request_id=data.get("request_id"))


def unauthenticated() -> DomainError:
    return DomainError(code="unauthenticated", status=401, title="Not signed in",
                       detail="This action needs a signed-in user.",
                       detail_id="Tindakan ini memerlukan pengguna yang sudah masuk.")


def forbidden(detail: str, detail_id: str) -> DomainError:
    return DomainError(code="forbidden", status=403, title="Not allowed", detail=detail, detail_id=detail_id)


def require(caller: Caller | None) -> Caller:
    if caller is None:
        raise unauthenticated()
    return caller
