#!/usr/bin/env python3
"""Reads `colonio bench all --json` on stdin; fails unless every benchmark ran and printed figures.

Used by `make bench-smoke`: it checks that the benchmarks work, not what they measured.
"""
import json
import sys

report = json.load(sys.stdin)
expected = ["link", "seed", "overlay", "kvs", "spread", "churn", "nat"]
names = [result.get("benchmark") for result in report["results"]]
if names != expected:
    sys.exit(f"bench all ran {names}, expected {expected}")
for result in report["results"]:
    if "skipped" in result:
        print(f"bench {result['benchmark']}: skipped ({result['skipped']})")
    elif len(result) < 3:
        sys.exit(f"bench {result['benchmark']} printed no figures: {result}")
    else:
        print(f"bench {result['benchmark']}: {len(result)} figures")
print("every benchmark ran and printed JSON")
