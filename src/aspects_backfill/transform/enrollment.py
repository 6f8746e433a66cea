"""Transforms for enrollment events (filled in by the family work)."""

TRANSFORMS: dict = {}
