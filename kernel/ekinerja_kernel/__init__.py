"""The e-Kinerja shared kernel: only what every service truly shares.

Plain modules (no nameko import): config, errors, events, logs, db, outbox, migrations.
nameko-aware modules: rpc (entrypoint + error transport), service (dependencies, base service).
"""
