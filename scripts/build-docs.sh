#!/usr/bin/env bash
# Builds the DocC documentation of the Colonio and ColonioSeed libraries into .build/docs/<Module>,
# failing on any DocC warning (a broken symbol link, a missing page). Uses the symbol graphs of the
# modules already built (`swift package dump-symbol-graph`), so it does not rebuild the package.
set -euo pipefail
cd "$(dirname "$0")/.."
swift package dump-symbol-graph --minimum-access-level public >/dev/null 2>&1
graphs="$(swift build --show-bin-path)/../symbolgraph"
docc_bin=$(command -v docc || echo "$(dirname "$(readlink -f "$(command -v swift)")")/docc")
for module in Colonio ColonioSeed; do
  work=".build/docs-graphs/$module"
  rm -rf "$work" ".build/docs/$module"
  mkdir -p "$work" .build/docs
  cp "$graphs/$module.symbols.json" "$work/"
  # Extensions this module declares on other modules' types (e.g. Colonio@ColonioCore).
  cp "$graphs/$module"@*.symbols.json "$work/" 2>/dev/null || true
  if ! output=$("$docc_bin" convert "Sources/$module/$module.docc" --additional-symbol-graph-dir "$work" \
      --output-path ".build/docs/$module" --fallback-display-name "$module" \
      --fallback-bundle-identifier "org.colonio.$module" --warnings-as-errors 2>&1); then
    echo "$output" | grep -E -A4 "^(warning|error)" >&2
    echo "DocC failed for $module" >&2
    exit 1
  fi
  echo "docs: .build/docs/$module"
done
