"""Master data rules in plain Python: no nameko, no Flask, no SQL."""
