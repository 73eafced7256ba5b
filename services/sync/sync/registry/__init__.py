"""The national registry (SIASN-style HTTP API) and PMM as sources of master data: an HTTP client
with retries and a circuit breaker, the mapping of the registry's records to import rows, and a
simulator that serves a realistic agency for `make up` and the tests."""
