"""The generated GraphQL types, built once from ``graph.model``."""

from __future__ import annotations

from schema.types import Registry, TypeBuilder

BUILDER = TypeBuilder()
REGISTRY: Registry = BUILDER.build()
