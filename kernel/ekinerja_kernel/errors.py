"""Typed errors that become RFC 9457 problem documents at the gateway.

Domain modules raise these (or subclasses); they carry both languages because users read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_BASE = "urn:ekinerja:problem:"


@dataclass
class FieldError:
    """One broken rule on one field of the input."""

    field: str
    rule: str
    detail: str  # English
    detail_id: str  # Bahasa Indonesia

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "detail": self.detail, "detail_id": self.detail_id}


@dataclass
class DomainError(Exception):
    """An error the caller can act on. `code` is a stable slug; `status` the HTTP status."""

    code: str
    status: int
    title: str
    detail: str
    detail_id: str
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    def to_problem(self) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "detail_id": self.detail_id,
            "code": self.code,
        }
        if self.errors:
            problem["errors"] = [e.to_dict() for e in self.errors]
        problem.update(self.extra)
        return problem


def validation_error(errors: list[FieldError], detail: str = "The input is not valid.",
                     detail_id: str = "Masukan tidak valid.") -> DomainError:
    return DomainError(code="validation", status=422, title="Invalid input",
                       detail=detail, detail_id=detail_id, errors=errors)


def not_found(what: str, what_id: str, key: str) -> DomainError:
    return DomainError(code="not-found", status=404, title="Not found",
                       detail=f"No {what} with identifier {key}.",
                       detail_id=f"{what_id} dengan pengenal {key} tidak ditemukan.")
