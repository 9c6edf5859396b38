"""Bulk initial loads: FalkorDB's ``GRAPH.BULK`` and Neo4j's ``neo4j-admin database import`` CSV."""
