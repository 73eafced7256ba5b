"""The identity service's tables. It publishes its events through the outbox."""

from sqlalchemy import MetaData

from ekinerja_kernel.outbox import Outbox, define_outbox

metadata = MetaData()
outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "identity")
