"""Collects the values of one statement; Cypher sees only ``$pN`` names."""

from __future__ import annotations

from typing import Any


class Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"
