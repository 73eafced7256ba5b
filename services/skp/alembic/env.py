from ekinerja_kernel.migrations import run_env
from skp.tables import metadata

run_env(metadata)
