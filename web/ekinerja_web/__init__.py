"""e-Kinerja's web client: Flask pages that do everything through the gateway's public API."""
