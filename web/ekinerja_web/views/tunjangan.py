"""Tunjangan: my allowance of a month, every line with what it was computed from, and its revisions."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from ..api import ApiProblem
from ..app import signed_in
from ..client import get
from .common import today

bp = Blueprint("tunjangan", __name__, url_prefix="/tunjangan")


def month_value() -> str:
    chosen = request.args.get("bulan", "")
    if len(chosen) == 7 and chosen[4] == "-" and chosen.replace("-", "").isdigit():
        return chosen
    # A month is computed once it has ended: the previous one is the one there is to read.
    last = today().replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


@bp.get("/")
@signed_in
def index() -> ResponseReturnValue:
    month = month_value()
    data, missing = None, None
    try:
        data = get("/api/v1/tukin/me", month=month)
    except ApiProblem as problem:
        if problem.status not in (404, 422):
            raise
        missing = problem
    return render_template("tunjangan/index.html", active="tunjangan", month=month, data=data, missing=missing)
