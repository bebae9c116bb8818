"""Accounts: sign-up and log-in."""
