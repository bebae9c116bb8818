"""Wallet rules: signed ledger amounts, and when a balance may be credited or debited."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.wallet.domain import EntryKind, can_credit, can_debit, signed_amount

CAP = 10_000_000
amounts = st.integers(min_value=1, max_value=10**12)


def test_a_payment_is_negative_in_the_ledger() -> None:
    assert signed_amount(EntryKind.PAYMENT, 5_000) == -5_000


@pytest.mark.parametrize("kind", [EntryKind.CHARGE, EntryKind.REFUND])
def test_charges_and_refunds_are_positive_in_the_ledger(kind) -> None:
    assert signed_amount(kind, 5_000) == 5_000


@pytest.mark.parametrize("amount", [0, -1, -5_000])
@pytest.mark.parametrize("kind", list(EntryKind))
def test_nothing_or_a_negative_amount_is_never_recorded(kind, amount) -> None:
    with pytest.raises(ValueError):
        signed_amount(kind, amount)


@given(st.sampled_from(list(EntryKind)), amounts)
def test_a_signed_amount_keeps_its_size(kind, amount) -> None:
    assert abs(signed_amount(kind, amount)) == amount


@pytest.mark.parametrize(
    ("balance", "amount", "allowed"),
    [
        (0, 1, True),
        (0, CAP, True),
        (CAP - 1, 1, True),
        (CAP, 1, False),
        (0, CAP + 1, False),
        (5, 0, False),
        (5, -1, False),
    ],
)
def test_a_credit_may_not_lift_the_balance_over_the_cap(balance, amount, allowed) -> None:
    assert can_credit(balance, amount, CAP) is allowed


@pytest.mark.parametrize(
    ("balance", "amount", "allowed"),
    [
        (100, 100, True),
        (100, 1, True),
        (100, 0, True),
        (100, 101, False),
        (0, 1, False),
        (100, -1, False),
    ],
)
def test_a_debit_may_not_take_the_balance_below_zero(balance, amount, allowed) -> None:
    assert can_debit(balance, amount) is allowed


operations = st.lists(
    st.tuples(st.sampled_from(list(EntryKind)), st.integers(min_value=1, max_value=4_000_000)),
    max_size=60,
)


@given(operations)
def test_a_balance_moved_only_by_allowed_entries_stays_in_bounds_and_equals_its_ledger(ops) -> None:
    balance = 0
    ledger: list[int] = []
    for kind, amount in ops:
        allowed = (
            can_debit(balance, amount)
            if kind is EntryKind.PAYMENT
            else can_credit(balance, amount, CAP)
        )
        if not allowed:
            continue
        entry = signed_amount(kind, amount)
        balance += entry
        ledger.append(entry)

        assert 0 <= balance <= CAP
    assert balance == sum(ledger)


@given(balance=st.integers(min_value=0, max_value=CAP), amount=amounts)
def test_a_refused_move_is_exactly_one_that_would_break_a_bound(balance, amount) -> None:
    assert can_credit(balance, amount, CAP) is (balance + amount <= CAP)
    assert can_debit(balance, amount) is (balance - amount >= 0)
