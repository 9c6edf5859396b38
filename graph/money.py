"""Money: exact amounts in integer minor units, each with its ISO 4217 currency.

Stored: an amount is an integer count of its currency's minor unit (cents for USD, yen for
JPY, fils for KWD), so the store sums and compares it exactly on both backends. Returned:
a decimal string with exactly the currency's number of decimals, beside its currency.

Every figure that spans orders (revenue, margin, lifetime value, RFM monetary, segment,
referral and supply-chain revenue) is in the **base currency** (``CRMGRAPH_BASE_CURRENCY``,
USD by default): an order in another currency is converted when it is recorded, at the
exchange rate in force on the day it was placed (``graph.money_rates``), rounded half to
even to the base currency's minor unit. The order keeps its own total, the rate used and
the converted total, so every base figure is a sum of exact integers and anyone can redo
the conversion from the order alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

# ISO 4217 codes with their minor-unit exponent: the allow-list of currencies.
CURRENCIES: dict[str, int] = {
    "AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0,
    "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2,
    "IDR": 2, "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MAD": 2,
    "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3, "PEN": 2, "PHP": 2, "PKR": 2,
    "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3,
    "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2, "VND": 0, "ZAR": 2,
}
MAX_MINOR = 10**15
"""Largest amount accepted, in minor units (10 trillion dollars): far beyond any order.
Sums are exact up to 2**53 minor units (90 trillion in a two-decimal base currency):
FalkorDB's ``sum()`` of integers returns a double (and refuses ``collect`` inside
``reduce``), which holds every integer up to 2**53 exactly; Neo4j sums 64-bit integers."""
MAX_RATE_DIGITS = 12
"""Significant digits an exchange rate may have (ECB reference rates have 5 or 6)."""

_base = "USD"


class MoneyInputError(ValueError):
    """An amount, currency or rate that cannot be taken exactly; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def base_currency() -> str:
    return _base


def set_base_currency(code: str) -> None:
    """Set once at start-up from the settings (``CRMGRAPH_BASE_CURRENCY``)."""
    global _base
    _base = check_currency(code)


def check_currency(code: Any) -> str:
    if not isinstance(code, str) or code not in CURRENCIES:
        raise MoneyInputError("UNKNOWN_CURRENCY", f"{code!r} is not an ISO 4217 currency code this service knows "
                                                  f"(one of {', '.join(CURRENCIES)})")
    return code


def exponent(currency: str) -> int:
    return CURRENCIES[currency]


def parse_decimal(value: Any) -> Decimal:
    """A finite decimal from a string, int, Decimal or float (read as it prints)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        raise MoneyInputError("INVALID_TYPE", "must be a decimal amount, e.g. \"19.99\"")
    try:
        # A float is read as it prints (0.1 is "0.1"), never as its binary expansion.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise MoneyInputError("INVALID_VALUE", f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise MoneyInputError("INVALID_VALUE", "must be a finite number")
    return number


def scaled_floor(number: Decimal, places: int) -> tuple[int, bool]:
    """(floor of ``number`` x 10^places, whether that is exact), in integer arithmetic:
    no context rounding (a 40-digit input is not rounded to 28 digits) and bounded work
    for hostile exponents ("1e999999999" and "1e-999999999" cost nothing)."""
    if number == 0:
        return 0, True
    if number.adjusted() > _LARGEST_DIGITS:  # beyond any amount: one step past the largest
        return (_BEYOND if number > 0 else -_BEYOND), False
    if number.adjusted() < -_SMALLEST_DIGITS:  # strictly inside one minor unit of zero
        return (0 if number > 0 else -1), False
    sign, digits, exp = number.as_tuple()
    coefficient = int("".join(map(str, digits)))
    shift = int(exp) + places
    if shift >= 0:
        value, exact = coefficient * 10**shift, True
    else:
        value, rest = divmod(coefficient, 10**-shift)
        exact = rest == 0
        if sign and not exact:
            value += 1  # floor of a negative number with a fraction
    return (-value if sign else value), exact


_LARGEST_DIGITS = 18  # 10^19 is past MAX_MINOR and every stored sum
_SMALLEST_DIGITS = 30  # below 10^-30 no currency has a minor unit
_BEYOND = 2**62


def to_minor(amount: Any, currency: str) -> int:
    """``amount`` (e.g. "19.99") as an integer of ``currency``'s minor unit; refuses more
    decimals than the currency has rather than rounding them away."""
    number = parse_decimal(amount)
    places = exponent(currency)
    minor, exact = scaled_floor(number, places)
    if not exact and abs(minor) < _BEYOND:
        raise MoneyInputError("TOO_PRECISE", f"{currency} amounts have {places} decimal"
                                             f"{'' if places == 1 else 's'} at most; {amount} has more")
    if abs(minor) > MAX_MINOR:
        raise MoneyInputError("OUT_OF_RANGE", f"at most {from_minor(MAX_MINOR, currency)} {currency}")
    return minor


def from_minor(minor: int, currency: str) -> Decimal:
    """The exact decimal amount, with the currency's number of decimals (1999 USD -> 19.99)."""
    places = exponent(currency)
    return Decimal(int(minor)).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def parse_rate(rate: Any) -> Decimal:
    """An exchange rate: positive, at most ``MAX_RATE_DIGITS`` significant digits."""
    number = parse_decimal(rate)
    if number <= 0:
        raise MoneyInputError("OUT_OF_RANGE", "an exchange rate must be greater than 0")
    if not -_LARGEST_DIGITS <= number.adjusted() <= _LARGEST_DIGITS:  # before any arithmetic on it
        raise MoneyInputError("OUT_OF_RANGE", f"an exchange rate lies between 1e-{_LARGEST_DIGITS} "
                                              f"and 1e{_LARGEST_DIGITS}")
    digits = len(number.normalize().as_tuple().digits)
    if digits > MAX_RATE_DIGITS:
        raise MoneyInputError("TOO_PRECISE", f"an exchange rate has at most {MAX_RATE_DIGITS} significant digits")
    return number.normalize()


def convert(minor: int, currency: str, rate: Decimal, into: str) -> int:
    """``minor`` units of ``currency`` in minor units of ``into`` at ``rate`` (units of
    ``into`` per unit of ``currency``), rounded half to even: exact decimal arithmetic."""
    amount = Decimal(int(minor)).scaleb(-exponent(currency)) * rate
    return int(amount.scaleb(exponent(into)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def round_minor(amount: Decimal, currency: str) -> int:
    """A computed amount (an average, a prediction) in whole minor units, half to even."""
    return int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Money:
    """An exact amount: ``minor`` units of ``currency``'s minor unit."""

    minor: int
    currency: str

    @property
    def amount(self) -> Decimal:
        return from_minor(self.minor, self.currency)

    @classmethod
    def base(cls, minor: Any) -> Money:
        return cls(int(minor or 0), _base)

    @classmethod
    def of(cls, minor: Any, currency: Any) -> Money | None:
        """A stored amount and its currency, or None when the amount is missing."""
        if minor is None:
            return None
        return cls(int(minor), currency if isinstance(currency, str) and currency in CURRENCIES else _base)
