"""What every resolver can reach: the store, the caller, and a compiler bound to the
caller's scope (so every statement a resolver builds is scoped without it asking)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.access import ANONYMOUS_ADMIN, Access
from graph.cypher.compiler import Compiler
from graph.cypher.scope import Scope
from graph.store import Store


@dataclass
class Context:
    store: Store
    compiler: Compiler
    request: Any = None
    response: Any = None
    access: Access = ANONYMOUS_ADMIN  # who is asking (api.auth decides)

    def __post_init__(self) -> None:
        if self.compiler.scope.access != self.access:
            self.compiler = self.compiler.scoped(Scope(self.access))
