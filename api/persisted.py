"""Trusted documents and automatic persisted queries.

``CRMGRAPH_TRUSTED_DOCUMENTS`` names a JSON file mapping a role to the documents it may
run, e.g. ``{"partner": ["query Chain($id: ID!) { supplyChain(companyId: $id) { ... } }"]}``.
A role listed there is *restricted*: it runs only those documents (matched by the sha256
of their exact text); anything else is refused with ``FORBIDDEN_DOCUMENT``. Roles not
listed run any document.

Clients may send only the hash, as in Apollo's persisted-query protocol:
``{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}``. The hash is
looked up among the trusted documents, then among documents this worker has already seen
with their hash (unrestricted roles only; at most ``APQ_CACHE`` of them); unknown is
``PERSISTED_QUERY_NOT_FOUND``, and the client sends the hash with the text to register it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from graph.access import Role

APQ_CACHE = 1000


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass
class DocumentRefused(Exception):
    code: str  # PERSISTED_QUERY_NOT_FOUND, FORBIDDEN_DOCUMENT, BAD_REQUEST
    message: str

    def body(self) -> dict[str, Any]:
        return {"data": None, "errors": [{"message": self.message, "extensions": {"code": self.code}}]}


class TrustedDocuments:
    def __init__(self, by_role: dict[Role, dict[str, str]] | None = None) -> None:
        self._by_role = by_role or {}
        self._known: dict[str, str] = {h: d for docs in self._by_role.values() for h, d in docs.items()}
        self._seen: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def load(cls, path: Path | None) -> TrustedDocuments:
        if path is None:
            return cls()
        try:
            raw = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise RuntimeError(f"CRMGRAPH_TRUSTED_DOCUMENTS: cannot read {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise RuntimeError("CRMGRAPH_TRUSTED_DOCUMENTS: expected an object {role: [document, ...]}")
        by_role: dict[Role, dict[str, str]] = {}
        for role, documents in raw.items():
            if role not in {r.value for r in Role}:
                raise RuntimeError(f"CRMGRAPH_TRUSTED_DOCUMENTS: unknown role {role!r}")
            if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
                raise RuntimeError(f"CRMGRAPH_TRUSTED_DOCUMENTS: {role}: expected a list of documents")
            by_role[Role(role)] = {sha256(d): d for d in documents}
        return cls(by_role)

    @property
    def active(self) -> bool:
        """Whether any role is restricted (else only hash-only requests need a look)."""
        return bool(self._by_role)

    def restricted(self, role: Role) -> bool:
        return role in self._by_role

    def resolve(self, role: Role, request: dict[str, Any]) -> bool:
        """Fill in or check ``request['query']``; True when the request was changed."""
        extensions = request.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        query = request.get("query")
        if persisted is not None and not isinstance(digest, str):
            raise DocumentRefused("BAD_REQUEST", "extensions.persistedQuery.sha256Hash must be a string")
        allowed = self._by_role.get(role)
        if isinstance(query, str):
            text_hash = sha256(query)
            if digest is not None and digest != text_hash:
                raise DocumentRefused("BAD_REQUEST", "extensions.persistedQuery.sha256Hash does not match the query")
            if allowed is not None and text_hash not in allowed:
                raise DocumentRefused("FORBIDDEN_DOCUMENT", "this document is not among the trusted documents "
                                      f"of role {role.value}")
            if digest is not None and allowed is None:
                self._remember(text_hash, query)
            return False
        if digest is None:
            return False  # no query and no hash: GraphQL itself says what is missing
        document = allowed.get(digest) if allowed is not None else (self._known.get(digest) or self._seen.get(digest))
        if document is None:
            raise DocumentRefused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        request["query"] = document
        return True

    def _remember(self, digest: str, query: str) -> None:
        self._seen[digest] = query
        self._seen.move_to_end(digest)
        while len(self._seen) > APQ_CACHE:
            self._seen.popitem(last=False)
