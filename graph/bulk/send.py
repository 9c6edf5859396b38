"""Pre-encoded tables (``graph.bulk.columns``) into ``GRAPH.BULK`` commands of about
``buffer_bytes``, each sent on its own thread while the next is put together."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import redis

from graph.bulk import encode
from graph.bulk.columns import Encoded
from graph.bulk.load import DEFAULT_BUFFER


class EncodedSender:
    """``add`` tables with nodes in creation order (a table's ``first`` must be the
    number of nodes added before it: relationships point at internal ids by it), then
    ``finish``."""

    def __init__(self, client: redis.Redis, graph: str, buffer_bytes: int = DEFAULT_BUFFER) -> None:
        self.client = client
        self.graph = graph
        self.buffer_bytes = buffer_bytes
        self.nodes_added = 0
        self.sent = {"nodes": 0, "relationships": 0}
        self._nodes: list[tuple[bytes, list[bytes], int]] = []  # (head, bodies, count), in order
        self._rels: dict[bytes, tuple[list[bytes], list[int]]] = {}
        self._size = 0
        self._begun = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-send")
        self._in_flight: Future[tuple[int, int]] | None = None

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
        args = encode.command(self.graph, not self._begun, sum(c for _, _, c in self._nodes),
                              sum(sum(c) for _, c in self._rels.values()), node_tokens, rel_tokens)
        self._begun = True
        self._nodes, self._rels, self._size = [], {}, 0
        self._wait()
        self._in_flight = self._thread.submit(self._send, args)

    def _send(self, args: list[Any]) -> tuple[int, int]:
        answer = self.client.execute_command(*args)
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        nodes, rels = (int(part.split()[0]) for part in text.split(",")[:2])  # "N nodes created, M relations created"
        return nodes, rels

    def _wait(self) -> None:
        if self._in_flight is not None:
            nodes, rels = self._in_flight.result()
            self._in_flight = None
            self.sent["nodes"] += nodes
            self.sent["relationships"] += rels

    def finish(self) -> dict[str, int]:
        try:
            self.flush()
            self._wait()
        finally:
            self._thread.shutdown(wait=True)
        return dict(self.sent)

    def abandon(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
