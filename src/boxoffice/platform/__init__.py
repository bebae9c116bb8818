"""Shared ground: database and unit of work, errors, security, clock, logging, metrics."""
