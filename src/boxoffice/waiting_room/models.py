"""What the SQL database keeps of queue passes: the ones their fans gave up.

The line itself lives in the waiting-room store. Should that store be lost, a pass may bring
its fan back to their place (restore); a pass its fan gave up must not, so leaving is written
here too. (A pass used up by a payment is known from the payment.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.platform.database import Base, UTCDateTime


class QueuePassLeft(Base):
    __tablename__ = "queue_pass_left"

    pass_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    left_at: Mapped[datetime] = mapped_column(UTCDateTime())
