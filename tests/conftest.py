"""Shared test fixtures: a real Ralph LRS (tests/ralph_lrs.py); run state kept per test."""

from pathlib import Path

import pytest

pytest_plugins = ["ralph_lrs"]


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run state that defaults to ~/.local/state goes to this test's own directory."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
