#!/usr/bin/env bash
# Builds and runs scripts/bench/pion-link/main.go, the pion/webrtc v3 reference for `colonio bench link`,
# with Debian's Go and packaged sources (apt-get install golang-go golang-github-pion-webrtc.v3-dev; no
# module downloads). Exits 3 when those are not installed.
# Usage: scripts/bench/pion-link.sh [taskset arguments, e.g. -c 0] [-- program flags]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${TMPDIR:-/tmp}/colonio-pion-link"
gopath=/usr/share/gocode
if ! command -v go > /dev/null || [ ! -d "$gopath/src/github.com/pion/webrtc" ]; then
  echo "pion-link: needs golang-go and golang-github-pion-webrtc.v3-dev" >&2
  exit 3
fi
if [ ! -x "$out" ] || [ "$here/pion-link/main.go" -nt "$out" ]; then
  # GOPATH mode over Debian's packaged sources. Debian installs a module at its repository path
  # (github.com/pion/webrtc) while imports name the major version (github.com/pion/webrtc/v3): link
  # every such module under its module path in a scratch GOPATH first.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/src/colonio-pion-link"
  while IFS= read -r mod; do
    dir="$(dirname "$mod")"
    module="$(sed -n 's/^module[[:space:]]*//p' "$mod" | head -1 | tr -d '"\r')"
    [ -n "$module" ] && [ "$module" != "${dir#"$gopath/src/"}" ] || continue
    [ -e "$gopath/src/$module" ] || [ -e "$work/src/$module" ] && continue
    mkdir -p "$work/src/$(dirname "$module")"
    ln -s "$dir" "$work/src/$module"
  done < <(find "$gopath/src" -name go.mod -not -path '*/testdata/*')
  cp "$here/pion-link/main.go" "$work/src/colonio-pion-link/"
  (cd "$work/src/colonio-pion-link" && GO111MODULE=off GOPATH="$work:$gopath" GOCACHE="${GOCACHE:-$work/cache}" \
    go build -o "$out" .)
fi
taskset_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do taskset_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if [ ${#taskset_args[@]} -gt 0 ]; then exec taskset "${taskset_args[@]}" "$out" "$@"; else exec "$out" "$@"; fi
