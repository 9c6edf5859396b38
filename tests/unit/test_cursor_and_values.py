from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

import pytest

from graph.cypher.cursor import decode_cursor, decode_values, encode_cursor, encode_values
from graph.cypher.errors import CursorError
from graph.cypher.plan import SortKey
from graph.cypher.values import from_store, to_store
from graph.ids import valid_id
from graph.model import PropType

ORDER = [SortKey("placedAt", True), SortKey("total")]


@given(st.text(min_size=1, max_size=50))
def test_cursor_round_trip(id_: str) -> None:
    assert decode_cursor(encode_cursor(ORDER, id_), ORDER, "x.after") == id_


def test_a_cursor_carries_the_row_id_and_the_order_only() -> None:
    with pytest.raises(CursorError, match="different orderBy"):
        decode_cursor(encode_cursor(ORDER, "person:a"), ORDER[:1], "x.after")
    # a cursor of the earlier form (values, then the id) still points at its row
    assert decode_cursor(encode_values(ORDER, [5, 1, "person:a"]), ORDER, "x.after") == "person:a"


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.text(max_size=50))
def test_value_cursor_round_trip(ms: int, id_: str) -> None:
    order = ORDER[:1]
    assert decode_values(encode_values(order, [ms, id_]), order, "x.after") == [ms, id_]


def test_value_cursors_refuse_floats() -> None:
    with pytest.raises(CursorError, match="malformed"):
        decode_values(encode_values(ORDER[:1], [0.1, "a"]), ORDER[:1], "x.after")


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2999, 1, 1),
                    timezones=st.just(UTC)))
def test_datetimes_round_trip_through_epoch_ms(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert from_store(PropType.DATETIME, to_store(PropType.DATETIME, moment)) == moment


def test_datetime_storage_keeps_time_order_across_zones() -> None:
    a = datetime(2026, 3, 14, 15, 20, tzinfo=timezone(timedelta(hours=-5)))
    b = datetime(2026, 3, 14, 19, 0, tzinfo=UTC)
    assert to_store(PropType.DATETIME, a) > to_store(PropType.DATETIME, b)
    assert to_store(PropType.DATETIME, "2026-03-14T20:20:00Z") == to_store(PropType.DATETIME, a)


def test_id_rule() -> None:
    assert valid_id("person:john-smith") and valid_id("a") and valid_id("x_1.2@y")
    for bad in ["", " x", "a b", "-x", "x" * 129, "a'b", "a}b", None, 5]:
        assert not valid_id(bad)
