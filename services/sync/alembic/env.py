from ekinerja_kernel.migrations import run_env
from sync.tables import metadata

run_env(metadata)
