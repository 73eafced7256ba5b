"""The pages, one module per menu."""
