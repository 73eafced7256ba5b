from ekinerja_kernel.migrations import run_env
from events.tables import metadata

run_env(metadata)
