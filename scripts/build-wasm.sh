#!/usr/bin/env bash
# Builds ColonioCore with Embedded Swift for wasm32 and links Web/colonio.wasm.
# Usage: scripts/build-wasm.sh [output.wasm]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Web/colonio.wasm}
work=.build-wasm
mkdir -p "$work"
mapfile -t sources < <(find Sources/ColonioCore Web/Exports -name '*.swift' | sort)
swiftc -target wasm32-unknown-none-wasm -enable-experimental-feature Embedded \
  -enable-experimental-feature Extern -wmo -Osize -parse-as-library \
  -Xfrontend -disable-stack-protector -module-name ColonioCore -package-name colonio \
  "${sources[@]}" -c -o "$work/core.o"
exports=$(grep -ho '@_cdecl("[a-z_0-9]*")' Web/Exports/*.swift | sed 's/.*"\(.*\)".*/--export=\1/')
# shellcheck disable=SC2086
# --strip-all: no DWARF or name section (about 280 KB); the shipped module only needs its exports.
wasm-ld --no-entry $exports --gc-sections --strip-all "$work/core.o" \
  /usr/lib/wasm32-wasi/libc.a \
  /usr/lib/llvm-16/lib/clang/16/lib/wasi/libclang_rt.builtins-wasm32.a \
  -o "$out"
echo "built $out ($(stat -c %s "$out") bytes)"
