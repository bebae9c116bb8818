"""Every server-side function's file is loaded by a migration that knows it as it is now: a
change to `reservations/holding_postgres.sql` or `payments/settling_postgres.sql` without a
migration that loads it again (and records its new SHA-256) fails here, not on a live
deployment that would keep running the old function. And the answer `bx_settle` stores under an
Idempotency-Key, filled in from `answer_template`, is the answer Python renders."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

import boxoffice
from boxoffice.migrations import functions
from boxoffice.payments.domain import Payment, PaymentStatus
from boxoffice.payments.schemas import PaymentOut
from boxoffice.payments.settling_postgres import answer_template
from boxoffice.platform.http import stored_json
from boxoffice.platform.idempotency import StoredResponse

PACKAGE = Path(boxoffice.__file__).parent
VERSIONS = PACKAGE / "migrations" / "versions"


def _migrations() -> list[ModuleType]:
    """The migration modules, in revision order (their names start with it)."""
    loaded = []
    for path in sorted(VERSIONS.glob("[0-9]*.py")):
        spec = importlib.util.spec_from_file_location(f"boxoffice_migration_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded.append(module)
    return loaded


def test_every_function_file_is_loaded_as_it_is_now() -> None:
    last_loaded: dict[str, str] = {}
    for migration in _migrations():
        last_loaded.update(getattr(migration, "LOADS", {}))
    files = {str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.sql")}

    assert files == set(last_loaded), "a .sql file no migration loads, or a load of no file"
    for path, recorded in sorted(last_loaded.items()):
        assert functions.sha256(path) == recorded, (
            f"{path} changed since the migration that last loaded it: add a migration that "
            f"loads it again, with LOADS = {{{path!r}: {functions.sha256(path)!r}}}"
        )


def test_a_function_file_holds_one_create_or_replace() -> None:
    for path in PACKAGE.rglob("*.sql"):
        text = path.read_text(encoding="utf-8")
        assert text.count("CREATE OR REPLACE FUNCTION") == 1, path


def _format(template: str, payment_id: int, amount: int) -> str:
    """PostgreSQL's `format(template, payment_id, amount)`, for the placeholders used."""
    return template.replace("%1$s", str(payment_id)).replace("%2$s", str(amount)).replace("%%", "%")


def _answer(payment: Payment) -> StoredResponse:
    return stored_json(201, PaymentOut.of(payment))


@pytest.mark.parametrize("amount", [0, 7, 1_500, 10**12])
def test_the_stored_answer_is_the_answer_with_the_facts_filled_in(amount: int) -> None:
    now = datetime(2026, 12, 4, 16, 0, 0, 123_456, tzinfo=UTC)
    template = answer_template(_answer, 42, now)

    paid = Payment(9_001, 42, amount, PaymentStatus.PAID, now)
    assert template.status_code == 201
    assert _format(template.body.decode(), 9_001, amount).encode() == _answer(paid).body


def test_a_percent_sign_in_the_answer_survives_format() -> None:
    def with_percent(payment: Payment) -> StoredResponse:
        return StoredResponse(201, f'{{"id":{payment.id},"n":{payment.amount},"p":"5%"}}'.encode())

    now = datetime(2026, 12, 4, tzinfo=UTC)
    template = answer_template(with_percent, 1, now).body.decode()

    assert template == '{"id":%1$s,"n":%2$s,"p":"5%%"}'
    assert _format(template, 3, 4) == '{"id":3,"n":4,"p":"5%"}'


def test_an_answer_that_leaves_out_the_id_is_refused() -> None:
    def without_id(payment: Payment) -> StoredResponse:
        return StoredResponse(201, f'{{"amount":{payment.amount}}}'.encode())

    with pytest.raises(ValueError, match="exactly once"):
        answer_template(without_id, 1, datetime(2026, 12, 4, tzinfo=UTC))
