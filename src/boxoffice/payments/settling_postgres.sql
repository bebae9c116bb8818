-- bx_settle: a payment with its idempotency record as one statement on PostgreSQL, the
-- `PaymentSettler` of settling_postgres.py.
--
-- Claims the Idempotency-Key, runs the steps of settling_steps.SteppedPaymentSettler in the same
-- order and lock order (the key, the reservation, its seats, the wallet, the payment) and stores
-- the answer under the key. A statement is atomic, so a payment that cannot go through checks
-- everything before it writes anything and gives its claim back. outcome: the values of
-- payments.domain.SettleOutcome. Only PAID writes; it returns the facts (amount, payment id)
-- from which Python renders the answer; REPLAY returns the key's first answer.
--
-- Loaded by the migrations (boxoffice/migrations/functions.py): a change to this file ships with
-- a migration that loads it again (tests/unit/test_server_functions.py fails until one does).

CREATE OR REPLACE FUNCTION bx_settle(
    p_user_id bigint, p_reservation_id bigint, p_now timestamptz,
    p_key text, p_request_hash text, p_answer text, p_answer_status integer
) RETURNS TABLE (
    outcome text, amount bigint, payment_id bigint, status_code integer, response_body bytea
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_record idempotency_record%ROWTYPE;
    v_amount bigint;
    v_count integer;
    v_held integer;
    v_balance bigint;
    v_payment bigint;
    v_refused text;
BEGIN
    IF p_key IS NOT NULL THEN
        -- A concurrent request with the same key waits here until this statement ends, then
        -- finds the stored answer (or, if this one gave its claim back, claims the key itself).
        INSERT INTO idempotency_record (user_id, key, request_hash, status_code, response_body,
                                        created_at)
        VALUES (p_user_id, p_key, p_request_hash, 0, ''::bytea, p_now)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT * INTO v_record FROM idempotency_record
             WHERE user_id = p_user_id AND key = p_key;
            IF v_record.request_hash <> p_request_hash THEN
                RETURN QUERY SELECT 'KEY_REUSED'::text, NULL::bigint, NULL::bigint,
                                    NULL::integer, NULL::bytea;
            ELSE
                RETURN QUERY SELECT 'REPLAY'::text, NULL::bigint, NULL::bigint,
                                    v_record.status_code, v_record.response_body;
            END IF;
            RETURN;
        END IF;
    END IF;

    SELECT amount INTO v_amount FROM reservation
     WHERE id = p_reservation_id AND user_id = p_user_id
       AND status = 'HELD' AND held_until > p_now
       FOR UPDATE;
    IF NOT FOUND THEN
        v_refused := 'NOT_PAYABLE';
    ELSE
        SELECT count(*) INTO v_count FROM reservation_seat WHERE reservation_id = p_reservation_id;
        SELECT count(*) INTO v_held FROM (
            SELECT 1 FROM seat WHERE reservation_id = p_reservation_id AND status = 'HELD'
               FOR UPDATE
        ) AS held;
        IF v_held <> v_count THEN
            v_refused := 'SEATS_GONE';
        ELSIF v_amount > 0 THEN
            SELECT balance INTO v_balance FROM wallet WHERE user_id = p_user_id FOR UPDATE;
            IF v_balance IS NULL OR v_balance < v_amount THEN
                v_refused := 'INSUFFICIENT';
            END IF;
        END IF;
    END IF;
    IF v_refused IS NOT NULL THEN
        IF p_key IS NOT NULL THEN
            DELETE FROM idempotency_record WHERE user_id = p_user_id AND key = p_key;
        END IF;
        RETURN QUERY SELECT v_refused, v_amount, NULL::bigint, NULL::integer, NULL::bytea;
        RETURN;
    END IF;

    UPDATE reservation SET status = 'CONFIRMED', updated_at = p_now WHERE id = p_reservation_id;
    UPDATE seat SET status = 'SOLD', held_until = NULL
     WHERE reservation_id = p_reservation_id AND status = 'HELD';
    IF v_amount > 0 THEN
        UPDATE wallet SET balance = wallet.balance - v_amount, updated_at = p_now
         WHERE user_id = p_user_id
        RETURNING wallet.balance INTO v_balance;
        INSERT INTO wallet_transaction (user_id, kind, amount, balance_after, reservation_id,
                                        created_at)
        VALUES (p_user_id, 'PAYMENT', -v_amount, v_balance, p_reservation_id, p_now);
    END IF;
    INSERT INTO payment (user_id, reservation_id, amount, status, paid_at)
    VALUES (p_user_id, p_reservation_id, v_amount, 'PAID', p_now)
    RETURNING id INTO v_payment;
    IF p_key IS NOT NULL THEN
        -- The answer as the API renders it: p_answer is that rendering with the payment's id
        -- and amount left as %1$s and %2$s (payments/settling_postgres.py).
        UPDATE idempotency_record
           SET status_code = p_answer_status,
               response_body = convert_to(format(p_answer, v_payment, v_amount), 'UTF8')
         WHERE user_id = p_user_id AND key = p_key;
    END IF;
    RETURN QUERY SELECT 'PAID'::text, v_amount, v_payment, NULL::integer, NULL::bytea;
END
$$;
