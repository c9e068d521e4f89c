"""Exact money (DESIGN.md rule 5): SEK as Decimal with two places, split by largest remainder."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

ORE = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to öre, half away from zero (the rounding Swedish invoices use)."""
    return Decimal(value).quantize(ORE, rounding=ROUND_HALF_UP)


def split_units(total: int, weights: Sequence[Decimal | int]) -> list[int]:
    """Split a whole number of units in proportion to `weights`; the parts sum to `total`.

    Largest remainder (Hamilton): everyone gets the floor of their exact share, and the units left
    over go to the largest remainders, ties broken by position so the result is deterministic.
    """
    if total < 0:
        return [-part for part in split_units(-total, weights)]
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights, Decimal(0))
    if not weights or weight_sum == 0:
        raise ValueError("at least one weight must be positive")
    exact = [Decimal(total) * w / weight_sum for w in weights]
    floors = [int(share) for share in exact]  # shares are >= 0, so int() is floor
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


def split_money(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split an amount in SEK to the öre; the parts always sum exactly to `total`."""
    total = to_money(total)
    ore = int(total / ORE)
    return [Decimal(part) * ORE for part in split_units(ore, weights)]
