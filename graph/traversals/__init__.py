"""Multi-hop questions, each compiled to one bounded statement per dialect.

Every traversal takes a depth (default 3, at most 10) and a fan-out limit; it returns
the first nodes by distance and says when it cut the rest. Variable-length patterns
never repeat a relationship within a path, so cycles end; results are keyed by node id,
so a node reached twice appears once, at its shortest distance.
"""
