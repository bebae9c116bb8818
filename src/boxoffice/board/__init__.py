"""The organizer's live board: the sale of the last 30 minutes, minute by minute."""
