"""The seat layouts a process keeps by default hold several of the largest dates a sale may have
(found by review: the default held one; two 60,000-seat nights browsed at once dropped each
other, and every map read built its layout again, ~0.3 s of a worker's CPU each)."""

from __future__ import annotations

from boxoffice.platform.limits import MAX_SEAT_NUMBER
from boxoffice.settings import Settings


def test_the_default_keeps_several_of_the_largest_dates() -> None:
    assert Settings().seat_layouts_kept_seats >= 4 * MAX_SEAT_NUMBER
