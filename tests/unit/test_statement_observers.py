"""The store port's statement observers: names without values, one registration per observer."""

from __future__ import annotations

from graph.store import StatementEvent, _OBSERVERS, observe_statements, statement_name


def test_statement_names_come_from_labels_and_verbs_never_values() -> None:
    assert statement_name("MATCH (x0:Entity {id: $p0}) RETURN x0", write=False) == "read Entity"
    assert statement_name("UNWIND $rows AS r MERGE (n:Person {id: r.id}) SET n += r.props", write=True) == \
        "write MERGE Person"
    assert statement_name("CALL db.indexes() YIELD label", write=False) == "read db.indexes"
    assert statement_name("RETURN 1", write=False) == "read other"
    assert statement_name("MATCH (n:Person) WHERE n.name = 'Robert'); DROP' RETURN n", write=False) == "read Person"


def test_one_observer_registered_twice_is_told_once_until_both_remove_it() -> None:
    seen: list[StatementEvent] = []

    def observer(event: StatementEvent) -> None:
        seen.append(event)

    first, second = observe_statements(observer), observe_statements(observer)
    assert _OBSERVERS.count(observer) == 1
    first()
    first()  # removing twice is harmless
    assert observer in _OBSERVERS
    second()
    assert observer not in _OBSERVERS
