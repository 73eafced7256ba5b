"""The events service's tables: the append-only log of public events (the replay feed), the
subscribers and their grants, the webhook subscriptions and each delivery, and queued mail."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ekinerja_kernel.mail import define_mail_queue

metadata = MetaData()

# An integer that autoincrements on SQLite (only INTEGER PRIMARY KEY does there) and is 64-bit elsewhere.
SEQ = BigInteger().with_variant(Integer(), "sqlite")

# Every public event, in the order it was appended: `seq` is the replay cursor (appends are serialised,
# so a reader never sees a later seq before an earlier one commits). Rows are only ever added, and
# removed from the oldest end once older than the retention.
public_log = Table(
    "public_log", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),  # the event as published (structured CloudEvents JSON)
    Column("appended_at", DateTime(timezone=True), nullable=False, index=True),
    Index("ix_public_log_type_seq", "type", "seq"),
)

# One row (id 1): the highest seq removed by the retention, so a cursor from before it is told apart.
log_state = Table(
    "log_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("pruned_through", SEQ, nullable=False),
    Column("pruned_at", DateTime(timezone=True), nullable=True),
)

# A subscribing system: its broker account (user = name) and its API key for the replay feed.
subscribers = Table(
    "subscribers", metadata,
    Column("name", String(64), primary_key=True),
    Column("types", JSON, nullable=False),  # the public types granted, by full name
    Column("key_hash", String(64), nullable=False, unique=True),  # SHA-256 of the API key (shown once)
    Column("owner_email", String(254), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

webhooks = Table(
    "webhooks", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("types", JSON, nullable=False),
    # The signing secret (whsec_...): the sender must hold it to sign, so it is stored as it is.
    Column("secret", Text, nullable=False),
    Column("owner_email", String(254), nullable=False),
    Column("state", String(16), nullable=False),  # active | disabled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("failing_since", DateTime(timezone=True), nullable=True),  # first failure since the last success
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("disabled_reason", Text, nullable=True),
)

# One event to one webhook. pending: to be tried at next_attempt_at; delivered; failed (every try of the
# schedule failed: `webhooks retry` tries again). A disabled webhook's deliveries wait as they are.
deliveries = Table(
    "deliveries", metadata,
    Column("id", SEQ, primary_key=True, autoincrement=True),
    Column("webhook_id", String(36), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("seq", SEQ, nullable=False),  # the event's place in the log
    Column("event_id", String(36), nullable=False),
    Column("type", String(200), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("webhook_id", "event_id", name="uq_deliveries_webhook_event"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_webhook_seq", "webhook_id", "seq"),
)

mail_queue = define_mail_queue(metadata)
