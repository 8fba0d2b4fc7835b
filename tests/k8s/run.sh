#!/usr/bin/env bash
# `make test-k8s`: the Helm chart on a real kube-apiserver + kube-controller-manager.
#   1. helm and kubernetes-validate (deploy/local/tools.sh), the control plane (deploy/local/k8s.sh,
#      built once and cached); started here unless already running, and then taken down and
#      wiped at the end whatever happens (SPUR_K8S_KEEP=1 keeps it up);
#   2. the Prometheus Operator CRDs (ServiceMonitor, PodMonitor) and KEDA's ScaledObject CRD, from
#      pinned module versions through the Go module proxy (cached under $SPUR_CACHE/k8s/crds);
#   3. one fake Node, so the DaemonSet controller creates the agent's pod (nothing runs it);
#   4. tests/k8s/test_chart.py: every mode and storage installed, read back, upgraded, rolled back
#      and uninstalled; bad values refused.
# usage: run.sh [--only NAME[,NAME]]   (scenario names are in test_chart.py; `bad` = bad values)
# Settings: SPUR_PROMETHEUS_OPERATOR_VERSION (v0.85.0), SPUR_KEDA_VERSION (v2.20.2), SPUR_K8S_KEEP,
# SPUR_K8S_WAIT (seconds any controller effect may take, 120), SPUR_K8S_TEST_TIMEOUT (whole run, 1800).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
SPUR_CACHE=${SPUR_CACHE:-$HOME/.cache/spur}
PROM_OP_VERSION=${SPUR_PROMETHEUS_OPERATOR_VERSION:-v0.85.0}
KEDA_VERSION=${SPUR_KEDA_VERSION:-v2.20.2}
CRDS=$SPUR_CACHE/k8s/crds-prometheus-operator-$PROM_OP_VERSION-keda-$KEDA_VERSION
log() { printf '[test-k8s] %s\n' "$*" >&2; }
die() { printf '[test-k8s] ERROR: %s\n' "$*" >&2; exit 1; }
start=$SECONDS

bash "$root/deploy/local/tools.sh" install
tools=$(bash "$root/deploy/local/tools.sh" path)
helm=$tools/helm
python=$(dirname "$(readlink -f "$tools/kubernetes-validate")")/python

# The CRD files, copied once out of the Go module cache.
fetch_crds() {
  [[ -f $CRDS/.complete ]] && return 0
  log "fetching the Prometheus Operator $PROM_OP_VERSION and KEDA $KEDA_VERSION CRDs through the Go module proxy"
  local tmp dir
  tmp=$(mktemp -d)
  rm -rf "$CRDS"
  mkdir -p "$CRDS"
  dir=$(cd "$tmp" && GOFLAGS=-mod=mod GOTOOLCHAIN=local timeout 600 go mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$PROM_OP_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [[ -d $dir ]] || die "go mod download github.com/prometheus-operator/prometheus-operator@$PROM_OP_VERSION failed"
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
    "$dir/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" "$CRDS/"
  dir=$(cd "$tmp" && GOFLAGS=-mod=mod GOTOOLCHAIN=local timeout 600 go mod download -json \
    "github.com/kedacore/keda/v2@$KEDA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [[ -d $dir ]] || die "go mod download github.com/kedacore/keda/v2@$KEDA_VERSION failed"
  cp "$dir/config/crd/bases/keda.sh_scaledobjects.yaml" "$CRDS/"
  rm -rf "$tmp"
  touch "$CRDS/.complete"
}
fetch_crds

started=0
if ! bash "$root/deploy/local/k8s.sh" status >/dev/null 2>&1; then
  bash "$root/deploy/local/k8s.sh" up
  started=1
fi
cleanup() {
  local rc=$?
  if ((started)) && [[ -z ${SPUR_K8S_KEEP:-} ]]; then
    bash "$root/deploy/local/k8s.sh" down || true
  fi
  log "took $((SECONDS - start)) s"
  exit $rc
}
trap cleanup EXIT
eval "$(bash "$root/deploy/local/k8s.sh" env)"
kubectl=$(command -v kubectl)
[[ $kubectl == "$SPUR_CACHE"/k8s/* ]] || die "kubectl is not the one built by k8s.sh: $kubectl"

log "installing the CRDs: $(cd "$CRDS" && ls ./*.yaml | xargs -n1 basename | tr '\n' ' ')"
timeout 120 "$kubectl" apply --server-side -f "$CRDS" >/dev/null
timeout 90 "$kubectl" wait --for=condition=Established --timeout=60s \
  crd/servicemonitors.monitoring.coreos.com crd/podmonitors.monitoring.coreos.com \
  crd/scaledobjects.keda.sh >/dev/null
# One Node (never Ready: no kubelet), so DaemonSets get a pod (which is never scheduled either).
timeout 60 "$kubectl" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: fake-node-1
  labels: {kubernetes.io/hostname: fake-node-1, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
EOF
# Admission taints a new Node not-ready:NoSchedule, which DaemonSet pods do not tolerate; with the
# node lifecycle controller off, nothing puts the taint back.
if timeout 60 "$kubectl" get node fake-node-1 -o jsonpath='{.spec.taints[*].key}' | grep -q node.kubernetes.io/not-ready; then
  timeout 60 "$kubectl" taint nodes fake-node-1 node.kubernetes.io/not-ready:NoSchedule- >/dev/null
fi

# Each helm/kubectl call and each wait inside is bounded; this bounds the whole run.
timeout "${SPUR_K8S_TEST_TIMEOUT:-1800}" "$python" "$here/test_chart.py" --helm "$helm" --kubectl "$kubectl" --chart "$root/helm/spur" "$@"
