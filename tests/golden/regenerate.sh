#!/usr/bin/env bash
# Regenerates the golden files from the reference transformer (event-routing-backends itself).
# Run after adding or changing an input: tests/golden/regenerate.sh [INPUT.log ...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
oracle="${ERB_ORACLE:-$here/../../../shared/erb-oracle/oracle}"
inputs=("$@")
[ ${#inputs[@]} -gt 0 ] || inputs=("$here"/inputs/*.log)
for input in "${inputs[@]}"; do
  name="$(basename "$input" .log)"
  flags=()
  case "$name" in *all-events*) flags+=(--all-events) ;; esac
  "$oracle" --users "$here/users.csv" --courses "$here/courses.csv" "${flags[@]}" "$input" > "$here/expected/$name.jsonl"
  echo "wrote expected/$name.jsonl"
done
