"""Pre-encoded tables (``graph.bulk.columns``) into ``GRAPH.BULK`` commands of about
``buffer_bytes``, each sent on its own thread while the next is put together."""

from __future__ import annotations

import redis

from graph.bulk.columns import Encoded
from graph.bulk.load import DEFAULT_BUFFER, CommandPipe


class EncodedSender:
    """``add`` tables with nodes in creation order (a table's ``first`` must be the
    number of nodes added before it: relationships point at internal ids by it), then
    ``finish``."""

    def __init__(self, client: redis.Redis, graph: str, buffer_bytes: int = DEFAULT_BUFFER) -> None:
        self.client = client
        self.graph = graph
        self.buffer_bytes = buffer_bytes
        self.nodes_added = 0
        self._nodes: list[tuple[bytes, list[bytes], int]] = []  # (head, bodies, count), in order
        self._rels: dict[bytes, tuple[list[bytes], list[int]]] = {}
        self._size = 0
        self._pipe = CommandPipe(client, graph)

    def add(self, table: Encoded) -> None:
        if not table.count:
            return
        if table.kind == "node":
            if table.first != self.nodes_added:
                raise ValueError(f"nodes out of creation order: {table.first} after {self.nodes_added}")
            self.nodes_added += table.count
            if self._nodes and self._nodes[-1][0] == table.head:
                head, bodies, count = self._nodes[-1]
                bodies.append(table.body)
                self._nodes[-1] = (head, bodies, count + table.count)
            else:
                self._nodes.append((table.head, [table.body], table.count))
        else:
            bodies, counts = self._rels.setdefault(table.head, ([], []))
            bodies.append(table.body)
            counts.append(table.count)
        self._size += len(table.body)
        if self._size >= self.buffer_bytes:
            self.flush()

    def flush(self) -> None:
        if not self._nodes and not self._rels:
            return
        node_tokens = [head + b"".join(bodies) for head, bodies, _ in self._nodes]
        rel_tokens = [head + b"".join(bodies) for head, (bodies, _) in self._rels.items()]
        self._pipe.send(sum(c for _, _, c in self._nodes), sum(sum(c) for _, c in self._rels.values()),
                        node_tokens, rel_tokens)
        self._nodes, self._rels, self._size = [], {}, 0

    def finish(self) -> dict[str, int]:
        try:
            self.flush()
        except BaseException:
            self._pipe.abandon()
            raise
        return self._pipe.finish()

    def abandon(self) -> None:
        self._pipe.abandon()
