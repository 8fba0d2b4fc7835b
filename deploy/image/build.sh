#!/usr/bin/env bash
# Builds the binaries listed in binaries.txt and copies them into OUT_DIR: the one build step of
# the container image (the Dockerfile runs it), also run by the chart checks in `make test` with
# the dev profile so the same commands are exercised where no Docker engine exists.
#
# usage: build.sh OUT_DIR [PROFILE]      PROFILE: release (default) or dev
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: build.sh OUT_DIR [release|dev]}
profile=${2:-release}
cd "$here/../.."

mapfile -t binaries < <(grep -v '^\s*\(#\|$\)' "$here/binaries.txt")
args=()
for binary in "${binaries[@]}"; do args+=(--bin "$binary"); done
cargo build --locked --profile "$profile" "${args[@]}"

target=${CARGO_TARGET_DIR:-target}
dir=$target/$([[ $profile == dev ]] && echo debug || echo "$profile")
mkdir -p "$out"
for binary in "${binaries[@]}"; do
  install -m 0755 "$dir/$binary" "$out/$binary"
done
echo "built ${#binaries[@]} binaries ($profile) into $out"
