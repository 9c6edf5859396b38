"""The bounds every request's input is held to, before anything runs.

One place for the figures (README.md "Input bounds" documents each), and the error a
read raises when one is crossed: ``INPUT_TOO_LARGE``, naming the argument and the bound.
"""

from __future__ import annotations

from graph.cypher.errors import QueryInputError

MAX_BODY_BYTES = 1_048_576
"""A request body (the JSON of document and variables): 1 MiB; more is HTTP 413."""
MAX_DOCUMENT_CHARS = 50_000
"""The GraphQL document's length in characters (the token limit also holds)."""
MAX_VARIABLES_DEPTH = 32
"""Objects and lists nested inside ``variables``."""
MAX_VARIABLES_LIST = 1_000
"""Items in any one list inside ``variables``."""
MAX_VARIABLES_VALUES = 20_000
"""Values (scalars, objects and lists) in ``variables`` altogether."""

MAX_FILTER_DEPTH = 8
"""``AND``/``OR``/``NOT`` nested inside one filter argument (a literal or a variable)."""
MAX_FILTER_TERMS = 200
"""Operators and ``AND``/``OR``/``NOT`` terms in one filter argument altogether."""
MAX_IN_VALUES = 1_000
"""Values in the ``in`` and ``notIn`` lists of one filter argument altogether."""


class InputTooLargeError(QueryInputError):
    """An input crosses one of the bounds above."""

    code = "INPUT_TOO_LARGE"

    def __init__(self, argument: str, reason: str, limit: int) -> None:
        super().__init__(argument, reason)
        self.limit = limit
