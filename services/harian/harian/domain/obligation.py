"""From when an employee must log every working day (docs/domain.md "Daily progress"): a blank
working day before that date is not a blank day at all, after it it may cost allowance.

The obligation starts on the later of
- the agency's go-live (its setting `go_live`: the day it started using daily progress), and
- the employee's own start, as the NIP records it (docs/domain.md "Identifiers"): a PNS's NIP
  holds the month of appointment as CPNS (digits 9–14), so the first of that month; a PPPK's NI
  holds only the appointment year (digits 9–12), so 1 January of it.
An agency that set no go-live has its employees owe only the days from when harian first saw them
(`first_seen`, the day the closer met them), so turning daily progress on never charges anyone for
the time before; the agency sets a go-live to count from its real start.
"""

from __future__ import annotations

import datetime as dt

from ekinerja_kernel.identifiers import is_nip


def employment_start(nip: str) -> dt.date | None:
    """The first day the NIP says its holder served, or None when it says nothing readable."""
    if not is_nip(nip):
        return None
    year = int(nip[8:12])
    try:
        if nip[12] == "2":  # PPPK: "2" and the contract count stand where a PNS has the month
            return dt.date(year, 1, 1)
        return dt.date(year, int(nip[12:14]), 1)
    except ValueError:
        return None


def obligation_start(go_live: dt.date | None, nip: str, first_seen: dt.date | None) -> dt.date | None:
    """The first day `nip` must log (see the module); None when nothing is owed yet (no go-live and
    harian has not seen the employee)."""
    if go_live is None:
        return first_seen
    started = employment_start(nip)
    return max(go_live, started) if started is not None else go_live
