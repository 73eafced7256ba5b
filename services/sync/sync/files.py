"""Reading an import file: JSON with any record kinds, or CSV of one kind (employees by default)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def read_import_file(path: Path | str, kind: str = "employees") -> dict[str, Any]:
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as f:
            return {kind: [{k: v for k, v in row.items() if k} for row in csv.DictReader(f)]}
    with path.open(encoding="utf-8") as f:
        return json.load(f)
