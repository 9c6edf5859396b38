"""One line of an import file, parsed and validated into a row ready to write.

JSON Lines (one object a line):
    {"node": "Person", "id": "person:ada", "name": "Ada", "age": 36}
    {"rel": "SUPPLIES", "from": "company:a", "to": "company:b", "sharePct": 40.0}
    {"alias": "person:ada-dup", "of": "person:ada"}
CSV: one kind per file, given on the command line; the header names the properties
(``id`` for nodes, ``from`` and ``to`` for relationships); list cells are ``|``-separated;
empty cells are absent values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from graph.cypher.values import to_store
from graph.ids import ID_RULE, valid_id
from graph.model import NODE_KINDS, REL_KINDS, PropType
from graph.mutations.errors import MutationError
from graph.mutations.rules import node_model, rel_model, validate
from graph.sort_keys import keyed


@dataclass(frozen=True)
class NodeRow:
    line: int
    label: str
    id: str
    props: dict[str, Any]


@dataclass(frozen=True)
class RelRow:
    line: int
    type: str
    start: str
    end: str
    props: dict[str, Any]


@dataclass(frozen=True)
class AliasRow:
    line: int
    id: str
    of: str


Row = NodeRow | RelRow | AliasRow


class RowError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@cache
def _datetimes(kind: str) -> frozenset[str]:
    """The date-time properties of a node kind or relationship type (stored as epoch ms)."""
    props = NODE_KINDS[kind].props if kind in NODE_KINDS else REL_KINDS[kind].props
    return frozenset(p.name for p in props if p.type is PropType.DATETIME)


def _reason(exc: MutationError) -> str:
    return "; ".join(f"{p.field}: {p.message}" for p in exc.problems)


def parse(line: int, data: Any) -> Row:
    """A validated row, or RowError saying what is wrong with the line."""
    if not isinstance(data, dict):
        raise RowError(line, "expected a JSON object")
    if "node" in data:
        label = data["node"]
        if label not in NODE_KINDS:
            raise RowError(line, f"node: unknown kind {label!r}; one of {', '.join(NODE_KINDS)}")
        fields = {k: v for k, v in data.items() if k != "node"}
        try:
            values = validate(node_model(label), fields)
        except MutationError as exc:
            raise RowError(line, _reason(exc)) from None
        moments = _datetimes(label)
        props = {k: to_store(PropType.DATETIME, v) if k in moments else v for k, v in values.items()
                 if k != "id" and v is not None}
        return NodeRow(line, label, values["id"], keyed(label, props))
    if "rel" in data:
        type_ = data["rel"]
        if type_ not in REL_KINDS:
            raise RowError(line, f"rel: unknown type {type_!r}; one of {', '.join(REL_KINDS)}")
        for end in ("from", "to"):
            if not valid_id(data.get(end)):
                raise RowError(line, f"{end}: {ID_RULE}")
        fields = {k: v for k, v in data.items() if k not in ("rel", "from", "to")}
        try:
            values = validate(rel_model(type_), fields)
        except MutationError as exc:
            raise RowError(line, _reason(exc)) from None
        moments = _datetimes(type_)
        props = {k: to_store(PropType.DATETIME, v) if k in moments else v for k, v in values.items() if v is not None}
        if data["from"] == data["to"] and type_ in ("SUPPLIES", "RESELLS_FOR", "COMPONENT_OF", "SUBSIDIARY_OF", "REFERRED"):
            raise RowError(line, f"to: a {type_} relationship cannot link a node to itself")
        return RelRow(line, type_, data["from"], data["to"], props)
    if "alias" in data:
        if set(data) != {"alias", "of"} or not valid_id(data.get("alias")) or not valid_id(data.get("of")):
            raise RowError(line, "alias lines are {\"alias\": id, \"of\": id}")
        return AliasRow(line, data["alias"], data["of"])
    raise RowError(line, "a line needs one of the keys node, rel or alias")


def csv_record(kind: str, record: dict[str, str]) -> dict[str, Any]:
    """A CSV record as the JSON object of the same row (cells typed by the model)."""
    is_node = kind in NODE_KINDS
    props = {p.name: p for p in (NODE_KINDS[kind].props if is_node else REL_KINDS[kind].props)}
    out: dict[str, Any] = {"node" if is_node else "rel": kind}
    for key, cell in record.items():
        if key is None:
            raise ValueError("more cells than header columns")
        if cell is None or cell == "":
            continue
        prop = props.get(key)
        if prop is None or key in ("from", "to"):
            out[key] = cell
            continue
        out[key] = _cell(prop.type, cell)
    return out


def _cell(type_: PropType, cell: str) -> Any:
    try:
        match type_:
            case PropType.INT:
                return int(cell)
            case PropType.FLOAT:
                return float(cell)
            case PropType.BOOL:
                if cell.lower() not in ("true", "false"):
                    return cell
                return cell.lower() == "true"
            case PropType.STRING_LIST:
                return cell.split("|")
    except ValueError:
        return cell  # left as text: validation names the field and the expected type
    return cell
