"""A real Ralph LRS for tests (../shared/ralph-lrs), started on a free 127.0.0.1 port and stopped after.

tests/conftest.py registers this module as a plugin, so tests just ask for ``ralph`` or ``second_ralph``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SCRIPT = Path(
    os.environ.get("RALPH_LRS", Path(__file__).resolve().parents[2] / "shared" / "ralph-lrs" / "ralph-lrs")
)
USERNAME, PASSWORD = "backfill", "backfill-secret"


class Ralph:
    def __init__(self, directory: Path, port: int) -> None:
        self.dir = directory
        self.port = port
        self.base = f"http://127.0.0.1:{port}/xAPI/"

    @property
    def dest(self) -> str:
        return f"lrs+{self.base}"

    def stored(self) -> list[dict]:
        """Every statement in Ralph's store file, repeats included (what exactly-once is checked on)."""
        path = self.dir / "data" / "fs_lrs.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def get_all(self) -> list[dict]:
        """Every statement through the xAPI GET resource, following ``more`` links."""
        found: list[dict] = []
        with httpx.Client(auth=(USERNAME, PASSWORD), headers={"X-Experience-API-Version": "1.0.3"}) as c:
            url = httpx.URL(self.base).join("statements?limit=100")
            while True:
                page = c.get(url).raise_for_status().json()
                found.extend(page["statements"])
                if not page.get("more") or not page["statements"]:
                    return found
                url = url.join(page["more"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path) -> Iterator[Ralph]:
    if not SCRIPT.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Ralph test LRS missing at {SCRIPT} (../shared is required in CI)")
        pytest.skip(f"Ralph test LRS not found at {SCRIPT}")
    port = _free_port()
    started = subprocess.run(
        [str(SCRIPT), "start", str(tmp), str(port)], timeout=600, capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.fail(f"Ralph did not start: {started.stderr[-2000:]}")
    try:
        yield Ralph(tmp, port)
    finally:
        subprocess.run([str(SCRIPT), "stop", str(tmp)], check=False, timeout=60)


@pytest.fixture(scope="session")
def ralph(tmp_path_factory) -> Iterator[Ralph]:
    yield from _start(tmp_path_factory.mktemp("ralph"))


@pytest.fixture(scope="session")
def second_ralph(tmp_path_factory) -> Iterator[Ralph]:
    yield from _start(tmp_path_factory.mktemp("ralph2"))
