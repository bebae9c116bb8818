"""`boxoffice audit`: checks the invariants of design.md on a live database and waiting room."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.bootstrap import Container, build_container
from boxoffice.settings import Settings
from boxoffice.waiting_room.lines import line_label
from boxoffice.waiting_room.store import WaitingRoomStore

# Each check is a query that returns the rows that break the invariant: none means it holds.
DATABASE_CHECKS: tuple[tuple[str, str], ...] = (
    (
        # Two reservations of a seat, each live from its created_at until its held_until (a
        # HELD one) or for good (a CONFIRMED one), whose lives overlap. The rows' own times
        # decide, not the audit's clock: a hold takes a seat whose hold lapsed at or before the
        # `now` it writes as its created_at, so a lapsed hold not yet swept and the hold that
        # took its seat never overlap, however far the audit's clock is from the instances'.
        "1. a seat is in at most one live reservation",
        # Only the seats in two such reservations are paired: paired whole, an embedded database
        # (no planner statistics) joined every live reservation with every other (8 s for
        # 4,000, hours for a sale).
        """
        WITH live AS MATERIALIZED (
          SELECT rs.seat_id, r.id, r.status, r.created_at, r.held_until
          FROM reservation_seat rs JOIN reservation r ON r.id = rs.reservation_id
          WHERE r.status IN ('HELD', 'CONFIRMED')),
        shared AS MATERIALIZED (
          SELECT seat_id FROM live GROUP BY seat_id HAVING COUNT(*) > 1)
        SELECT a.seat_id, a.id, b.id FROM shared
        JOIN live a ON a.seat_id = shared.seat_id
        JOIN live b ON b.seat_id = a.seat_id AND b.id > a.id
        WHERE (a.status = 'CONFIRMED' OR b.created_at < a.held_until)
          AND (b.status = 'CONFIRMED' OR a.created_at < b.held_until)
        """,
    ),
    (
        # A lapsed hold is freed lazily, so its seat may stay HELD while the reservation is HELD
        # too; but whatever marks a reservation EXPIRED or CANCELLED (the sweeper, a cancel)
        # frees its seats in the same transaction. A hold writes one held_until to both rows:
        # a seat outliving its reservation would stay blocked, one lapsing first could be sold
        # twice.
        "1. a held seat points at a HELD reservation naming it, held as long; a sold seat at a"
        " CONFIRMED one",
        """
        SELECT s.id FROM seat s
        LEFT JOIN reservation r ON r.id = s.reservation_id
        LEFT JOIN reservation_seat rs ON rs.reservation_id = s.reservation_id AND rs.seat_id = s.id
        WHERE s.status <> 'AVAILABLE' AND (r.id IS NULL OR rs.seat_id IS NULL
           OR (s.status = 'SOLD' AND r.status <> 'CONFIRMED')
           OR (s.status = 'HELD' AND (r.status <> 'HELD' OR s.held_until <> r.held_until)))
        """,
    ),
    (
        # The other way round, for a hold (a sale's seats are checked below): its seats point
        # back at it until it ends, or until it lapsed and a hold made since took the seat (and
        # maybe let it go again). The rows' own times decide, as in the first check.
        "1. a HELD reservation's seats are its own until it lapses and another hold takes them",
        """
        SELECT r.id, rs.seat_id FROM reservation r
        JOIN reservation_seat rs ON rs.reservation_id = r.id
        JOIN seat s ON s.id = rs.seat_id
        WHERE r.status = 'HELD' AND (s.reservation_id IS NULL OR s.reservation_id <> r.id)
          AND NOT EXISTS (SELECT 1 FROM reservation_seat later
                          JOIN reservation lr ON lr.id = later.reservation_id
                          WHERE later.seat_id = rs.seat_id AND lr.created_at >= r.held_until)
        """,
    ),
    (
        # A ticket says what it is for by its own copy of the seat's number, date (the
        # reservation's) and price, and a seat's are fixed when its date is made: a copy that
        # differs shows one seat to its fan while another is sold to them, or charged for.
        "1. a reservation names each seat by the seat's own date, number and price",
        """
        SELECT rs.reservation_id, rs.seat_id FROM reservation_seat rs
        JOIN reservation r ON r.id = rs.reservation_id
        JOIN seat s ON s.id = rs.seat_id
        WHERE s.schedule_id <> r.schedule_id OR s.number <> rs.number OR s.price <> rs.price
        """,
    ),
    (
        "2. every confirmed reservation owns all its seats, SOLD",
        """
        SELECT r.id FROM reservation r JOIN reservation_seat rs ON rs.reservation_id = r.id
        JOIN seat s ON s.id = rs.seat_id
        WHERE r.status = 'CONFIRMED'
          AND (s.status <> 'SOLD' OR s.reservation_id IS NULL OR s.reservation_id <> r.id)
        """,
    ),
    (
        "2. every confirmed reservation has exactly one PAID payment of the seats' total",
        """
        SELECT r.id FROM reservation r
        LEFT JOIN payment p ON p.reservation_id = r.id AND p.status = 'PAID'
        WHERE r.status = 'CONFIRMED' AND (p.id IS NULL OR p.amount <> r.amount
           OR r.amount <> (SELECT COALESCE(SUM(price), 0) FROM reservation_seat
                           WHERE reservation_id = r.id))
        """,
    ),
    (
        "2. a PAID payment belongs to a confirmed reservation",
        """
        SELECT p.id FROM payment p JOIN reservation r ON r.id = p.reservation_id
        WHERE p.status = 'PAID' AND r.status <> 'CONFIRMED'
        """,
    ),
    (
        # A refund is what a cancel of a confirmed booking does, and only that.
        "2. a REFUNDED payment belongs to a cancelled reservation",
        """
        SELECT p.id FROM payment p JOIN reservation r ON r.id = p.reservation_id
        WHERE p.status = 'REFUNDED' AND r.status <> 'CANCELLED'
        """,
    ),
    (
        # The ledger's debit is checked against the payment's fan below; this ties both to
        # the fan who holds the tickets (a free sale has no ledger entry at all).
        "2. a payment is made by the fan whose reservation it pays",
        """
        SELECT p.id FROM payment p JOIN reservation r ON r.id = p.reservation_id
        WHERE p.user_id <> r.user_id
        """,
    ),
    (
        "3. a balance equals the sum of its ledger, within 0 and the cap",
        """
        SELECT w.user_id FROM wallet w
        WHERE w.balance < 0 OR w.balance > :max_balance OR w.balance <>
          (SELECT COALESCE(SUM(t.amount), 0) FROM wallet_transaction t WHERE t.user_id = w.user_id)
        """,
    ),
    (
        # The balance as each entry left it: the fan's statement shows it, and the floor holds
        # at every step, not just now (the cap is today's setting: an operator may have lowered
        # it since; the balance now is held to it above). A wallet's moves take its row lock
        # before their entry is written, so a fan's entries are numbered in the order they
        # happened.
        "3. each ledger entry's balance_after is its fan's ledger summed up to it, never below 0",
        """
        SELECT id, user_id FROM (
          SELECT id, user_id, balance_after, SUM(amount) OVER (PARTITION BY user_id ORDER BY id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS summed
          FROM wallet_transaction) t
        WHERE balance_after <> summed OR balance_after < 0
        """,
    ),
    (
        "4. money moves at most once per reservation (one payment debit, one refund)",
        """
        SELECT reservation_id, kind FROM wallet_transaction
        WHERE reservation_id IS NOT NULL
        GROUP BY reservation_id, kind HAVING COUNT(*) > 1
        """,
    ),
    (
        "4. every payment has its one debit",
        """
        SELECT p.id FROM payment p
        LEFT JOIN (SELECT reservation_id, amount, COUNT(*) AS debits FROM wallet_transaction
                   WHERE kind = 'PAYMENT' GROUP BY reservation_id, amount) t
          ON t.reservation_id = p.reservation_id AND t.amount = -p.amount
        WHERE p.amount > 0 AND COALESCE(t.debits, 0) <> 1
        """,
    ),
    (
        # A cancel refunds at least once, as the check above says at most once.
        "4. every refunded payment has its one refund",
        """
        SELECT p.id FROM payment p
        LEFT JOIN (SELECT reservation_id, amount, COUNT(*) AS refunds FROM wallet_transaction
                   WHERE kind = 'REFUND' GROUP BY reservation_id, amount) t
          ON t.reservation_id = p.reservation_id AND t.amount = p.amount
        WHERE p.status = 'REFUNDED' AND p.amount > 0 AND COALESCE(t.refunds, 0) <> 1
        """,
    ),
    (
        # A record is claimed (status 0) in the transaction of its effect and given its answer
        # in the same one: a committed claim with no answer left a key whose effect is unknown
        # and whose every retry is refused.
        "4. every idempotency record holds the answer to repeat",
        """
        SELECT user_id, key FROM idempotency_record
        WHERE status_code < 100 OR status_code > 599
        """,
    ),
    (
        # The other way round: money leaves or comes back only as a reservation's payment.
        "4. every debit and refund matches its reservation's payment in fan and amount, a refund"
        " a REFUNDED one",
        """
        SELECT t.id FROM wallet_transaction t
        LEFT JOIN payment p ON p.reservation_id = t.reservation_id
        WHERE t.kind <> 'CHARGE' AND (p.id IS NULL OR p.user_id <> t.user_id
           OR (t.kind = 'PAYMENT' AND t.amount <> -p.amount)
           OR (t.kind = 'REFUND' AND (p.status <> 'REFUNDED' OR t.amount <> p.amount)))
        """,
    ),
)


@dataclass
class AuditReport:
    checked: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def lines(self) -> list[str]:
        lines = [f"ok    {name}" for name in self.checked if name not in self._failed()]
        lines += [f"FAIL  {violation}" for violation in self.violations]
        lines += [f"note  {note}" for note in self.notes]
        lines.append("audit passed" if self.ok else f"audit FAILED: {len(self.violations)}")
        return lines

    def _failed(self) -> set[str]:
        return {v.split(": ", 1)[0] for v in self.violations}


async def audit_database(
    connection: AsyncConnection, max_balance: int, report: AuditReport
) -> None:
    """Run every database check; record each check and each violation found. No check reads
    a clock: whether a hold was live is told by the rows' own times, as the first check says."""
    for name, sql in DATABASE_CHECKS:
        report.checked.append(name)
        rows = (await connection.execute(text(sql), {"max_balance": max_balance})).all()
        if rows:
            sample = ", ".join(str(tuple(r)) for r in rows[:5])
            report.violations.append(f"{name}: {len(rows)} rows, e.g. {sample}")


async def audit_store(
    store: WaitingRoomStore, now: float, report: AuditReport, line: str = "house"
) -> None:
    """Invariant 6 on a live waiting-room store (one line's room)."""
    policy = await store.get_policy()
    stats = await store.stats(now)
    name = "6. no more active passes than the policy's max_active"
    if name not in report.checked:
        report.checked.append(name)
    cap = stats.cap(policy)
    if stats.active > cap:
        report.violations.append(f"{name}: line {line}: {stats.active} > {cap}")
    elif stats.active > policy.max_active:
        report.notes.append(
            f"6. line {line}: {stats.active} passes active, more than max_active "
            f"{policy.max_active}: {stats.kept_from_higher_cap} of them were active when it was "
            "lowered and keep their slots until they end; nobody is let in meanwhile"
        )


async def audit_lines(container: Container, report: AuditReport) -> None:
    """Invariant 6 on every line: the house line's room and each concert line's."""
    room = container.waiting_room
    for line in (await room.lines.current()).lines():
        await audit_store(room.stores.of(line), container.now_ts(), report, line_label(line))


async def run_audit(settings: Settings) -> AuditReport:
    """Audit the configured database and waiting-room store."""
    # A sale's worth of rows takes longer to check than a request may wait for an answer.
    container = build_container(settings, long_statements=True)
    report = AuditReport()
    try:
        async with container.engine.connect() as connection:
            await audit_database(connection, settings.wallet_max_balance, report)
        if settings.redis_url:
            await audit_lines(container, report)
        else:
            report.notes.append(
                "6. skipped: the in-process waiting room lives inside the server process"
            )
    finally:
        await container.close()
    return report
