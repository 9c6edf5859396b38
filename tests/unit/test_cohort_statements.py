"""The referral cohort counters' statements (graph.analytics.cohorts): every write that
moves them, as sent (wrapped, then audited), the build and the read, checked by Neo4j's
front end; their text per dialect against snapshots; the month arithmetic against Python."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from graph.analytics import cohorts
from graph.analytics.stats import month_start
from graph.audit import Audit, Write, with_audit
from graph.cypher.dialect import DIALECTS, NEO4J, Dialect
from graph.io import importer
from graph.model import NODE_KINDS, REL_KINDS
from graph.mutations import statements as st
from graph.mutations.service import WRITABLE
from tests.cypher_lint import CypherLinter

SNAPSHOTS = Path(__file__).with_name("snapshots")
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def moving_writes(dialect: Dialect) -> dict[str, Write]:
    """Every write statement that moves the counters, by name."""
    out = {"record_order": st.record_order(dialect), "record_referral": st.record_referral(dialect),
           "merge_parties": st.merge_parties(dialect)}
    out |= {f"delete_{label}": st.delete_node(dialect, label) for label in WRITABLE}
    out |= {f"import_{label}": importer.node_batch_statement(dialect, label) for label in NODE_KINDS}
    out |= {f"import_{type_}": importer.rel_batch_statement(dialect, type_) for type_ in REL_KINDS}
    return {name: w for name, w in out.items() if w.moves is not None}


def test_the_writes_that_move_cohorts_say_so() -> None:
    assert set(moving_writes(NEO4J)) == {"record_order", "record_referral", "merge_parties", "delete_Person",
                                         "delete_Company", "delete_Product", "import_Order", "import_REFERRED",
                                         "import_PLACED"}
    # and no other write does: they touch no referral, no order and no party's orders
    assert st.record_touchpoint(NEO4J, "Interaction", "HAD", "WITH", ("Company",)).moves is None
    assert st.upsert_node(NEO4J, "Person").moves is None
    assert importer.alias_batch_statement(NEO4J).moves is None


PARAMS = {k: None for k in ("id", "props", "start", "end", "customer", "seller", "items", "referrer", "referred",
                            "company", "survivor", "merged", "withOrders", "currency", "placedAt", "rateFrom")}


def test_wrapped_writes_pass_neo4j(cypher_linter: CypherLinter) -> None:
    for name, write in moving_writes(NEO4J).items():
        params = cohorts.wrap_params(write.moves, PARAMS | {"rows": []})
        text = Write(cohorts.wrap(write, write.moves, NEO4J), write.ok)
        cypher_linter.assert_valid("CYPHER 5\n" + text, params)
        audited, with_params = with_audit(text, Audit("key:k", "op"), params, NEO4J.call_open)
        cypher_linter.assert_valid("CYPHER 5\n" + audited, with_params)


def test_build_read_and_invalidate_pass_neo4j(cypher_linter: CypherLinter) -> None:
    cypher_linter.assert_valid(cohorts.build_statement(NEO4J), {"name": "x", "now": 0, "cohortUncounted": [],
                                                                "cohortConverted": []})
    cypher_linter.assert_valid(cohorts.read_statement(NEO4J), {"name": "x", "from": 0, "to": 1})


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", ["record_referral", "import_REFERRED", "delete_Person", "build"])
def test_snapshots(dialect: str, name: str) -> None:
    d = DIALECTS[dialect]
    if name == "build":
        text = cohorts.build_statement(d)
    else:
        write = moving_writes(d)[name]
        text = cohorts.wrap(write, write.moves, d)
    path = SNAPSHOTS / f"cohorts_{name}.{dialect}.cypher"
    if UPDATE or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{path.name} changed; rerun with UPDATE_SNAPSHOTS=1 if intended"


def test_month_arithmetic_equals_python() -> None:
    """The expression itself runs in the integration tests; here its maths, evaluated the way
    Cypher does (float floor division), against the calendar, 1900-2200."""
    import math

    def evaluate(ms: int) -> int:
        days = math.floor(ms / 86_400_000)
        z = days + 719468
        era = math.floor(z / 146097)
        doe = z - era * 146097
        yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
        doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
        return int((days - doy + math.floor((153 * math.floor((5 * doy + 2) / 153) + 2) / 5)) * 86_400_000)

    rng = random.Random(5)
    samples = [rng.randrange(-2_208_988_800_000, 7_258_118_400_000) for _ in range(20_000)]
    for year in range(1900, 2200):
        for month in range(1, 13):
            first = int((datetime(year, month, 1, tzinfo=UTC) - EPOCH) / timedelta(milliseconds=1))
            samples += [first - 1, first, first + 1]
    for ms in samples:
        expected = month_start(EPOCH + timedelta(milliseconds=ms))
        assert evaluate(ms) == int((expected - EPOCH) / timedelta(milliseconds=1)), ms
    lines = cohorts.month_lines("r.at", ("r",))
    assert lines[0] == "WITH r, floor(toFloat(r.at) / 86400000.0) AS mDays" and "mDoy" in cohorts.MONTH
