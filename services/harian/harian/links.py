"""Absolute links harian's mails carry: to the web client's pages (EKINERJA_WEB_URL, as identity's
mails), and to the documented API where no page exists yet (PUBLIC_URL, the gateway)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from ekinerja_kernel import config


def web_url() -> str:
    return config.env("EKINERJA_WEB_URL", "http://127.0.0.1:8080").rstrip("/")


def api_url() -> str:
    return config.env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")


def day_page(day: dt.date) -> str:
    """Progres Harian: the day's page, where its activities are written and submitted."""
    return f"{web_url()}/harian/{day.isoformat()}"


def submission_page(day: dt.date | str, submission_id: str) -> str:
    """The page following one submission of a day until harian stored or refused it."""
    return f"{web_url()}/harian/{day}/pengajuan/{quote(submission_id, safe='')}"


def team_page(day: dt.date) -> str:
    """Tim: the team's days from `day`."""
    return f"{web_url()}/tim/?dari={day.isoformat()}"


def reminder_setting() -> str:
    """The reminder opt-out has no page yet: its documented API route (PUT with {"enabled": false})."""
    return f"{api_url()}/api/v1/harian/reminders"
