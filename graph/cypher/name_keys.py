"""Keeping every named node's sort key (``graph.sort_keys``) equal to its name's.

Every write this service makes sets a name's key in the same statement. What is left: a
graph written by an older version has names without keys, which each horizon refresh
gives them (``backfill_name_keys``: the name windows and key ranges stay off until none
is left); and a writer that does not know about keys (an older version still running
during a rolling upgrade, Cypher typed by hand) can leave a key that no longer matches a
renamed name, which only a full check finds (``recheck_name_keys``, run by ``crmgraph
analytics refresh --recount``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from graph.model import ENTITY, NAME_KEY, NAME_KEYED
from graph.sort_keys import CHARS, name_keys

if TYPE_CHECKING:
    from graph.store import Store

BACKFILL_ROWS = 5000
KEY_END = 98 ** CHARS  # every key is below this
log = logging.getLogger("crmgraph.name_keys")


def _named(label: str) -> None:
    """Labels come from the model only: a kind that holds name keys."""
    if label not in NAME_KEYED:
        raise ValueError(f"{label} has no name key")


def unkeyed_statement(label: str) -> str:
    """Up to ``$limit`` nodes of a named kind that have no name key yet."""
    _named(label)
    return "\n".join([
        f"MATCH (n:{label})",
        f"WHERE n.{NAME_KEY} IS NULL",
        "RETURN n.id AS id, n.name AS name",
        "LIMIT $limit",
    ])


def set_keys_statement(label: str) -> str:
    """Keys for ``$rows`` read by ``unkeyed_statement``; a node renamed meanwhile was given
    its key by that write and is left alone."""
    _named(label)
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (n:{ENTITY} {{id: row.id}})",
        f"WHERE n:{label} AND n.{NAME_KEY} IS NULL AND coalesce(n.name, '') = row.name",
        f"SET n.{NAME_KEY} = row.key",
        "RETURN count(n) AS keyed",
    ])


class UnkeyedNames(RuntimeError):
    """Named nodes that keep having no key: the name windows and ranges stay off."""


async def backfill_name_keys(store: Store, batch: int = BACKFILL_ROWS) -> int:
    """Give every named node without a key its key, until none is left (other workers may
    be keying the same nodes: a batch they took is simply read no more); how many this
    process keyed. UnkeyedNames when a read returns the same nodes twice and none of them
    could be keyed (a name that is no string)."""
    done = 0
    for label in NAME_KEYED:
        stuck: set[str] = set()
        while rows := await store.read(unkeyed_statement(label), {"limit": batch}):
            ids = {row["id"] for row in rows}
            names = [row["name"] if isinstance(row["name"], str) else "" for row in rows]
            keys = name_keys(names).tolist()
            written = await store.write(set_keys_statement(label), {
                "rows": [{"id": row["id"], "name": name, "key": key} for row, name, key in zip(rows, names, keys)]})
            keyed = written[0]["keyed"] if written else 0
            done += keyed
            if keyed == 0 and ids == stuck:
                raise UnkeyedNames(f"{len(ids)} {label} nodes cannot be given a name key, e.g. {sorted(ids)[0]}")
            stuck = ids if keyed == 0 else set()
    if done:
        log.info("gave %d named nodes their sort key", done)
    return done


def key_range_statement(label: str) -> str:
    """The named nodes whose key is in ``[$low, $high)``: read through the key's index."""
    _named(label)
    return "\n".join([
        f"MATCH (n:{label})",
        f"WHERE n.{NAME_KEY} >= $low AND n.{NAME_KEY} < $high",
        f"RETURN n.id AS id, n.name AS name, n.{NAME_KEY} AS key",
    ])


def fix_keys_statement(label: str) -> str:
    """New keys for ``$rows``, where the node still has the name and key that were read."""
    _named(label)
    return "\n".join([
        "UNWIND $rows AS row",
        f"MATCH (n:{ENTITY} {{id: row.id}})",
        f"WHERE n:{label} AND n.{NAME_KEY} = row.old AND coalesce(n.name, '') = row.name",
        f"SET n.{NAME_KEY} = row.key",
        "RETURN count(n) AS fixed",
    ])


async def recheck_name_keys(store: Store, batch: int = BACKFILL_ROWS) -> int:
    """Compare every named node's key with its name's and correct those that differ;
    how many were corrected. Walks the key space in ranges the index answers, each about
    ``batch`` nodes (the range narrows where keys are dense and widens where sparse)."""
    fixed = 0
    for label in NAME_KEYED:
        low, step = 0, max(KEY_END // 4096, 1)
        while low < KEY_END:
            high = min(low + step, KEY_END)
            rows = await store.read(key_range_statement(label), {"low": low, "high": high})
            if len(rows) > 4 * batch and step > 1:
                step = max(step // 8, 1)
                continue
            names = [row["name"] if isinstance(row["name"], str) else "" for row in rows]
            wrong = [{"id": row["id"], "name": name, "old": row["key"], "key": key}
                     for row, name, key in zip(rows, names, name_keys(names).tolist()) if row["key"] != key]
            if wrong:
                written = await store.write(fix_keys_statement(label), {"rows": wrong})
                fixed += written[0]["fixed"] if written else 0
            low = high
            if len(rows) < batch // 2:
                step *= 2
    if fixed:
        log.warning("corrected %d name keys that did not match their names", fixed)
    return fixed
