"""The virtual waiting room: a fair line in front of the shop."""
