"""A form as a page shows it: the values typed, and the API's problems next to the fields they name.

The rules are the API's: the web checks nothing itself, it only places each sentence of a problem
(in the page's language) next to its field and lists them all in the error summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale

from .api import ApiProblem


def locale() -> str:
    found = get_locale()
    return found.language if found else "id"


@dataclass
class Form:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # form field id -> sentence
    summary: list[tuple[str | None, str]] = field(default_factory=list)  # (field id or None, sentence)

    def value(self, name: str, default: Any = "") -> Any:
        found = self.values.get(name)
        return default if found is None else found

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def add(self, field_id: str | None, sentence: str) -> None:
        if field_id and field_id not in self.errors:
            self.errors[field_id] = sentence
        self.summary.append((field_id, sentence))

    def take(self, problem: ApiProblem,
             fields: Mapping[str, str | None] | Callable[[str], str | None] | None = None) -> Form:
        """Place `problem` on the form. `fields` maps the API's field name to the form field id (a
        callable may compute it, e.g. for `activities[2].quantity`); unknown fields go to the summary."""
        lang = locale()
        mapping: Mapping[str, str | None] = {} if fields is None or callable(fields) else fields
        resolve = fields if callable(fields) else mapping.get
        if problem.errors:
            for item in problem.errors:
                self.add(resolve(item.field), item.detail_id if lang == "id" else item.detail)
        else:
            self.add(resolve(str(problem.body.get("field", ""))) if problem.body.get("field") else None,
                     problem.sentence(lang))
        return self

    @property
    def has_errors(self) -> bool:
        return bool(self.summary)
