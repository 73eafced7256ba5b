"""Daily-progress rules in plain Python (docs/domain.md "Daily progress"): the working-day calendar, the
back-fill window, entry validation, the status of a day and the month view. No nameko, no SQL."""
