#!/usr/bin/env python3
"""Builds bindings/c/abi-test.c with gcc against colonio.h and libcolonio.so, starts a seed on loopback
and runs it (bounded: 120 s). Usage: run-abi-test.py --colonio BIN --lib-dir DIR."""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bindings" / "testing"))
from local_seed import LocalSeed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--colonio", required=True, help="the colonio command line (for the seed)")
    parser.add_argument("--lib-dir", required=True, help="the folder holding libcolonio.so")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="colonio-abi-") as folder:
        program = Path(folder) / "abi-test"
        subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-pthread",
                        "-I", str(ROOT / "Sources" / "CColonio" / "include"), str(ROOT / "bindings" / "c" / "abi-test.c"),
                        "-L", args.lib_dir, "-lcolonio", f"-Wl,-rpath,{Path(args.lib_dir).resolve()}",
                        "-o", str(program)], check=True)
        seed = LocalSeed(args.colonio)
        try:
            result = subprocess.run([str(program), seed.url], timeout=120)
        finally:
            seed.stop()
    print("abi-test:", "passed" if result.returncode == 0 else "FAILED")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
