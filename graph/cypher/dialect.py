"""The two Cypher dialects the compiler writes: Neo4j 5.26+ and FalkorDB."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    prefix: str
    scope_clause: bool  # CALL (x) { ... } rather than CALL { WITH x ... }
    # FalkorDB 4.16 answers <, <=, >, >= on an indexed string property wrongly when its
    # range index serves them (`name < 'b'` misses letters); a computed operand keeps the
    # index out of it. Equality, IN and STARTS WITH through the index are right.
    guard_string_ranges: bool = False

    def string_range_operand(self, expr: str) -> str:
        return f"toString({expr})" if self.guard_string_ranges else expr

    def call_open(self, imports: tuple[str, ...]) -> list[str]:
        """Opening lines of a CALL subquery that imports ``imports``."""
        if self.scope_clause:
            return [f"CALL ({', '.join(imports)}) {{"]
        return ["CALL {", f"  WITH {', '.join(imports)}"] if imports else ["CALL {"]

    def union_branch(self, imports: tuple[str, ...]) -> list[str]:
        """The importing line that opens a later ``UNION`` branch of a CALL subquery (the
        scope clause imports for every branch)."""
        return [] if self.scope_clause else [f"  WITH {', '.join(imports)}"]

    def statement(self, lines: list[str]) -> str:
        body = "\n".join(lines)
        return f"{self.prefix}\n{body}" if self.prefix else body


NEO4J = Dialect("neo4j", prefix="CYPHER 5", scope_clause=True)
FALKORDB = Dialect("falkordb", prefix="", scope_clause=False, guard_string_ranges=True)
DIALECTS = {d.name: d for d in (NEO4J, FALKORDB)}
