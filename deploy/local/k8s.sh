#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, for the Helm chart's tests (tests/k8s/):
# etcd, kube-apiserver and kube-controller-manager, plus the matching kubectl. No scheduler,
# no kubelet, no container runtime: objects are validated, defaulted, admitted and stored, and
# the controllers reconcile them (Deployments get ReplicaSets, ReplicaSets get Pods, HPAs and
# PDBs get status), but Pods stay Pending forever.
#
# usage: k8s.sh up|down|status|build|env
#   build   build the binaries once from the Go module proxy (cached, see below)
#   up      build (once), start etcd + kube-apiserver + kube-controller-manager on 127.0.0.1,
#           wait until /readyz answers and the controllers work, write a kubeconfig
#   down    stop them and wipe their data (etcd, certificates, keys, kubeconfig)
#   status  one line per process; exit 3 when any is not running
#   env     print `export KUBECONFIG=...` and the PATH holding kubectl
#
# The binaries come from one throw-away Go module requiring k8s.io/kubernetes (its staging
# modules replaced by their published versions, as `go install` refuses a module with replace
# directives) and are built once with -trimpath -ldflags '-s -w', CGO off, into
# $SPUR_CACHE/k8s/bin-<version>. etcd is the go.etcd.io/etcd/server/v3 version that
# k8s.io/kubernetes itself requires (v3.7.0 for v1.37.2), built in the same module.
#
# Settings: SPUR_K8S_VERSION (v1.37.2), SPUR_K8S_PORT (apiserver, 17443), SPUR_ETCD_PORT (17379,
# peer port +1), SPUR_K8S_BUILD_TIMEOUT (3600 s), SPUR_K8S_UP_TIMEOUT (120 s), plus those of
# lib.sh (SPUR_CACHE, SPUR_DATA, SPUR_DOWN_TIMEOUT).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SPUR_NAME=k8s

K8S_VERSION=${SPUR_K8S_VERSION:-v1.37.2}
K8S_PORT=${SPUR_K8S_PORT:-17443}
ETCD_PORT=${SPUR_ETCD_PORT:-17379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
KCM_PORT=$((K8S_PORT + 1))
BUILD_TIMEOUT=${SPUR_K8S_BUILD_TIMEOUT:-3600}
UP_TIMEOUT=${SPUR_K8S_UP_TIMEOUT:-120}
TOKEN=spur-k8s-test-token

K8S_CACHE=$SPUR_CACHE/k8s
SRC=$K8S_CACHE/src-$K8S_VERSION
BIN=$K8S_CACHE/bin-$K8S_VERSION
DIR=$SPUR_DATA/k8s
KUBECONFIG_FILE=$DIR/kubeconfig
BINARIES=(etcd kube-apiserver kube-controller-manager kubectl)

built() {
  local b
  for b in "${BINARIES[@]}"; do [[ -x $BIN/$b ]] || return 1; done
  [[ -f $BIN/.complete ]]
}

build() {
  if built; then
    spur_log "kube-apiserver $K8S_VERSION, kube-controller-manager, kubectl and etcd already built: $BIN"
    return 0
  fi
  command -v go >/dev/null || spur_die "go not found (the machine image has it in /usr/local/go)"
  # k8s.io/kubernetes v1.37 needs Go 1.26 (Debian's golang-go is older; no toolchain download).
  local gov
  gov=$(go env GOVERSION)
  [[ $gov =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 26)) ||
    spur_die "$gov is too old to build Kubernetes $K8S_VERSION: Go 1.26 or newer is needed (/usr/local/go)"
  local t0 minor mod staging
  t0=$(spur_now)
  minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  staging=v0.${K8S_VERSION#v1.}
  mkdir -p "$SRC"
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
  spur_log "building kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION and etcd from the Go module proxy in $SRC (several minutes on 2 cores)"
  (cd "$SRC" && timeout "$BUILD_TIMEOUT" go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >download.json) ||
    spur_die "go mod download k8s.io/kubernetes@$K8S_VERSION failed"
  mod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p' "$SRC/download.json")
  [[ -s $mod ]] || spur_die "no go.mod for k8s.io/kubernetes@$K8S_VERSION in the module cache"
  {
    printf 'module spur.local/k8s-build\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    # k8s.io/kubernetes replaces its staging modules with ./staging/src/...: use the published
    # versions of those modules (v0.<minor>.<patch>) instead.
    awk -v v="$staging" '$2 == "=>" && $3 ~ /^\.\/staging\// { printf "\t%s => %s %s\n", $1, $1, v }' "$mod"
    printf ')\n'
  } >"$SRC/go.mod"
  # The tools file keeps `go mod` from dropping what the build needs.
  cat >"$SRC/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubectl/pkg/cmd"
)
EOF
  rm -rf "$BIN.tmp"
  mkdir -p "$BIN.tmp"
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  if ! (cd "$SRC" && timeout "$BUILD_TIMEOUT" nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$BIN.tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl go.etcd.io/etcd/server/v3); then
    rm -rf "$BIN.tmp"
    spur_die "go build failed (or took longer than ${BUILD_TIMEOUT}s)"
  fi
  # `go build -o dir/` names go.etcd.io/etcd/server/v3 "server".
  [[ -x $BIN.tmp/server ]] && mv "$BIN.tmp/server" "$BIN.tmp/etcd"
  local b
  for b in "${BINARIES[@]}"; do [[ -x $BIN.tmp/$b ]] || spur_die "the build did not produce $b"; done
  (cd "$SRC" && go list -m go.etcd.io/etcd/server/v3 | awk '{ print $2 }') >"$BIN.tmp/etcd-version"
  rm -rf "$BIN"
  mv "$BIN.tmp" "$BIN"
  touch "$BIN/.complete"
  spur_log "built in $(spur_since "$t0") s: $(cd "$BIN" && du -shc "${BINARIES[@]}" | tail -n 1 | cut -f1) in $BIN (etcd $(cat "$BIN/etcd-version"))"
}

pidfile() { echo "$DIR/$1.pid"; }
logfile() { echo "$DIR/logs/$1.log"; }
pid_of() { spur_pid "$(pidfile "$1")" "$BIN/$1"; }

spawn() {
  local name=$1
  shift
  local pid
  pid=$(spur_spawn "$(logfile "$name")" "$BIN/$name" "$@")
  echo "$pid" >"$(pidfile "$name")"
  echo "$pid"
}

api() {
  curl -sf --max-time 5 --cacert "$DIR/pki/apiserver.crt" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$K8S_PORT$1"
}
etcd_healthy() { curl -sf --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
api_ready() { [[ $(api /readyz) == ok ]]; }
# The controllers work once the service account controller has given the default namespace its
# `default` ServiceAccount (Pods are admitted only then).
controllers_ready() {
  curl -sf --max-time 3 -k "https://127.0.0.1:$KCM_PORT/healthz" | grep -qx ok &&
    api /api/v1/namespaces/default/serviceaccounts/default >/dev/null
}

write_kubeconfig() {
  cat >"$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: spur-local
    cluster:
      server: https://127.0.0.1:$K8S_PORT
      certificate-authority: $DIR/pki/apiserver.crt
users:
  - name: admin
    user:
      token: $TOKEN
contexts:
  - name: spur-local
    context: {cluster: spur-local, user: admin, namespace: default}
current-context: spur-local
EOF
  chmod 600 "$KUBECONFIG_FILE.tmp"
  mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
}

up() {
  built || build
  if [[ -n $(pid_of kube-apiserver) ]] && api_ready && [[ -n $(pid_of kube-controller-manager) ]]; then
    spur_log "already running: export KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  # Leftovers of a run that was not taken down: stop them and start clean.
  down >/dev/null 2>&1 || true
  spur_require_free_ports "$ETCD_PORT" "$ETCD_PEER_PORT" "$K8S_PORT" "$KCM_PORT"
  command -v openssl >/dev/null || spur_die "openssl not found (apt-get install openssl)"
  command -v curl >/dev/null || spur_die "curl not found (apt-get install curl)"
  local t0 pid
  t0=$(spur_now)
  mkdir -p "$DIR/pki" "$DIR/logs" "$DIR/etcd"
  chmod 700 "$DIR" "$DIR/etcd"
  # Service account token signing keys and the one static token (group system:masters).
  openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null || spur_die "openssl genrsa failed"
  openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null || spur_die "openssl rsa failed"
  printf '%s,admin,admin-uid,"system:masters"\n' "$TOKEN" >"$DIR/pki/tokens.csv"

  pid=$(spawn etcd --name default --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn)
  spur_wait etcd "$pid" "$UP_TIMEOUT" "$(logfile etcd)" etcd_healthy || { down; exit 1; }

  # --endpoint-reconciler-type=none: the reconciler refuses a loopback advertise address.
  pid=$(spawn kube-apiserver --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$K8S_PORT" \
    --endpoint-reconciler-type=none --cert-dir="$DIR/pki" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$DIR/pki/sa.pub" --service-account-signing-key-file="$DIR/pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/24 --authorization-mode=AlwaysAllow \
    --token-auth-file="$DIR/pki/tokens.csv" --allow-privileged=true)
  spur_wait kube-apiserver "$pid" "$UP_TIMEOUT" "$(logfile kube-apiserver)" api_ready || { down; exit 1; }
  write_kubeconfig

  # No kubelets: node-ipam (it wants a cluster CIDR), node-lifecycle and taint-eviction (they would
  # taint and evict from nodes that never report) are off. The rest run: deployment, replicaset,
  # daemonset, job, cronjob, HPA, disruption (PDB), garbage collector, namespace, endpoints,
  # service account and token controllers, among others.
  pid=$(spawn kube-controller-manager --kubeconfig="$KUBECONFIG_FILE" \
    --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$DIR/pki/kcm" --leader-elect=false \
    --service-account-private-key-file="$DIR/pki/sa.key" --root-ca-file="$DIR/pki/apiserver.crt" \
    --controllers='*,-node-ipam-controller,-node-lifecycle-controller,-taint-eviction-controller' \
    --horizontal-pod-autoscaler-sync-period=5s)
  spur_wait kube-controller-manager "$pid" "$UP_TIMEOUT" "$(logfile kube-controller-manager)" controllers_ready ||
    { down; exit 1; }
  spur_since "$t0" >"$DIR/ready-seconds"
  spur_log "up in $(cat "$DIR/ready-seconds") s: etcd $(cat "$BIN/etcd-version"), kube-apiserver $K8S_VERSION on https://127.0.0.1:$K8S_PORT, kube-controller-manager"
  spur_log "use it: export KUBECONFIG=$KUBECONFIG_FILE PATH=$BIN:\$PATH"
}

down() {
  local name
  for name in kube-controller-manager kube-apiserver etcd; do
    spur_stop "$name" "$(pidfile "$name")" "$BIN/$name"
  done
  # Everything is thrown away: the next `up` starts from an empty cluster.
  rm -rf "$DIR"
}

status() {
  local rc=0
  spur_status etcd "$(pidfile etcd)" "$BIN/etcd" "http://127.0.0.1:$ETCD_PORT" "$(logfile etcd)" \
    "$(cat "$BIN/etcd-version" 2>/dev/null)" || rc=3
  spur_status kube-apiserver "$(pidfile kube-apiserver)" "$BIN/kube-apiserver" \
    "https://127.0.0.1:$K8S_PORT" "$(logfile kube-apiserver)" "$K8S_VERSION KUBECONFIG=$KUBECONFIG_FILE" || rc=3
  spur_status kube-ctrl-mgr "$(pidfile kube-controller-manager)" "$BIN/kube-controller-manager" \
    "https://127.0.0.1:$KCM_PORT" "$(logfile kube-controller-manager)" || rc=3
  return $rc
}

case ${1:-} in
  build) build ;;
  up) up ;;
  down) down ;;
  status) status ;;
  env)
    echo "export KUBECONFIG=$KUBECONFIG_FILE"
    echo "export PATH=$BIN:\$PATH"
    ;;
  *)
    echo "usage: $(basename "$0") up|down|status|build|env" >&2
    exit 2
    ;;
esac
