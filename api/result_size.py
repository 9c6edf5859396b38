"""A response byte cap, enforced when serialising: ``RESULT_TOO_LARGE`` instead of a huge body.

The cost estimate bounds the rows of a request before it runs; strings make the bytes of
a row unbounded in principle, so the encoder also counts bytes. It first walks the result
with an early exit (no copy is built when the result is over the cap), then encodes, then
checks the exact length (non-ASCII text weighs more than it counts). After a large body
the allocator is asked to give freed memory back to the system, so the process returns
to its level after the request.
"""

from __future__ import annotations

import ctypes
import gc
from contextvars import ContextVar
from typing import Any

import orjson

RELEASE_AFTER = 4 * 1024 * 1024  # bytes of a body after which freed memory is handed back
_SEQUENCES = (list, tuple)  # a tuple: ``list | tuple`` would build a union for every value
LARGE: ContextVar[bool] = ContextVar("crmgraph_large_result", default=False)


def over(data: Any, max_bytes: int) -> bool:
    """Whether ``data`` as JSON needs more than ``max_bytes`` (a lower bound of its size,
    counted until it passes the cap)."""
    left = max_bytes
    stack = [data]
    push = stack.append
    while stack:
        value = stack.pop()
        kind = type(value)
        # Plain strings, dicts and lists (what a completed result is made of) by their
        # exact type, their scalar members counted in the loop; anything else below.
        if kind is dict:
            left -= 2
            for key, item in value.items():
                member = type(item)
                if member is str:
                    left -= len(key) + len(item) + 6
                elif member is dict or member is list:
                    left -= len(key) + 4
                    push(item)
                else:
                    left -= len(key) + 4
                    if member is not int and member is not bool and item is not None:
                        push(item)
                    else:
                        left -= 4
        elif kind is list:
            left -= 2 + len(value)
            for item in value:
                member = type(item)
                if member is str:
                    left -= len(item) + 2
                elif member is int or member is bool or item is None:
                    left -= 4
                else:
                    push(item)
        elif isinstance(value, str):
            left -= len(value) + 2
        elif isinstance(value, dict):
            left -= 2
            for key, item in value.items():
                left -= len(key) + 4
                push(item)
        elif isinstance(value, _SEQUENCES):
            left -= 2 + len(value)
            stack.extend(value)
        else:
            left -= 4
        if left < 0:
            return True
    return False


def too_large(max_bytes: int, extensions: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": None, "errors": [{
        "message": f"the response would be over {max_bytes:,} bytes; ask for fewer fields, smaller "
                   "pages or fewer aliases",
        "extensions": {"code": "RESULT_TOO_LARGE", "limit": "bytes", "maxBytes": max_bytes},
    }]}
    if extensions:
        body["extensions"] = extensions
    return body


def _extensions(data: Any) -> Any:
    return data.get("extensions") if isinstance(data, dict) else None


def release_memory() -> None:
    """Collect garbage and return free heap pages to the system (glibc), if possible."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused, not returned
        pass


def encode_bounded(data: Any, max_bytes: int) -> bytes:
    """``data`` as JSON, or a ``RESULT_TOO_LARGE`` error body when it is over ``max_bytes``.
    Marks the request ``LARGE`` when its result was big, so the view releases memory once
    the result is gone."""
    if over(data, max_bytes):
        LARGE.set(True)
        return orjson.dumps(too_large(max_bytes, _extensions(data)))
    body = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    if len(body) > RELEASE_AFTER:
        LARGE.set(True)
    if len(body) > max_bytes:
        return orjson.dumps(too_large(max_bytes, _extensions(data)))
    return body
