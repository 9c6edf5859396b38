"""The ``Money`` object type: an exact decimal amount with its ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from graph.money import Money as MoneyData

MONEY_DOC = (
    "An exact amount of money: `amount` is a decimal string with exactly the currency's number of "
    "decimals (\"19.99\" USD, \"2500\" JPY, \"1.250\" KWD), never a binary float. Figures that add up "
    "orders (revenue, margin, lifetime value, RFM, segment, referral and supply-chain revenue) are in "
    "the base currency (see `baseCurrency`): each order converted when it was recorded, at the rate "
    "in force on the day it was placed (`Order.exchangeRate`, `exchangeRates`).")


@strawberry.type(name="Money", description=MONEY_DOC)
class Money:
    data: strawberry.Private[MoneyData]

    @strawberry.field(description="The amount as an exact decimal string with the currency's decimals, "
                                  "e.g. \"19.99\".")
    def amount(self) -> Decimal:
        return self.data.amount

    @strawberry.field(description="ISO 4217 currency code of the amount, e.g. \"USD\".")
    def currency(self) -> str:
        return self.data.currency


def money(value: MoneyData | None) -> Money | None:
    return None if value is None else Money(data=value)


def api_value(value: Any) -> Any:
    """A decoded property value as the schema returns it (amounts become ``Money``)."""
    return Money(data=value) if isinstance(value, MoneyData) else value
