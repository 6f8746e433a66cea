"""Transforms for exams events (filled in by the family work)."""

TRANSFORMS: dict = {}
