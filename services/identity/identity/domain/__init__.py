"""Identity rules in plain Python: passwords, lockout, TOTP, login blockers, problems."""
