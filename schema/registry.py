"""The generated GraphQL types, built once from ``graph.model``."""

from __future__ import annotations

from schema.types import Registry, _Builder

BUILDER = _Builder()
REGISTRY: Registry = BUILDER.build()
