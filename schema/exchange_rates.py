"""The base currency and the exchange-rate table: read by anyone who reads amounts,
written by editors and admins."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Annotated, Optional

import strawberry
from strawberry.types import Info

from graph.money import MoneyInputError, base_currency
from graph.money_rates import Rate, list_rates, set_rate
from graph.mutations.errors import MutationError
from schema.context import Context

MAX_RATES_PAGE = 1000


@strawberry.type(description=(
    "From `validFrom` until the next rate of the same currency, one unit of `currency` is worth `rate` "
    "units of the base currency. Orders convert at the rate in force on the day they were placed, once, "
    "when they are recorded."))
class ExchangeRate:
    data: strawberry.Private[Rate]

    @strawberry.field(description="ISO 4217 code of the currency converted from.")
    def currency(self) -> str:
        return self.data.currency

    @strawberry.field(description="The first day (UTC) the rate is in force.")
    def valid_from(self) -> date:
        return self.data.valid_from.date()

    @strawberry.field(description="Units of the base currency per unit of `currency`, exact.")
    def rate(self) -> Decimal:
        return self.data.rate


@strawberry.type
class ExchangeRateQuery:
    @strawberry.field(description="ISO 4217 code of the base currency every cross-order figure is in "
                                  "(CRMGRAPH_BASE_CURRENCY).")
    def base_currency(self) -> str:
        return base_currency()

    @strawberry.field(description=f"The exchange-rate table, by currency then day (at most {MAX_RATES_PAGE}).")
    async def exchange_rates(
        self, info: Info,
        currency: Annotated[Optional[str], strawberry.argument(  # noqa: UP045
            description="Only this currency's rates.")] = None,
    ) -> list[ExchangeRate]:
        ctx: Context = info.context
        rates = await list_rates(ctx.store, currency, MAX_RATES_PAGE)
        return [ExchangeRate(data=r) for r in rates]


@strawberry.type
class ExchangeRateMutation:
    @strawberry.mutation(description=(
        "Set the rate of a currency into the base currency from a day on. Orders already recorded keep "
        "the rate they were converted with: a rate that would convert one of them differently is refused "
        "(RATE_IN_USE), so load a currency's rates before its orders."))
    async def set_exchange_rate(
        self, info: Info,
        currency: Annotated[str, strawberry.argument(description="ISO 4217 code, not the base currency.")],
        valid_from: Annotated[date, strawberry.argument(description="First day (UTC) the rate is in force.")],
        rate: Annotated[Decimal, strawberry.argument(
            description="Units of the base currency per unit of `currency`: positive, at most 12 "
                        "significant digits.")],
    ) -> ExchangeRate:
        from schema.mutations import write

        ctx: Context = info.context

        async def call() -> Rate:
            try:
                return await set_rate(ctx.store, currency, valid_from, rate, int(time.time() * 1000))
            except MoneyInputError as exc:
                field = {"UNKNOWN_CURRENCY": "currency", "BASE_CURRENCY": "currency",
                         "RATE_IN_USE": "validFrom"}.get(exc.code, "rate")
                raise MutationError.one(field, exc.code, str(exc)) from None

        return ExchangeRate(data=await write(call))

