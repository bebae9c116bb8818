"""Paying for a hold from the wallet."""
