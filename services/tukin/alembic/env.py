from ekinerja_kernel.migrations import run_env
from tukin.tables import metadata

run_env(metadata)
