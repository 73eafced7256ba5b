"""Queued mail on a real SQLite file: written with the change, sent by the relay, kept until accepted."""

import smtplib

import pytest
from sqlalchemy import MetaData, select

from ekinerja_kernel import mail
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.mail import MailRelay, define_mail_queue, queue_mail


class FakeSMTP:
    """Stands in for smtplib.SMTP: records what it was given, refuses the addresses in `refuse`."""

    connections: list[tuple] = []
    sent: list = []
    refuse: set[str] = set()

    def __init__(self, host, port, timeout=None):
        FakeSMTP.connections.append((host, port, timeout))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        if message["To"] in FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"no such user")})
        FakeSMTP.sent.append(message)


@pytest.fixture
def setup(sqlite_db, monkeypatch):
    FakeSMTP.connections, FakeSMTP.sent, FakeSMTP.refuse = [], [], set()
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    for name in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)
    metadata = MetaData()
    table = define_mail_queue(metadata)
    factory = sqlite_db(metadata)
    relay = MailRelay(table)
    relay.factory = factory  # what BackgroundLoop.setup() gives it inside a service
    return factory, table, relay


def rows(factory, table):
    with factory() as session:
        return session.execute(select(table).order_by(table.c.id)).mappings().all()


def test_table_has_the_columns_services_migrated():
    table = define_mail_queue(MetaData())
    assert table.name == "mail_queue"
    assert list(table.c.keys()) == ["id", "to_addr", "subject", "body", "created_at", "sent_at", "attempts",
                                    "last_error"]
    assert [sorted(c.name for c in index.columns) for index in table.indexes] == [["sent_at"]]


def test_rolled_back_transaction_queues_nothing(setup):
    factory, table, relay = setup
    with pytest.raises(RuntimeError), unit_of_work(factory) as session:
        queue_mail(session, table, "a@example.go.id", "Hi", "Body")
        raise RuntimeError("the change failed")
    assert rows(factory, table) == []
    assert relay.work_once() == 0
    assert FakeSMTP.connections == []  # no connection when there is nothing to send


def test_queued_mail_is_sent_in_order_and_marked(setup, monkeypatch):
    factory, table, relay = setup
    monkeypatch.setenv("SMTP_HOST", "smtp.example")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("MAIL_FROM", "Test <t@example.go.id>")
    with unit_of_work(factory) as session:
        queue_mail(session, table, "a@example.go.id", "First", "Satu")
        queue_mail(session, table, "b@example.go.id", "Second", "Dua")
    queued = rows(factory, table)
    assert [(r["attempts"], r["sent_at"]) for r in queued] == [(0, None), (0, None)]
    assert all(r["created_at"] is not None for r in queued)

    assert relay.work_once() == 2
    assert FakeSMTP.connections == [("smtp.example", 2525, 10)]
    assert [(m["From"], m["To"], m["Subject"]) for m in FakeSMTP.sent] == [
        ("Test <t@example.go.id>", "a@example.go.id", "First"),
        ("Test <t@example.go.id>", "b@example.go.id", "Second")]
    assert FakeSMTP.sent[0].get_content().strip() == "Satu"
    assert all(r["sent_at"] is not None and r["attempts"] == 1 for r in rows(factory, table))
    assert relay.work_once() == 0
    assert len(FakeSMTP.sent) == 2


def test_default_smtp_settings(setup):
    factory, table, relay = setup
    with unit_of_work(factory) as session:
        queue_mail(session, table, "a@example.go.id", "Hi", "Body")
    relay.work_once()
    assert FakeSMTP.connections == [("127.0.0.1", 1025, 10)]
    assert FakeSMTP.sent[0]["From"] == "e-Kinerja <no-reply@ekinerja.local>"


def test_refused_mail_stays_queued_with_the_error_and_gives_up_after_max_attempts(setup):
    factory, table, relay = setup
    FakeSMTP.refuse = {"bad@example.go.id"}
    with unit_of_work(factory) as session:
        queue_mail(session, table, "bad@example.go.id", "Nope", "x")
        queue_mail(session, table, "good@example.go.id", "Yes", "y")
    assert relay.work_once() == 1  # the refusal does not stop the others
    bad, good = rows(factory, table)
    assert good["sent_at"] is not None
    assert bad["sent_at"] is None and bad["attempts"] == 1 and "no such user" in bad["last_error"]

    for _ in range(relay.max_attempts - 1):
        assert relay.work_once() == 0
    assert rows(factory, table)[0]["attempts"] == relay.max_attempts
    connections = len(FakeSMTP.connections)
    assert relay.work_once() == 0
    assert len(FakeSMTP.connections) == connections  # given up: no longer picked up


def test_batches_are_limited(setup):
    factory, table, relay = setup
    with unit_of_work(factory) as session:
        for i in range(relay.batch_size + 3):
            queue_mail(session, table, f"u{i}@example.go.id", f"n{i}", "b")
    assert relay.work_once() == relay.batch_size
    assert relay.work_once() == 3
    assert [m["Subject"] for m in FakeSMTP.sent] == [f"n{i}" for i in range(relay.batch_size + 3)]
