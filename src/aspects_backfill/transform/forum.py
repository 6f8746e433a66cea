"""Transforms for forum events (filled in by the family work)."""

TRANSFORMS: dict = {}
