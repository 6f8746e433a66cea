#!/usr/bin/env bash
# Rebuilds the ClickHouse test input from event-routing-backends' own fixtures (../shared) and the
# oracle's statements for it (fixture defaults: every user is the fixture learner). Input: every
# then ERB's real tracking.log excerpt. Run: tests/clickhouse_data/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${SHARED:-$here/../../../shared}"
python3 - "$shared/erb-fixtures" > "$here/erb-fixtures.log" <<'PY'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
for path in sorted((root / "current").glob("*.json")):
    event = json.loads(path.read_text())
    event["event"] = event.pop("data", {})
    print(json.dumps(event))
sys.stdout.write((root / "management_command" / "tracking.log").read_text())
PY
"$shared/erb-oracle/oracle" --all-events \
  "$here/erb-fixtures.log" > "$here/erb-fixtures.oracle.jsonl"
echo "wrote erb-fixtures.log and erb-fixtures.oracle.jsonl"
