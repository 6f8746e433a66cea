"""``aspects-backfill courses``: course metadata from Studio exports into event_sink tables."""

from .load import load_course_names

__all__ = ["load_course_names"]
