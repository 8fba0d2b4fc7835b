#!/usr/bin/env bash
# All local test servers at once: Kafka, Cassandra, Elasticsearch, OpenSearch (or the named ones).
#
# usage: services.sh up|down|status|clean|fetch [kafka|cassandra|elasticsearch|opensearch ...]
#   up      start each server in turn (one at a time: the machine has 2 cores) and wait until it
#           is ready; stops at the first failure, printing its log tail
#   down    stop them (in reverse order)
#   status  one line per server; exit 3 when any of them is not running
#   clean   stop them and delete their data
#   fetch   only download what they need (jars and distributions)
# Settings: see lib.sh (SPUR_CACHE, SPUR_DATA, SPUR_UP_TIMEOUT, ...) and each server's script.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL=(kafka cassandra elasticsearch opensearch)

cmd=${1:-}
shift || true
servers=("$@")
((${#servers[@]})) || servers=("${ALL[@]}")
for s in "${servers[@]}"; do
  [[ " ${ALL[*]} " == *" $s "* ]] || { echo "unknown server: $s (one of: ${ALL[*]})" >&2; exit 2; }
done

reversed() { local i; for ((i = ${#servers[@]} - 1; i >= 0; i--)); do echo "${servers[i]}"; done; }

case $cmd in
  up)
    start=$(date +%s.%N)
    for s in "${servers[@]}"; do
      bash "$here/$s.sh" up || { echo "[services] $s failed to start" >&2; exit 1; }
    done
    echo "[services] up in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s:" >&2
    for s in "${servers[@]}"; do bash "$here/$s.sh" status >&2; done
    ;;
  fetch)
    for s in "${servers[@]}"; do bash "$here/$s.sh" fetch || exit 1; done
    ;;
  down | clean)
    rc=0
    for s in $(reversed); do bash "$here/$s.sh" "$cmd" || rc=1; done
    exit $rc
    ;;
  status)
    rc=0
    for s in "${servers[@]}"; do bash "$here/$s.sh" status || rc=3; done
    exit $rc
    ;;
  *)
    echo "usage: $(basename "$0") up|down|status|clean|fetch [$(IFS='|'; echo "${ALL[*]}") ...]" >&2
    exit 2
    ;;
esac
