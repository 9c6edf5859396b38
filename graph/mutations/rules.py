"""Validation of write input: the model's properties, typed, with the business rules below.

Models are built from ``graph.model`` with pydantic, so the allow-list and the rules cannot
drift apart: unknown fields are refused, types are strict (no "3" for 3), and these ranges
and vocabularies hold.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from pydantic_core import PydanticCustomError

from graph.ids import ID_PATTERN, ID_RULE
from graph.model import NODE_KINDS, REL_KINDS, Prop, PropType
from graph.mutations.errors import MutationError, Problem
from graph.text_rules import INVALID_CHARACTER, text_problem

MAX_TEXT = 10_000
MAX_LIST = 100

# (owner, property) -> extra constraints
RANGES: dict[tuple[str, str], dict[str, float]] = {
    ("Person", "age"): {"ge": 0, "le": 150},
    ("Company", "employeeCount"): {"ge": 0},
    ("Interaction", "sentiment"): {"ge": -1, "le": 1},
    ("Feedback", "rating"): {"ge": 1, "le": 5},
    ("Feedback", "nps"): {"ge": 0, "le": 10},
    ("CONTAINS", "qty"): {"ge": 1},
    ("COMPONENT_OF", "qty"): {"ge": 1},
    ("SUPPLIES", "sharePct"): {"ge": 0, "le": 100},
    ("SUPPLIES", "leadTimeDays"): {"ge": 0},
}
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Order", "status"): ("open", "paid", "shipped", "delivered", "cancelled", "returned"),
    ("Order", "channel"): ("store", "web", "phone", "contract", "marketplace"),
    ("Order", "paymentMethod"): ("credit_card", "debit_card", "invoice", "cash", "transfer"),
    ("Interaction", "channel"): ("email", "phone", "chat", "sms", "social", "store", "web"),
    ("Interaction", "direction"): ("inbound", "outbound"),
    ("Feedback", "kind"): ("review", "nps", "survey"),
    ("REFERRED", "status"): ("invited", "converted", "rewarded", "rejected"),
    ("REFERRED", "channel"): ("word_of_mouth", "email", "social", "link"),
    ("RESELLS_FOR", "channelType"): ("distributor", "retailer", "dealer", "marketplace"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "Person": ("name",), "Company": ("name",), "Product": ("name",), "Segment": ("name",),
    "Order": ("placedAt",), "Interaction": ("channel", "at"), "Feedback": ("kind", "at"),
}


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _text(value: str) -> str:
    """Control characters and lone surrogates are refused (graph.text_rules says why)."""
    problem = text_problem(value)
    if problem is not None:
        raise PydanticCustomError("invalid_character", problem)
    return value


TEXT = AfterValidator(_text)


def _choice(allowed: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return AfterValidator(check)


def _annotation(owner: str, prop: Prop) -> Any:
    ranges = RANGES.get((owner, prop.name), {})
    match prop.type:
        case PropType.ID:
            return Annotated[StrictStr, Field(pattern=ID_PATTERN.pattern)]
        case PropType.STRING:
            base: Any = Annotated[StrictStr, Field(max_length=MAX_TEXT), TEXT]
            if (owner, prop.name) in CHOICES:
                base = Annotated[StrictStr, _choice(CHOICES[(owner, prop.name)])]
            return base
        case PropType.INT:
            return Annotated[StrictInt, Field(**ranges)]
        case PropType.FLOAT:
            return Annotated[StrictFloat | StrictInt, Field(**ranges), AfterValidator(_finite)]
        case PropType.BOOL:
            return StrictBool
        case PropType.DATETIME:
            return datetime
        case PropType.STRING_LIST:
            return Annotated[list[Annotated[StrictStr, Field(max_length=MAX_TEXT), TEXT]], Field(max_length=MAX_LIST)]
        case PropType.MONEY:
            # A decimal amount ("19.99", or a JSON number read as it prints); its currency's
            # decimals are checked where the currency is known (graph.mutations.money_input).
            return Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


_CONFIG = ConfigDict(extra="forbid", str_strip_whitespace=False)


@cache
def node_model(label: str, partial: bool = False) -> type[BaseModel]:
    """Properties of a node kind; ``partial`` (updates): everything optional, id excluded."""
    kind = NODE_KINDS[label]
    fields: dict[str, Any] = {}
    for prop in kind.props:
        if (partial and prop.name == "id") or prop.computed:
            continue
        annotation = _annotation(label, prop)
        if not partial and (prop.name == "id" or prop.name in REQUIRED.get(label, ())):
            fields[prop.name] = (annotation, ...)
        else:
            fields[prop.name] = (annotation | None, None)
    return create_model(f"{label}{'Patch' if partial else 'Input'}", __config__=_CONFIG, **fields)


@cache
def rel_model(type_: str) -> type[BaseModel]:
    fields = {p.name: (_annotation(type_, p) | None, None) for p in REL_KINDS[type_].props if not p.computed}
    return create_model(f"{type_}Props", __config__=_CONFIG, **fields)


def validate(model: type[BaseModel], data: Any, prefix: str = "") -> dict[str, Any]:
    """The fields of ``data`` that were given, checked; MutationError listing every problem."""
    if not isinstance(data, dict):
        raise MutationError.one(prefix.rstrip(".") or "input", "INVALID_TYPE", "must be an object")
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise MutationError([_problem(err, prefix) for err in exc.errors(include_url=False)]) from None
    return parsed.model_dump(exclude_unset=True)


def _problem(err: Any, prefix: str) -> Problem:
    field = prefix + ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    code = {"missing": "REQUIRED", "extra_forbidden": "UNKNOWN_FIELD", "string_pattern_mismatch": "INVALID_ID",
            "greater_than_equal": "OUT_OF_RANGE", "less_than_equal": "OUT_OF_RANGE",
            "string_too_long": "TOO_LONG", "too_long": "TOO_LONG",
            "invalid_character": INVALID_CHARACTER, "string_unicode": INVALID_CHARACTER}.get(kind, "INVALID_VALUE")
    if kind.endswith("_type") or kind in ("int_from_float", "bool_parsing", "datetime_parsing",
                                          "datetime_from_date_parsing", "datetime_type"):
        code = "INVALID_TYPE"
    message = ID_RULE if code == "INVALID_ID" else err["msg"]
    if kind == "string_unicode":
        message = "contains a lone surrogate, which is not text; send valid Unicode"
    return Problem(field or "input", code, message)
