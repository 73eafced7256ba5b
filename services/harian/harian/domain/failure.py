"""What a submission's status says when harian could not store it after every try (status `gagal`):
why, in plain Indonesian and English, never a stack trace.

Two cases. The submission holds text that no database can store (an unpaired surrogate, half of a
character such as an emoji cut in two, or a NUL byte): then the field is named, like any refusal,
and the employee can fix it. Anything else is a fault on our side: the status says so, says that
nothing is lost (the submission waits in the dead-letter queue for the operators to replay it), and
that submitting the day again is fine.
"""

from __future__ import annotations

from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError

# A submission's status once parked after every try; a replay that succeeds replaces it.
FAILED = "gagal"


def _storable(text: str) -> bool:
    if "\x00" in text:  # PostgreSQL text cannot hold NUL
        return False
    try:
        text.encode("utf-8")  # an unpaired surrogate is not a character
    except UnicodeEncodeError:
        return False
    return True


def unstorable_fields(value: Any, path: str = "") -> list[str]:
    """The fields (`activities[1].description`) whose text cannot be stored, in order."""
    if isinstance(value, str):
        return [] if _storable(value) else [path or "(body)"]
    if isinstance(value, dict):
        return [f for key, item in value.items()
                for f in unstorable_fields(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in unstorable_fields(item, f"{path}[{i}]")]
    return []


def failure_problem(data: Any, tries: int) -> dict[str, Any]:
    """The problem shown at the status URL and mailed to the employee."""
    fields = unstorable_fields(data) if isinstance(data, dict) else []
    if fields:
        return DomainError(
            code="unstorable-text", status=422, title="Text that cannot be stored",
            detail="Your daily progress could not be saved: some of its text holds a character that cannot be "
                   "stored. Remove it and submit the day again.",
            detail_id="Progres harian Anda tidak dapat disimpan: sebagian teksnya berisi karakter yang tidak dapat "
                      "disimpan. Hapus karakter itu lalu kirim kembali hari tersebut.",
            errors=[FieldError(field, "storable-text",
                               "Contains a broken character (for example half of an emoji, or an invisible control "
                               "character copied from another program); remove it.",
                               "Berisi karakter rusak (misalnya separuh emoji, atau karakter kendali tak terlihat "
                               "yang tersalin dari program lain); hapus karakter itu.")
                    for field in fields]).to_problem()
    return DomainError(
        code="processing-failed", status=500, title="Could not be processed",
        detail=f"Your daily progress could not be saved because of a fault on our side ({tries} attempts). "
               "Nothing is lost: it has been set aside for the operators, who will process it again once the "
               "fault is fixed. You may also submit the day again.",
        detail_id=f"Progres harian Anda tidak dapat disimpan karena gangguan di sistem kami ({tries} kali "
                  "percobaan). Tidak ada yang hilang: kiriman Anda disimpan terpisah untuk petugas, yang akan "
                  "memprosesnya kembali setelah gangguan diperbaiki. Anda juga boleh mengirim ulang hari tersebut.",
    ).to_problem()
