"""Queued mail: a mail is written in the same transaction as the change that asks for it, and a
relay sends it over SMTP afterwards, so a crash between the two loses nothing.

A service defines its queue table with `define_mail_queue(metadata)`, adds mails with
`queue_mail(session, table, ...)`, and sends them with the `MailRelay(table)` dependency.
SMTP settings come from the environment: SMTP_HOST, SMTP_PORT, MAIL_FROM (and MAIL_POLL_SECONDS).
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.orm import Session

from .config import env, env_int
from .events import as_utc, utcnow
from .service import BackgroundLoop


def _domain(sender: str) -> str:
    """The sender's domain, for Message-IDs that do not name this machine."""
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "ekinerja.local"


def define_mail_queue(metadata: MetaData) -> Table:
    return Table(
        "mail_queue", metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("to_addr", String(254), nullable=False),
        Column("subject", String(300), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True, index=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )


def queue_mail(session: Session, table: Table, to_addr: str, subject: str, body: str) -> None:
    """Add a mail to the current transaction; `MailRelay` sends it once that is committed."""
    session.execute(insert(table).values(to_addr=to_addr, subject=subject, body=body, created_at=utcnow(),
                                         attempts=0))


class MailRelay(BackgroundLoop):
    """Sends queued mail through SMTP; a mail stays queued until the server accepted it.

    A mail the server refuses is retried on later rounds, up to `max_attempts` times, with the
    server's answer kept in `last_error`.
    """

    identifier = "mail-relay"
    poll_setting = ("MAIL_POLL_SECONDS", 2.0)
    max_attempts = 10
    batch_size = 20

    def __init__(self, table: Table) -> None:
        self.table = table

    def work_once(self) -> int:
        table = self.table
        with self.factory() as s, s.begin():
            rows = s.execute(select(table).where(table.c.sent_at.is_(None), table.c.attempts < self.max_attempts)
                             .order_by(table.c.id).limit(self.batch_size).with_for_update(skip_locked=True)).all()
            if not rows:
                return 0
            sent = 0
            with smtplib.SMTP(env("SMTP_HOST", "127.0.0.1"), env_int("SMTP_PORT", 1025), timeout=10) as smtp:
                for row in rows:
                    message = EmailMessage()
                    message["From"] = env("MAIL_FROM", "e-Kinerja <no-reply@ekinerja.local>")
                    message["To"] = row.to_addr
                    message["Subject"] = row.subject
                    # When the change that asked for it was made (RFC 5322 requires a Date; mail
                    # readers sort by it), not when a relay round happened to send it.
                    message["Date"] = format_datetime(as_utc(row.created_at))
                    message["Message-ID"] = make_msgid(domain=_domain(message["From"]))
                    message.set_content(row.body)
                    try:
                        smtp.send_message(message)
                        s.execute(update(table).where(table.c.id == row.id)
                                  .values(sent_at=utcnow(), attempts=row.attempts + 1))
                        sent += 1
                    except smtplib.SMTPException as exc:  # this address refused; the others go on
                        s.execute(update(table).where(table.c.id == row.id)
                                  .values(attempts=row.attempts + 1, last_error=str(exc)[:500]))
            return sent  # refused ones wait for the next round instead of spinning
