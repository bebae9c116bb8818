"""Seat holds (reservations): all-or-nothing, expiring, cancellable."""
