"""Check Cypher with Neo4j's own front end (npm ``@neo4j-cypher/language-support``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("cypher_lint.mjs")


class CypherLinter:
    """A Node.js process running ``lintCypherQuery``; one per test session."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("Node.js is needed to check Cypher with Neo4j's parser")
        if not (ROOT / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
            raise RuntimeError("run `make install`: @neo4j-cypher/language-support is missing")
        self._proc = subprocess.Popen(
            [node, str(SCRIPT)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1,
        )
        self.checked = 0

    def diagnostics(self, query: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"query": query, "parameters": parameters or {}}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the Cypher linter exited")
        self.checked += 1
        return json.loads(line)["diagnostics"]

    def errors(self, query: str, parameters: dict[str, Any] | None = None) -> list[str]:
        return [f"{d['message']} (line {d.get('line')}, col {d.get('character')})"
                for d in self.diagnostics(query, parameters) if d["severity"] == "error"]

    def assert_valid(self, query: str, parameters: dict[str, Any] | None = None) -> None:
        errors = self.errors(query, parameters)
        assert not errors, "Neo4j rejects this statement:\n" + query + "\n" + "\n".join(errors)

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
