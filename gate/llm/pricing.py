"""PURE: what a Messages API call costs by list price, from its model id and token counts.

In: a model id and token counts. Out: USD, or None for a model not in the table (an unknown model is
shown with tokens and no price, never priced as a different model). No prompt-caching discounts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["PRICES", "Price", "estimate_cost", "price_for"]


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input_per_mtok: float
    output_per_mtok: float


# List prices by model family; a dated id (claude-haiku-4-5-20251001) is priced by its family.
PRICES: Mapping[str, Price] = {
    "claude-haiku-4-5": Price(1.0, 5.0),
    "claude-sonnet-4-5": Price(3.0, 15.0),
    "claude-sonnet-4": Price(3.0, 15.0),
    "claude-opus-4-5": Price(5.0, 25.0),
    "claude-opus-4-1": Price(15.0, 75.0),
    "claude-opus-4": Price(15.0, 75.0),
    "claude-3-5-haiku": Price(0.8, 4.0),
}

# What may follow a family id: a snapshot date, "-latest", or the "-0" alias of the 4.0 models.
# Anything else (claude-opus-4-6) is a different model and must not inherit claude-opus-4's price.
_VERSION_SUFFIX = re.compile(r"-(?:\d{8}|latest|0)")


def price_for(model: str, prices: Mapping[str, Price] = PRICES) -> Price | None:
    """The price of `model`: an exact id, else the longest family id it is a dated version of."""
    if model in prices:
        return prices[model]
    families = [f for f in prices if model.startswith(f) and _VERSION_SUFFIX.fullmatch(model[len(f) :])]
    return prices[max(families, key=len)] if families else None


def estimate_cost(
    model: str, input_tokens: int, output_tokens: int, prices: Mapping[str, Price] = PRICES
) -> float | None:
    """USD for one call by list price (no prompt-caching discounts); None for an unknown model."""
    price = price_for(model, prices)
    if price is None:
        return None
    return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1_000_000
