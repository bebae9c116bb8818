"""hold and pay as one round trip each on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:05:00

On PostgreSQL a hold and the core of a payment each run as one server-side function, so each
costs one round trip instead of five to seven. The functions are the same steps, in the same lock
order, as the statements the repositories run on SQLite (reservations/repository.py,
payments/repository.py), and both engines run the same tests. Each statement inside a PL/pgSQL
function takes a fresh snapshot under READ COMMITTED, which is what lets the hold count a fan's
seats after waiting for the fan's row lock (see ReservationRepository.hold).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# outcome: OK (held: seats held before), LIMIT (nothing written), SHORT (nothing written; the
# seats that were free and are not being taken this instant come back).
HOLD = """
CREATE FUNCTION bx_hold_seats(
    p_user_id bigint, p_schedule_id bigint, p_numbers integer[],
    p_held_until timestamptz, p_now timestamptz, p_max_held integer
) RETURNS TABLE (
    outcome text, reservation_id bigint, held integer,
    seat_ids bigint[], seat_numbers integer[], seat_prices bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
    v_held integer;
    v_ids bigint[];
    v_numbers integer[];
    v_prices bigint[];
    v_amount bigint;
    v_taken integer;
BEGIN
    -- The fan's row lock serializes one fan's holds; the count after it sees the other tab's.
    PERFORM 1 FROM user_account WHERE id = p_user_id FOR UPDATE;
    SELECT count(*) INTO v_held
      FROM seat s JOIN reservation r ON r.id = s.reservation_id
     WHERE r.user_id = p_user_id AND r.status = 'HELD'
       AND s.status = 'HELD' AND s.held_until > p_now;
    IF v_held + cardinality(p_numbers) > p_max_held THEN
        RETURN QUERY SELECT 'LIMIT'::text, NULL::bigint, v_held,
                            NULL::bigint[], NULL::integer[], NULL::bigint[];
        RETURN;
    END IF;
    -- Only free seats are locked, and a seat another hold has locked this instant is skipped.
    SELECT array_agg(f.id ORDER BY f.number), array_agg(f.number ORDER BY f.number),
           array_agg(f.price ORDER BY f.number), coalesce(sum(f.price), 0)
      INTO v_ids, v_numbers, v_prices, v_amount
      FROM (SELECT s.id, s.number, s.price FROM seat s
             WHERE s.schedule_id = p_schedule_id AND s.number = ANY (p_numbers)
               AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= p_now))
             FOR UPDATE SKIP LOCKED) f;
    IF coalesce(cardinality(v_ids), 0) < cardinality(p_numbers) THEN
        RETURN QUERY SELECT 'SHORT'::text, NULL::bigint, v_held, v_ids, v_numbers, v_prices;
        RETURN;
    END IF;
    INSERT INTO reservation (user_id, schedule_id, amount, status, held_until, created_at,
                             updated_at)
    VALUES (p_user_id, p_schedule_id, v_amount, 'HELD', p_held_until, p_now, p_now)
    RETURNING id INTO v_id;
    UPDATE seat SET status = 'HELD', reservation_id = v_id, held_until = p_held_until
     WHERE id = ANY (v_ids)
       AND (status = 'AVAILABLE' OR (status = 'HELD' AND held_until <= p_now));
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    IF v_taken <> cardinality(v_ids) THEN  -- cannot happen under the locks above; never half
        RAISE EXCEPTION 'bx_hold_seats: % of % locked seats taken', v_taken, cardinality(v_ids);
    END IF;
    INSERT INTO reservation_seat (reservation_id, seat_id, number, price)
    SELECT v_id, u.id, u.number, u.price FROM unnest(v_ids, v_numbers, v_prices) AS u(id, number, price);
    RETURN QUERY SELECT 'OK'::text, v_id, v_held, v_ids, v_numbers, v_prices;
END
$$
"""

# Runs inside the caller's transaction (the idempotency record shares it). outcome:
# NOT_PAYABLE (nothing written), SEATS_GONE / INSUFFICIENT (written so far: the caller rolls
# back), OK. Lock order as everywhere: reservation, its seats, the wallet, the payment.
PAY = """
CREATE FUNCTION bx_pay(p_user_id bigint, p_reservation_id bigint, p_now timestamptz)
RETURNS TABLE (outcome text, amount bigint, balance bigint, payment_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_amount bigint;
    v_count integer;
    v_sold integer;
    v_balance bigint;
    v_payment bigint;
BEGIN
    UPDATE reservation SET status = 'CONFIRMED', updated_at = p_now
     WHERE id = p_reservation_id AND user_id = p_user_id
       AND status = 'HELD' AND held_until > p_now
    RETURNING reservation.amount INTO v_amount;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'NOT_PAYABLE'::text, NULL::bigint, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;
    SELECT count(*) INTO v_count FROM reservation_seat WHERE reservation_id = p_reservation_id;
    UPDATE seat SET status = 'SOLD', held_until = NULL
     WHERE reservation_id = p_reservation_id AND status = 'HELD';
    GET DIAGNOSTICS v_sold = ROW_COUNT;
    IF v_sold <> v_count THEN
        RETURN QUERY SELECT 'SEATS_GONE'::text, v_amount, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;
    IF v_amount > 0 THEN
        UPDATE wallet SET balance = wallet.balance - v_amount, updated_at = p_now
         WHERE user_id = p_user_id AND wallet.balance >= v_amount
        RETURNING wallet.balance INTO v_balance;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'INSUFFICIENT'::text, v_amount, NULL::bigint, NULL::bigint;
            RETURN;
        END IF;
        INSERT INTO wallet_transaction (user_id, kind, amount, balance_after, reservation_id,
                                        created_at)
        VALUES (p_user_id, 'PAYMENT', -v_amount, v_balance, p_reservation_id, p_now);
    END IF;
    INSERT INTO payment (user_id, reservation_id, amount, status, paid_at)
    VALUES (p_user_id, p_reservation_id, v_amount, 'PAID', p_now)
    RETURNING id INTO v_payment;
    RETURN QUERY SELECT 'OK'::text, v_amount, v_balance, v_payment;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite runs the same steps as separate statements (one writer at a time)
    op.execute(HOLD)
    op.execute(PAY)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION bx_pay(bigint, bigint, timestamptz)")
    op.execute(
        "DROP FUNCTION bx_hold_seats(bigint, bigint, integer[], timestamptz, timestamptz, integer)"
    )
