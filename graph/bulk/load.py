"""Build a new FalkorDB graph at the store's own speed, with ``GRAPH.BULK``.

For a first load into an empty store only (``GRAPH.BULK ... BEGIN`` creates the graph
key): nodes and relationships arrive as batches of rows in the upsert format
(``{"id", "props"}`` / ``{"start", "end", "props"}``, labels and types from
``graph.model``), are encoded (``graph.bulk.encode``) into commands of at most
``buffer_bytes`` and sent on their own connection while the next one is encoded. The
unique constraints and indexes are created afterwards, over the loaded data, by the
store's ``ensure_schema`` (``load_new_graph``), so they hold exactly as after upserts.

Upserts into a live graph keep the statement path (``graph.writes``, the importer),
with its row errors; here a bad row (an unknown property, a value the format cannot
carry, an id given twice, a relationship to an id not loaded) stops the load before
the command holding it is sent. A relationship is one per (type, start, end), as an
upsert leaves it; given twice it is refused (the loader keeps the pairs: about 80 bytes
each while it runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import redis

from graph.bulk import encode
from graph.model import NAME_KEY, NAME_KEYED, NODE_KINDS, REL_KINDS

DEFAULT_BUFFER = 64 * 1024 * 1024  # bytes per command (the bulk loader's default too)


class BulkLoadError(ValueError):
    """A row the bulk load cannot take; nothing after the last sent command was written."""


@dataclass
class _Token:
    name: str
    chunks: list[bytes] = field(default_factory=list)
    count: int = 0


@dataclass(frozen=True)
class _Layout:
    name: str  # labels joined by ':' or the relationship type
    columns: tuple[str, ...]  # property names in header order
    allowed: frozenset[str]
    head: bytes


def node_layout(label: str) -> _Layout:
    kind = NODE_KINDS[label]  # KeyError for anything outside the model
    keys = (NAME_KEY,) if label in NAME_KEYED else ()  # graph.sort_keys: stored beside the name
    columns = ("id", *(p.name for p in kind.props if p.name != "id"), *keys)
    name = ":".join(kind.labels)
    return _Layout(name, columns, frozenset(columns[1:]), encode.header(name, columns))


def rel_layout(type_: str) -> _Layout:
    rel = REL_KINDS[type_]
    columns = tuple(p.name for p in rel.props)
    return _Layout(rel.type, columns, frozenset(columns), encode.header(rel.type, columns))


class CommandPipe:
    """GRAPH.BULK commands of one graph, one in flight on its own thread while the caller
    puts the next together; counts what the store made."""

    def __init__(self, client: redis.Redis, graph: str) -> None:
        self.client = client
        self.graph = graph
        self.sent = {"nodes": 0, "relationships": 0}
        self._begun = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-send")
        self._in_flight: Future[tuple[int, int]] | None = None

    def send(self, node_count: int, rel_count: int, node_tokens: list[bytes], rel_tokens: list[bytes]) -> None:
        """Send one command (the first one begins the graph) once the one before is answered."""
        args = encode.command(self.graph, not self._begun, node_count, rel_count, node_tokens, rel_tokens)
        self._begun = True
        self.wait()
        self._in_flight = self._thread.submit(self._send, args)

    def _send(self, args: list[Any]) -> tuple[int, int]:
        answer = self.client.execute_command(*args)
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        nodes, rels = (int(part.split()[0]) for part in text.split(",")[:2])  # "N nodes created, M relations created"
        return nodes, rels

    def wait(self) -> None:
        if self._in_flight is not None:
            nodes, rels = self._in_flight.result()
            self._in_flight = None
            self.sent["nodes"] += nodes
            self.sent["relationships"] += rels

    def finish(self) -> dict[str, int]:
        """Wait for the last command; the node and relationship counts the store made."""
        try:
            self.wait()
        finally:
            self._thread.shutdown(wait=True)
        return dict(self.sent)

    def abandon(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)


class BulkLoader:
    """Feed batches in dependency order (a relationship after both its ends), then ``finish``."""

    def __init__(self, client: redis.Redis, graph: str, buffer_bytes: int = DEFAULT_BUFFER) -> None:
        self.client = client
        self.graph = graph
        self.buffer_bytes = buffer_bytes
        self.ids: dict[str, int] = {}  # external id -> internal node id
        self._layouts: dict[tuple[str, str], _Layout] = {}
        self._node_tokens: list[_Token] = []  # in creation order: internal ids follow it
        self._rel_tokens: dict[str, _Token] = {}
        self._pairs: dict[str, set[int]] = {}
        self._size = 0
        self._pipe = CommandPipe(client, graph)

    def _layout(self, kind: str, name: str) -> _Layout:
        key = (kind, name)
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = node_layout(name) if kind == "node" else rel_layout(name)
        return layout

    def nodes(self, label: str, rows: Iterable[dict[str, Any]]) -> None:
        layout = self._layout("node", label)
        if not self._node_tokens or self._node_tokens[-1].name != layout.name:
            self._node_tokens.append(_Token(layout.name))
            self._size += len(layout.head)
        token = self._node_tokens[-1]
        ids, columns, allowed, value = self.ids, layout.columns[1:], layout.allowed, encode.value
        for row in rows:
            key, values = row["id"], row["props"]
            if key in ids:
                raise BulkLoadError(f"{label} {key!r}: the id is given twice")
            if not values.keys() <= allowed:
                raise BulkLoadError(f"{label} {key!r}: unknown properties {sorted(values.keys() - allowed)}")
            get = values.get
            try:
                data = value(key) + b"".join([value(get(name)) for name in columns])
            except encode.BulkValueError as exc:
                raise BulkLoadError(f"{label} {key!r}: {exc}") from None
            ids[key] = len(ids)
            token.chunks.append(data)
            token.count += 1
            self._size += len(data)
            if self._size >= self.buffer_bytes:
                self.flush()
                self._node_tokens.append(_Token(layout.name))
                self._size += len(layout.head)
                token = self._node_tokens[-1]

    def relationships(self, type_: str, rows: Iterable[dict[str, Any]]) -> None:
        layout = self._layout("rel", type_)
        ids, columns, allowed, value, ends = self.ids, layout.columns, layout.allowed, encode.value, encode.ENDS
        token = self._rel_token(layout)
        chunks = token.chunks
        pairs = self._pairs.setdefault(layout.name, set())  # one relationship of a type per pair
        for row in rows:
            values = row.get("props")
            try:
                start, end = ids[row["start"]], ids[row["end"]]
            except KeyError as exc:
                raise BulkLoadError(f"{type_} {row['start']!r} -> {row['end']!r}: no node {exc.args[0]!r}") from None
            pair = start << 40 | end
            if pair in pairs:
                raise BulkLoadError(f"{type_} {row['start']!r} -> {row['end']!r}: the relationship is given twice")
            pairs.add(pair)
            data = ends(start, end)
            if values:
                if not values.keys() <= allowed:
                    raise BulkLoadError(f"{type_} {row['start']!r} -> {row['end']!r}: unknown properties "
                                        f"{sorted(values.keys() - allowed)}")
                get = values.get
                try:
                    data += b"".join([value(get(name)) for name in columns])
                except encode.BulkValueError as exc:
                    raise BulkLoadError(f"{type_} {row['start']!r} -> {row['end']!r}: {exc}") from None
            elif columns:
                data += encode.NULL * len(columns)
            chunks.append(data)
            token.count += 1
            self._size += len(data)
            if self._size >= self.buffer_bytes:
                self.flush()
                token = self._rel_token(layout)
                chunks = token.chunks

    def _rel_token(self, layout: _Layout) -> _Token:
        token = self._rel_tokens.get(layout.name)
        if token is None:
            token = self._rel_tokens[layout.name] = _Token(layout.name)
            self._size += len(layout.head)
        return token

    def flush(self) -> None:
        """Send what is buffered (after the previous command has been answered)."""
        node_tokens = [t for t in self._node_tokens if t.count]
        rel_tokens = [t for t in self._rel_tokens.values() if t.count]
        if not node_tokens and not rel_tokens:
            return
        heads = {lay.name: lay.head for lay in self._layouts.values()}
        self._pipe.send(sum(t.count for t in node_tokens), sum(t.count for t in rel_tokens),
                        [heads[t.name] + b"".join(t.chunks) for t in node_tokens],
                        [heads[t.name] + b"".join(t.chunks) for t in rel_tokens])
        self._node_tokens, self._rel_tokens, self._size = [], {}, 0

    def finish(self) -> dict[str, int]:
        """Send the rest and wait for it; the node and relationship counts the store made."""
        try:
            self.flush()
        except BaseException:
            self._pipe.abandon()
            raise
        return self._pipe.finish()

    def abandon(self) -> None:
        self._pipe.abandon()


Batch = tuple[str, str, list[dict[str, Any]]]  # ("node" | "rel", label or type, rows)


def feed(loader: BulkLoader, batches: Iterable[Batch],
         progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Load every batch, then finish; ``progress(rows_so_far)`` after each batch."""
    done = 0
    try:
        for kind, name, rows in batches:
            if kind == "node":
                loader.nodes(name, rows)
            else:
                loader.relationships(name, rows)
            done += len(rows)
            if progress is not None:
                progress(done)
    except BaseException:
        loader.abandon()
        raise
    return loader.finish()
