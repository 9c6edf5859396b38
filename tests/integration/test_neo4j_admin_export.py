"""`crmgraph export --format neo4j-admin`: a CSV set neo4j-admin can import, in shape and content."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from graph.bulk.neo4j_admin import ExportValueError, _cell, write_csv_set
from graph.io.exporter import export_lines
from graph.model import NAME_KEY, NAME_KEYED, NODE_KINDS, REL_KINDS, PropType
from graph.sort_keys import name_key
from graph.store import Store

TYPED = {PropType.INT: "long", PropType.FLOAT: "double", PropType.BOOL: "boolean",
         PropType.DATETIME: "datetime", PropType.STRING_LIST: "string[]"}


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


async def test_the_csv_set_has_neo4j_admin_headers_and_every_row(seeded_store: Store, tmp_path: Path) -> None:
    if seeded_store.dialect.name != "falkordb":
        pytest.skip("the export reads the same way from both; one is enough here")
    counts = await write_csv_set(export_lines(seeded_store), tmp_path)
    graph_nodes = (await seeded_store.read("MATCH (n:Entity) WHERE NOT n:Alias RETURN count(n) AS n"))[0]["n"]
    graph_rels = (await seeded_store.read("MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS n"))[0]["n"]
    assert sum(v for k, v in counts.items() if k.startswith("nodes_")) == graph_nodes
    assert sum(v for k, v in counts.items() if k.startswith("relationships_")) == graph_rels

    ids: set[str] = set()
    for path in sorted(tmp_path.glob("nodes_*.csv")):
        label = path.stem.removeprefix("nodes_")
        header, rows = _read(path)
        assert header[:2] == ["id:ID", ":LABEL"]
        kind = NODE_KINDS[label]
        expected = [p.name + (f":{TYPED[p.type]}" if p.type in TYPED else "") for p in kind.props if p.name != "id"]
        keyed = label in NAME_KEYED  # the name's sort key goes with it (graph.sort_keys)
        assert header[2:] == expected + ([f"{NAME_KEY}:long"] if keyed else [])
        for row in rows:
            assert len(row) == len(header)
            if keyed:
                assert int(row[-1]) == name_key(row[header.index("name")])
            assert row[1].split(";") == list(kind.labels)
            ids.add(row[0])
            for name, cell in zip(header, row, strict=True):
                if cell and name.endswith(":long"):
                    int(cell)
                elif cell and name.endswith(":double"):
                    float(cell)
                elif cell and name.endswith(":datetime"):
                    assert datetime.fromisoformat(cell).tzinfo is not None
                elif cell and name.endswith(":boolean"):
                    assert cell in ("true", "false")
    assert len(ids) == graph_nodes  # one global id space, each id once
    for path in sorted(tmp_path.glob("relationships_*.csv")):
        type_ = path.stem.removeprefix("relationships_")
        header, rows = _read(path)
        assert header[:3] == [":START_ID", ":END_ID", ":TYPE"]
        assert header[3:] == [p.name + (f":{TYPED[p.type]}" if p.type in TYPED else "")
                              for p in REL_KINDS[type_].props]
        for row in rows:
            assert len(row) == len(header) and row[2] == type_
            assert row[0] in ids and row[1] in ids  # every end is a node of the set
    script = (tmp_path / "import.sh").read_text()
    assert "neo4j-admin database import full" in script
    assert all(f"--nodes={p.name}" in script for p in tmp_path.glob("nodes_*.csv"))
    assert all(f"--relationships={p.name}" in script for p in tmp_path.glob("relationships_*.csv"))


def test_list_items_holding_the_array_delimiter_are_refused() -> None:
    assert _cell(["steel", "glass"]) == "steel;glass"
    assert _cell(True) == "true" and _cell(None) == "" and _cell(12) == "12"
    with pytest.raises(ExportValueError, match="array delimiter"):
        _cell(["steel; glass"])
