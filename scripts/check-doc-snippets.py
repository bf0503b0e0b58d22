#!/usr/bin/env python3
"""Fails when a snippet of the README or docs/ would not work as written.

JavaScript blocks must type-check against Web/colonio.d.ts (see check_javascript). Swift blocks:

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
    failures += check_javascript(documents)
    if failures:
        sys.exit(1)
    print(f"doc snippets: {checked} Swift snippet(s) found in compiled tests")


def check_javascript(documents):
    """Type-checks every ```js block against Web/colonio.d.ts with Debian's tsc (as `make js-check` does).

    The blocks are written to Web/.snippets/ (inside the package, so `colonio-swift` resolves to it) as
    ES modules, with the page's import path '/colonio.js' read as the package name.
    """
    import shutil
    import subprocess
    if shutil.which("tsc") is None:
        print("doc snippets: no tsc (scripts/setup.sh installs node-typescript); JavaScript snippets not checked",
              file=sys.stderr)
        return 1
    folder = root / "Web" / ".snippets"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    for document in documents:
        text = document.read_text()
        for index, match in enumerate(re.finditer(r"```js\n(.*?)```", text, re.S)):
            name = folder / f"{document.stem}-{index + 1}.mts"
            name.write_text(match.group(1).replace("'/colonio.js'", "'colonio-swift'") + "\nexport {};\n")
            files.append(name)
    if not files:
        return 0
    result = subprocess.run(
        ["tsc", "--noEmit", "--strict", "--target", "es2022", "--module", "node16", "--moduleResolution", "node16",
         "--lib", "es2022,dom", *map(str, files)], capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        print("a JavaScript snippet of the docs does not type-check against Web/colonio.d.ts", file=sys.stderr)
        return 1
    print(f"doc snippets: {len(files)} JavaScript snippet(s) type-check")
    return 0


main()
