from ekinerja_kernel.migrations import run_env
from harian.tables import metadata

run_env(metadata)
