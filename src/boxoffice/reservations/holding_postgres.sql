-- bx_hold: a hold as one statement on PostgreSQL, the `SeatHolder` of holding_postgres.py.
--
-- The steps of holding_steps.SteppedSeatHolder, in the same order and under the same locks, all
-- or nothing by itself: a refusal writes nothing. outcome: HELD (held: the seats the fan held
-- before), OVER_LIMIT (nothing written), SHORT (nothing written; the seats that were free and
-- are not being taken this instant come back): the values of reservations.domain.HoldOutcome.
--
-- Seats are taken one statement per seat, by the date's (schedule_id, number) key and then by
-- id: PostgreSQL makes such a statement's plan once per connection, where a statement naming
-- the seats by `= ANY` of an array was planned again on every call (its plan made once assumes
-- a longer array than a hold names and looks dearer); a hold names no more seats than a fan
-- may hold (4 by default; docs/benchmarks.md, 2026-12-07, "A hold's seats one statement each").
--
-- Loaded by the migrations (boxoffice/migrations/functions.py): a change to this file ships with
-- a migration that loads it again (tests/unit/test_server_functions.py fails until one does).

CREATE OR REPLACE FUNCTION bx_hold(
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
    v_ids bigint[] := '{}';
    v_numbers integer[] := '{}';
    v_prices bigint[] := '{}';
    v_amount bigint := 0;
    v_number integer;
    v_seat bigint;
    v_price bigint;
BEGIN
    -- The fan's row lock serializes one fan's holds; the count after it sees the other tab's.
    PERFORM 1 FROM user_account WHERE id = p_user_id FOR UPDATE;
    SELECT count(*) INTO v_held
      FROM seat s JOIN reservation r ON r.id = s.reservation_id
     WHERE r.user_id = p_user_id AND r.status = 'HELD'
       AND s.status = 'HELD' AND s.held_until > p_now;
    IF v_held + cardinality(p_numbers) > p_max_held THEN
        RETURN QUERY SELECT 'OVER_LIMIT'::text, NULL::bigint, v_held,
                            NULL::bigint[], NULL::integer[], NULL::bigint[];
        RETURN;
    END IF;
    -- Only free seats are locked, and a seat another hold has locked this instant is skipped;
    -- `p_numbers` is sorted, so every hold locks seats in one order.
    FOREACH v_number IN ARRAY p_numbers LOOP
        SELECT s.id, s.price INTO v_seat, v_price FROM seat s
         WHERE s.schedule_id = p_schedule_id AND s.number = v_number
           AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= p_now))
           FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            v_ids := v_ids || v_seat;
            v_numbers := v_numbers || v_number;
            v_prices := v_prices || v_price;
            v_amount := v_amount + v_price;
        END IF;
    END LOOP;
    IF cardinality(v_ids) < cardinality(p_numbers) THEN
        RETURN QUERY SELECT 'SHORT'::text, NULL::bigint, v_held, v_ids, v_numbers, v_prices;
        RETURN;
    END IF;
    INSERT INTO reservation (user_id, schedule_id, amount, status, held_until, created_at,
                             updated_at)
    VALUES (p_user_id, p_schedule_id, v_amount, 'HELD', p_held_until, p_now, p_now)
    RETURNING id INTO v_id;
    FOREACH v_seat IN ARRAY v_ids LOOP
        UPDATE seat SET status = 'HELD', reservation_id = v_id, held_until = p_held_until
         WHERE id = v_seat
           AND (status = 'AVAILABLE' OR (status = 'HELD' AND held_until <= p_now));
        IF NOT FOUND THEN  -- cannot happen under the locks above; never half
            RAISE EXCEPTION 'bx_hold: locked seat % not taken', v_seat;
        END IF;
    END LOOP;
    INSERT INTO reservation_seat (reservation_id, seat_id, number, price)
    SELECT v_id, u.id, u.number, u.price FROM unnest(v_ids, v_numbers, v_prices) AS u(id, number, price);
    RETURN QUERY SELECT 'HELD'::text, v_id, v_held, v_ids, v_numbers, v_prices;
END
$$;
