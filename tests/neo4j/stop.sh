#!/usr/bin/env bash
# Stop the Neo4j test server started by tests/neo4j/start.sh: SIGTERM, wait up to
# BRIDGEWORK_NEO4J_STOP_TIMEOUT seconds (default 60), then SIGKILL.
# Removes tests/neo4j/.pid and tests/neo4j/.bolt_uri. A no-op when nothing runs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pid_file="$here/.pid"
timeout="${BRIDGEWORK_NEO4J_STOP_TIMEOUT:-60}"

if [[ ! -f "$pid_file" ]]; then
  echo "stop.sh: no $pid_file; nothing to stop"
  exit 0
fi
pid="$(cat "$pid_file")"
[[ "$pid" =~ ^[0-9]+$ ]] || { echo "stop.sh: bad pid in $pid_file: '$pid'" >&2; exit 1; }

# Only signal the process if it still is our launcher (the pid may have been reused).
is_launcher() { tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'neo4j-launcher\.jar'; }

if kill -0 "$pid" 2>/dev/null && is_launcher; then
  kill -TERM "$pid"
  deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "stop.sh: pid $pid did not stop within ${timeout}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  echo "stop.sh: stopped Neo4j (pid $pid)"
else
  echo "stop.sh: pid $pid is not running"
fi
rm -f "$pid_file" "$here/.bolt_uri"
