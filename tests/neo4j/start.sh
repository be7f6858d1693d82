#!/usr/bin/env bash
# Start a real Neo4j Community 5.26 server on 127.0.0.1 for tests, in the background.
#
#   tests/neo4j/start.sh [URI_FILE]      # URI_FILE defaults to tests/neo4j/.bolt_uri
#
# Builds tests/neo4j/launcher with Maven when the jar is missing or older than its
# sources, starts it, waits for it to report ready, writes the Bolt URI to URI_FILE and
# the PID to tests/neo4j/.pid, and prints the URI. Stop it with tests/neo4j/stop.sh.
# Environment: BRIDGEWORK_NEO4J_PASSWORD (default bridgework-test; user is neo4j),
# BRIDGEWORK_NEO4J_BOLT_PORT (default: a free port), BRIDGEWORK_NEO4J_HEAP (default 2g),
# BRIDGEWORK_NEO4J_PAGECACHE (default 512m), BRIDGEWORK_NEO4J_START_TIMEOUT (default 180 s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
launcher_dir="$here/launcher"
target="$launcher_dir/target"
jar="$target/neo4j-launcher.jar"
pid_file="$here/.pid"
uri_file="${1:-$here/.bolt_uri}"
timeout="${BRIDGEWORK_NEO4J_START_TIMEOUT:-180}"
heap="${BRIDGEWORK_NEO4J_HEAP:-2g}"
export BRIDGEWORK_NEO4J_PASSWORD="${BRIDGEWORK_NEO4J_PASSWORD:-bridgework-test}"

die() { echo "start.sh: $*" >&2; exit 1; }

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  java="$JAVA_HOME/bin/java"
else
  java="$(command -v java)" || die "java not found (install a JDK 17+ or set JAVA_HOME)"
fi
java_major="$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
[[ -n "$java_major" && "$java_major" -ge 17 ]] || die "$java is not Java 17+ (found '${java_major:-?}')"

if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  die "a server is already running (pid $(cat "$pid_file")); run tests/neo4j/stop.sh first"
fi

needs_build() {
  [[ -f "$jar" && -d "$target/lib" ]] || return 0
  [[ -n "$(find "$launcher_dir/pom.xml" "$launcher_dir/src" -type f -newer "$jar" -print -quit)" ]]
}

mkdir -p "$target"
(
  flock 9  # serialise concurrent builds (same lock file as server.py)
  if needs_build; then
    command -v mvn >/dev/null || die "mvn (Maven) not found; needed to build the Neo4j launcher"
    build_log="$target/build.log"
    if ! (cd "$launcher_dir" && mvn -B -q -Dstyle.color=never package) >"$build_log" 2>&1; then
      cat "$build_log" >&2
      die "Maven build of the Neo4j launcher failed (log: $build_log)"
    fi
    touch "$jar"  # mvn may leave an unchanged jar with an old mtime
  fi
) 9>"$target/.build.lock"

run_dir="$target/run"
mkdir -p "$run_dir"
out="$run_dir/launcher.out"
err="$run_dir/launcher.err"
: >"$out"
: >"$err"

# stdin is /dev/null here, so the launcher must not stop on stdin EOF: stop.sh sends SIGTERM.
"$java" "-Xmx$heap" -XX:+UseG1GC -jar "$jar" --no-stdin-watch </dev/null >"$out" 2>"$err" &
pid=$!
disown "$pid" 2>/dev/null || true
echo "$pid" >"$pid_file"

deadline=$((SECONDS + timeout))
uri=""
while [[ -z "$uri" ]]; do
  uri="$(sed -n 's/^BOLT_URI=//p' "$out" | head -n1)"
  [[ -n "$uri" ]] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$pid_file"
    cat "$err" >&2
    die "the Neo4j launcher exited before it was ready"
  fi
  if ((SECONDS >= deadline)); then
    cat "$err" >&2
    "$here/stop.sh" >/dev/null 2>&1 || true
    die "Neo4j did not report ready within ${timeout}s"
  fi
  sleep 0.2
done

mkdir -p "$(dirname "$uri_file")"
echo "$uri" >"$uri_file"
echo "$uri"
