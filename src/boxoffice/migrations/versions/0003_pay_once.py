"""a payment and its idempotency record as one statement on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 15:00:00

0002's bx_pay ran inside a transaction the application opened, around the idempotency record's
claim and its stored answer: five round trips (BEGIN, claim, bx_pay, store, COMMIT), most of a
payment's cost in the server (issue 6's profile). bx_pay_once does the same steps, in the same
lock order (the idempotency record, the reservation, its seats, the wallet, the payment), as one
statement the application runs without a transaction of its own. A statement is atomic, so a
payment that cannot go through checks everything it needs before it writes anything, and gives
its claim back: what a rollback did for bx_pay. SQLite still runs the steps as separate
statements in one transaction (payments/service.py).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# outcome: OK (paid; the answer is response_body, and it is stored under the key, if any),
# REPLAY (the key's first answer: status_code, response_body), KEY_REUSED (the key was used for
# another request), NOT_PAYABLE, SEATS_GONE, INSUFFICIENT (amount set). Only OK writes.
# The answer is PaymentOut as the API renders it (pydantic's compact JSON; p_paid_at is
# paid_at already rendered): tests/e2e/test_payments.py holds the two to the same bytes.
# op.execute reads ":name" as a bind parameter, hence the one escaped colon.
PAY_ONCE = """
CREATE FUNCTION bx_pay_once(
    p_user_id bigint, p_reservation_id bigint, p_now timestamptz,
    p_key text, p_request_hash text, p_paid_at text
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
    v_body bytea;
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
    v_body := convert_to(format(
        '{"id":%s,"reservation_id":%s,"amount":%s,"status":"PAID","paid_at":%s,"refunded_at"\\:null}',
        v_payment, p_reservation_id, v_amount, p_paid_at), 'UTF8');
    IF p_key IS NOT NULL THEN
        UPDATE idempotency_record SET status_code = 201, response_body = v_body
         WHERE user_id = p_user_id AND key = p_key;
    END IF;
    RETURN QUERY SELECT 'OK'::text, v_amount, v_payment, 201, v_body;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite runs the same steps as separate statements (one writer at a time)
    op.execute(PAY_ONCE)
    op.execute("DROP FUNCTION bx_pay(bigint, bigint, timestamptz)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION bx_pay_once(bigint, bigint, timestamptz, text, text, text)")
    op.execute(_revision_0002().PAY)


def _revision_0002() -> ModuleType:
    # Version files are not a package (their names start with digits): load 0002 by path to
    # recreate its bx_pay as it was.
    path = Path(__file__).with_name("0002_hold_and_pay_functions.py")
    spec = importlib.util.spec_from_file_location("boxoffice_migration_0002", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
