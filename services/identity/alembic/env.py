from ekinerja_kernel.migrations import run_env
from identity.tables import metadata

run_env(metadata)
