"""Which public types a subscriber may be given, and which it may read."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ekinerja_kernel.publicevents import catalogue

from .errors import invalid, type_not_granted

# A subscriber's name is its broker user and the prefix of its queues (sub.NAME.): no dots, no regex
# characters, short.
NAME = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise invalid("name", "pattern", "A name is 2 to 40 lower-case letters, digits or '-', starting with a letter.",
                      "Nama terdiri dari 2 sampai 40 huruf kecil, angka atau '-', diawali huruf.")
    return name


def grantable(types: Iterable[str], personal_data: bool) -> list[str]:
    """The types to grant, each a public type named in full; a personal one only with `personal_data`."""
    wanted = list(dict.fromkeys(types))
    if not wanted:
        raise invalid("types", "required", "Name at least one public event type.",
                      "Sebutkan paling sedikit satu jenis event publik.")
    known = catalogue()
    unknown = [t for t in wanted if t not in known]
    if unknown:
        raise invalid("types", "unknown-type", f"Not public event types: {', '.join(unknown)} "
                      f"(the public types: {', '.join(known)}).",
                      f"Bukan jenis event publik: {', '.join(unknown)} (jenis publik: {', '.join(known)}).")
    personal = [t for t in wanted if known[t].personal]
    if personal and not personal_data:
        raise invalid("types", "personal-data", f"{', '.join(personal)} carry personal data (NIK, email): grant "
                      "them only for a purpose that needs them, and say so with --personal-data.",
                      f"{', '.join(personal)} memuat data pribadi (NIK, email): berikan hanya untuk keperluan "
                      "yang membutuhkannya, dan nyatakan dengan --personal-data.")
    return wanted


def readable(requested: Iterable[str] | None, granted: list[str]) -> list[str]:
    """The types a replay reads: those asked for (all granted when none), each granted."""
    if requested is None:
        return list(granted)
    wanted = list(dict.fromkeys(requested))
    if not wanted:
        return list(granted)
    unknown = [t for t in wanted if t not in catalogue()]
    if unknown:
        raise invalid("types", "unknown-type", f"Not public event types: {', '.join(unknown)}.",
                      f"Bukan jenis event publik: {', '.join(unknown)}.")
    refused = [t for t in wanted if t not in granted]
    if refused:
        raise type_not_granted(refused, granted)
    return wanted
