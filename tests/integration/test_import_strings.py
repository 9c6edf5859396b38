"""Import rows are held to the same string rule as writes: control characters and lone
surrogates are rejected with the field named; tabs and newlines are text."""

from __future__ import annotations

import json
from pathlib import Path

from graph.io.importer import Importer, Source
from graph.io.rows import RowError
from graph.store import Store


async def test_import_rejects_control_characters_naming_the_field(empty_store: Store, tmp_path: Path) -> None:
    file = tmp_path / "strings.jsonl"
    lines = [
        {"node": "Person", "id": "person:ok", "name": "tab\there\nnewline"},
        {"node": "Person", "id": "person:nul", "name": "a\x00b"},
        {"node": "Company", "id": "company:esc", "name": "C", "industry": "steel\x1b[0m"},
        {"node": "Person", "id": "person:sur", "name": "half \ud800 a pair"},
    ]
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))  # escapes the surrogate
    errors: list[RowError] = []
    report = await Importer(empty_store, batch=2, on_rejected=errors.append).run(Source(file))
    reasons = {e.line: e.reason for e in errors}
    assert report.written == 1 and set(reasons) == {2, 3, 4}, reasons
    assert "name" in reasons[2] and "control character" in reasons[2]
    assert "industry" in reasons[3]
    assert "surrogate" in reasons[4]  # the JSON Lines reader (orjson) refuses it before validation
    stored = await empty_store.read("MATCH (n:Person) RETURN n.id AS id, n.name AS name")
    assert stored == [{"id": "person:ok", "name": "tab\there\nnewline"}]
