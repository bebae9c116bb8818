"""The prepaid wallet and its ledger."""
