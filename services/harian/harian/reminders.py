"""Blank-day reminders (issue #5 item 4): on each working day of an agency, once the local time has
reached the agency's reminder hour, one mail to every active employee whose day is still blank,
and one digest per supervisor naming their blank team members. Queued once per agency and day
(`reminder_runs`), in the transaction that records the run, and sent by the kernel's MailRelay.

"Blank" here is what the supervisor's view calls belum_diisi: a working day of the agency's
calendar, no justified absence covering it, and no entry at all (not even a draft). An employee
who opted out (`reminder_opt_outs`) gets neither the reminder nor, as a supervisor, the digest;
their blank day is still listed in their supervisor's digest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

import eventlet
from sqlalchemy import Table, and_, delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import RequestContext, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.mail import queue_mail
from ekinerja_kernel.service import BackgroundLoop

from . import links, staff
from .tables import absences, day_status, employees, reminder_opt_outs, reminder_runs

log = logging.getLogger(__name__)

YIELD_EVERY = 200  # mails queued between two eventlet.sleep(0): keeps AMQP heartbeats alive


# --- the mails -----------------------------------------------------------------------------------

def reminder_mail(name: str, nip: str, day: dt.date) -> tuple[str, str]:
    """(subject, body) of an employee's reminder: Indonesian first, then English."""
    when = day.isoformat()
    return (f"Pengingat progres harian {when} / Daily progress reminder {when}",
            f"""Yth. {name} (NIP {nip}),

Progres harian Anda untuk hari kerja {when} belum diisi. Catat kegiatan hari ini dan ajukan
kepada atasan Anda di e-Kinerja:

    {links.day_page(day)}

Jika Anda cuti, sakit, atau dinas luar, minta admin instansi mencatatnya. Pengingat ini dapat
dimatikan melalui pengaturan pengingat Anda ({links.reminder_setting()}, PUT dengan
{{"enabled": false}}).

---
Your daily progress for the working day {when} is still blank. Record today's activities and
submit them to your supervisor in e-Kinerja: {links.day_page(day)}

If you are on leave, sick or on official travel, ask your agency admin to record it. You can turn
this reminder off in your reminder settings ({links.reminder_setting()}, PUT with
{{"enabled": false}}).
""")


def digest_mail(name: str, nip: str, day: dt.date, members: list[tuple[str, str]]) -> tuple[str, str]:
    """(subject, body) of a supervisor's digest listing (nip, name) of the blank team members."""
    when = day.isoformat()
    listed = "\n".join(f"  - {member_name} (NIP {member_nip})" for member_nip, member_name in members)
    count = len(members)
    return (f"Anggota tim belum mengisi progres harian {when} / Team members with a blank day {when}",
            f"""Yth. {name} (NIP {nip}),

{count} anggota tim Anda belum mengisi progres harian untuk hari kerja {when}:

{listed}

Lihat tim Anda di e-Kinerja:

    {links.team_page(day)}

---
{count} member(s) of your team have not recorded their daily progress for the working day {when}
(listed above). See your team in e-Kinerja: {links.team_page(day)}
""")


# --- the check -------------------------------------------------------------------------------------

def _blank_today(s: Session, agency_id: str, day: dt.date) -> list[Any]:
    """Active employees of the agency with no entry on `day` and no justified absence covering it,
    each with `opted_out` (their opt-out time, or None)."""
    members = select(employees.c.nip).where(employees.c.agency_id == agency_id, employees.c.status == "active")
    absent = set(s.scalars(select(absences.c.nip).where(
        absences.c.nip.in_(members), absences.c.start_date <= day, absences.c.end_date >= day)))
    rows = s.execute(
        select(employees.c.nip, employees.c.name, employees.c.email, employees.c.supervisor_nip,
               reminder_opt_outs.c.opted_out_at.label("opted_out"))
        .outerjoin(reminder_opt_outs, reminder_opt_outs.c.nip == employees.c.nip)
        .where(employees.c.agency_id == agency_id, employees.c.status == "active",
               ~exists().where(and_(day_status.c.nip == employees.c.nip, day_status.c.date == day)))
        .order_by(employees.c.nip)).all()
    return [r for r in rows if r.nip not in absent]


def _queue_for_agency(s: Session, mail_table: Table, agency_id: str, day: dt.date,
                      counts: dict[str, int]) -> tuple[int, int]:
    blank = _blank_today(s, agency_id, day)
    reminders = digests = 0
    teams: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for i, person in enumerate(blank, 1):
        if person.supervisor_nip:
            teams[person.supervisor_nip].append((person.nip, person.name))
        if person.opted_out is not None:
            counts["opted_out"] += 1
        elif not person.email:
            counts["no_email"] += 1
        else:
            queue_mail(s, mail_table, person.email, *reminder_mail(person.name, person.nip, day))
            reminders += 1
        if i % YIELD_EVERY == 0:
            eventlet.sleep(0)
    supervisors = {r.nip: r for r in s.execute(
        select(employees.c.nip, employees.c.name, employees.c.email,
               reminder_opt_outs.c.opted_out_at.label("opted_out"))
        .outerjoin(reminder_opt_outs, reminder_opt_outs.c.nip == employees.c.nip)
        .where(employees.c.nip.in_(list(teams)), employees.c.status == "active"))} if teams else {}
    for supervisor_nip, members in sorted(teams.items()):
        boss = supervisors.get(supervisor_nip)
        if boss is None:
            continue  # not (or no longer) an active employee here: nobody to tell
        if boss.opted_out is not None:
            counts["opted_out"] += 1
        elif not boss.email:
            counts["no_email"] += 1
        else:
            queue_mail(s, mail_table, boss.email, *digest_mail(boss.name, boss.nip, day, members))
            digests += 1
    return reminders, digests


def send_due_reminders(factory: sessionmaker[Session], mail_table: Table, now: dt.datetime) -> dict[str, int]:
    """Queues the reminders and digests due at `now` (an aware datetime; the agencies' local time is
    config.timezone()), each agency once per working day; returns what it did:
    agencies (runs made now), reminders, digests, opted_out and no_email (mails not queued)."""
    local = now.astimezone(config.timezone())
    day = local.date()
    counts = {"agencies": 0, "reminders": 0, "digests": 0, "opted_out": 0, "no_email": 0}
    due = []
    with factory() as s:
        done = set(s.scalars(select(reminder_runs.c.agency_id).where(reminder_runs.c.date == day)))
        for agency_id in sorted(set(s.scalars(select(employees.c.agency_id).where(
                employees.c.status == "active", employees.c.agency_id.is_not(None)).distinct())) - done):
            settings, hour, _ = staff.settings_of(s, agency_id)
            if local.hour >= hour and settings.calendar().is_working_day(day):
                due.append(agency_id)
    for agency_id in due:
        run_counts = dict.fromkeys(counts, 0)
        try:
            with unit_of_work(factory) as s:
                if s.execute(select(reminder_runs.c.agency_id).where(
                        reminder_runs.c.agency_id == agency_id, reminder_runs.c.date == day)).first():
                    continue  # another replica ran it meanwhile
                reminders, digests = _queue_for_agency(s, mail_table, agency_id, day, run_counts)
                # The key refuses a second run of the same agency-day, also across replicas:
                # the loser's transaction (with its mails) rolls back whole.
                s.execute(insert(reminder_runs).values(agency_id=agency_id, date=day, ran_at=utcnow(),
                                                       reminders=reminders, digests=digests))
        except IntegrityError:
            log.info("reminders of %s for %s were queued by another process", agency_id, day)
            continue
        counts["agencies"] += 1
        counts["reminders"] += reminders
        counts["digests"] += digests
        counts["opted_out"] += run_counts["opted_out"]
        counts["no_email"] += run_counts["no_email"]
        eventlet.sleep(0)
    return counts


class ReminderLoop(BackgroundLoop):
    """Checks every HARIAN_REMINDER_POLL_SECONDS (default 60) whether an agency's reminders are due.
    HARIAN_REMINDERS=off turns it off (e.g. for test runs whose mailbox must hold only their mails)."""

    identifier = "harian-reminders"
    poll_setting = ("HARIAN_REMINDER_POLL_SECONDS", 60.0)

    def __init__(self, mail_table: Table) -> None:
        self.mail_table = mail_table

    def setup(self) -> None:
        super().setup()
        self.enabled = config.env("HARIAN_REMINDERS", "on").lower() not in ("off", "0", "false", "no")

    def work_once(self) -> int:
        if not self.enabled:
            return 0
        counts = send_due_reminders(self.factory, self.mail_table, dt.datetime.now(dt.UTC))
        if counts["agencies"]:
            log.info("blank-day reminders queued", extra={"reminders": counts})
        return 0  # one check per poll; the next agency-day comes with the clock


# --- the caller's preference --------------------------------------------------------------------

def _preference_view(s: Session, nip: str) -> dict[str, Any]:
    row = s.execute(select(reminder_opt_outs).where(reminder_opt_outs.c.nip == nip)).first()
    person = staff.employee(s, nip)
    _, hour, _ = staff.settings_of(s, person.agency_id if person else None)
    return {"nip": nip, "enabled": row is None, "reminder_hour": hour,
            "opted_out_at": as_utc(row.opted_out_at).isoformat() if row else None}


def reminder_preference(factory: sessionmaker[Session], ctx: RequestContext) -> dict[str, Any]:
    """Whether I get the blank-day reminder (and digest), and the hour my agency sends it."""
    caller = require(ctx.caller)
    with factory() as s:
        return _preference_view(s, caller.nip)


def set_reminder_preference(factory: sessionmaker[Session], ctx: RequestContext, enabled: Any) -> dict[str, Any]:
    caller = require(ctx.caller)
    if not isinstance(enabled, bool):
        raise validation_error([FieldError("enabled", "boolean", "enabled must be true or false.",
                                           "enabled harus true atau false.")])
    with unit_of_work(factory) as s:
        if enabled:
            s.execute(delete(reminder_opt_outs).where(reminder_opt_outs.c.nip == caller.nip))
        elif not s.execute(select(reminder_opt_outs.c.nip).where(reminder_opt_outs.c.nip == caller.nip)).first():
            s.execute(insert(reminder_opt_outs).values(nip=caller.nip, opted_out_at=utcnow()))
        return _preference_view(s, caller.nip)

