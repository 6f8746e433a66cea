"""``aspects-backfill courses``: course metadata from Studio exports into event_sink tables."""

from .load import course_names_from_destination, load_course_names

__all__ = ["course_names_from_destination", "load_course_names"]
