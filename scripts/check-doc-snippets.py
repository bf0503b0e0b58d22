#!/usr/bin/env python3
"""Fails when a Swift snippet of the README or docs/ is not, line for line, in a compiled Swift file.

Every ```swift block of README.md and docs/*.md must appear in a Swift file under Tests/ or Examples/
(which `make test` builds and runs), with its `import` lines left out, indentation ignored, and these
substitutions, so that the copy runs on loopback against a test's seed:
"""
import pathlib
import re
import sys

SUBSTITUTIONS = [
    ('"ws://127.0.0.1:8080"', "readmeSeed"),
    ("ColonioNode()", "ColonioNode(options: readmeOptions)"),
]
__doc__ += "".join(f"  {old} -> {new}\n" for old, new in SUBSTITUTIONS)

root = pathlib.Path(__file__).resolve().parent.parent


def normalized(text):
    return [line.strip() for line in text.strip("\n").split("\n")]


def main():
    documents = [root / "README.md"] + sorted((root / "docs").glob("**/*.md"))
    sources = {path: normalized(path.read_text()) for folder in ("Tests", "Examples")
               for path in sorted((root / folder).glob("**/*.swift"))}
    failures = 0
    checked = 0
    for document in documents:
        text = document.read_text()
        for match in re.finditer(r"```swift\n(.*?)```", text, re.S):
            checked += 1
            line_number = text[:match.start()].count("\n") + 1
            snippet = "\n".join(line for line in match.group(1).split("\n") if not line.startswith("import "))
            for old, new in SUBSTITUTIONS:
                snippet = snippet.replace(old, new)
            wanted = normalized(snippet)
            found = [path for path, lines in sources.items()
                     if any(lines[i:i + len(wanted)] == wanted for i in range(len(lines) - len(wanted) + 1))]
            if not found:
                failures += 1
                print(f"{document.relative_to(root)}:{line_number}: this Swift snippet is in no file under "
                      "Tests/ or Examples/, so nothing checks that it compiles and runs; copy it into a test "
                      "(see Tests/ColonioTests/ReadmeTests.swift)", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"doc snippets: {checked} Swift snippet(s) found in compiled tests")


main()
