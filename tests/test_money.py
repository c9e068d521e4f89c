"""Exact money: splits by largest remainder always sum to the whole, to the öre."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samdrift.core.money import split_money, split_units, to_money

amounts = st.decimals(min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=2)
weights = st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=300).filter(
    lambda w: sum(w) > 0
)


@given(amounts, weights)
def test_parts_always_sum_to_the_whole(total: Decimal, w: list[int]) -> None:
    parts = split_money(total, w)
    assert sum(parts) == total
    assert len(parts) == len(w)
    assert all(p == p.quantize(Decimal("0.01")) for p in parts)


@given(amounts, weights)
def test_each_part_is_within_one_ore_of_its_exact_share(total: Decimal, w: list[int]) -> None:
    parts = split_money(total, w)
    for part, weight in zip(parts, w, strict=True):
        exact = total * Decimal(weight) / Decimal(sum(w))
        assert abs(part - exact) < Decimal("0.01")


@given(st.integers(min_value=0, max_value=10**9), weights)
def test_zero_weight_gets_nothing(total: int, w: list[int]) -> None:
    parts = split_units(total, w)
    assert all(p == 0 for p, weight in zip(parts, w, strict=True) if weight == 0)


def test_a_million_split_by_population() -> None:
    parts = split_money(Decimal("1000000.00"), [15562, 17518, 14331])
    assert sum(parts) == Decimal("1000000.00")
    # exact shares 328236.0634, 369492.3119, 302271.6247: the one öre left goes to the largest remainder
    assert parts == [Decimal("328236.06"), Decimal("369492.31"), Decimal("302271.63")]


def test_rounding_is_half_up() -> None:
    assert to_money("0.005") == Decimal("0.01")
    assert to_money("-0.005") == Decimal("-0.01")


@pytest.mark.parametrize("bad", [[], [0, 0], [-1, 2]])
def test_bad_weights_are_refused(bad: list[int]) -> None:
    with pytest.raises(ValueError):
        split_units(100, bad)
