"""A name's key never orders two names against the order both stores give them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from graph.sort_keys import CHARS, keyed, name_key, name_keys

# Characters where the key's rule changes: NUL, ASCII, DEL, Latin-1, the BMP either side of
# the surrogates (UTF-16 and code point order disagree past U+D800), astral planes.
ALPHABET = st.sampled_from(["\x00", " ", "0", "9", "A", "Z", "a", "z", "~", "\x7f", "é", "ÿ", "Ā", "中",
                            "\ud7ff", "\ue000", "\uffff", "😀", "\U0010ffff"])
NAMES = st.lists(ALPHABET, max_size=CHARS + 3).map("".join) | st.text(max_size=14)


def utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


@given(NAMES, NAMES)
def test_the_key_never_reverses_two_names(a: str, b: str) -> None:
    if a < b:  # FalkorDB: by code point
        assert name_key(a) <= name_key(b)
    if utf16(a) < utf16(b):  # Neo4j: by UTF-16 unit
        assert name_key(a) <= name_key(b)


@given(st.lists(NAMES, max_size=20))
def test_one_at_a_time_or_all_at_once(names: list[str]) -> None:
    assert name_keys(names).tolist() == [name_key(n) for n in names]


@given(NAMES)
def test_a_key_is_exact_as_a_double(name: str) -> None:
    """The index holds doubles; integers that collide as doubles made it build slowly."""
    key = name_key(name)
    assert 0 <= key < 2**53 and int(float(key)) == key


def test_keys_tell_names_apart_up_to_their_first_characters() -> None:
    assert name_key(None) == name_key("") == 0
    assert 0 < name_key("A") < name_key("Ab") < name_key("B") < name_key("a") < name_key("é")
    assert name_key("a") < name_key("a\x00") < name_key("a ")  # a NUL is a character, below space
    assert name_key("John Smi") < name_key("John Smo")
    assert name_key("John Smith") == name_key("John Smithson")  # past the key's characters
    assert name_key("Émile") == name_key("Éva")  # past the first character from DEL up


def test_a_write_of_a_name_carries_its_key() -> None:
    assert keyed("Person", {"name": "Ann", "city": "Oslo"}) == {"name": "Ann", "city": "Oslo",
                                                                "nameKey": name_key("Ann")}
    assert keyed("Person", {"city": "Oslo"}) == {"city": "Oslo"}  # the name is not touched
    assert keyed("Order", {"status": "open"}) == {"status": "open"}
