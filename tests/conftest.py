"""Shared test fixtures: a real Ralph LRS (tests/ralph_lrs.py)."""

pytest_plugins = ["ralph_lrs"]
