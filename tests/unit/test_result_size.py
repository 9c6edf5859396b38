"""The response byte cap's walk (``api.result_size.over``): the same verdict as the plain
walk it replaced, on any JSON-like value, with the plain types counted in its loops and
anything else (str and dict subclasses, tuples, floats) by the general rules."""

from __future__ import annotations

from enum import Enum
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from api.result_size import encode_bounded, over


class Kind(str, Enum):
    LONG = "a" * 40


def plain_walk(data: Any, max_bytes: int) -> bool:
    """The rules ``over`` keeps: a string its length and quotes, a dict 2 and each key its
    length and 4, a list or tuple 2 and one a member, anything else 4."""
    left = max_bytes
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            left -= len(value) + 2
        elif isinstance(value, dict):
            left -= 2
            for key, item in value.items():
                left -= len(key) + 4
                stack.append(item)
        elif isinstance(value, list | tuple):
            left -= 2 + len(value)
            stack.extend(value)
        else:
            left -= 4
    return left < 0


leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=60),
                   st.just(Kind.LONG))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.tuples(inner, inner),
    st.dictionaries(st.text(max_size=8), inner, max_size=6)), max_leaves=60)


@settings(max_examples=400, deadline=None)
@given(values, st.integers(min_value=0, max_value=3000))
def test_the_verdict_is_the_plain_walks(data: Any, cap: int) -> None:
    assert over(data, cap) is plain_walk(data, cap)


def test_a_result_over_the_cap_is_refused_and_one_under_is_encoded() -> None:
    result = {"data": {"people": [{"name": "x" * 100, "age": 40, "tags": ["a", "b"]}] * 50}}
    size = len(orjson.dumps(result))
    assert orjson.loads(encode_bounded(result, size * 2)) == result
    refused = orjson.loads(encode_bounded(result, size // 2))
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "RESULT_TOO_LARGE"


def test_a_string_subclass_counts_its_length() -> None:
    assert over({"kind": Kind.LONG}, 45)
    assert not over({"kind": "short"}, 45)
