"""Rows held column by column (numpy arrays, coded strings), rendered two ways: as the
upsert rows every other path takes, and straight into ``GRAPH.BULK`` bytes.

Encoding a column at a time is what makes a bulk build fast: an integer, float or bool
column becomes its type byte and value for every row in one numpy operation, a string
column from a small vocabulary is encoded once per distinct value, and the rows are
then interleaved with one ``bytes.join``. Nothing is validated here (``graph.bulk.load``
does that for rows from outside): the columns come from the synthetic generator, whose
values are the model's types by construction; ``rows`` and ``encode`` give the same
values, so the upserted and the bulk-loaded graphs are equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from graph.bulk import encode
from graph.bulk.load import node_layout, rel_layout
from graph.model import NAME_KEY, NAME_KEYED
from graph.sort_keys import name_keys


@dataclass(frozen=True)
class Codes:
    """Values from a small vocabulary, by index."""

    vocab: tuple[Any, ...]
    index: np.ndarray


@dataclass(frozen=True)
class Formatted:
    """Strings ``pattern % number`` (``"Person %d"``), one per number."""

    pattern: str
    numbers: np.ndarray


@dataclass(frozen=True)
class Const:
    value: Any


Column = np.ndarray | Codes | Formatted | Const


@dataclass(frozen=True)
class Ends:
    """Relationship ends of one node kind: ``prefix`` + index is the external id, and the
    internal id is the kind's first internal id + index."""

    prefix: str
    index: np.ndarray


@dataclass
class Table:
    kind: str  # "node" | "rel"
    name: str  # label or relationship type
    count: int
    id: Formatted | None = None  # nodes
    start: Ends | None = None  # relationships
    end: Ends | None = None
    props: dict[str, Column] = field(default_factory=dict)


def values(column: Column, count: int) -> list[Any]:
    """The column as Python values (ints, floats, bools, strings, lists)."""
    if isinstance(column, np.ndarray):
        return column.tolist()
    if isinstance(column, Codes):
        return _objects(column.vocab)[column.index].tolist()  # type: ignore[no-any-return]
    if isinstance(column, Formatted):
        pattern = column.pattern
        return [pattern % n for n in column.numbers.tolist()]
    return [column.value] * count


def _objects(items: Any) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):  # one by one: a list item stays one object
        out[i] = item
    return out


def stored(table: Table) -> dict[str, Column]:
    """The table's columns as the store holds them: a name with its key (graph.sort_keys)."""
    if table.kind != "node" or table.name not in NAME_KEYED or "name" not in table.props:
        return table.props
    name = table.props["name"]
    keys = name_keys(name.vocab)[name.index] if isinstance(name, Codes) else name_keys(values(name, table.count))
    return {**table.props, NAME_KEY: keys}


def rows(table: Table) -> list[dict[str, Any]]:
    """The upsert format: ``{"id", "props"}`` or ``{"start", "end", "props"}``."""
    columns = stored(table)
    names = list(columns)
    props = [dict(zip(names, vals)) for vals in zip(*(values(c, table.count) for c in columns.values()))] \
        if names else [{} for _ in range(table.count)]
    if table.kind == "node":
        assert table.id is not None
        return [{"id": key, "props": p} for key, p in zip(values(table.id, table.count), props)]
    assert table.start is not None and table.end is not None
    starts = [table.start.prefix + str(i) for i in table.start.index.tolist()]
    ends = [table.end.prefix + str(i) for i in table.end.index.tolist()]
    return [{"start": s, "end": e, "props": p} for s, e, p in zip(starts, ends, props)]


_Piece = np.ndarray | list[bytes]  # (count, width) uint8, or one bytes per row


def _typed(type_byte: int, data: np.ndarray, dtype: str) -> np.ndarray:
    width = np.dtype(dtype).itemsize
    out = np.empty((len(data), 1 + width), dtype=np.uint8)
    out[:, 0] = type_byte
    out[:, 1:] = np.ascontiguousarray(data, dtype=dtype).view(np.uint8).reshape(len(data), width)
    return out


def _piece(column: Column, count: int) -> _Piece:
    if isinstance(column, np.ndarray):
        if column.dtype == np.bool_:
            return _typed(1, column, "u1")
        if np.issubdtype(column.dtype, np.integer):
            return _typed(4, column, "<i8")
        if np.issubdtype(column.dtype, np.floating):
            if not np.isfinite(column).all():
                raise encode.BulkValueError("a float that is not finite")
            return _typed(2, column, "<f8")
        raise encode.BulkValueError(f"a column of {column.dtype}")
    if isinstance(column, Codes):
        return _objects([encode.value(v) for v in column.vocab])[column.index].tolist()  # type: ignore[no-any-return]
    if isinstance(column, Formatted):
        pattern = b"\x03" + column.pattern.encode() + b"\x00"
        return [pattern % n for n in column.numbers.tolist()]
    one = np.frombuffer(encode.value(column.value), dtype=np.uint8)
    return np.broadcast_to(one, (count, len(one)))


def _interleave(count: int, pieces: list[_Piece]) -> bytes:
    """Row after row, each row its pieces in order."""
    groups: list[_Piece] = []
    for piece in pieces:  # adjacent fixed-width pieces become one
        if isinstance(piece, np.ndarray) and groups and isinstance(groups[-1], np.ndarray):
            groups[-1] = np.hstack([groups[-1], piece])
        else:
            groups.append(piece)
    if len(groups) == 1 and isinstance(groups[0], np.ndarray):
        return np.ascontiguousarray(groups[0]).tobytes()
    lists = [np.ascontiguousarray(g).view(f"V{g.shape[1]}").ravel().tolist() if isinstance(g, np.ndarray) else g
             for g in groups]
    return b"".join(chain.from_iterable(zip(*lists)))


@dataclass(frozen=True)
class Encoded:
    """One table as the body of a ``GRAPH.BULK`` token (without its header)."""

    kind: str
    head: bytes  # the token's header: labels or type, property names
    count: int
    body: bytes
    first: int = -1  # nodes: the internal id the first of them must get


def encode_table(table: Table, offsets: Mapping[str, int]) -> Encoded:
    """``offsets``: the first internal id of each id prefix (nodes are created in order)."""
    layout = node_layout(table.name) if table.kind == "node" else rel_layout(table.name)
    columns = stored(table)
    unknown = columns.keys() - layout.allowed
    if unknown:
        raise encode.BulkValueError(f"{table.name}: unknown properties {sorted(unknown)}")
    pieces: list[_Piece] = []
    first = -1
    if table.kind == "node":
        assert table.id is not None
        pieces.append(_piece(table.id, table.count))
        first = offsets[table.id.pattern.split("%")[0]] + int(table.id.numbers[0]) if table.count else -1
        names = layout.columns[1:]
    else:
        assert table.start is not None and table.end is not None
        ends = np.empty((table.count, 2), dtype="<u8")
        ends[:, 0] = table.start.index + offsets[table.start.prefix]
        ends[:, 1] = table.end.index + offsets[table.end.prefix]
        pieces.append(ends.view(np.uint8).reshape(table.count, 16))
        names = layout.columns
    null = Const(None)
    pieces += [_piece(columns.get(name, null), table.count) for name in names]
    return Encoded(table.kind, layout.head, table.count, _interleave(table.count, pieces) if table.count else b"",
                   first)
