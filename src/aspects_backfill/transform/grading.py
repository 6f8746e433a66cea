"""Transforms for grading events (filled in by the family work)."""

TRANSFORMS: dict = {}
