"""Accounts: second factor (TOTP), login throttling, disabling users."""
