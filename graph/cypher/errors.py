"""Errors a request can cause while its plan is compiled. Each names the argument."""

from __future__ import annotations


class QueryInputError(ValueError):
    """Bad input in a read: the message says which argument and why."""

    code = "BAD_USER_INPUT"

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"{argument}: {reason}")
        self.argument = argument
        self.reason = reason


class CursorError(QueryInputError):
    code = "INVALID_CURSOR"


class PageSizeError(QueryInputError):
    code = "PAGE_SIZE_EXCEEDED"


class QueryTooComplexError(QueryInputError):
    code = "QUERY_TOO_COMPLEX"


class InvalidIdError(QueryInputError):
    code = "INVALID_ID"


class OutOfScopeError(QueryInputError):
    """A partner asked for something rooted outside its company's scope. The message is
    the same whether or not the thing exists."""

    code = "OUT_OF_SCOPE"
