"""A daily progress entry and the rules of its fields (DOMAIN.md "Daily progress").

The rules are harian's wire contract, `harian_contract.entry`, a library of its own so that the
gateway applies the very same ones before it answers 202 to a submission. harian adds what needs
its data: the approved SKP's RHK (`rhk_ids`) and the agency's back-fill window (`backfill`).
"""

from __future__ import annotations

from harian_contract.entry import (
    MAX_ACTIVITIES,
    MAX_DESCRIPTION,
    MAX_MINUTES,
    MAX_QUALITY,
    MAX_QUANTITY,
    MAX_RHK_ID,
    MAX_SATUAN,
    MAX_URL,
    MIN_MINUTES,
    QUALITY_DECIMALS,
    QUANTITY_DECIMALS,
    URL_SCHEMES,
    Activity,
    DailyEntry,
    number,
    parse_activities,
    parse_activity,
    parse_entry,
)

__all__ = ["MAX_ACTIVITIES", "MAX_DESCRIPTION", "MAX_MINUTES", "MAX_QUALITY", "MAX_QUANTITY", "MAX_RHK_ID",
           "MAX_SATUAN", "MAX_URL", "MIN_MINUTES", "QUALITY_DECIMALS", "QUANTITY_DECIMALS", "URL_SCHEMES",
           "Activity", "DailyEntry", "number", "parse_activities", "parse_activity", "parse_entry"]
