"""The shape of the two numbers that name a person, one definition for every service: the NIP of a
PNS or PPPK (18 digits) and the NIK of the KTP (16 digits), docs/domain.md "Identifiers".

Only the shape: what the digits inside mean (birth date, start, gender) is sync's parser's to say."""

from __future__ import annotations

import re
from typing import Any

NIP_SHAPE = re.compile(r"[0-9]{18}")  # ASCII digits only: str.isdigit() would admit full-width ones
NIK_SHAPE = re.compile(r"[0-9]{16}")


def is_nip(value: Any) -> bool:
    return isinstance(value, str) and NIP_SHAPE.fullmatch(value) is not None


def is_nik(value: Any) -> bool:
    return isinstance(value, str) and NIK_SHAPE.fullmatch(value) is not None
