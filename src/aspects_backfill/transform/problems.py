"""Transforms for problems events (filled in by the family work)."""

TRANSFORMS: dict = {}
