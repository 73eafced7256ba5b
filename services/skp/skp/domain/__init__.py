"""SKP rules in plain Python (PermenPANRB 6/2022 and the DOMAIN reference): no nameko, no SQL."""
