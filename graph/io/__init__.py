"""Bulk import and export: JSON Lines and CSV, streamed in batches."""
