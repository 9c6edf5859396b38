"""Amounts in minor units: exact, refused rather than rounded, and cheap to refuse
whatever exponent a hostile input carries (graph.money, graph.cypher.filters)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from graph.cypher.filters import _minor_bound
from graph.money import MoneyInputError, convert, from_minor, parse_rate, to_minor


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("19.99", "USD", 1999), (19.99, "USD", 1999), ("2500", "JPY", 2500), ("1.250", "KWD", 1250),
    ("0e-999999999", "USD", 0), ("100.0000000000000000000000000000000", "USD", 10000),
])
def test_amounts_become_exact_minor_units(amount: object, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(("amount", "code"), [
    ("0.001", "TOO_PRECISE"), ("1.000000000000000000000000000001", "TOO_PRECISE"),  # 31 digits: not rounded
    ("1e-999999999", "TOO_PRECISE"), ("1e400", "OUT_OF_RANGE"), ("1e999999999", "OUT_OF_RANGE"),
    ("-1e999999999", "OUT_OF_RANGE"), ("NaN", "INVALID_VALUE"), ("Infinity", "INVALID_VALUE"),
])
def test_hostile_amounts_are_refused_quickly(amount: str, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(MoneyInputError) as refused:
        to_minor(amount, "USD")
    assert refused.value.code == code
    assert time.monotonic() - started < 1.0  # no billion-digit integer was built


def test_filter_bounds_are_exact_for_any_value() -> None:
    half_cent, huge, tiny = Decimal("0.005"), Decimal("1e999999999"), Decimal("1e-999999999")
    assert [_minor_bound(op, half_cent, 2) for op in ("gt", "gte", "lt", "lte")] == [0, 1, 1, 0]
    assert [_minor_bound(op, -half_cent, 2) for op in ("gt", "gte", "lt", "lte")] == [-1, 0, 0, -1]
    assert _minor_bound("eq", half_cent, 2) == 0.5  # equal to no whole number of cents
    assert _minor_bound("gt", huge, 2) > 10**15 and _minor_bound("lt", Decimal("-1e999999999"), 2) < -(10**15)
    assert _minor_bound("gt", tiny, 2) == 0 and _minor_bound("gte", tiny, 2) == 1


def test_conversion_rounds_half_to_even_once() -> None:
    assert convert(29997, "EUR", Decimal("1.08"), "USD") == 32397  # 323.9676
    assert convert(1, "USD", Decimal("0.5"), "USD") == 0 and convert(3, "USD", Decimal("0.5"), "USD") == 2
    assert convert(2500, "JPY", Decimal("0.0067"), "USD") == 1675
    assert str(from_minor(1250, "KWD")) == "1.250"


@pytest.mark.parametrize("rate", ["0", "-1", "1e999999999", "1e-999999999", "1.0000000000001"])
def test_bad_rates_are_refused(rate: str) -> None:
    with pytest.raises(MoneyInputError):
        parse_rate(rate)
