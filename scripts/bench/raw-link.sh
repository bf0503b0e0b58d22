#!/usr/bin/env bash
# Builds and runs scripts/bench/raw-link.cpp, the plain-libwebrtc reference for `colonio bench link`.
# Usage: scripts/bench/raw-link.sh [taskset arguments, e.g. -c 0]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${TMPDIR:-/tmp}/colonio-raw-link"
defines=$(sed -n '/^let webRTCDefines/,/^\]/p' "$here/../../Package.swift" | grep -o '"[A-Z0-9_]*\(=[0-9]*\)\?"' | tr -d '"' | sed 's/^/-D/')
if [ ! -x "$out" ] || [ "$here/raw-link.cpp" -nt "$out" ]; then
  # shellcheck disable=SC2086
  g++ -std=c++20 -O2 $defines -I/usr/include/tg_owt "$here/raw-link.cpp" -o "$out" \
    -ltg_owt -lssl -lcrypto -lsrtp2 -labsl_strings -labsl_bad_optional_access -labsl_bad_variant_access \
    -labsl_throw_delegate -ldl -lpthread
fi
if [ $# -gt 0 ]; then exec taskset "$@" "$out"; else exec "$out"; fi
