"""SKP rules in plain Python (PermenPANRB 6/2022 and docs/domain.md): no nameko, no SQL."""
