"""`python -m ekinerja_kernel migrate DIR...`: run each service's migrations to head."""

import sys
from pathlib import Path

from .migrations import upgrade


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "migrate":
        print("usage: python -m ekinerja_kernel migrate SERVICE_DIR...", file=sys.stderr)
        return 2
    for service_dir in argv[1:]:
        upgrade(Path(service_dir))
        print(f"migrated {service_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
