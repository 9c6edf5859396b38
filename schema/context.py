"""What every resolver can reach: the store and the compiler for its dialect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.access import ANONYMOUS_ADMIN, Access
from graph.cypher.compiler import Compiler
from graph.store import Store


@dataclass
class Context:
    store: Store
    compiler: Compiler
    request: Any = None
    response: Any = None
    access: Access = ANONYMOUS_ADMIN  # who is asking (api.auth decides)
