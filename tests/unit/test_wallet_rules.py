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


class ReferenceWallet:
    """What a wallet must do, written out with plain integers and none of the code under test:
    a payment is refused when it is more than the balance, a charge or refund when it would lift
    the balance over the cap; an accepted move changes the balance by exactly its amount."""

    def __init__(self) -> None:
        self.balance = 0

    def move(self, kind: EntryKind, amount: int) -> int | None:
        """The change to the balance, or None when the move is refused (nothing changes)."""
        change = -amount if kind == "PAYMENT" else amount
        if self.balance + change < 0 or self.balance + change > CAP:
            return None
        self.balance += change
        return change


def _amount_near_a_bound(data: st.DataObject, kind: EntryKind, balance: int) -> int:
    """Any amount, or one within a unit of what the bound leaves, so exact limits are tried."""
    room = balance if kind is EntryKind.PAYMENT else CAP - balance
    anywhere = st.integers(min_value=1, max_value=4_000_000)
    at_the_bound = st.integers(min_value=max(1, room - 1), max_value=room + 1)
    return data.draw(anywhere | at_the_bound, label=f"{kind.value} amount")


@given(st.data())
def test_a_wallet_run_by_the_rules_matches_a_reference_wallet(data) -> None:
    reference = ReferenceWallet()
    ledger: list[int] = []
    for _ in range(data.draw(st.integers(min_value=0, max_value=60), label="moves")):
        kind = data.draw(st.sampled_from(list(EntryKind)), label="kind")
        amount = _amount_near_a_bound(data, kind, reference.balance)
        balance = sum(ledger)  # the wallet's balance is the sum of the entries it recorded

        allowed = (
            can_debit(balance, amount)
            if kind is EntryKind.PAYMENT
            else can_credit(balance, amount, CAP)
        )
        expected = reference.move(kind, amount)

        assert allowed is (expected is not None), (kind, amount, balance)
        if allowed:
            ledger.append(signed_amount(kind, amount))
            assert ledger[-1] == expected
        assert sum(ledger) == reference.balance
        assert 0 <= sum(ledger) <= CAP


@given(balance=st.integers(min_value=0, max_value=CAP), amount=amounts)
def test_a_refused_move_is_exactly_one_that_would_break_a_bound(balance, amount) -> None:
    assert can_credit(balance, amount, CAP) is (balance + amount <= CAP)
    assert can_debit(balance, amount) is (balance - amount >= 0)
