#!/usr/bin/env python3
"""normalise.py - puts both halves of the frames oracle in one form.

gdb mode (stdin: `bt full` output) prints "F index function line" per
frame and "V index name value" per argument and local, up to
frames_entry; snare mode reads lines already in that form. Values are
parsed as gdb writes them and printed canonically: struct members sorted,
a char pointer's string dropped, char arrays as numbers, integers beyond
32 bits (addresses, which differ between processes) as <addr>. A value
gdb knows from the caller's entry value ("x@entry=...") is printed as
<entry> or <entry:value>.

compare mode (GDB-FILE SNARE-FILE) prints mismatches and the counts; a
snare "<optimized out>" where gdb used an entry value (snare does not
evaluate DW_OP_entry_value) is counted apart, not as a mismatch.
"""
import re
import sys


def parse(text):
    pos = 0

    def skip():
        nonlocal pos
        while pos < len(text) and text[pos] == " ":
            pos += 1

    def value():
        nonlocal pos
        skip()
        if text.startswith("<optimized out>", pos):
            pos += len("<optimized out>")
            return "<optimized out>"
        if text[pos] == "{":
            pos += 1
            items, named = [], {}
            while True:
                skip()
                if text[pos] == "}":
                    pos += 1
                    return named if named else items
                m = re.compile(r"([A-Za-z_]\w*) = ").match(text, pos)
                if m:
                    pos = m.end()
                    named[m.group(1)] = value()
                else:
                    items.append(value())
                skip()
                if text[pos] == ",":
                    pos += 1
        if text[pos] == '"':
            m = re.compile(r'"((?:[^"\\]|\\.)*)"').match(text, pos)
            pos = m.end()
            raw = m.group(1).encode().decode("unicode_escape")
            return [ord(c) for c in raw]
        m = re.compile(r"[^,}\s]+").match(text, pos)
        pos = m.end()
        token = m.group(0)
        skip()
        if text.startswith('"', pos) and token.startswith("0x"):
            value()  # a char pointer's string: the pointer is compared
        return token

    return value()


def canonical(v):
    if isinstance(v, dict):
        return "{" + ", ".join(k + " = " + canonical(v[k])
                               for k in sorted(v)) + "}"
    if isinstance(v, list):
        return "{" + ", ".join(canonical(x) for x in v) + "}"
    try:
        n = v if isinstance(v, int) else int(v, 0)
        return "<addr>" if abs(n) >= 1 << 32 else str(n)
    except ValueError:
        return v


def value_text(text):
    return canonical(parse(text))


def split_args(args):
    """name=value pairs of a frame line, split at top-level commas."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(args):
        depth += c in "{"
        depth -= c in "}"
        if c == "," and depth == 0:
            out.append(args[start:i].strip())
            start = i + 1
    if args.strip():
        out.append(args[start:].strip())
    return out


def gdb(lines):
    frame = None
    for line in lines:
        m = re.match(r"#(\d+)\s+(?:0x[0-9a-f]+ in )?(\w+) \((.*)\) at (\S+):(\d+)$",
                     line)
        if m:
            if frame is not None and frame[1] == "frames_entry":
                return
            frame = (m.group(1), m.group(2))
            print("F %s %s %s" % (m.group(1), m.group(2), m.group(5)))
            for arg in split_args(m.group(3)):
                name, rest = arg.split("=", 1)
                if rest.startswith(name + "@entry="):
                    text = "<entry:%s>" % value_text(rest[len(name) + 7:])
                elif name.endswith("@entry"):
                    text = "<entry>"
                else:
                    text = value_text(rest)
                print("V %s %s %s" % (frame[0], name.replace("@entry", ""),
                                      text))
            continue
        m = re.match(r"\s+(\w+) = (.*)$", line)
        if m and frame is not None:
            print("V %s %s %s" % (frame[0], m.group(1), value_text(m.group(2))))


def snare(lines):
    for line in lines:
        parts = line.rstrip("\n").split(" ", 3)
        if parts[0] == "V":
            parts[3] = value_text(parts[3])
        print(" ".join(parts))


def compare(gdb_file, snare_file):
    """Returns (frames, values, entry-only, mismatches); prints mismatches."""
    with open(gdb_file) as g, open(snare_file) as s:
        want, got = g.read().split("\n"), s.read().split("\n")
    counts = [0, 0, 0, 0]
    if len(want) != len(got):
        print("line counts differ: gdb %d, snare %d" % (len(want), len(got)))
        counts[3] += 1
    for w, h in zip(want, got):
        entry = re.match(r"(V \S+ \S+) <entry(?::(.*))?>$", w)
        if w.startswith("F"):
            counts[0] += 1
        elif entry and h == entry.group(1) + " <optimized out>":
            counts[2] += 1
            continue
        elif entry and entry.group(2) is not None:
            w = entry.group(1) + " " + entry.group(2)
        if w.startswith("V"):
            counts[1] += 1
        if w != h:
            print("mismatch: gdb [%s] snare [%s]" % (w, h))
            counts[3] += 1
    return counts


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        print("%d %d %d %d" % tuple(compare(sys.argv[2], sys.argv[3])))
    else:
        (gdb if sys.argv[1] == "gdb" else snare)(sys.stdin.readlines())
