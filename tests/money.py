"""Amounts as the API returns them, for assertions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def usd(value: Any) -> dict[str, str]:
    """``{"amount": "1899.00", "currency": "USD"}`` for 1899 (or "1899", or 1899.0)."""
    return {"amount": str(Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(Decimal("0.01"))),
            "currency": "USD"}


def amount(money: dict[str, str]) -> Decimal:
    return Decimal(money["amount"])
