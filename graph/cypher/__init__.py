"""Compile selection plans into one bounded Cypher statement per root field."""
