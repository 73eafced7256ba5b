"""The refusals of the events service, in English and Bahasa Indonesia."""

from __future__ import annotations

from ekinerja_kernel.errors import DomainError, FieldError, validation_error


def invalid(field: str, rule: str, detail: str, detail_id: str) -> DomainError:
    return validation_error([FieldError(field, rule, detail, detail_id)])


def key_invalid() -> DomainError:
    return DomainError(
        code="subscriber-key-invalid", status=401, title="Unauthorized",
        detail="This feed needs the API key the operator issued to your system: send 'Authorization: Bearer <key>'.",
        detail_id="Umpan ini memerlukan kunci API yang diterbitkan operator untuk sistem Anda: kirim "
                  "'Authorization: Bearer <kunci>'.")


def type_not_granted(types: list[str], granted: list[str]) -> DomainError:
    shown = ", ".join(types)
    return DomainError(
        code="type-not-granted", status=403, title="Forbidden",
        detail=f"Your system is not granted these event types: {shown}. Ask the operator to grant them.",
        detail_id=f"Sistem Anda tidak diberi jenis event berikut: {shown}. Mintalah operator untuk memberikannya.",
        extra={"not_granted": types, "granted": granted})


def cursor_expired(after: int, oldest: int | None) -> DomainError:
    return DomainError(
        code="cursor-expired", status=410, title="Gone",
        detail=f"Events after cursor {after} are no longer all kept (the log keeps a limited time): some were "
               "removed. Start again from the oldest kept (omit 'after') and reconcile what you hold.",
        detail_id=f"Event setelah kursor {after} tidak lagi tersimpan seluruhnya (log disimpan untuk waktu "
                  "terbatas): sebagian telah dihapus. Mulailah lagi dari yang tertua (tanpa 'after') dan "
                  "cocokkan data Anda.",
        extra={"oldest": str(oldest) if oldest is not None else None})


def event_not_kept(event_id: str) -> DomainError:
    return DomainError(
        code="event-not-kept", status=410, title="Gone",
        detail=f"The event {event_id} is not in the log: older than the retention, or not a public event, or "
               "received from the exchange within the last seconds and not logged yet (the log follows the "
               "exchange by about a second: ask again). Continue from your last cursor, or start from the "
               "oldest kept (omit 'after_id').",
        detail_id=f"Event {event_id} tidak ada di log: lebih tua dari masa simpan, bukan event publik, atau baru "
                  "diterima dari exchange beberapa detik lalu dan belum tercatat (log mengikuti exchange sekitar "
                  "satu detik: tanyakan lagi). Lanjutkan dari kursor terakhir Anda, atau mulai dari yang tertua "
                  "(tanpa 'after_id').")


def not_found(what: str, what_id: str, name: str) -> DomainError:
    return DomainError(code="not-found", status=404, title="Not found",
                       detail=f"No {what} named {name}.", detail_id=f"Tidak ada {what_id} bernama {name}.")


def already_exists(what: str, what_id: str, name: str) -> DomainError:
    return DomainError(code="already-exists", status=409, title="Conflict",
                       detail=f"A {what} named {name} already exists.",
                       detail_id=f"{what_id} bernama {name} sudah ada.")
