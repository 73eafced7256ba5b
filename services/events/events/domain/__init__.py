"""The events service's rules, plain Python: who may have which public types, cursors, keys, and the
webhook retry schedule."""
