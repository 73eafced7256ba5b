"""Background work of the identity service: sending queued mail over SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sqlalchemy import select, update

from ekinerja_kernel.config import env, env_int
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.service import BackgroundLoop

from .tables import mail_queue


class MailRelay(BackgroundLoop):
    """Sends queued mail through SMTP; a mail stays queued until the server accepted it."""

    identifier = "mail-relay"
    poll_setting = ("MAIL_POLL_SECONDS", 2.0)
    max_attempts = 10

    def work_once(self) -> int:
        with self.factory() as s, s.begin():
            rows = s.execute(select(mail_queue).where(mail_queue.c.sent_at.is_(None),
                                                      mail_queue.c.attempts < self.max_attempts)
                             .order_by(mail_queue.c.id).limit(20).with_for_update(skip_locked=True)).all()
            if not rows:
                return 0
            sent = 0
            with smtplib.SMTP(env("SMTP_HOST", "127.0.0.1"), env_int("SMTP_PORT", 1025), timeout=10) as smtp:
                for row in rows:
                    message = EmailMessage()
                    message["From"] = env("MAIL_FROM", "e-Kinerja <no-reply@ekinerja.local>")
                    message["To"] = row.to_addr
                    message["Subject"] = row.subject
                    message.set_content(row.body)
                    try:
                        smtp.send_message(message)
                        s.execute(update(mail_queue).where(mail_queue.c.id == row.id)
                                  .values(sent_at=utcnow(), attempts=row.attempts + 1))
                        sent += 1
                    except smtplib.SMTPException as exc:  # this address refused; the others go on
                        s.execute(update(mail_queue).where(mail_queue.c.id == row.id)
                                  .values(attempts=row.attempts + 1, last_error=str(exc)[:500]))
            return sent  # refused ones wait for the next round instead of spinning
