#!/usr/bin/env python3
"""Checks that the three copies of the browser ABI numbering agree (run by `make wasm-test`).

The operations of `colonio_call` and the commands the core outputs are numbered in three places:
  - Swift: `enum BrowserInput` and `enum ShellCommand` (searched for in every .swift file under Web/ and
    Sources/, so they may move between files);
  - JavaScript: the constant tables of Web/colonio-internal.js that mirror them (`Op` and `Command`: the
    `Object.freeze({name: number, ...})` tables whose doc comment names BrowserInput / ShellCommand);
  - the schema docs/browser-abi.proto: `enum Operation` (OPERATION_SEED_FRAME = 2) and the fields of
    `message ShellOutput` (SeedSendCommand seed_send = 1).
Names are compared with case style and underscores ignored (seedFrame = OPERATION_SEED_FRAME,
seedSend = seed_send). Every mismatch is printed; the exit status is 1 if there is any.

With --fields it also compares the field numbers of every operation's input message and every
command's message in the .proto with the ones the Swift code reads (`fields.string(3)` in the
BrowserInput switch) and writes (`$0.write(field: 3, ...)` in `emit(.command) { ... }`). That part reads
the code with patterns, not a Swift parser, so it is opt-in.

Standard library only. `--root DIR` checks another checkout (default: the repository of this script).
"""
import argparse
import re
import sys
from pathlib import Path


class Source:
    """The text of one file with comments (and, optionally, string contents) blanked out, offsets kept."""

    def __init__(self, path, root, blank_strings=False):
        self.path = path
        self.display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        self.raw = path.read_text(encoding="utf-8")
        self.text = strip_comments(self.raw, blank_strings)

    def line(self, offset):
        return self.raw.count("\n", 0, offset) + 1

    def where(self, offset):
        return f"{self.display}:{self.line(offset)}"


def strip_comments(text, blank_strings=False):
    """Replaces // and /* */ comments (and string contents if asked) by spaces, keeping newlines."""
    out = list(text)
    i, n = 0, len(text)

    def blank(start, end):
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif text.startswith('"""', i):
            end = text.find('"""', i + 3)
            end = n if end < 0 else end + 3
            if blank_strings:
                blank(i + 3, end - 3)
            i = end
        elif c in "\"'`":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            if blank_strings:
                blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


def matching_brace(text, open_index):
    """The index of the `}` closing the `{` at open_index (comments and strings already blanked)."""
    depth = 0
    for k in range(open_index, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return -1


def top_level(body):
    """`body` with every nested `{...}` blanked out (offsets kept)."""
    out = list(body)
    depth = 0
    for k, c in enumerate(body):
        if c == "{":
            depth += 1
            out[k] = " "
        elif c == "}":
            depth -= 1
            out[k] = " "
        elif depth > 0 and c != "\n":
            out[k] = " "
    return "".join(out)


def norm(name):
    """seedFrame, SEED_FRAME, seed_frame -> seedframe."""
    return name.replace("_", "").lower()


class Table:
    """One copy of a numbering: normalised name -> (name as written, number, location)."""

    def __init__(self, label):
        self.label = label
        self.entries = {}
        self.problems = []

    def add(self, name, number, where, key_name=None):
        key = norm(key_name or name)
        if key in self.entries:
            self.problems.append(f"{self.label}: {name} is listed twice ({self.entries[key][2]} and {where})")
            return
        for other, value, other_where in self.entries.values():
            if value == number:
                self.problems.append(f"{self.label}: {other} ({other_where}) and {name} ({where}) both have number {number}")
        self.entries[key] = (name, number, where)


# MARK: - Swift


def swift_enum(root, enum_name, problems):
    """The `case name = N` entries of `enum enum_name` in the .swift files under Web/ and Sources/."""
    table = Table(f"Swift {enum_name}")
    found = []
    pattern = re.compile(r"\benum\s+" + enum_name + r"\b[^{]*\{")
    for directory in ("Web", "Sources"):
        base = root / directory
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.swift")):
            raw = path.read_text(encoding="utf-8", errors="replace")
            if enum_name not in raw:
                continue
            source = Source(path, root, blank_strings=True)
            for match in pattern.finditer(source.text):
                found.append((source, match))
    if not found:
        problems.append(f"no `enum {enum_name}` in any .swift file under Web/ or Sources/")
        return table, None
    if len(found) > 1:
        places = ", ".join(source.where(match.start()) for source, match in found)
        problems.append(f"`enum {enum_name}` is defined more than once: {places}")
    source, match = found[0]
    open_index = match.end() - 1
    close_index = matching_brace(source.text, open_index)
    body = top_level(source.text[open_index + 1:close_index])
    offset = open_index + 1
    for case in re.finditer(r"\bcase\b([^\n;]*)", body):
        for item in re.finditer(r"(\w+)\s*=\s*(-?\d+)", case.group(1)):
            table.add(item.group(1), int(item.group(2)), source.where(offset + case.start(1) + item.start()))
        if not re.search(r"=\s*-?\d", case.group(1)):
            problems.append(f"{source.where(offset + case.start())}: `case{case.group(1).rstrip()}` in enum "
                            f"{enum_name} has no explicit number")
    if not table.entries:
        problems.append(f"{source.where(match.start())}: enum {enum_name} has no `case name = N`")
    return table, source


# MARK: - JavaScript


def js_table(source, mirrors, fallback, problems):
    """The `const X = Object.freeze({name: N, ...})` table whose doc comment names `mirrors` (else `fallback`)."""
    tables = []
    for match in re.finditer(r"\bconst\s+(\w+)\s*=\s*(?:Object\.freeze\(\s*)?\{", source.text):
        before = source.raw[max(0, match.start() - 400):match.start()]
        # The comment right before the declaration (ignoring `export` and blank space).
        before = re.sub(r"(export\s*)?$", "", before.rstrip()).rstrip()
        comment = ""
        block = re.search(r"/\*\*?((?:(?!\*/).)*)\*/$", before, re.S)
        if block:
            comment = block.group(1)
        else:
            lines = re.findall(r"(?m)^\s*//(.*)$", before)
            comment = lines[-1] if lines else ""
        tables.append((match, comment))
    chosen = [t for t in tables if re.search(r"\b" + mirrors + r"\b", t[1])]
    if not chosen:
        chosen = [t for t in tables if t[0].group(1) == fallback]
    table = Table(f"colonio-internal.js {fallback}")
    if not chosen:
        problems.append(f"{source.display}: no constant table mirroring {mirrors} "
                        f"(a `const {fallback} = Object.freeze({{...}})` whose comment names {mirrors})")
        return table
    if len(chosen) > 1:
        places = ", ".join(source.where(m.start()) for m, _ in chosen)
        problems.append(f"{source.display}: more than one table mirrors {mirrors}: {places}")
    match = chosen[0][0]
    table.label = f"colonio-internal.js {match.group(1)}"
    open_index = match.end() - 1
    close_index = matching_brace(source.text, open_index)
    body = source.text[open_index + 1:close_index]
    offset = open_index + 1
    for entry in re.finditer(r"[^,]+", body):
        text = entry.group(0).strip()
        if not text:
            continue
        item = re.fullmatch(r"['\"]?(\w+)['\"]?\s*:\s*(-?\d+)", text)
        at = source.where(offset + entry.start() + (len(entry.group(0)) - len(entry.group(0).lstrip())))
        if item:
            table.add(item.group(1), int(item.group(2)), at)
        else:
            problems.append(f"{at}: entry `{text}` of {table.label} is not `name: number`")
    return table


# MARK: - Proto


class Proto:
    def __init__(self, source):
        self.source = source
        # Top-level messages and enums: name -> (body offset, body text).
        self.messages = {}
        self.enums = {}
        text = source.text
        depth = 0
        k = 0
        declaration = re.compile(r"\b(message|enum)\s+(\w+)\s*\{")
        while k < len(text):
            c = text[k]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif depth == 0:
                match = declaration.match(text, k)
                if match and (k == 0 or not (text[k - 1].isalnum() or text[k - 1] == "_")):
                    open_index = match.end() - 1
                    close_index = matching_brace(text, open_index)
                    kind = self.messages if match.group(1) == "message" else self.enums
                    kind[match.group(2)] = (open_index + 1, text[open_index + 1:close_index], match.start())
                    k = close_index + 1
                    continue
            k += 1

    def fields(self, message):
        """(type, name, number, offset) of a message's own fields (oneof members included, nested types not)."""
        offset, body, _ = self.messages[message]
        # Blank nested message/enum bodies but keep oneof bodies.
        flat = list(body)
        for nested in re.finditer(r"\b(message|enum)\s+\w+\s*\{", body):
            close_index = matching_brace(body, nested.end() - 1)
            for k in range(nested.start(), close_index + 1):
                if flat[k] != "\n":
                    flat[k] = " "
        flat = "".join(flat)
        pattern = r"(?:\b(?:repeated|optional)\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*(?:\[[^\]]*\])?\s*;"
        return [(m.group(1), m.group(2), int(m.group(3)), offset + m.start())
                for m in re.finditer(pattern, flat)]

    def enum_values(self, enum):
        offset, body, _ = self.enums[enum]
        return [(m.group(1), int(m.group(2)), offset + m.start())
                for m in re.finditer(r"\b([A-Z][A-Z0-9_]*)\s*=\s*(-?\d+)\s*;", body)]


def proto_tables(proto, problems):
    operations = Table("docs/browser-abi.proto enum Operation")
    commands = Table("docs/browser-abi.proto message ShellOutput")
    where = proto.source.where
    if "Operation" not in proto.enums:
        problems.append(f"{proto.source.display}: no top-level `enum Operation`")
    else:
        for name, number, offset in proto.enum_values("Operation"):
            if not name.startswith("OPERATION_"):
                problems.append(f"{where(offset)}: Operation value {name} lacks the OPERATION_ prefix")
            operations.add(name, number, where(offset), key_name=name.removeprefix("OPERATION_"))
    if "ShellOutput" not in proto.messages:
        problems.append(f"{proto.source.display}: no top-level `message ShellOutput`")
    else:
        for type_name, name, number, offset in proto.fields("ShellOutput"):
            commands.add(name, number, where(offset))
            if type_name not in proto.messages:
                problems.append(f"{where(offset)}: ShellOutput.{name} has type {type_name}, "
                                f"which is not a message of this file")
            elif norm(type_name) != norm(name) + "command":
                problems.append(f"{where(offset)}: ShellOutput.{name} has type {type_name}, "
                                f"expected the message of that command ({name} -> ...Command)")
    # One input message per operation.
    by_norm = {norm(name): name for name in proto.messages}
    for key, (name, _, at) in operations.entries.items():
        if key + "input" not in by_norm:
            words = name.removeprefix("OPERATION_").split("_")
            problems.append(f"{at}: operation {name} has no input message (e.g. `message "
                            f"{''.join(w.capitalize() for w in words)}Input`)")
    return operations, commands


def compare(kind, tables, problems):
    """Reports every name or number that is not the same in all tables."""
    keys = []
    for table in tables:
        for key in table.entries:
            if key not in keys:
                keys.append(key)
    for key in keys:
        present = [(t, t.entries[key]) for t in tables if key in t.entries]
        shown = present[0][1][0]
        numbers = {entry[1] for _, entry in present}
        if len(present) < len(tables):
            missing = [t for t in tables if key not in t.entries]
            number = present[0][1][1]
            for table in missing:
                hint = ""
                same = [e for e in table.entries.values() if e[1] == number]
                if same:
                    hint = f" (number {number} there is {same[0][0]}, {same[0][2]})"
                problems.append(f"{kind} {shown}: in {', '.join(f'{t.label} ({e[2]})' for t, e in present)} "
                                f"but not in {table.label}{hint}")
        if len(numbers) > 1:
            listing = "; ".join(f"{t.label}: {e[0]} = {e[1]} ({e[2]})" for t, e in present)
            problems.append(f"{kind} {shown}: numbers differ: {listing}")


# MARK: - Field numbers (--fields)


def swift_sources(root):
    for directory in ("Web", "Sources"):
        base = root / directory
        if base.is_dir():
            yield from sorted(base.rglob("*.swift"))


def code_input_fields(root, operations, problems):
    """operation (normalised) -> set of field numbers the BrowserInput switch reads."""
    names = {key for key in operations.entries}
    result = {}
    label = re.compile(r"(?m)^([ \t]*)case\s+(\.\w+(?:\s*,\s*\.\w+)*)\s*:")
    for path in swift_sources(root):
        raw = path.read_text(encoding="utf-8", errors="replace")
        if "InputFields" not in raw:
            continue
        source = Source(path, root, blank_strings=True)
        text = source.text
        for parameter in re.finditer(r"(\w+)\s*:\s*InputFields\b", text):
            variable = parameter.group(1)
            body_open = text.find("{", parameter.end())
            if body_open < 0:
                continue
            body = text[body_open:matching_brace(text, body_open) + 1]
            for switch in re.finditer(r"\bswitch\b[^{]*\{", body):
                block = body[switch.end():matching_brace(body, switch.end() - 1)]
                labels = [m for m in label.finditer(block)
                          if all(norm(n.strip()[1:]) in names for n in m.group(2).split(","))]
                if len(labels) < len(names) // 2:
                    continue
                for index, match in enumerate(labels):
                    end = labels[index + 1].start() if index + 1 < len(labels) else len(block)
                    segment = block[match.end():end]
                    used = {int(n) for n in re.findall(r"(?<![\w$.])" + variable + r"\.\w+\(\s*(\d+)\s*\)", segment)}
                    for name in match.group(2).split(","):
                        result.setdefault(norm(name.strip()[1:]), set()).update(used)
    if not result:
        problems.append("--fields: found no switch over BrowserInput reading InputFields in the Swift code")
    return result


def code_command_fields(root):
    """command (normalised) -> set of field numbers written in `emit(.command) { ... }` closures."""
    result = {}
    for path in swift_sources(root):
        raw = path.read_text(encoding="utf-8", errors="replace")
        if "emit(" not in raw:
            continue
        text = Source(path, root, blank_strings=True).text
        for emit in re.finditer(r"\bemit\(\s*\.(\w+)\s*\)\s*\{", text):
            open_index = emit.end() - 1
            closure = text[open_index + 1:matching_brace(text, open_index)]
            parameter = re.match(r"\s*(\w+)\s+in\b", closure)
            variable = re.escape(parameter.group(1)) if parameter else r"\$0"
            used = set()
            if not (parameter and parameter.group(1) == "_"):
                used = {int(n) for n in re.findall(r"(?<![\w$.])" + variable + r"\.write\(\s*field:\s*(\d+)", closure)}
            result.setdefault(norm(emit.group(1)), set()).update(used)
    return result


def compare_fields(proto, operations, commands, root, problems, names):
    """`names`: normalised name -> the name to show (Swift's)."""
    by_norm = {norm(name): name for name in proto.messages}
    shell_types = {norm(name): type_name for type_name, name, _, _ in proto.fields("ShellOutput")} \
        if "ShellOutput" in proto.messages else {}

    def check(kind, name, message, code_numbers):
        declared = {number for _, _, number, _ in proto.fields(message)}
        at = proto.source.where(proto.messages[message][2])
        for number in sorted(code_numbers - declared):
            problems.append(f"{kind} {name}: the Swift code uses field {number}, message {message} ({at}) has no such field")
        for number in sorted(declared - code_numbers):
            problems.append(f"{kind} {name}: message {message} ({at}) declares field {number}, the Swift code does not use it")

    inputs = code_input_fields(root, operations, problems)
    for key in operations.entries:
        name = names.get(key, operations.entries[key][0])
        if key + "input" in by_norm and key in inputs:
            check("operation", name, by_norm[key + "input"], inputs[key])
        elif key + "input" in by_norm and inputs:
            problems.append(f"operation {name}: no `case .{name}:` found in the Swift BrowserInput switch")
    outputs = code_command_fields(root)
    for key in commands.entries:
        name = names.get(key, commands.entries[key][0])
        message = shell_types.get(key)
        if message not in proto.messages:
            continue
        if key not in outputs:
            problems.append(f"command {name}: no `emit(.{name})` in the Swift code")
            continue
        check("command", name, message, outputs[key])


# MARK: - Main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout to check (default: this script's repository)")
    parser.add_argument("--fields", action="store_true",
                        help="also compare the .proto's message fields with the field numbers the Swift code uses")
    args = parser.parse_args()
    root = args.root.resolve()
    problems = []

    proto_path = root / "docs" / "browser-abi.proto"
    js_path = root / "Web" / "colonio-internal.js"
    for path in (proto_path, js_path):
        if not path.is_file():
            problems.append(f"missing {path}")
    if problems:
        return report(problems)

    swift_ops, _ = swift_enum(root, "BrowserInput", problems)
    swift_commands, _ = swift_enum(root, "ShellCommand", problems)
    js = Source(js_path, root)
    js_ops = js_table(js, "BrowserInput", "Op", problems)
    js_commands = js_table(js, "ShellCommand", "Command", problems)
    proto = Proto(Source(proto_path, root))
    proto_ops, proto_commands = proto_tables(proto, problems)

    for table in (swift_ops, swift_commands, js_ops, js_commands, proto_ops, proto_commands):
        problems.extend(table.problems)
    # A copy that could not be found is reported once above, not once per entry.
    compare("operation", [t for t in (swift_ops, js_ops, proto_ops) if t.entries], problems)
    compare("command", [t for t in (swift_commands, js_commands, proto_commands) if t.entries], problems)
    if args.fields:
        names = {key: entry[0] for table in (swift_ops, swift_commands) for key, entry in table.entries.items()}
        compare_fields(proto, proto_ops, proto_commands, root, problems, names)
    if problems:
        return report(problems)
    fields = " (and their fields)" if args.fields else ""
    print(f"browser ABI: {len(swift_ops.entries)} operations, {len(swift_commands.entries)} commands agree{fields}")
    return 0


def report(problems):
    for problem in problems:
        print(f"browser ABI mismatch: {problem}", file=sys.stderr)
    print(f"browser ABI: {len(problems)} mismatch(es); Swift (BrowserInput, ShellCommand), Web/colonio-internal.js "
          f"(Op, Command) and docs/browser-abi.proto must agree", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
