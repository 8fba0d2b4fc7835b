#!/usr/bin/env bash
# Chart tooling, cached under ${SPUR_CACHE:-~/.cache/spur}/tools:
#   helm v3                built from source with `go install` through the Go module proxy
#   kubernetes-validate    offline Kubernetes schema validator (bundled schemas), from PyPI,
#                          in its own virtualenv
# Both end up in $SPUR_CACHE/tools/bin; a second run only checks the versions.
#
# usage: tools.sh [install]   install (once) and print the paths
#        tools.sh path        print the bin directory (for PATH)
# Settings: SPUR_HELM_VERSION (v3.22.0), SPUR_KUBERNETES_VALIDATE_VERSION (1.37.0),
#           SPUR_TOOLS_TIMEOUT (seconds per install step, default 1200).
set -euo pipefail

SPUR_CACHE=${SPUR_CACHE:-$HOME/.cache/spur}
TOOLS=$SPUR_CACHE/tools
BIN=$TOOLS/bin
HELM_VERSION=${SPUR_HELM_VERSION:-v3.22.0}
KV_VERSION=${SPUR_KUBERNETES_VALIDATE_VERSION:-1.37.0}
TIMEOUT=${SPUR_TOOLS_TIMEOUT:-1200}

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-install} == path ]]; then
  echo "$BIN"
  exit 0
fi
[[ ${1:-install} == install ]] || { echo "usage: $(basename "$0") [install|path]" >&2; exit 2; }
mkdir -p "$BIN"

install_helm() {
  local helm=$BIN/helm
  if [[ -x $helm ]] && "$helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
    log "helm $HELM_VERSION already installed: $helm"
    return
  fi
  command -v go >/dev/null || die "go not found: install Go (the machine image has it in /usr/local/go)"
  log "building helm $HELM_VERSION with go install (several minutes on 2 cores)"
  local start=$SECONDS
  # The version is stamped in with -ldflags; without it helm reports only the minor version.
  GOBIN=$BIN GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 timeout "$TIMEOUT" \
    go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || die "go install helm $HELM_VERSION failed"
  log "helm $("$helm" version --short) built in $((SECONDS - start)) s: $helm"
}

install_kubernetes_validate() {
  local venv=$TOOLS/venv-kubernetes-validate-$KV_VERSION
  if [[ ! -x $venv/bin/kubernetes-validate ]]; then
    log "installing kubernetes-validate $KV_VERSION from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install python3-venv)"
    timeout "$TIMEOUT" "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "kubernetes-validate==$KV_VERSION" || { rm -rf "$venv"; die "pip install kubernetes-validate failed"; }
  fi
  ln -sfn "$venv/bin/kubernetes-validate" "$BIN/kubernetes-validate"
  log "kubernetes-validate $("$BIN/kubernetes-validate" --version 2>&1 | tail -n 1) : $BIN/kubernetes-validate"
}

install_kubernetes_validate
install_helm
log "add to PATH: export PATH=\"$BIN:\$PATH\""
