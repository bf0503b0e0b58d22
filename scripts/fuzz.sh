#!/usr/bin/env bash
# Fuzzes the core's decoders with libFuzzer (docs/security.md, "Fuzzing").
#
#   scripts/fuzz.sh build                   compile .build/fuzz/colonio-fuzz-Onone (or -O; skipped when up to date)
#   scripts/fuzz.sh run SECONDS [TARGET...] fuzz each target (all by default) for SECONDS
#   scripts/fuzz.sh corpus                  rewrite Fuzz/corpus/<target>/seed-* from the harness's encoders
#   scripts/fuzz.sh targets                 list the targets
#
# One swiftc invocation compiles the ColonioCore sources and Fuzz/ColonioFuzz.swift into one binary
# (no second SwiftPM build). Each target starts from Fuzz/corpus/<target>/ (read only: what a run finds
# goes to .build/fuzz/corpus/<target>/). A crash, trap, leak or failed round trip leaves
# .build/fuzz/crash-<target>-*, prints the command that reproduces it and makes the script fail.
#
# FUZZ_JOBS=N runs N targets at once (default 1). FUZZ_FLAGS adds libFuzzer flags. FUZZ_KEEP_CORPUS=0
# starts from the repository's seeds only (leaving out what earlier runs found, and this run's finds).
# FUZZ_OPT=-O compiles optimised: about 4 times the compile time of the default -Onone (2.5 min against
# 35 s of CPU here) for 2-8 times the executions per second, so `make fuzz` uses it and the smoke run in
# `make test` does not.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/fuzz
opt=${FUZZ_OPT:--Onone}
binary=$out/colonio-fuzz${opt}
targets=(seed-frame certificate link-hello signal config overlay-packet overlay-body kvs spread reassembly node controller)
# Largest input per target: room for every message with a few fields, and no more, so the fuzzer spends
# its time on structure rather than on long byte strings (every length limit is checked against
# short inputs by the decoders' own length fields).
declare -A max_len=([seed-frame]=4096 [certificate]=1024 [link-hello]=1024 [signal]=2048 [config]=2048
  [overlay-packet]=1024 [overlay-body]=2048 [kvs]=2048 [spread]=4096 [reassembly]=1024 [node]=8192 [controller]=8192)

build() {
  mapfile -t sources < <(find "$PWD/Sources/ColonioCore" -name '*.swift' | sort)
  sources+=("$PWD/Fuzz/ColonioFuzz.swift")
  if [[ -x $binary ]] && [[ -z $(find "${sources[@]}" scripts/fuzz.sh -newer "$binary" | head -1) ]]; then
    return
  fi
  mkdir -p "$out"
  local start=$SECONDS root=$PWD
  # lld: gold warns about every ASan helper symbol it cannot export.
  # From inside $out, where swiftc leaves its by-products (the module for the debugger).
  (cd "$out" && swiftc -sanitize=fuzzer,address -parse-as-library "$opt" -wmo -g -swift-version 6 \
    -enable-experimental-feature Extern -module-name ColonioFuzz -package-name colonio -use-ld=lld \
    -warnings-as-errors "${sources[@]}" -lm -o "$root/$binary.tmp")
  mv "$binary.tmp" "$binary"
  echo "fuzz: built $binary in $((SECONDS - start)) s"
}

run_target() {
  local target=$1 seconds=$2
  local found=$out/corpus/$target log=$out/$target.log
  # A smoke run starts from the repository's seeds alone, so that its time does not grow run by run.
  [[ ${FUZZ_KEEP_CORPUS:-1} == 1 ]] || { found=$out/smoke-corpus/$target; rm -rf "$found"; }
  mkdir -p "$found"
  # Every artifact (crash, leak, timeout, out of memory) gets this prefix.
  rm -f "$out"/crash-"$target"-*
  # Swift's own crash backtracer trips AddressSanitizer (a report inside the backtracer after the real
  # one); without it a failed check prints its message and libFuzzer's "deadly signal" report.
  if SWIFT_BACKTRACE=enable=no COLONIO_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -max_len="${max_len[$target]}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/crash-$target-" \
    ${FUZZ_FLAGS:-} "$found" "Fuzz/corpus/$target" >"$log" 2>&1; then
    echo "fuzz: $target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs in $seconds s, no failure"
  else
    echo "fuzz: $target FAILED (log: $log)"
    grep -E 'Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY' "$log" | head -5 || true
    for artifact in "$out"/crash-"$target"-*; do
      [[ -e $artifact ]] || continue
      echo "  reproduce: SWIFT_BACKTRACE=enable=no COLONIO_FUZZ_TARGET=$target $binary $artifact"
    done
    echo "  once fixed, keep the input as a seed: cp <artifact> Fuzz/corpus/$target/regression-<name>"
    return 1
  fi
}

case ${1:-} in
  build) build ;;
  targets) printf '%s\n' "${targets[@]}" ;;
  corpus)
    build
    # Regression inputs (any other name) stay.
    mkdir -p Fuzz/corpus && find Fuzz/corpus -name 'seed-*' -delete
    COLONIO_FUZZ_WRITE_CORPUS=Fuzz/corpus "$binary"
    echo "fuzz: wrote $(find Fuzz/corpus -type f | wc -l) seeds under Fuzz/corpus" ;;
  run)
    seconds=${2:?usage: scripts/fuzz.sh run SECONDS [TARGET...]}
    shift 2
    (($# > 0)) && selected=("$@") || selected=("${targets[@]}")
    build
    start=$SECONDS
    failed=0
    jobs=${FUZZ_JOBS:-1}
    if ((jobs > 1)); then
      running=0
      for target in "${selected[@]}"; do
        run_target "$target" "$seconds" &
        running=$((running + 1))
        if ((running >= jobs)); then wait -n || failed=1; running=$((running - 1)); fi
      done
      while ((running > 0)); do wait -n || failed=1; running=$((running - 1)); done
    else
      for target in "${selected[@]}"; do run_target "$target" "$seconds" || failed=1; done
    fi
    echo "fuzz: ${#selected[@]} targets, $((SECONDS - start)) s"
    exit $failed ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
