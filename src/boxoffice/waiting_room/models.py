"""What the SQL database keeps of queue passes: the ones their fans gave up.

The line itself lives in the waiting-room store. Should that store be lost, a pass may bring
its fan back to their place (restore); a pass its fan gave up must not, so leaving is written
here too. (A pass used up by a payment is known from the payment.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.accounts.models import IdType
from boxoffice.platform.database import Base, UTCDateTime


class QueuePassLeft(Base):
    __tablename__ = "queue_pass_left"

    pass_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    left_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueLine(Base):
    """A concert with a line of its own; every other concert is in the house line.

    `closing_since` is set when the organizer gives the line up: no one joins it from then on,
    and the concert goes back to the house line once the line is empty.
    """

    __tablename__ = "queue_line"

    concert_id: Mapped[int] = mapped_column(IdType, ForeignKey("concert.id"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closing_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
