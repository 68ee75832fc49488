"""List prices: exact model ids, dated versions of a family, and no price for a model that only looks like one."""

from __future__ import annotations

import pytest

from gate.llm.pricing import PRICES, Price, estimate_cost, price_for


@pytest.mark.parametrize(
    ("model", "price"),
    [
        ("claude-haiku-4-5", Price(1.0, 5.0)),
        ("claude-haiku-4-5-20251001", Price(1.0, 5.0)),
        ("claude-sonnet-4-5-20250929", Price(3.0, 15.0)),
        ("claude-sonnet-4-20250514", Price(3.0, 15.0)),
        ("claude-sonnet-4-0", Price(3.0, 15.0)),
        ("claude-opus-4-5-20251101", Price(5.0, 25.0)),
        ("claude-opus-4-1-20250805", Price(15.0, 75.0)),
        ("claude-opus-4-20250514", Price(15.0, 75.0)),
        ("claude-3-5-haiku-latest", Price(0.8, 4.0)),
        ("claude-3-5-haiku-20241022", Price(0.8, 4.0)),
        # A newer model that merely starts like a priced family is unknown, not mispriced.
        ("claude-opus-4-6", None),
        ("claude-sonnet-4-5x", None),
        ("gpt-4o", None),
    ],
)
def test_price_for_matches_exact_ids_and_dated_versions(model: str, price: Price | None) -> None:
    assert price_for(model) == price


def test_estimate_cost_uses_the_table_it_is_given() -> None:
    assert estimate_cost("claude-sonnet-4-5", 1_000_000, 1_000_000) == pytest.approx(18.0)
    assert estimate_cost("unknown-model", 10, 10) is None
    table = {"my-model": Price(2.0, 4.0)}
    assert estimate_cost("my-model-20250101", 500_000, 250_000, table) == pytest.approx(2.0)
    assert set(PRICES) >= {"claude-haiku-4-5", "claude-opus-4", "claude-3-5-haiku"}
