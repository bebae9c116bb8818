"""What the board answers."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from boxoffice.board.domain import BoardMinute


class BoardMinuteOut(BaseModel):
    starts_at: datetime
    waiting: int | None = Field(description="Fans in line at the minute's last sample.")
    active: int | None = Field(description="Fans shopping at the minute's last sample.")
    admitted: int | None = Field(description="Fans let in during the minute.")
    holds: int = Field(description="Holds made in the minute.")
    tickets_sold: int = Field(description="Seats paid for in the minute.")
    revenue: int = Field(description="Money paid in the minute (smallest currency unit).")
    holds_expired: int = Field(description="Holds that ran out unpaid in the minute.")

    @classmethod
    def of(cls, minute: BoardMinute) -> BoardMinuteOut:
        return cls(
            starts_at=datetime.fromtimestamp(minute.minute * 60, UTC),
            waiting=minute.waiting,
            active=minute.active,
            admitted=minute.admitted,
            holds=minute.holds,
            tickets_sold=minute.tickets_sold,
            revenue=minute.revenue,
            holds_expired=minute.holds_expired,
        )


class LineBoardOut(BaseModel):
    concert_id: int | None = Field(description="The line's concert; null for the house line.")
    name: str
    minutes: list[BoardMinuteOut] = Field(description="The last 30 minutes, oldest first.")


class BoardOut(BaseModel):
    generated_at: datetime
    currency: str
    lines: list[LineBoardOut]
