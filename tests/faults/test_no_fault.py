"""The control: the bounded sale with no fault at all fails nothing and leaves the audit clean.

Every other scenario is this sale plus one fault, so its figures are the baseline they are read
against; a failure here means the harness or the shop is broken before any fault.
"""

from __future__ import annotations

from tests.faults.checks import assert_sale_clean
from tests.faults.conftest import MakeInstances
from tests.faults.own_postgres import OwnPostgres
from tests.faults.sale import Sale, SaleConfig

FANS = 200
SEATS = 250


async def test_a_sale_without_faults_sells_what_fans_wanted(
    make_instances: MakeInstances, own_postgres: OwnPostgres
) -> None:
    instances = make_instances(2)
    sale = Sale(instances.base_urls, instances.admin_key, SaleConfig(FANS, SEATS), "no_fault")

    report = await sale.run()

    await assert_sale_clean(sale, instances, own_postgres)
    assert report.failures == 0, report.summary()
    assert report.gave_up == 0, report.summary()
    wanted = sum(fan.wanted for fan in sale.fans)
    # Every fan either paid for the seats wanted or found too few left (the date sold out).
    sold_out = wanted >= SEATS
    assert report.figures["seats_sold"] == (SEATS if sold_out else wanted), report.summary()
    assert set(report.outcomes) <= {"paid", "sold_out"}, report.outcomes
