# shellcheck shell=bash disable=SC2153 # SEARCH_* inputs are set by the sourcing script
# Shared helpers for the local test servers (sourced by kafka.sh, cassandra.sh, elasticsearch.sh,
# opensearch.sh, services.sh). Owns: where downloads and data live, Maven fetching, pid files,
# readiness waits with timeouts, log tails on failure, and the unprivileged user for the search
# servers.
#
# Settings (environment, all optional):
#   SPUR_CACHE          download/build cache             (default ~/.cache/spur)
#   SPUR_DATA           server data, logs and pid files  (default deploy/local/.data)
#   SPUR_M2_REPO        Maven local repository           (default ~/.m2/repository)
#   SPUR_JAVA_HOME      JDK 17 used for every server     (default: the `java` on PATH if it is 17)
#   SPUR_SERVICE_USER   unprivileged user for ES/OpenSearch when run as root (default spur-search)
#   SPUR_UP_TIMEOUT     seconds one server may take to become ready (default 240)
#   SPUR_DOWN_TIMEOUT   seconds one server may take to stop before SIGKILL (default 60)
#   SPUR_FETCH_TIMEOUT  seconds one download step may take (default 1200)

set -euo pipefail

SPUR_LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SPUR_CACHE=${SPUR_CACHE:-$HOME/.cache/spur}
SPUR_DATA=${SPUR_DATA:-$SPUR_LOCAL_DIR/.data}
SPUR_M2_REPO=${SPUR_M2_REPO:-$HOME/.m2/repository}
SPUR_SERVICE_USER=${SPUR_SERVICE_USER:-spur-search}
SPUR_UP_TIMEOUT=${SPUR_UP_TIMEOUT:-240}
SPUR_DOWN_TIMEOUT=${SPUR_DOWN_TIMEOUT:-60}
SPUR_FETCH_TIMEOUT=${SPUR_FETCH_TIMEOUT:-1200}
SPUR_SERVERS_CACHE=$SPUR_CACHE/servers
# Pinned so that a run never resolves a different version by surprise.
SPUR_MVN_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

mkdir -p "$SPUR_DATA" "$SPUR_SERVERS_CACHE"
SPUR_DATA=$(cd "$SPUR_DATA" && pwd)

# ---------------------------------------------------------------------------------------------
# messages

spur_log() { printf '[%s] %s\n' "${SPUR_NAME:-spur}" "$*" >&2; }
spur_die() { printf '[%s] ERROR: %s\n' "${SPUR_NAME:-spur}" "$*" >&2; exit 1; }

# Seconds since the epoch with millisecond precision, and elapsed seconds since a start value.
spur_now() { date +%s.%N | cut -c1-14; }
spur_since() { awk -v a="$1" -v b="$(spur_now)" 'BEGIN { printf "%.1f", b - a }'; }

# Print the last lines of each existing log file, for a failure report.
spur_log_tail() {
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    printf '\n----- last 60 lines of %s -----\n' "$f" >&2
    tail -n 60 "$f" >&2
    printf -- '----- end of %s -----\n' "$f" >&2
  done
}

# ---------------------------------------------------------------------------------------------
# Java and Maven

# The JDK 17 home every server runs on (Cassandra 5.0 supports 11 and 17; Elasticsearch 8 and
# OpenSearch 2 run on 17).
spur_java_home() {
  if [[ -n ${SPUR_JAVA_HOME:-} ]]; then
    echo "$SPUR_JAVA_HOME"
    return
  fi
  local java candidate
  if java=$(command -v java 2>/dev/null); then
    candidate=$(dirname "$(dirname "$(readlink -f "$java")")")
    if [[ $(spur_java_major "$candidate") == 17 ]]; then
      echo "$candidate"
      return
    fi
  fi
  for candidate in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/*-17-*; do
    if [[ -x $candidate/bin/java && $(spur_java_major "$candidate") == 17 ]]; then
      echo "$candidate"
      return
    fi
  done
  spur_die "no JDK 17 found: install openjdk-17-jdk-headless or set SPUR_JAVA_HOME"
}

spur_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    awk -F'= ' '/java.specification.version/ { print $2 }'
}

# Resolve the JDK once, in the calling shell (a failure in a command substitution would not stop
# the script); sets SPUR_JAVA_HOME and SPUR_JAVA.
spur_init_java() {
  SPUR_JAVA_HOME=$(spur_java_home)
  SPUR_JAVA=$SPUR_JAVA_HOME/bin/java
  export SPUR_JAVA_HOME SPUR_JAVA
}

# mvn, non-interactive, quiet, against the chosen local repository and bounded in time.
spur_mvn() {
  command -v mvn >/dev/null || spur_die "mvn not found: install maven (apt-get install maven)"
  # Maven 3.8 prints colour resets even in batch mode: strip them.
  JAVA_HOME=$SPUR_JAVA_HOME timeout "$SPUR_FETCH_TIMEOUT" \
    mvn -B -q -ntp -Dstyle.color=never -Dmaven.repo.local="$SPUR_M2_REPO" "$@" 2>&1 |
    sed -u 's/\x1b\[[0-9;]*m//g'
}

# spur_fetch_jars DIR POM_TEXT: the runtime dependency tree of POM_TEXT, copied once into
# DIR/lib-<hash of the pom>; sets SPUR_LIB to that directory. A complete directory is never
# rewritten (a running server keeps reading its jars), so a changed pom gets a new directory.
spur_fetch_jars() {
  local dir=$1 pom=$2 stamp
  stamp=$(printf '%s' "$pom" | sha256sum | cut -c1-16)
  SPUR_LIB=$dir/lib-$stamp
  if [[ -f $SPUR_LIB/.complete ]]; then
    return 0
  fi
  spur_log "fetching jars from Maven Central into $SPUR_LIB (cached in $SPUR_M2_REPO)"
  local t0
  t0=$(spur_now)
  mkdir -p "$dir"
  printf '%s\n' "$pom" >"$dir/pom.xml"
  rm -rf "$SPUR_LIB.tmp"
  (cd "$dir" && spur_mvn -f pom.xml "$SPUR_MVN_DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$SPUR_LIB.tmp") ||
    spur_die "Maven could not fetch the jars for $dir/pom.xml"
  rm -rf "${SPUR_LIB:?}"
  mv "$SPUR_LIB.tmp" "$SPUR_LIB"
  touch "$SPUR_LIB/.complete"
  spur_log "fetched $(find "$SPUR_LIB" -name '*.jar' | wc -l) jars in $(spur_since "$t0") s"
}

# spur_fetch_artifact GROUP:ARTIFACT:VERSION:PACKAGING -> prints the file's path in the Maven
# repository, downloading it once.
spur_fetch_artifact() {
  local coords=$1 group artifact version packaging path
  IFS=: read -r group artifact version packaging <<<"$coords"
  path=$SPUR_M2_REPO/${group//.//}/$artifact/$version/$artifact-$version.$packaging
  if [[ ! -s $path ]]; then
    spur_log "fetching $coords from Maven Central (cached in $SPUR_M2_REPO)"
    local t0
    t0=$(spur_now)
    spur_mvn "$SPUR_MVN_DEPENDENCY_PLUGIN:get" -Dartifact="$coords" -Dtransitive=false >&2 ||
      spur_die "Maven could not fetch $coords"
    [[ -s $path ]] || spur_die "Maven reported success but $path is missing"
    spur_log "fetched $(du -h "$path" | cut -f1) in $(spur_since "$t0") s"
  fi
  echo "$path"
}

# spur_compile_probe SRC OUTDIR CLASSPATH: compile a readiness probe once (again when SRC changes).
spur_compile_probe() {
  local src=$1 out=$2 cp=$3 class
  class=$out/$(basename "${src%.java}").class
  if [[ -f $class && $class -nt $src ]]; then
    return 0
  fi
  mkdir -p "$out"
  "$SPUR_JAVA_HOME/bin/javac" -nowarn -d "$out" -cp "$cp" "$src" ||
    spur_die "could not compile $src"
}

# ---------------------------------------------------------------------------------------------
# processes and ports

# spur_pid PIDFILE MARKER: the live pid recorded in PIDFILE whose command line contains MARKER
# (guards against a recycled pid), or nothing.
spur_pid() {
  local pidfile=$1 marker=$2 pid
  [[ -s $pidfile ]] || return 0
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid && -r /proc/$pid/cmdline ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"; then
    echo "$pid"
  fi
}

# Resident memory of a pid in MiB.
spur_rss_mib() {
  awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

spur_port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Fail when something other than our own server already listens on a port we need.
spur_require_free_ports() {
  local port
  for port in "$@"; do
    if spur_port_open 127.0.0.1 "$port"; then
      local who=""
      command -v ss >/dev/null && who=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1)
      spur_die "port 127.0.0.1:$port is already in use${who:+ ($who)}; stop that process first"
    fi
  done
}

# spur_wait NAME PID TIMEOUT LOGS CHECK...: run the CHECK command every half second until it
# succeeds (returns 0), the process dies or TIMEOUT seconds pass (then the log tails are printed
# and 1 is returned). LOGS is a space-separated list of files.
spur_wait() {
  local name=$1 pid=$2 timeout=$3 logs=$4
  shift 4
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      spur_log "$name (pid $pid) exited before it was ready"
      # shellcheck disable=SC2086
      spur_log_tail $logs
      return 1
    fi
    sleep 0.5
  done
  spur_log "$name was not ready within ${timeout}s"
  # shellcheck disable=SC2086
  spur_log_tail $logs
  return 1
}

# spur_stop NAME PIDFILE MARKER: SIGTERM, wait up to SPUR_DOWN_TIMEOUT, then SIGKILL.
spur_stop() {
  local name=$1 pidfile=$2 marker=$3 pid t0
  pid=$(spur_pid "$pidfile" "$marker")
  if [[ -z $pid ]]; then
    rm -f "$pidfile"
    spur_log "$name is not running"
    return 0
  fi
  t0=$(spur_now)
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + SPUR_DOWN_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    spur_log "$name (pid $pid) did not stop within ${SPUR_DOWN_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
  spur_log "$name stopped (pid $pid) in $(spur_since "$t0") s"
}

# spur_status NAME PIDFILE MARKER ENDPOINT LOG [EXTRA]: one status line; exit 0 when running,
# 3 when not.
spur_status() {
  local name=$1 pidfile=$2 marker=$3 endpoint=$4 log=$5 extra=${6:-} pid
  pid=$(spur_pid "$pidfile" "$marker")
  if [[ -z $pid ]]; then
    printf '%-14s down\n' "$name"
    return 3
  fi
  local ready="" readyfile
  readyfile=$(dirname "$pidfile")/ready-seconds
  [[ -s $readyfile ]] && ready=", ready in $(cat "$readyfile") s"
  printf '%-14s up   pid %-7s rss %5s MiB  %s%s%s\n' "$name" "$pid" "$(spur_rss_mib "$pid")" \
    "$endpoint" "${extra:+  $extra}" "$ready"
  printf '%-14s      logs: %s\n' "" "$log"
  return 0
}

# Start a command in the background, detached from the terminal and the caller's process group
# (so it outlives the shell that started it), with output to a log file; prints its pid.
spur_spawn() {
  local log=$1
  shift
  (
    spur_close_lock_fds
    exec setsid "$@" </dev/null >>"$log" 2>&1
  ) &
  echo $!
}

# Servers must not inherit the lock descriptors: they would hold the locks for their lifetime.
spur_close_lock_fds() {
  local fd
  for fd in "${SPUR_LOCK_FDS[@]}"; do
    exec {fd}>&-
  done
}

# ---------------------------------------------------------------------------------------------
# the unprivileged user for Elasticsearch and OpenSearch (both refuse to run as root)

spur_service_user_setup() {
  ((EUID == 0)) || return 0
  if ! id -u "$SPUR_SERVICE_USER" >/dev/null 2>&1; then
    command -v useradd >/dev/null || spur_die "useradd not found (apt-get install passwd)"
    spur_log "creating the unprivileged user $SPUR_SERVICE_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$SPUR_SERVICE_USER" || id -u "$SPUR_SERVICE_USER" >/dev/null ||
      spur_die "could not create user $SPUR_SERVICE_USER"
  fi
}

# Run a command as the service user when root, else as ourselves.
spur_as_service_user() {
  if ((EUID == 0)); then
    runuser -u "$SPUR_SERVICE_USER" -- "$@"
  else
    "$@"
  fi
}

# The service user must be able to reach the data directory and the JDK.
spur_require_service_user_access() {
  local path
  for path in "$@"; do
    spur_as_service_user test -r "$path" -a -x "$path" ||
      spur_die "user $SPUR_SERVICE_USER cannot enter $path: every parent directory needs o+x (or set SPUR_DATA to a directory it can reach, e.g. under /tmp or /var/tmp)"
  done
}

# ---------------------------------------------------------------------------------------------
# Elasticsearch and OpenSearch (integ-test-zip distributions from Maven Central; elasticsearch.sh
# and opensearch.sh set the SEARCH_* variables and call these)
#
#   SEARCH_NAME  SEARCH_PRODUCT  SEARCH_VERSION  SEARCH_COORDS (group:artifact:version:zip)
#   SEARCH_HTTP_PORT  SEARCH_TRANSPORT_PORT  SEARCH_HEAP  SEARCH_BIN (bin/<name>)
#   SEARCH_ENV_PREFIX (ES or OPENSEARCH)  SEARCH_SETTINGS (array of extra -E settings)

spur_search_vars() {
  SEARCH_DIR=$SPUR_DATA/$SEARCH_NAME
  # The distribution is unpacked under the data directory: the service user cannot enter the
  # cache under root's home, and the server writes into its config directory.
  SEARCH_HOME=$SEARCH_DIR/home-$SEARCH_VERSION
  SEARCH_PIDFILE=$SEARCH_DIR/$SEARCH_NAME.pid
  SEARCH_CLUSTER=spur-$SEARCH_NAME
  SEARCH_LOG=$SEARCH_DIR/logs/$SEARCH_CLUSTER.log
  SEARCH_URL=http://127.0.0.1:$SEARCH_HTTP_PORT
}

spur_search_fetch() {
  SEARCH_ZIP=$(spur_fetch_artifact "$SEARCH_COORDS")
}

spur_search_install() {
  spur_search_fetch
  mkdir -p "$SEARCH_DIR"
  if [[ ! -x $SEARCH_HOME/bin/$SEARCH_BIN ]]; then
    spur_log "unpacking $(basename "$SEARCH_ZIP") into $SEARCH_HOME"
    rm -rf "$SEARCH_DIR/unpack"
    mkdir -p "$SEARCH_DIR/unpack"
    command -v unzip >/dev/null || spur_die "unzip not found (apt-get install unzip)"
    unzip -q "$SEARCH_ZIP" -d "$SEARCH_DIR/unpack"
    local top
    top=$(find "$SEARCH_DIR/unpack" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [[ -x $top/bin/$SEARCH_BIN ]] || spur_die "unexpected layout in $SEARCH_ZIP"
    mv "$top" "$SEARCH_HOME"
    rm -rf "$SEARCH_DIR/unpack"
  fi
  mkdir -p "$SEARCH_DIR/data" "$SEARCH_DIR/logs" "$SEARCH_DIR/tmp"
  spur_service_user_setup
  if ((EUID == 0)); then
    chown -R "$SPUR_SERVICE_USER:" "$SEARCH_DIR"
    chmod o+x "$SPUR_DATA"
  fi
  spur_require_service_user_access "$SEARCH_DIR" "$SPUR_JAVA_HOME/bin/java"
}

spur_search_health() {
  curl -fsS --max-time 5 "$SEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=2s" |
    grep -Eq '"status":"(green|yellow)"'
}

spur_search_up() {
  spur_search_vars
  if [[ -n $(spur_pid "$SEARCH_PIDFILE" "$SEARCH_DIR") ]]; then
    spur_log "already running (pid $(cat "$SEARCH_PIDFILE")); logs: $SEARCH_LOG"
    return 0
  fi
  command -v curl >/dev/null || spur_die "curl not found (apt-get install curl)"
  spur_search_install
  spur_require_free_ports "$SEARCH_HTTP_PORT" "$SEARCH_TRANSPORT_PORT"
  rm -f "$SEARCH_PIDFILE"

  local t0 stdout_log=$SEARCH_DIR/logs/stdout.log
  t0=$(spur_now)
  local user=$SPUR_SERVICE_USER
  ((EUID == 0)) || user=$(id -un)
  spur_log "starting $SEARCH_PRODUCT $SEARCH_VERSION on $SEARCH_URL (heap $SEARCH_HEAP, user $user)"
  # -d daemonizes and -p writes the server's pid; the launcher itself may wait for the start.
  local runner=()
  ((EUID != 0)) || runner=("$(command -v runuser)" -u "$SPUR_SERVICE_USER" --)
  if ! (spur_close_lock_fds && exec timeout "$SPUR_UP_TIMEOUT" setsid -w "${runner[@]}" \
    env -i PATH=/usr/bin:/bin HOME="$SEARCH_DIR" LANG=C.UTF-8 \
    "${SEARCH_ENV_PREFIX}_JAVA_HOME=$SPUR_JAVA_HOME" \
    "${SEARCH_ENV_PREFIX}_JAVA_OPTS=-Xms$SEARCH_HEAP -Xmx$SEARCH_HEAP" \
    "${SEARCH_ENV_PREFIX}_TMPDIR=$SEARCH_DIR/tmp" \
    "$SEARCH_HOME/bin/$SEARCH_BIN" -d -p "$SEARCH_PIDFILE" \
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 \
    -Ehttp.port="$SEARCH_HTTP_PORT" -Etransport.port="$SEARCH_TRANSPORT_PORT" \
    -Ecluster.name="$SEARCH_CLUSTER" -Enode.name="$SEARCH_CLUSTER" \
    -Epath.data="$SEARCH_DIR/data" -Epath.logs="$SEARCH_DIR/logs" \
    -Ecluster.routing.allocation.disk.threshold_enabled=false \
    "${SEARCH_SETTINGS[@]}" </dev/null >>"$stdout_log" 2>&1); then
    spur_log_tail "$stdout_log" "$SEARCH_LOG"
    spur_search_down
    spur_die "$SEARCH_PRODUCT failed to start; logs: $SEARCH_LOG"
  fi
  local deadline=$((SECONDS + 30)) pid=""
  while [[ -z $pid ]] && ((SECONDS < deadline)); do
    pid=$(spur_pid "$SEARCH_PIDFILE" "$SEARCH_DIR")
    [[ -n $pid ]] || sleep 0.2
  done
  if [[ -z $pid ]]; then
    spur_log_tail "$stdout_log" "$SEARCH_LOG"
    spur_die "$SEARCH_PRODUCT wrote no pid file ($SEARCH_PIDFILE); logs: $SEARCH_LOG"
  fi
  local left=$((SPUR_UP_TIMEOUT - $(date +%s) + ${t0%.*}))
  ((left > 10)) || left=10
  spur_wait "$SEARCH_NAME" "$pid" "$left" "$SEARCH_LOG $stdout_log" spur_search_health || {
    spur_search_down
    spur_die "$SEARCH_PRODUCT did not report cluster health; logs: $SEARCH_LOG"
  }
  local version
  version=$(curl -fsS --max-time 5 "$SEARCH_URL/_nodes/_local?filter_path=nodes.*.version" |
    grep -o '"version":"[^"]*"' | cut -d'"' -f4)
  spur_since "$t0" >"$SEARCH_DIR/ready-seconds"
  spur_log "ready in $(cat "$SEARCH_DIR/ready-seconds") s: $SEARCH_PRODUCT $version, cluster health $(curl -fsS --max-time 5 "$SEARCH_URL/_cluster/health" | grep -o '"status":"[a-z]*"' | cut -d'"' -f4)"
  spur_log "pid $pid, rss $(spur_rss_mib "$pid") MiB; logs: $SEARCH_LOG"
}

spur_search_down() {
  spur_search_vars
  spur_stop "$SEARCH_NAME" "$SEARCH_PIDFILE" "$SEARCH_DIR"
}

spur_search_status() {
  spur_search_vars
  local health=""
  health=$(curl -fsS --max-time 3 "$SEARCH_URL/_cluster/health" 2>/dev/null |
    grep -o '"status":"[a-z]*"' | cut -d'"' -f4) || true
  spur_status "$SEARCH_NAME" "$SEARCH_PIDFILE" "$SEARCH_DIR" "$SEARCH_URL" "$SEARCH_LOG" \
    "$SEARCH_PRODUCT $SEARCH_VERSION${health:+, health $health}"
}

spur_search_clean() {
  spur_search_down
  rm -rf "$SEARCH_DIR"
  spur_log "removed $SEARCH_DIR"
}

# ---------------------------------------------------------------------------------------------
# command dispatch shared by the per-server scripts

# spur_lock FILE: hold an exclusive lock on FILE until this script exits, waiting at most the
# fetch and start timeouts (another run of the same server's script may be busy with it).
SPUR_LOCK_FDS=()
spur_lock() {
  local fd wait=$((SPUR_FETCH_TIMEOUT + SPUR_UP_TIMEOUT))
  exec {fd}>"$1"
  SPUR_LOCK_FDS+=("$fd")
  if ! flock -n "$fd"; then
    spur_log "waiting for another run that holds $1"
    flock -w "$wait" "$fd" || spur_die "gave up after ${wait}s waiting for the lock $1"
  fi
}

# spur_main "$@": calls <cmd>_server for up|down|status|clean|fetch; all but status run under
# this server's locks (one for the download cache, one for the data directory), so concurrent
# runs on a shared machine take turns instead of racing.
spur_main() {
  local cmd=${1:-}
  case $cmd in
    up | down | clean | fetch)
      spur_lock "$SPUR_SERVERS_CACHE/.lock-$SPUR_NAME"
      spur_lock "$SPUR_DATA/.lock-$SPUR_NAME"
      "${cmd}_server"
      ;;
    status) status_server ;;
    *)
      echo "usage: $(basename "$0") up|down|status|clean|fetch" >&2
      exit 2
      ;;
  esac
}

spur_init_java
