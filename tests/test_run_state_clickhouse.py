"""The run state kept in ClickHouse (real chDB, in a child process: one chDB path per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parent.parent / "src"

SCRIPT = """
import sys
from aspects_backfill.clickhouse.connection import open_clickhouse
from aspects_backfill.clickhouse.run_state import ClickHouseStateStore
from aspects_backfill.state import ObjectState, RunState

ch = open_clickhouse("chdb:" + sys.argv[1])
store, other = ClickHouseStateStore(ch, "key-a"), ClickHouseStateStore(ch, "key-b")
assert store.load() is None
state = RunState("key-a", run_id="r1", sink_mark={"seq": 1})
for lines in range(1, 6):  # saves in quick succession: the newest wins
    state.objects["s3://b/x.gz"] = ObjectState(10, "etag", lines, None, lines == 5)
    store.save(state)
other.save(RunState("key-b"))
again = ClickHouseStateStore(ch, "key-a").load()
assert again.objects["s3://b/x.gz"].lines == 5 and again.objects["s3://b/x.gz"].done, again
assert again.run_id == "r1" and again.sink_mark == {"seq": 1}
store.clear()
assert store.load() is None and other.load() is not None
print("ok")
"""


def test_saves_load_newest_and_clear(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
