"""What the fast path does with a synchronous resolver's result (``schema.fastpath._synchronous``):
a plain value passes; anything graphql-core would await makes the request ``Bail`` to the
normal path, a coroutine closed first (never left un-awaited)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schema.fastpath import _NOT_AWAITABLE, Bail, _synchronous


class Plain:
    pass


class Awaitable:
    def __await__(self) -> Any:
        yield None


async def later() -> int:
    return 1


def test_plain_values_pass_and_their_type_is_remembered() -> None:
    value = Plain()
    assert _synchronous(value) is value
    assert Plain in _NOT_AWAITABLE
    assert _synchronous(None) is None and _synchronous("x") == "x"


@pytest.mark.parametrize("make", [Awaitable, later], ids=["__await__", "async def"])
def test_anything_awaitable_bails(make: Any) -> None:
    result = make()
    with pytest.raises(Bail):
        _synchronous(result)
    with pytest.raises(Bail):  # every time: an awaitable type is never remembered as plain
        _synchronous(result)
    assert type(result) not in _NOT_AWAITABLE
    if asyncio.iscoroutine(result):
        assert result.cr_frame is None  # closed: no "never awaited" warning, no frame kept
