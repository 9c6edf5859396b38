"""Parse and validate a document once: a bounded LRU cache keyed by the document text.

graphql-core spent most of a request re-validating the same document (about half the
server's time on the customer-360 load, py-spy). Strawberry's ``ValidationCache`` keys
its entries on the rule classes, and the depth and alias limiters make new rule classes
for every request, so it never hits here; this cache keys on the text and the *names* of
the rules instead, which stay the same for one schema.

Everything decided from the text alone is cached with it: the parsed document, and the
validation errors including the depth, alias and introspection rules' verdicts (the token
limit is enforced by the parser, so only documents within it are ever cached). Nothing
that depends on the caller is: ``RolePermissions`` runs at every root field of every
request. The operation name and variables do not change parsing or validation, so they
are not part of the key. A document that fails to parse is not cached; the normal parse
reports its error.

A document that passed every validation rule also gets a fast-path entry (``validated``,
``fast_entry``): its compiled plans per operation name and variables, kept as long as the
entry (``schema.fastpath``), bounded like the rest of the cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.fastpath import FastEntry

DEFAULT_SIZE = 256
MAX_CACHED_TEXT = 64 * 1024  # characters; longer documents are parsed every time


class DocumentLRU:
    """Parsed documents and their validation errors, most recently used last."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._documents: OrderedDict[tuple[str, tuple[Any, ...]], DocumentNode] = OrderedDict()
        self._errors: OrderedDict[tuple[Any, ...], list[GraphQLError]] = OrderedDict()
        # Documents that passed every validation rule of the schema, with their compiled
        # plans (``schema.fastpath``): the fast path serves only these.
        self._fast: OrderedDict[str, FastEntry] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._documents)

    def _put(self, store: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        with self._lock:
            store[key] = value
            store.move_to_end(key)
            while len(store) > self.size:
                store.popitem(last=False)

    def _get(self, store: OrderedDict[Any, Any], key: Any) -> Any:
        with self._lock:
            value = store.get(key)
            if value is not None:
                store.move_to_end(key)
            return value

    def document(self, text: str, options: dict[str, Any]) -> DocumentNode | None:
        """The parsed document, or None when it does not parse (the caller reports why)."""
        if len(text) > MAX_CACHED_TEXT:
            return None
        key = (text, tuple(sorted(options.items())))
        found = self._get(self._documents, key)
        if found is not None:
            self.hits += 1
            return found  # type: ignore[no-any-return]
        self.misses += 1
        try:
            document = parse(text, **options)
        except GraphQLError:
            return None
        self._put(self._documents, key, document)
        return document

    def validated(self, text: str, document: DocumentNode) -> None:
        """``text`` parsed into ``document`` and passed every validation rule."""
        if len(text) <= MAX_CACHED_TEXT and self._get(self._fast, text) is None:
            self._put(self._fast, text, FastEntry(document))

    def fast_entry(self, text: str) -> FastEntry | None:
        """The fast-path entry of a validated document, or None."""
        return self._get(self._fast, text)  # type: ignore[no-any-return]

    def errors(self, text: str, schema: Any, document: DocumentNode, rules: tuple[type, ...]) -> list[GraphQLError]:
        key = (text, id(schema), tuple(f"{r.__module__}.{r.__qualname__}" for r in rules))
        found = self._get(self._errors, key)
        if found is None:
            found = validate_document(schema, document, rules)
            self._put(self._errors, key, found)
        return list(found)  # callers may extend it; the cached list stays as it was


class DocumentCache(SchemaExtension):
    """Serves parsing and validation from a ``DocumentLRU`` shared by every request."""

    def __init__(self, *, cache: DocumentLRU) -> None:
        self.cache = cache

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            ctx.graphql_document = self.cache.document(ctx.query, ctx.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if (ctx.pre_execution_errors is None and document is not None and ctx.query
                and len(ctx.query) <= MAX_CACHED_TEXT and ctx.validation_rules):
            ctx.pre_execution_errors = self.cache.errors(
                ctx.query, ctx.schema._schema, document, tuple(ctx.validation_rules))
            if not ctx.pre_execution_errors:
                self.cache.validated(ctx.query, document)
        yield
