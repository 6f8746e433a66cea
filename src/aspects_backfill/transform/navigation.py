"""Transforms for navigation events (filled in by the family work)."""

TRANSFORMS: dict = {}
