"""Writes: validated, atomic (one statement each), with typed errors naming the field."""
