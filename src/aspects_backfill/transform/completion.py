"""Transforms for completion events (filled in by the family work)."""

TRANSFORMS: dict = {}
