"""Reservation use cases: hold seats all-or-nothing, look them up, cancel with refund."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from boxoffice.catalog import service as catalog_service
from boxoffice.catalog.domain import is_on_sale
from boxoffice.catalog.exceptions import ScheduleNotFound
from boxoffice.catalog.seat_map import SeatLayouts
from boxoffice.platform.errors import Busy
from boxoffice.platform.limits import MAX_SEAT_NUMBER
from boxoffice.reservations import domain
from boxoffice.reservations.exceptions import (
    HoldLimitExceeded,
    ReservationNotCancellable,
    ReservationNotFound,
    ScheduleClosed,
    SeatNotFound,
    SeatUnavailable,
    SectionNotFound,
)
from boxoffice.reservations.holding import HoldAttempt
from boxoffice.wallet.domain import EntryKind
from boxoffice.wallet.exceptions import BalanceLimitExceeded

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class HoldRules:
    hold_seconds: int
    max_seats_per_reservation: int
    max_held_seats_per_user: int
    max_balance: int
    schedule_starts: dict[int, datetime] = field(default_factory=dict)

    def held_until(self, now: datetime, starts_at: datetime) -> datetime:
        """When a hold made now on a date starting at `starts_at` runs out: `hold_seconds` on,
        or when the date starts, if sooner (a date is sold until it starts: a hold made in its
        last minutes cannot be paid for once the show is on)."""
        return min(now + timedelta(seconds=self.hold_seconds), starts_at)


# How many times a best-seats hold picks again when the seats it picked were taken meanwhile
# (by a hold on another process: holds in one process pick in turn, see the router).
BEST_SEAT_ATTEMPTS = 20


async def hold_seats(
    uow: UnitOfWork,
    rules: HoldRules,
    user_id: int,
    schedule_id: int,
    seat_numbers: Sequence[int],
    now: datetime,
) -> domain.Reservation:
    """Hold all the seats or none, for `hold_seconds`."""
    numbers = sorted(set(seat_numbers))
    _within_reservation_limit(rules, len(numbers))
    held_until = await _on_sale_until(uow, rules, schedule_id, now)
    impossible = [n for n in numbers if not 1 <= n <= MAX_SEAT_NUMBER]
    if impossible:  # no date has such a seat
        raise _no_such_seats(impossible)
    attempt = await _hold(uow, rules, user_id, schedule_id, numbers, now, held_until)
    if attempt.outcome is domain.HoldOutcome.SHORT:
        await _explain_shortfall(uow, schedule_id, numbers, {s.number for s in attempt.seats})
    return _reservation(attempt, user_id, schedule_id, now, held_until)


async def hold_best_seats(
    uow: UnitOfWork,
    rules: HoldRules,
    layouts: SeatLayouts,
    user_id: int,
    schedule_id: int,
    quantity: int,
    section: str | None,
    now: datetime,
) -> domain.Reservation:
    """Hold the best `quantity` free seats of the date (`domain.best_seats`), in `section` if
    named, all or none, for `hold_seconds`: a hold of named seats, picked from what is free."""
    _within_reservation_limit(rules, quantity)
    held_until = await _on_sale_until(uow, rules, schedule_id, now)
    layout = await catalog_service.seat_layout(uow, schedule_id, layouts)
    if section is not None and not layout.has_section(section):
        raise SectionNotFound(f"This date has no section {section!r}.", section=section)
    for _ in range(BEST_SEAT_ATTEMPTS):
        free = layout.free_sections(await uow.catalog.taken_seats(schedule_id, now))
        numbers = domain.best_seats(free, quantity, section)
        if numbers is None:
            where = "" if section is None else f" in {section}"
            raise SeatUnavailable(
                f"Fewer than {quantity} seats are free{where}. Ask for fewer seats, "
                "another section or another date.",
                seats=[],
            )
        attempt = await _hold(uow, rules, user_id, schedule_id, numbers, now, held_until)
        if attempt.outcome is domain.HoldOutcome.HELD:
            return _reservation(attempt, user_id, schedule_id, now, held_until)
        # SHORT: a seat picked was taken since the read. A SHORT may leave writes (the
        # SeatHolder port): undo them, then pick again from what is free now.
        await uow.start_over()
    raise Busy("Seats are being taken too fast to pick the best; nothing was held. Try again.")


def _no_such_seats(numbers: list[int]) -> SeatNotFound:
    return SeatNotFound(
        f"This date has no seat {', '.join(map(str, numbers))}.", seat_numbers=numbers
    )


def _within_reservation_limit(rules: HoldRules, seats: int) -> None:
    if seats > rules.max_seats_per_reservation:
        raise HoldLimitExceeded(
            f"One reservation holds at most {rules.max_seats_per_reservation} seats.",
            limit=rules.max_seats_per_reservation,
        )


async def _starts_at(uow: UnitOfWork, rules: HoldRules, schedule_id: int) -> datetime:
    """When the date starts."""
    starts_at = rules.schedule_starts.get(schedule_id)
    if starts_at is None:
        # A date's start never changes once created: remembered per process.
        starts_at = await uow.catalog.schedule_starts_at(schedule_id)
    if starts_at is None:
        raise ScheduleNotFound(f"There is no date {schedule_id}.")
    rules.schedule_starts[schedule_id] = starts_at
    return starts_at


async def _on_sale_until(
    uow: UnitOfWork, rules: HoldRules, schedule_id: int, now: datetime
) -> datetime:
    """When a hold made now on the date runs out, if the date is on sale."""
    starts_at = await _starts_at(uow, rules, schedule_id)
    if not is_on_sale(starts_at, now):
        raise ScheduleClosed("This date is no longer on sale. Pick another date.")
    return rules.held_until(now, starts_at)


async def _hold(
    uow: UnitOfWork,
    rules: HoldRules,
    user_id: int,
    schedule_id: int,
    numbers: Sequence[int],
    now: datetime,
    held_until: datetime,
) -> HoldAttempt:
    """One all-or-nothing attempt (the seat holder of the engine); HELD or SHORT."""
    attempt = await uow.seat_holder.hold(
        user_id, schedule_id, numbers, held_until, now, rules.max_held_seats_per_user
    )
    if attempt.outcome is domain.HoldOutcome.OVER_LIMIT:
        raise HoldLimitExceeded(
            f"You may hold {rules.max_held_seats_per_user} seats at once and already hold "
            f"{attempt.already_held}. Pay for or cancel a hold first.",
            limit=rules.max_held_seats_per_user,
            held=attempt.already_held,
        )
    return attempt


def _reservation(
    attempt: HoldAttempt, user_id: int, schedule_id: int, now: datetime, held_until: datetime
) -> domain.Reservation:
    assert attempt.reservation_id is not None  # HELD
    seats = tuple(domain.ReservedSeat(s.number, s.price) for s in attempt.seats)
    return domain.Reservation(
        id=attempt.reservation_id,
        user_id=user_id,
        schedule_id=schedule_id,
        seats=seats,
        amount=domain.total_amount(seats),
        status=domain.ReservationStatus.HELD,
        held_until=held_until,
        created_at=now,
    )


async def _explain_shortfall(
    uow: UnitOfWork, schedule_id: int, numbers: Sequence[int], taken: set[int]
) -> NoReturn:
    existing = await uow.catalog.existing_seat_numbers(schedule_id, numbers)
    missing = sorted(set(numbers) - existing)
    if missing:
        raise _no_such_seats(missing)
    unavailable = sorted(set(numbers) - taken)
    raise SeatUnavailable(
        f"Seat {', '.join(map(str, unavailable))} is no longer available. Pick other seats.",
        seats=unavailable,
    )


async def get_reservation(
    uow: UnitOfWork, user_id: int, reservation_id: int, now: datetime
) -> domain.Reservation:
    """The caller's reservation; another fan's answers as absent."""
    reservation = await uow.reservations.get(reservation_id, now)
    if reservation is None or reservation.user_id != user_id:
        raise ReservationNotFound(f"You have no reservation {reservation_id}.")
    return reservation


async def list_reservations(
    uow: UnitOfWork, user_id: int, now: datetime, limit: int, before_id: int | None
) -> list[domain.Reservation]:
    """The caller's reservations, newest first, a page at a time."""
    return await uow.reservations.for_user(user_id, now, limit, before_id)


async def cancel_reservation(
    uow: UnitOfWork, rules: HoldRules, user_id: int, reservation_id: int, now: datetime
) -> domain.Reservation:
    """Cancel a live hold (seats freed) or a confirmed booking (seats freed, amount refunded)."""
    current = await get_reservation(uow, user_id, reservation_id, now)
    if current.status is domain.ReservationStatus.HELD:
        moved = await uow.reservations.transition(
            reservation_id,
            user_id,
            domain.ReservationStatus.HELD,
            domain.ReservationStatus.CANCELLED,
            now,
            live_at=now,
        )
        if moved is not None:
            await uow.reservations.release_seats(reservation_id)
            return await get_reservation(uow, user_id, reservation_id, now)
        # No longer held since it was read: run out, or paid meanwhile (PostgreSQL: another
        # request's payment committed in between), which is then cancelled as a booking.
        current = await get_reservation(uow, user_id, reservation_id, now)
        if current.status is not domain.ReservationStatus.CONFIRMED:
            raise ReservationNotCancellable("This hold has just ended; nothing to cancel.")
    if current.status is domain.ReservationStatus.CONFIRMED:
        # A booking is given back while its date may still be sold, as a hold is taken.
        if not is_on_sale(await _starts_at(uow, rules, current.schedule_id), now):
            raise ReservationNotCancellable(
                "This date has started: its bookings can no longer be cancelled."
            )
        await _refund(uow, rules, user_id, reservation_id, now)
    else:
        raise ReservationNotCancellable(
            f"This reservation is {current.status.value.lower()}; only held or confirmed "
            "reservations can be cancelled."
        )
    return await get_reservation(uow, user_id, reservation_id, now)


async def _refund(
    uow: UnitOfWork, rules: HoldRules, user_id: int, reservation_id: int, now: datetime
) -> None:
    # Lock order everywhere: reservation, then its seats, then the wallet, then the payment.
    moved = await uow.reservations.transition(
        reservation_id,
        user_id,
        domain.ReservationStatus.CONFIRMED,
        domain.ReservationStatus.CANCELLED,
        now,
    )
    if moved is None:
        raise ReservationNotCancellable("This booking was cancelled already.")
    amount = moved.amount
    await uow.reservations.release_seats(reservation_id)
    if amount > 0:
        balance = await uow.wallets.credit(user_id, amount, rules.max_balance, now)
        if balance is None:
            raise BalanceLimitExceeded(
                "The refund would take your balance over its limit. "
                "Spend some of your balance first, then cancel again."
            )
        await uow.wallets.record(
            user_id, EntryKind.REFUND, amount, balance, now, reservation_id=reservation_id
        )
    await uow.payments.mark_refunded(reservation_id, now)
