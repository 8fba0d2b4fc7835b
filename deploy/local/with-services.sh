#!/usr/bin/env bash
# Run a command with the local test servers up, then stop them, whatever happens; exits with the
# command's status.
#
# usage: with-services.sh <command...>      e.g. with-services.sh cargo test --workspace
#
# SPUR_SERVICES chooses the servers (default: all four; an empty value starts none). The test
# variables SPUR_TEST_KAFKA, SPUR_TEST_CASSANDRA, SPUR_TEST_ES and SPUR_TEST_OPENSEARCH get their
# local defaults unless already set.
#
# Sharing: servers that were running before (e.g. from `make services-up`) are left running.
# Several with-services runs may overlap on one machine (e.g. two `make test`): they share the
# servers, and the last run to finish stops the ones that a with-services run started.
# shellcheck disable=SC2317 # finish runs from the EXIT trap
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($#)) || {
  echo "usage: $(basename "$0") <command...>" >&2
  exit 2
}
log() { printf '[with-services] %s\n' "$*" >&2; }

data=${SPUR_DATA:-$here/.data}
mkdir -p "$data"
read -r -a servers <<<"${SPUR_SERVICES-kafka cassandra elasticsearch opensearch}"
lock_wait=$((${SPUR_FETCH_TIMEOUT:-1200} + 4 * ${SPUR_UP_TIMEOUT:-240}))

# fd 8: held shared by every run while its command runs; fd 9: serializes starting and stopping.
exec 8>"$data/.with-services.users" 9>"$data/.with-services.control"
flock -w "$lock_wait" 9 || {
  log "gave up waiting for another run to finish starting or stopping servers"
  exit 1
}

finish() {
  local rc=$?
  trap - EXIT INT TERM
  flock -w "$lock_wait" 9 || true
  flock -u 8
  if flock -n -x 8; then
    # No other run is using the servers: stop those that a with-services run started.
    local s marked=()
    for s in kafka cassandra elasticsearch opensearch; do
      [[ -f $data/.started-by-with-services.$s ]] && marked+=("$s")
    done
    if ((${#marked[@]})); then
      log "stopping ${marked[*]}"
      bash "$here/services.sh" down "${marked[@]}" 8>&- 9>&-
      for s in "${marked[@]}"; do rm -f "$data/.started-by-with-services.$s"; done
    fi
  else
    log "another run is still using the servers: leaving them up for it to stop"
  fi
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for s in "${servers[@]}"; do
  if ! bash "$here/$s.sh" status >/dev/null 2>&1 8>&- 9>&-; then
    touch "$data/.started-by-with-services.$s"
  fi
done
if ((${#servers[@]})); then
  bash "$here/services.sh" up "${servers[@]}" 8>&- 9>&- || {
    log "the servers did not come up; not running: $*"
    exit 1
  }
fi
flock -s 8
flock -u 9

export SPUR_TEST_KAFKA=${SPUR_TEST_KAFKA:-127.0.0.1:9092}
export SPUR_TEST_CASSANDRA=${SPUR_TEST_CASSANDRA:-127.0.0.1:9042}
export SPUR_TEST_ES=${SPUR_TEST_ES:-http://127.0.0.1:9200}
export SPUR_TEST_OPENSEARCH=${SPUR_TEST_OPENSEARCH:-http://127.0.0.1:9201}

# The command must not hold the locks (a server it starts would keep them).
"$@" 8>&- 9>&-
exit $?
