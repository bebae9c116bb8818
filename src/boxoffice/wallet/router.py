"""Wallet routes: balance, charges (idempotent) and the ledger."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.platform import metrics
from boxoffice.platform.errors import Busy, IdempotencyKeyReused, Unauthenticated
from boxoffice.platform.http import (
    NEXT_PAGE_HEADER,
    BeforeId,
    IdempotencyKey,
    PageSize,
    page,
    replay,
    stored_json,
)
from boxoffice.platform.idempotency import (
    Idempotency,
    StoredResponse,
    request_fingerprint,
    run_idempotent,
)
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import READS_BODY, problem_responses
from boxoffice.platform.problems import VALIDATION_ERROR
from boxoffice.wallet import service
from boxoffice.wallet.dependencies import Wallet
from boxoffice.wallet.exceptions import BalanceLimitExceeded, ChargeTooLarge
from boxoffice.wallet.schemas import BalanceOut, ChargeOut, ChargeRequest, TransactionOut

router = api_router(tags=["wallet"])


@router.get(
    "/wallet", response_model=BalanceOut, responses=problem_responses(Unauthenticated, Busy)
)
async def get_wallet(user_id: CurrentUserId, deps: Wallet) -> BalanceOut:
    """The caller's balance."""
    async with deps.uow(readonly=True) as uow:
        balance = await service.get_balance(uow, user_id)
    return BalanceOut(balance=balance.balance, currency=balance.currency)


@router.post(
    "/wallet/charges",
    status_code=201,
    response_model=ChargeOut,
    responses=problem_responses(
        Unauthenticated,
        BalanceLimitExceeded,
        ChargeTooLarge,
        IdempotencyKeyReused,
        *READS_BODY,
        Busy,
    ),
)
async def charge_wallet(
    body: ChargeRequest,
    user_id: CurrentUserId,
    deps: Wallet,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Add money to the wallet. Repeat with the same Idempotency-Key to retry safely."""
    now = deps.clock.now()

    async def charge() -> StoredResponse:
        entry = await service.charge(uow, deps.limits, user_id, body.amount, now)
        return stored_json(
            201, ChargeOut(transaction_id=entry.id, amount=body.amount, balance=entry.balance_after)
        )

    fingerprint = request_fingerprint("POST", "/wallet/charges", body.model_dump())
    async with deps.uow() as uow:
        result = await run_idempotent(
            uow.idempotency, user_id, Idempotency(idempotency_key, fingerprint), now, charge
        )
        await uow.commit()
    if not result.replayed:
        metrics.MONEY_CHARGED.inc(body.amount)
    return replay(result)


@router.get(
    "/wallet/transactions",
    response_model=list[TransactionOut],
    responses={
        200: {"headers": NEXT_PAGE_HEADER},
        **problem_responses(Unauthenticated, VALIDATION_ERROR, Busy),
    },
)
async def list_transactions(
    user_id: CurrentUserId,
    deps: Wallet,
    request: Request,
    limit: PageSize = 50,
    before_id: BeforeId = None,
) -> Response:
    """The caller's ledger, newest first; page with `before_id` (a full page links to the next
    in `Link`)."""
    async with deps.uow(readonly=True) as uow:
        entries = await service.list_entries(uow, user_id, limit, before_id)
    rows = [
        TransactionOut(
            id=e.id,
            kind=e.kind,
            amount=e.amount,
            balance_after=e.balance_after,
            reservation_id=e.reservation_id,
            created_at=e.created_at,
        )
        for e in entries
    ]
    return page(request, rows, [e.id for e in entries], limit)
