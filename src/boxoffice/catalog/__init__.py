"""Concerts, their dates (schedules) and seats."""
