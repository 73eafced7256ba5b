"""`make bench`: the peak benchmark of the running demo stack (see docs/benchmarks.md)."""
