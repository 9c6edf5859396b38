"""The graph as a ``neo4j-admin database import full`` CSV set, for a bulk initial load into Neo4j.

One file per node kind (``nodes_<Kind>.csv``: ``id:ID``, ``:LABEL`` with every label of
the kind, then one typed column per property of the model) and per relationship type
(``relationships_<TYPE>.csv``: ``:START_ID``, ``:END_ID``, ``:TYPE``, typed columns), ids
in one global space (they are unique across kinds), and ``import.sh`` with the command.
Types: ``long`` (Int), ``double`` (Float), ``boolean``, ``datetime`` (ISO-8601 with its
offset), ``string[]`` (lists, ``;`` between items), strings untyped. Merged ids are kept as
``Alias`` nodes with their ``ALIAS_OF`` relationship, as the JSON Lines export keeps them.
Constraints and indexes are not part of an import: the service creates them when it
first starts on the imported database (``ensure_schema``).

The column type follows the model's declared type, and a value of another type is
written as it is (an integer amount stays an integer), so the files follow the model as
it stands when they are written.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from graph.model import ALIAS, ALIAS_OF, ENTITY, NAME_KEY, NAME_KEYED, NODE_KINDS, REL_KINDS, Prop, PropType
from graph.sort_keys import keyed

ARRAY_DELIMITER = ";"
_TYPES = {PropType.INT: "long", PropType.FLOAT: "double", PropType.BOOL: "boolean",
          PropType.DATETIME: "datetime", PropType.STRING_LIST: "string[]"}


class ExportValueError(ValueError):
    """A value neo4j-admin could not read back as written (a list item holding ``;``)."""


def column(prop: Prop) -> str:
    kind = _TYPES.get(prop.type)
    return f"{prop.name}:{kind}" if kind else prop.name


def node_header(label: str) -> list[str]:
    props = [p for p in NODE_KINDS[label].props if p.name != "id"]
    keys = [f"{NAME_KEY}:long"] if label in NAME_KEYED else []  # graph.sort_keys: stored beside the name
    return ["id:ID", ":LABEL", *(column(p) for p in props), *keys]


def rel_header(type_: str) -> list[str]:
    return [":START_ID", ":END_ID", ":TYPE", *(column(p) for p in REL_KINDS[type_].props)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
        if any(ARRAY_DELIMITER in item for item in items):
            raise ExportValueError(f"a list item holds {ARRAY_DELIMITER!r}, the array delimiter: {items}")
        return ARRAY_DELIMITER.join(items)
    return str(value)


class CsvSet:
    """Writes the files as lines arrive; ``close`` writes ``import.sh`` and returns counts."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, tuple[IO[str], Any, list[str]]] = {}
        self.counts: dict[str, int] = {}

    def _writer(self, name: str, header: list[str]) -> tuple[Any, list[str]]:
        if name not in self._files:
            handle = (self.folder / f"{name}.csv").open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            writer.writerow(header)
            self._files[name] = (handle, writer, header)
            self.counts[name] = 0
        _, writer, names = self._files[name]
        return writer, names

    def add(self, line: dict[str, Any]) -> None:
        """One line of ``graph.io.exporter.export_lines``."""
        if "node" in line:
            label = line["node"]
            writer, header = self._writer(f"nodes_{label}", node_header(label))
            keys = [h.split(":")[0] for h in header[2:]]
            values = keyed(label, line)
            writer.writerow([line["id"], ";".join(NODE_KINDS[label].labels), *(_cell(values.get(k)) for k in keys)])
            self.counts[f"nodes_{label}"] += 1
        elif "rel" in line:
            type_ = line["rel"]
            writer, header = self._writer(f"relationships_{type_}", rel_header(type_))
            keys = [h.split(":")[0] for h in header[3:]]
            writer.writerow([line["from"], line["to"], type_, *(_cell(line.get(k)) for k in keys)])
            self.counts[f"relationships_{type_}"] += 1
        elif "alias" in line:
            writer, _ = self._writer(f"nodes_{ALIAS}", ["id:ID", ":LABEL"])
            writer.writerow([line["alias"], f"{ENTITY};{ALIAS}"])
            self.counts[f"nodes_{ALIAS}"] += 1
            writer, _ = self._writer(f"relationships_{ALIAS_OF}", [":START_ID", ":END_ID", ":TYPE"])
            writer.writerow([line["alias"], line["of"], ALIAS_OF])
            self.counts[f"relationships_{ALIAS_OF}"] += 1

    def close(self, database: str = "neo4j") -> dict[str, int]:
        for handle, _, _ in self._files.values():
            handle.close()
        names = sorted(self._files)
        args = [f"  --nodes={n}.csv" for n in names if n.startswith("nodes_")]
        args += [f"  --relationships={n}.csv" for n in names if n.startswith("relationships_")]
        script = ["#!/bin/sh", "# Bulk initial load of this CSV set into an empty Neo4j database (the server stopped).",
                  "# Then start Neo4j and crmgraph: it creates the constraints and indexes on start.",
                  'cd "$(dirname "$0")"', "exec neo4j-admin database import full \\",
                  f"  --array-delimiter='{ARRAY_DELIMITER}' --id-type=string --multiline-fields=true \\",
                  *(a + " \\" for a in args), f"  {database}"]
        path = self.folder / "import.sh"
        path.write_text("\n".join(script) + "\n")
        path.chmod(0o755)
        return dict(self.counts)


async def write_csv_set(lines: AsyncIterator[dict[str, Any]], folder: Path) -> dict[str, int]:
    out = CsvSet(folder)
    try:
        async for line in lines:
            out.add(line)
    finally:
        counts = out.close()
    return counts
